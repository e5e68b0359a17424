"""The insight probes: adversarial examples, the attack's success curve and saliency maps of the current sample.

Their settings travel in the probe name, like ``hidden:<layer>``, so a view that changes them only changes the
probe names it asks for, and the trainer recomputes them at once even while paused:

- ``adversarial:method=fgsm;epsilon=0.1;steps=10;target=-1``: the current sample (a drawing or the chosen test
  image) attacked; an ``Adversarial`` record.
- ``adversarial_curve:method=pgd;steps=10;target=-1``: the attack's success rate over the first
  CURVE_SAMPLES test images at each ε of CURVE_EPSILONS; an ``AdversarialCurve``.
- ``saliency:target=-1``: every attribution method's map of the current sample for a class (-1: the predicted
  one); a ``Saliency`` record.

Unlike the other probes these need gradients with respect to the input; they run in eval mode with gradients on.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
import torch

from playground.snapshots import Adversarial, AdversarialCurve, Record, Saliency

from ..errors import EngineError
from ..probe_state import ProbeState
from . import attacks, attributions
from .classifier import log_prob_forward, sample_image_shape

_CURVES: WeakKeyDictionary[Any, dict[tuple[Any, ...], list[Record]]] = WeakKeyDictionary()
INSIGHT_KINDS = ("adversarial", "adversarial_curve", "saliency")
NOT_IMAGES = "Adversarial examples and saliency maps need an image classifier; this lab's {what}"


def check_insight_probe(name: str) -> None:
    """Raise EngineError (one line) if ``name`` is not a well-formed insight probe."""
    kind, _, rest = name.partition(":")
    if kind in ("adversarial", "adversarial_curve"):
        attacks.AttackSettings.decode(rest)
    elif kind == "saliency":
        saliency_target(rest)
    else:
        raise EngineError(f"Unknown probe '{name}'")


def saliency_target(text: str) -> int:
    key, sep, value = text.partition("=")
    if text and (not sep or key != "target"):
        raise EngineError(f"Saliency settings are target=<class or -1> (received: '{text}')")
    try:
        target = int(value) if text else -1
    except ValueError as e:
        raise EngineError(f"Saliency target must be a class number (received: '{value}')") from e
    if target < -1:
        raise EngineError(f"Saliency target must be a class or -1 for the predicted one (received: {target})")
    return target


def check_image_classifier(task_name: str, input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    if task_name != "classification":
        raise EngineError(NOT_IMAGES.format(what=f"task is {task_name}"))
    shape = sample_image_shape(input_shape)
    if shape is None:
        raise EngineError(NOT_IMAGES.format(what=f"inputs are {input_shape}, not images"))
    return shape


def compute_insight(probes: ProbeState, names: set[str]) -> list[Record]:
    """The insight probes among ``names``; nothing for a lab that is not an image classifier (its views say so
    from the snapshot's task and data)."""
    try:
        image = check_image_classifier(probes.task.name, tuple(probes.input_shape))
    except EngineError:
        return []
    task = probes.task
    forward = log_prob_forward(task)
    modules = list(task.modules().values())
    modes = [m.training for m in modules]
    for m in modules:
        m.eval()
    out: list[Record] = []
    try:
        for name in sorted(names):
            kind, _, rest = name.partition(":")
            if kind == "adversarial":
                out.extend(_adversarial(probes, forward, attacks.AttackSettings.decode(rest), image))
            elif kind == "adversarial_curve":
                # Seconds of attacks: reused while the weights and the test set stay the same (a paused run whose
                # ε slider moves asks again for every probe). Each in-place update bumps a parameter's version.
                key = (name, id(probes.x_test), id(task.model), sum(p._version for p in task.model.parameters()))
                cache = _CURVES.setdefault(probes, {})
                if key not in cache:
                    if len(cache) >= 8:
                        cache.clear()
                    cache[key] = _curve(probes, forward, attacks.AttackSettings.decode(rest))
                out.extend(cache[key])
            elif kind == "saliency":
                out.extend(_saliency(probes, forward, saliency_target(rest), image))
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)
    return out


def _bounds(probes: ProbeState) -> tuple[float, float]:
    if probes.x_test is None or not len(probes.x_test):
        return 0.0, 1.0
    return min(0.0, float(probes.x_test.min())), max(1.0, float(probes.x_test.max()))


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().float().cpu().numpy().copy()


def _adversarial(probes: ProbeState, forward: attacks.Forward, settings: attacks.AttackSettings,
                 image: tuple[int, int, int]) -> list[Record]:
    picked = probes.sample()
    if picked is None:
        return []
    x, label = picked
    with torch.no_grad():
        before = forward(x).exp()[0]
    classes = before.shape[0]
    if settings.target >= classes:
        return []
    # A drawing has no true class: the attack then works against the network's own answer.
    truth = label if label is not None else int(before.argmax())
    adv = attacks.attack(forward, x, torch.tensor([truth], device=x.device), settings, _bounds(probes))
    with torch.no_grad():
        after = forward(adv).exp()[0]
    lo, hi = _bounds(probes)
    return [Adversarial(
        original=_numpy(x.reshape(*image)), adversarial=_numpy(adv.reshape(*image)),
        perturbation=_numpy((adv - x).reshape(*image)), before=_numpy(before), after=_numpy(after), label=label,
        method=settings.method, epsilon=float(settings.epsilon), steps=int(settings.steps),
        target=int(settings.target), bounds=(float(lo), float(hi)),
        # The live adversarial-training settings, so the view's controls show the run's own values.
        training_share=float(getattr(probes.task.settings, "adversarial_share", 0.0)),
        training_epsilon=float(getattr(probes.task.settings, "adversarial_epsilon", 0.0)))]


def _curve(probes: ProbeState, forward: attacks.Forward, settings: attacks.AttackSettings) -> list[Record]:
    if probes.x_test is None or probes.y_test is None or not len(probes.x_test) or \
            probes.y_test.dtype != torch.int64:
        return []
    n = min(attacks.CURVE_SAMPLES, len(probes.x_test))
    rates, attacked = attacks.success_rates(forward, probes.x_test[:n], probes.y_test[:n], settings,
                                            _bounds(probes))
    return [AdversarialCurve(epsilons=np.array(attacks.CURVE_EPSILONS, dtype=np.float64),
                             success=np.array(rates, dtype=np.float64), attacked=int(attacked),
                             method=settings.method, steps=int(settings.steps), target=int(settings.target))]


def _saliency(probes: ProbeState, forward: attacks.Forward, target: int,
              image: tuple[int, int, int]) -> list[Record]:
    picked = probes.sample()
    if picked is None:
        return []
    x, label = picked
    with torch.no_grad():
        p = forward(x).exp()[0]
    if target >= p.shape[0]:
        return []
    cls = int(p.argmax()) if target < 0 else target
    convs = [n for n in probes.layer_order if probes.node_kinds.get(n) == "Conv2d"]
    conv = probes.network.module.get_submodule(convs[-1]) if convs else None
    lo, hi = _bounds(probes)
    maps = {method: _numpy(attributions.attribute(method, forward, x, cls, image, conv, hi - lo))
            for method in attributions.attribution_methods(conv is not None)}
    return [Saliency(image=_numpy(x.reshape(*image)), target_class=cls, label=label, probabilities=_numpy(p),
                     maps=maps)]
