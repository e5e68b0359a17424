"""Backpropagation step by step: one training step of a small dense network taken apart with the chain rule.

The backward pass here is written out by hand, layer by layer, the way the course derives it, so every number on
screen is one the student can recompute: δ_L = ∂L/∂a_L · f'(z_L), ∂L/∂W_l = δ_l · a_{l−1}ᵀ, ∂L/∂a_{l−1} = W_lᵀ · δ_l.
Autograd is used only for f'(z) of the activation (so every activation kind works) and, as the independent witness,
in the gradient check, which compares a central finite difference with autograd's derivative.

Everything runs in float64 on a copy of the network, so the trace never touches the weights of a running trainer.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx, nn

from playground.compile import compile_network
from playground.graph import Lab
from playground.snapshots.learning import (
    BackpropTrace,
    GradientCheck,
    GradientCheckEntry,
    LayerSummary,
    UnitLayer,
    WeightLayer,
)

from ..datasets import DataBundle, load_dataset
from ..errors import EngineError
from ..optimizers import make_optimizer

# Beyond this a network is shown as per-layer norms: 6 layers of 8 units is about what a screen shows readably.
MAX_DETAILED_LAYERS = 6
MAX_DETAILED_UNITS = 8
MAX_BATCH = 64
EPSILON = 1e-3  # of the central difference; in float64 its error is about ε² · f''' ≈ 1e-6 of the derivative
RELATIVE_FLOOR = 1e-8  # derivatives smaller than this count as zero in the relative error
CHECKS_PER_LAYER = 8  # weights checked per layer of a large network (the ones with the largest gradients)
MAX_DETAILED_CHECKS = 600

ELEMENTWISE = ("ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softplus", "Identity", "Dropout")
BEFORE_FIRST = ("Flatten", "Identity", "Dropout")
NOT_A_CHAIN = ("Backpropagation step by step needs one chain of Dense layers and activations (ReLU, Sigmoid, Tanh "
               "...); {what}")


@dataclass
class _Layer:
    name: str
    linear: nn.Linear
    activations: list[nn.Module]
    kinds: list[str]

    @property
    def activation(self) -> str:
        return " → ".join(k for k in self.kinds if k != "Dropout") or "Identity"

    def f(self, z: torch.Tensor) -> torch.Tensor:
        for m in self.activations:
            z = m(z)
        return z


@dataclass
class _Prepared:
    lab: Lab
    module: fx.GraphModule
    before: list[nn.Module]
    layers: list[_Layer]
    softmax_last: bool
    x: torch.Tensor
    y: torch.Tensor
    classification: bool
    note: str
    fresh_optimizer: bool = True


def trace_step(lab: Lab, state: Mapping[str, torch.Tensor] | None = None, *, batch_size: int = 1, first: int = 0,
               data: DataBundle | None = None, sample: tuple[np.ndarray, np.ndarray] | None = None,
               optimizer_state: Mapping[str, object] | None = None) -> BackpropTrace:
    """Trace one training step of ``lab``'s network on ``batch_size`` training samples from ``first`` (or on the
    given ``sample`` inputs and targets), with the weights of ``state`` (a state dict of the network) or the
    initial weights of the lab's seed, as the trainer would start. ``optimizer_state`` is a torch optimizer state
    dict for the update (the running optimizer's momentum); without it the optimizer starts fresh.

    Raises EngineError when the lab is not a small chain of Dense layers and activations."""
    p = _prepare(lab, state, batch_size, first, data, sample)
    return _trace(p, optimizer_state)


def trace_checkpoint(lab: Lab, checkpoint: Mapping[str, Any], *, batch_size: int = 1,
                     first: int = 0) -> BackpropTrace:
    """:func:`trace_step` with the weights and the optimizer state of a running trainer's checkpoint (what
    ``Trainer.checkpoint`` gives, taken between two steps)."""
    tensors: Mapping[str, torch.Tensor] = checkpoint.get("tensors", {})
    network = lab.networks[0].name if lab.networks else "model"
    prefix = f"model/{network}/"
    state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)} or None
    optimizers = checkpoint.get("meta", {}).get("optimizers", {})
    optimizer_state = None
    if optimizers:
        name, saved = next(iter(optimizers.items()))
        entries: dict[int, dict[str, Any]] = {int(i): dict(v) for i, v in saved.get("state", {}).items()}
        for key, value in tensors.items():
            parts = key.split("/")
            if len(parts) == 4 and parts[0] == "optimizer" and parts[1] == name:
                entries.setdefault(int(parts[2]), {})[parts[3]] = value
        optimizer_state = {"state": entries, "param_groups": saved.get("param_groups", [])}
    return trace_step(lab, state, batch_size=batch_size, first=first, optimizer_state=optimizer_state)


def _prepare(lab: Lab, state: Mapping[str, torch.Tensor] | None, batch_size: int, first: int,
             data: DataBundle | None, sample: tuple[np.ndarray, np.ndarray] | None) -> _Prepared:
    if lab.task not in ("classification", "regression"):
        raise EngineError(f"Backpropagation step by step works on classifiers and regressions; this lab's task is "
                          f"{lab.task}", field="task")
    if len(lab.networks) != 1:
        raise EngineError("Backpropagation step by step needs a lab with one network")
    net = lab.networks[0]
    # The trainer seeds torch just before compiling, so the same seed gives the weights it would start from; a
    # forked generator keeps a trainer on another thread from seeing this reseeding.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(lab.seed)
        compiled = compile_network(net.graph, net.name)
    # float64 before the weights arrive, so given weights (0.15 ...) keep every digit.
    module = compiled.module.to(torch.float64).eval()
    state = state if state is not None else given_weights(lab, net.name)
    if state is not None:
        try:
            module.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
        except RuntimeError as e:
            raise EngineError(f"The weights do not fit this network: {str(e).splitlines()[0]}") from None
    kinds = {n.name: n.kind for n in net.graph.nodes.values()}
    before, layers, softmax_last = _layers(module, kinds, lab.task == "classification")
    if not layers:
        raise EngineError(NOT_A_CHAIN.format(what="this network has no Dense layer"))
    x, y = _batch(lab, data, sample, batch_size, first, compiled.input_shapes[compiled.inputs[0]].dims)
    note = "Dropout is left out of the trace (it acts as at test time)." if "Dropout" in kinds.values() else ""
    y = y.to(torch.int64).reshape(-1) if lab.task == "classification" else y.to(torch.float64)
    p = _Prepared(lab, module, before, layers, softmax_last, x, y, lab.task == "classification", note)
    out_units = layers[-1].linear.out_features
    if not p.classification:
        if y.numel() != x.shape[0] * out_units:
            raise EngineError(f"The network has {out_units} output(s) but the data has "
                              f"{y.numel() // max(1, x.shape[0])} value(s) per sample")
        p.y = y.reshape(x.shape[0], out_units)
    elif int(y.max()) >= out_units:
        raise EngineError(f"The network has {out_units} output(s) but the data has class {int(y.max())}")
    return p


def given_weights(lab: Lab, network: str) -> dict[str, torch.Tensor] | None:
    """The weights a lab gives its network to start from (``task_options["initial_weights"][network]``, lists of
    numbers by state-dict key), as a worked example does; None when it gives none."""
    given = lab.task_options.get("initial_weights")
    weights = given.get(network) if isinstance(given, Mapping) else None
    if not isinstance(weights, Mapping):
        return None
    try:
        return {str(k): torch.tensor(v, dtype=torch.float64) for k, v in weights.items()}
    except (TypeError, ValueError) as e:
        raise EngineError(f"task_options.initial_weights.{network} must hold lists of numbers: {e}",
                          field="task_options") from None


def load_given_weights(lab: Lab, network: str, module: nn.Module) -> bool:
    """Put the weights the lab gives ``network`` into ``module`` (see :func:`given_weights`); False when it gives
    none. Raises EngineError, naming what does not fit, for weights of another shape or name."""
    given = given_weights(lab, network)
    if given is None:
        return False
    try:
        module.load_state_dict(given)
    except RuntimeError as e:
        raise EngineError(f"task_options.initial_weights.{network} does not fit the network: "
                          f"{str(e).splitlines()[-1].strip()}", field="task_options") from None
    return True


def _layers(module: fx.GraphModule, kinds: Mapping[str, str], classification: bool
            ) -> tuple[list[nn.Module], list[_Layer], bool]:
    calls = [n for n in module.graph.nodes if n.op == "call_module"]
    previous = next((n for n in module.graph.nodes if n.op == "placeholder"), None)
    before: list[nn.Module] = []
    layers: list[_Layer] = []
    softmax_last = False
    for i, node in enumerate(calls):
        name = str(node.target)
        kind = kinds.get(name, "")
        if len(node.args) != 1 or node.args[0] is not previous:
            raise EngineError(NOT_A_CHAIN.format(what=f"'{name}' joins two branches"), node=name)
        previous = node
        sub = module.get_submodule(name)
        if kind == "Dense":
            assert isinstance(sub, nn.Linear)
            layers.append(_Layer(name, sub, [], []))
        elif kind == "Softmax" and classification and i == len(calls) - 1 and layers:
            softmax_last = True  # the classifier trains on its log: it is part of the loss, as in the task
        elif not layers and kind in BEFORE_FIRST:
            before.append(sub)
        elif layers and kind in ELEMENTWISE:
            layers[-1].activations.append(sub)
            layers[-1].kinds.append(kind)
        else:
            raise EngineError(NOT_A_CHAIN.format(what=f"this one has {kind} '{name}'"), node=name)
    return before, layers, softmax_last


def _batch(lab: Lab, data: DataBundle | None, sample: tuple[np.ndarray, np.ndarray] | None, batch_size: int,
           first: int, input_dims: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    if sample is not None:
        xs, ys = np.asarray(sample[0], np.float64), np.asarray(sample[1])
    else:
        bundle = data if data is not None else load_dataset(lab.dataset, lab.seed)
        if not len(bundle.x_train):
            raise EngineError("The dataset has no training samples to trace")
        batch_size = max(1, min(int(batch_size), MAX_BATCH))
        first = max(0, min(int(first), len(bundle.x_train) - 1))
        xs, ys = bundle.x_train[first:first + batch_size], bundle.y_train[first:first + batch_size]
    x = torch.as_tensor(np.asarray(xs, np.float64)).reshape(-1, *input_dims)
    y = torch.as_tensor(np.asarray(ys))
    if y.shape[0] != x.shape[0]:
        y = y.reshape(x.shape[0], -1)
    return x, y


def _loss_and_slope(p: _Prepared, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The loss of the last layer's activations ``out`` and its derivative ∂L/∂out, by the textbook formulas."""
    b = out.shape[0]
    if p.classification:
        probabilities = torch.softmax(out, dim=-1)
        loss = F.cross_entropy(out, p.y)
        slope = (probabilities - F.one_hot(p.y, out.shape[-1]).to(out.dtype)) / b
        return loss, slope
    diff = out - p.y
    return (diff ** 2).mean(), 2.0 * diff / diff.numel()


def _network_loss(p: _Prepared, params: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
    """The task's own loss of the whole network (what the trainer minimises), for the witnesses."""
    out = p.module(p.x) if params is None else torch.func.functional_call(p.module, dict(params), (p.x,))
    if p.classification:
        if p.softmax_last:
            return F.nll_loss(torch.log(out.clamp_min(1e-300)), p.y)
        return F.cross_entropy(out, p.y)
    return F.mse_loss(out, p.y)


def _trace(p: _Prepared, optimizer_state: Mapping[str, object] | None) -> BackpropTrace:
    with torch.no_grad():
        a = p.x
        for m in p.before:
            a = m(a)
        a = a.reshape(a.shape[0], -1)
        activations, sums = [a], []
        for layer in p.layers:
            z = F.linear(a, layer.linear.weight, layer.linear.bias)
            a = layer.f(z)
            sums.append(z)
            activations.append(a)
        loss, slope = _loss_and_slope(p, a)
    # Backward, by the chain rule: each layer turns the ∂L/∂a it receives into δ and hands W·δ down.
    back: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    grads: list[tuple[torch.Tensor, torch.Tensor | None]] = []
    for i in range(len(p.layers) - 1, -1, -1):
        layer, z = p.layers[i], sums[i]
        fprime = _derivative(layer, z)
        delta = slope * fprime
        back.append((slope, fprime, delta))
        grads.append((delta.T @ activations[i], delta.sum(0) if layer.linear.bias is not None else None))
        slope = delta @ layer.linear.weight.detach()
    back.reverse()
    grads.reverse()
    new = _update(p, grads, optimizer_state)
    with torch.no_grad():
        new_loss = float(_network_loss(p, new))
    detailed = (len(p.layers) <= MAX_DETAILED_LAYERS
                and max(int(t.shape[1]) for t in activations) <= MAX_DETAILED_UNITS)
    summaries = tuple(_summary(layer, sums[i], activations[i + 1], back[i][2], grads[i][0], new)
                      for i, layer in enumerate(p.layers))
    units: tuple[UnitLayer, ...] = ()
    weights: tuple[WeightLayer, ...] = ()
    if detailed:
        units = (UnitLayer("input", "Identity", _np(activations[0])),) + tuple(
            UnitLayer(layer.name, layer.activation, _np(activations[i + 1]), _np(sums[i]), _np(back[i][0]),
                      _np(back[i][1]), _np(back[i][2]))
            for i, layer in enumerate(p.layers))
        weights = tuple(_weight_layer(layer, grads[i], new) for i, layer in enumerate(p.layers))
    settings = p.lab.training
    return BackpropTrace(
        network=p.lab.networks[0].name, inputs=_np(activations[0]), targets=_np(p.y), outputs=_np(activations[-1]),
        loss=float(loss), loss_name="cross_entropy" if p.classification else "mse", optimizer=settings.optimizer,
        learning_rate=float(settings.learning_rate), detailed=detailed, units=units, weights=weights,
        summaries=summaries, gradient_check=gradient_check(p, detailed), new_loss=new_loss,
        note=_note(p))


def _note(p: _Prepared) -> str:
    notes = [p.note] if p.note else []
    if p.lab.training.optimizer != "sgd" and p.fresh_optimizer:
        notes.append(f"The update is {p.lab.training.optimizer}'s first step (its running averages start at zero).")
    if p.lab.training.regularization != "none":
        notes.append("The gradients shown are the data loss's; training adds the regularization term's too.")
    return " ".join(notes)


def _derivative(layer: _Layer, z: torch.Tensor) -> torch.Tensor:
    """f'(z) of the layer's activation; every activation kind is element-wise, so the gradient of Σ f(z) is it."""
    if not layer.activations:
        return torch.ones_like(z)
    zz = z.detach().clone().requires_grad_()
    with torch.enable_grad():
        (g,) = torch.autograd.grad(layer.f(zz).sum(), zz)
    return g.detach()


def _update(p: _Prepared, grads: list[tuple[torch.Tensor, torch.Tensor | None]],
            optimizer_state: Mapping[str, object] | None) -> dict[str, torch.Tensor]:
    """The parameters after one step of the lab's own optimizer, given the gradients of the trace."""
    params: dict[str, nn.Parameter] = {}
    order: list[nn.Parameter] = []
    for layer, (gw, gb) in zip(p.layers, grads):
        w = nn.Parameter(layer.linear.weight.detach().clone())
        w.grad = gw.clone()
        params[f"{layer.name}.weight"] = w
        order.append(w)
        if layer.linear.bias is not None and gb is not None:
            b = nn.Parameter(layer.linear.bias.detach().clone())
            b.grad = gb.clone()
            params[f"{layer.name}.bias"] = b
            order.append(b)
    optimizer = make_optimizer(p.lab.training, order)
    if optimizer_state is not None:
        # A state of another architecture is left out: the step starts fresh, as the note says.
        with contextlib.suppress(ValueError, KeyError, RuntimeError, TypeError):
            optimizer.load_state_dict(dict(optimizer_state))
            p.fresh_optimizer = not optimizer.state_dict()["state"]
    try:
        optimizer.step()
    except RuntimeError:
        # A fused kernel without float64 support on this device: the plain loop computes the same step.
        for group in optimizer.param_groups:
            group["fused"] = False
        optimizer.step()
    new = {k: v.detach() for k, v in params.items()}
    # Parameters outside the Dense layers (none in a chain) would be missing from functional_call; keep them.
    for k, v in p.module.named_parameters():
        new.setdefault(k, v.detach())
    return new


def _weight_layer(layer: _Layer, grad: tuple[torch.Tensor, torch.Tensor | None],
                  new: Mapping[str, torch.Tensor]) -> WeightLayer:
    bias = layer.linear.bias
    return WeightLayer(layer.name, _np(layer.linear.weight), _np(grad[0]), _np(new[f"{layer.name}.weight"]),
                       None if bias is None else _np(bias), None if grad[1] is None else _np(grad[1]),
                       None if bias is None else _np(new[f"{layer.name}.bias"]))


def _summary(layer: _Layer, z: torch.Tensor, a: torch.Tensor, delta: torch.Tensor, grad: torch.Tensor,
             new: Mapping[str, torch.Tensor]) -> LayerSummary:
    w = layer.linear.weight.detach()
    return LayerSummary(layer.name, layer.activation, int(w.shape[0]), _norm(z), _norm(a), _norm(delta), _norm(w),
                        _norm(grad), _norm(new[f"{layer.name}.weight"] - w))


def gradient_check(p: _Prepared, detailed: bool, epsilon: float = EPSILON) -> GradientCheck:
    """Autograd's derivative of the task's loss against the central difference, for every weight and bias of a
    small network, or for the weights with the largest gradients in each layer of a large one."""
    base = {k: v.detach().clone() for k, v in p.module.named_parameters()}
    leaves = {k: v.clone().requires_grad_() for k, v in base.items()}
    with torch.enable_grad():
        loss = _network_loss(p, leaves)
        autograd = dict(zip(leaves, torch.autograd.grad(loss, list(leaves.values()), allow_unused=True)))
    entries: list[GradientCheckEntry] = []
    for layer in p.layers:
        for suffix in ("weight", "bias"):
            key = f"{layer.name}.{suffix}"
            if key not in base:
                continue
            g = autograd[key]
            analytic = torch.zeros_like(base[key]) if g is None else g
            for index in _checked(analytic, detailed, len(entries)):
                entries.append(_check_one(p, base, key, index, float(analytic[index]), epsilon, layer.name))
    return GradientCheck(epsilon, tuple(entries))


def _checked(grad: torch.Tensor, detailed: bool, done: int) -> list[tuple[int, ...]]:
    if detailed:
        room = max(0, MAX_DETAILED_CHECKS - done)
        return [tuple(int(i) for i in idx) for idx in np.ndindex(*grad.shape)][:room]
    flat = grad.abs().reshape(-1)
    top = torch.topk(flat, min(CHECKS_PER_LAYER, flat.numel())).indices
    return [tuple(int(i) for i in np.unravel_index(int(t), tuple(grad.shape))) for t in top]


def _check_one(p: _Prepared, base: dict[str, torch.Tensor], key: str, index: tuple[int, ...], analytic: float,
               epsilon: float, layer: str) -> GradientCheckEntry:
    def loss_at(shift: float) -> float:
        moved = dict(base)
        t = base[key].clone()
        t[index] += shift
        moved[key] = t
        with torch.no_grad():
            return float(_network_loss(p, moved))

    numeric = (loss_at(epsilon) - loss_at(-epsilon)) / (2 * epsilon)
    row = int(index[0])
    column = int(index[1]) if len(index) > 1 else -1
    return GradientCheckEntry(layer, row, column, float(base[key][index]), numeric, analytic,
                              relative_error(numeric, analytic))


def relative_error(numeric: float, analytic: float) -> float:
    """|a − b| / max(|a|, |b|): scale-free, so a tiny gradient is judged as strictly as a large one (down to
    RELATIVE_FLOOR, below which both are as good as zero)."""
    return abs(numeric - analytic) / max(abs(numeric), abs(analytic), RELATIVE_FLOOR)


def autograd_gradients(lab: Lab, state: Mapping[str, torch.Tensor] | None = None, *,
                       sample: tuple[np.ndarray, np.ndarray] | None = None, data: DataBundle | None = None,
                       batch_size: int = 1, first: int = 0) -> dict[str, np.ndarray]:
    """∂L/∂θ of every parameter by autograd, and ∂L/∂z of every Dense layer's output (its δ), as a witness for the
    trace: keys ``<layer>.weight``, ``<layer>.bias`` and ``<layer>.delta``."""
    p = _prepare(lab, state, batch_size, first, data, sample)
    sums: dict[str, torch.Tensor] = {}
    handles = []
    for layer in p.layers:
        def keep(_m: nn.Module, _args: object, out: torch.Tensor, name: str = layer.name) -> None:
            sums[name] = out

        handles.append(layer.linear.register_forward_hook(keep))
    named = dict(p.module.named_parameters())
    for t in named.values():
        t.requires_grad_(True)
    try:
        with torch.enable_grad():
            loss = _network_loss(p)
            found = torch.autograd.grad(loss, [*named.values(), *sums.values()], allow_unused=True)
    finally:
        for h in handles:
            h.remove()
    keys = [*named, *(f"{name}.delta" for name in sums)]
    return {k: _np(g) for k, g in zip(keys, found) if g is not None}


def _norm(t: torch.Tensor) -> float:
    value = float(torch.linalg.vector_norm(t.detach()))
    return value if math.isfinite(value) else float("nan")


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float64, copy=True)
