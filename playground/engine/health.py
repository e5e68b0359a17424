"""The health of a network's layers, measured on a probe batch at snapshot time (the ``health`` probe).

What the canvas badges flag, and the thresholds behind them (the README's "Health badges" lists the same):

The probe samples are the first ``PROBE_SAMPLES`` test samples (a GAN's generator: a fixed draw of its noise).

- **dead ReLUs**: a ReLU unit (a feature, or a channel of an image) that is never positive on the probe batch
  passes no gradient back, so it no longer learns. Flagged when at least ``DEAD_FLAG`` of a layer's units are dead.
- **saturated units**: a Sigmoid output outside [0.03, 0.97], or a Tanh output with |a| > 0.97, sits where the
  curve is flat (slope under about 0.03), so little gradient passes. A unit is saturated when that holds for
  more than half of the probe samples; flagged when at least ``SATURATED_FLAG`` of a layer's units are. Not for
  a network's output, where a value near 0 or 1 is a confident answer (or a black pixel of a generated image).
- **vanishing / exploding gradients**: the L2 norm of a weight layer's parameter gradients at the last recorded
  step, below ``VANISHING_GRADIENT`` (the layer has stopped learning) or above ``EXPLODING_GRADIENT`` (the next
  step will throw its weights far away).
- **NaN**: a non-finite value in the layer's output or its parameters.
"""

from __future__ import annotations

import numpy as np
import torch

from playground.compile import capture
from playground.snapshots.health import LayerHealth, NetworkHealth

from .probe_state import ProbeState

PROBE_SAMPLES = 256
DEAD_FLAG = 0.3
SATURATED_FLAG = 0.5
SIGMOID_EDGE = 0.03
TANH_EDGE = 0.97
VANISHING_GRADIENT = 1e-7
EXPLODING_GRADIENT = 1e3
WEIGHTED_KINDS = {"Dense", "Conv2d", "Conv1d", "ConvTranspose2d", "RNN", "GRU", "LSTM", "Embedding"}
SATURATING_KINDS = {"Sigmoid", "Tanh"}


def probe_batch(probes: ProbeState) -> torch.Tensor | None:
    """The inputs health is measured on: the first test samples (the training set's when there is no test set);
    for a GAN's generator, which reads noise and not the data, a fixed draw of its noise."""
    net = probes.network
    if probes.task.name == "gan" and net.inputs:
        dims = tuple(int(d) for d in net.input_shapes[net.inputs[0]].dims)
        noise = torch.randn(PROBE_SAMPLES, *dims, generator=torch.Generator().manual_seed(0))
        return noise.to(probes.device)
    if probes.x_test is not None and len(probes.x_test):
        return probes.x_test[:PROBE_SAMPLES]
    x = np.asarray(probes.data.x_train[:PROBE_SAMPLES], np.float32)
    if not len(x):
        return None
    shape = probes.input_shape or tuple(x.shape[1:])
    return torch.as_tensor(x, device=probes.device).reshape(len(x), *shape)


def last_gradient_norms(probes: ProbeState, step: int | None = None) -> dict[str, float]:
    """Each weight layer's last recorded gradient norm (at or before ``step``), from the gradient history."""
    steps = np.frombuffer(probes.gradient_steps, dtype=np.float64)
    if not len(steps):
        return {}
    at = len(steps) - 1 if step is None else int(np.searchsorted(steps, step, side="right")) - 1
    if at < 0:
        return {}
    out = {}
    for name, col in probes.gradient_norms.items():
        if at < len(col):
            out[name] = float(col[at])
    return out


def network_health(probes: ProbeState, step: int | None = None) -> NetworkHealth:
    """Every activation and weight layer of the probed network, judged on a probe batch (under no_grad)."""
    x = probe_batch(probes)
    if x is None:
        return NetworkHealth({})
    layers = [n for n in probes.layer_order
              if probes.node_kinds.get(n) in WEIGHTED_KINDS | SATURATING_KINDS | {"ReLU"}]
    module = probes.network.module
    was = module.training
    module.eval()  # as the network answers: no dropout noise, batch norm with its running statistics
    try:
        with torch.no_grad(), capture(module, layers) as acts:
            module(x)
    except (RuntimeError, TypeError, ValueError):  # a network whose input is not this data (a GAN's generator)
        return NetworkHealth({})
    finally:
        module.train(was)
    norms = last_gradient_norms(probes, step)
    # An output's sigmoid near 0 or 1 is a confident answer, or a black pixel of a generated image: not a problem.
    outputs = set(probes.network.output_sources.values())
    out: dict[str, LayerHealth] = {}
    for name in layers:
        a = acts.get(name)
        if a is None or a.dim() < 2:
            continue
        out[name] = _layer_health(name, probes.node_kinds.get(name, ""), a, module, norms.get(name),
                                  output=name in outputs)
    return NetworkHealth(out, samples=int(x.shape[0]))


def _layer_health(name: str, kind: str, a: torch.Tensor, module: torch.nn.Module, gradient_norm: float | None,
                  output: bool = False) -> LayerHealth:
    # Units along dim 1 (features of a dense layer, channels of an image); every other axis is a sample or place.
    per_unit = a.float().transpose(0, 1).reshape(a.shape[1], -1)
    units = int(per_unit.shape[0])
    problems: list[str] = []
    nan = not bool(torch.isfinite(per_unit).all())
    if kind in WEIGHTED_KINDS:
        nan = nan or any(not bool(torch.isfinite(p).all()) for p in module.get_submodule(name).parameters())
    dead = saturated = None
    if kind == "ReLU":
        dead = float((per_unit.amax(dim=1) <= 0).float().mean())
        if dead >= DEAD_FLAG:
            problems.append("dead")
    elif kind in SATURATING_KINDS and not output:
        flat = per_unit.abs() > TANH_EDGE if kind == "Tanh" else \
            (per_unit < SIGMOID_EDGE) | (per_unit > 1 - SIGMOID_EDGE)
        saturated = float((flat.float().mean(dim=1) > 0.5).float().mean())
        if saturated >= SATURATED_FLAG:
            problems.append("saturated")
    if gradient_norm is not None and np.isfinite(gradient_norm):
        if gradient_norm < VANISHING_GRADIENT:
            problems.append("vanishing")
        elif gradient_norm > EXPLODING_GRADIENT:
            problems.append("exploding")
    elif gradient_norm is not None:
        nan = True
    if nan:
        problems.append("nan")
    return LayerHealth(kind, units, dead, saturated, gradient_norm, nan, tuple(problems))
