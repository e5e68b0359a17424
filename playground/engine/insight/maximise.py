"""Activation maximisation: the input a trained network's class or unit responds to most, found by gradient ascent
on the pixels.

Every target of a grid (each class, or each channel of a conv layer) gets its own image in one batch, so the whole
grid costs one forward and one backward pass per step. Left alone, ascent finds high-frequency noise that excites a
unit without looking like anything; the usual light regularisation keeps the images readable: a jitter of a pixel
or two before each step (a pattern must work wherever it sits), a blur every few steps (fine noise fades), an L2
pull towards the start image's grey, and pixels clipped to the data's range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx, nn

from playground.compile import compile_network
from playground.graph import Lab
from playground.snapshots.unit_response import ActivationMaximisation

from ..errors import EngineError
from .backprop import given_weights
from .classifier import sample_image_shape

TARGET_KINDS = ("Conv2d", "Dense")  # the layers offered: before their activation, so a dead unit still has a slope
MAX_TARGETS = 64  # a grid larger than this is unreadable on a laptop screen; a Dense layer of 120 shows its first 64
SOFTMAX = (nn.Softmax, nn.LogSoftmax)


@dataclass(frozen=True)
class MaximiseSettings:
    """How the ascent runs: Adam with ``learning_rate`` (in units of the data's range) for ``steps`` steps, a
    random shift of up to ``jitter`` pixels each step, a 3x3 blur every ``blur_every`` steps (0: never), an L2
    penalty of weight ``l2`` towards the start grey; ``start`` is "grey" (the data's mean) or "random". A
    channel's activation is its ``spatial`` "mean" over the map, or its "centre" unit: one unit sees only its
    receptive field, so the pixels outside it stay grey (a first conv layer's mean is mostly won by a flat image)."""

    steps: int = 120
    learning_rate: float = 0.05
    jitter: int = 1
    blur_every: int = 4
    l2: float = 0.01
    start: str = "grey"
    spatial: str = "mean"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.learning_rate <= 0 or self.jitter < 0 or self.blur_every < 0 or self.l2 < 0:
            raise EngineError(f"Activation maximisation needs steps ≥ 1, a positive learning rate and no negative "
                              f"jitter, blur or L2 (received: {self})")
        if self.start not in ("grey", "random"):
            raise EngineError(f"The start image is 'grey' or 'random' (received: '{self.start}')")
        if self.spatial not in ("mean", "centre"):
            raise EngineError(f"A channel's activation is its 'mean' or its 'centre' unit (received: "
                              f"'{self.spatial}')")


@dataclass
class TrainedNetwork:
    """A lab's network with weights, ready for insight: the module (eval mode, float32, CPU), its input image
    shape (C, H, W) or None, the node kinds by name, and where the weights came from."""

    module: fx.GraphModule
    image: tuple[int, int, int] | None
    input_dims: tuple[int, ...]
    kinds: dict[str, str]
    source: str


def trained_network(lab: Lab, checkpoint: Mapping[str, Any] | None = None) -> TrainedNetwork:
    """The lab's first network with the weights of a running trainer's ``checkpoint`` (``Trainer.checkpoint``,
    handed over between two steps), else the lab's given starting weights, else its seed's."""
    if not lab.networks:
        raise EngineError("The lab has no network")
    net = lab.networks[0]
    with torch.random.fork_rng(devices=[]):  # the trainer's own seeding, without disturbing another thread's
        torch.manual_seed(lab.seed)
        compiled = compile_network(net.graph, net.name)
    module = compiled.module.float().eval()
    prefix = f"model/{net.name}/"
    tensors: Mapping[str, torch.Tensor] = (checkpoint or {}).get("tensors", {})
    state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    if state:
        meta = (checkpoint or {}).get("meta", {})
        source = f"Weights of the running session (epoch {meta.get('epoch', 0)}, step {meta.get('step', 0)})"
    else:
        given = given_weights(lab, net.name)
        state = dict(given) if given is not None else {}
        source = "The lab's given starting weights" if state else (
            f"Untrained: starting weights of seed {lab.seed} (press Play, then run again)")
    if state:
        try:
            module.load_state_dict({k: torch.as_tensor(v).float() for k, v in state.items()})
        except RuntimeError as e:
            raise EngineError(f"The weights do not fit this network: {str(e).splitlines()[0]}") from None
    for p in module.parameters():
        p.requires_grad_(False)
    shape = compiled.input_shapes[compiled.inputs[0]]
    dims = tuple(shape.dims)
    kinds = {n.name: n.kind for n in net.graph.nodes.values()}
    image = sample_image_shape(dims) if shape.dtype == "float" else None  # token ids are no image
    return TrainedNetwork(module, image, dims, kinds, source)


def maximisable_layers(network: TrainedNetwork) -> list[tuple[str, int]]:
    """The layers whose units can be maximised, in network order, each with its count of units or channels."""
    if network.image is None:
        return []
    shapes = _output_shapes(network)
    return [(name, shape[1]) for name, shape in shapes.items()
            if network.kinds.get(name) in TARGET_KINDS and len(shape) in (2, 4)]


def _output_shapes(network: TrainedNetwork) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    handles = []
    for name, m in network.module.named_children():
        def keep(_m: nn.Module, _args: object, out: Any, name: str = name) -> None:
            if isinstance(out, torch.Tensor):
                shapes[name] = tuple(out.shape)
        handles.append(m.register_forward_hook(keep))
    try:
        with torch.no_grad():
            network.module(torch.zeros(1, *network.input_dims))
    finally:
        for h in handles:
            h.remove()
    return shapes


def class_names_for(count: int, names: list[str] | tuple[str, ...] = ()) -> list[str]:
    return [str(names[i]) if i < len(names) else f"class {i}" for i in range(count)]


def maximise(network: TrainedNetwork, layer: str = "", *, settings: MaximiseSettings | None = None,
             bounds: tuple[float, float] = (0.0, 1.0), grey: float | None = None, class_names: tuple[str, ...] = (),
             cancel: Callable[[], bool] | None = None,
             progress: Callable[[int, int], None] | None = None) -> ActivationMaximisation:
    """Optimise one image per target of ``layer`` (empty: per class of the network's logits, before any final
    softmax), each to raise its own target's mean activation. ``cancel`` is asked between steps; a True ends the run
    early with what it has. ``progress(step, steps)`` is told every few steps."""
    s = settings or MaximiseSettings()
    if network.image is None:
        raise EngineError(f"Activation maximisation needs a network of images; this one's input is "
                          f"{network.input_dims}")
    targets = _target_count(network, layer)
    count = min(targets, MAX_TARGETS)
    lo, hi = float(bounds[0]), float(bounds[1])
    span = hi - lo if hi > lo else 1.0
    mid = float(grey) if grey is not None else lo + 0.5 * span
    generator = torch.Generator().manual_seed(s.seed)
    shape = (count, *network.image)
    start = torch.full(shape, mid)
    if s.start == "random":
        start = (start + 0.1 * span * torch.randn(shape, generator=generator)).clamp(lo, hi)
    units = torch.arange(count)
    x = start.clone().requires_grad_(True)
    optimiser = torch.optim.Adam([x], lr=s.learning_rate * span)
    first = _activations(network, layer, start, units, s.spatial).detach()
    done = 0
    cancelled = False
    for step in range(s.steps):
        if cancel is not None and cancel():
            cancelled = True
            break
        shifted = _jitter(x, s.jitter, generator)
        activation = _activations(network, layer, shifted, units, s.spatial)
        penalty = s.l2 * ((x - mid) / span).pow(2).flatten(1).sum(1)
        loss = (penalty - activation).sum()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        with torch.no_grad():
            if s.blur_every and (step + 1) % s.blur_every == 0:
                x.copy_(_blur(x))
            x.clamp_(lo, hi)
        done = step + 1
        if progress is not None and (done % 5 == 0 or done == s.steps):
            progress(done, s.steps)
    with torch.no_grad():
        final = _activations(network, layer, x, units, s.spatial)
    labels = (class_names_for(count, class_names) if not layer else
              [f"{'channel' if _is_conv(network, layer) else 'unit'} {k} of {layer}" for k in range(count)])
    return ActivationMaximisation(
        images=x.detach().numpy().copy(), labels=tuple(labels), layer=layer, start=first.numpy().copy(),
        final=final.numpy().copy(), steps=s.steps, steps_done=done, cancelled=cancelled, bounds=(lo, hi),
        source=network.source, spatial=s.spatial if layer and _is_conv(network, layer) else "")


def logits(network: TrainedNetwork, images: torch.Tensor) -> torch.Tensor:
    """The network's class scores of ``images`` (N, C, H, W), before any final softmax."""
    return _layer_output(network, "", images)


def _target_count(network: TrainedNetwork, layer: str) -> int:
    if not layer:
        with torch.no_grad():
            return int(logits(network, torch.zeros(1, *network.image or ())).shape[1])
    layers = dict(maximisable_layers(network))
    if layer not in layers:
        raise EngineError(f"Layer '{layer}' is not a Conv2d or Dense layer of this network (these are: "
                          f"{', '.join(layers) or 'none'})")
    return layers[layer]


def _is_conv(network: TrainedNetwork, layer: str) -> bool:
    return network.kinds.get(layer) == "Conv2d"


def _activations(network: TrainedNetwork, layer: str, images: torch.Tensor, units: torch.Tensor,
                 spatial: str = "mean") -> torch.Tensor:
    """Each image's own target: unit ``units[i]`` of the layer for image i; for a channel, its mean over space or
    its centre unit."""
    out = _layer_output(network, layer, images)
    picked = out[torch.arange(out.shape[0]), units]
    if picked.dim() == 3 and spatial == "centre":
        return picked[:, picked.shape[1] // 2, picked.shape[2] // 2]
    return picked.flatten(1).mean(1) if picked.dim() > 1 else picked


def _layer_output(network: TrainedNetwork, layer: str, images: torch.Tensor) -> torch.Tensor:
    module = network.module
    children = dict(module.named_children())
    calls = [n.target for n in module.graph.nodes if n.op == "call_module"]
    softmax_last = bool(calls) and isinstance(children.get(str(calls[-1])), SOFTMAX)
    captured: list[torch.Tensor] = []
    handle = None
    if layer:
        handle = children[layer].register_forward_hook(lambda _m, _a, out: captured.append(out))
    elif softmax_last:
        # A class's logit, not its probability: a probability can only rise by pushing the other classes down.
        handle = children[str(calls[-1])].register_forward_pre_hook(lambda _m, args: captured.append(args[0]))
    try:
        out = module(images.reshape(images.shape[0], *network.input_dims))
    finally:
        if handle is not None:
            handle.remove()
    result = captured[0] if captured else out
    if not isinstance(result, torch.Tensor):
        raise EngineError(f"Layer '{layer}' does not give one tensor")
    return result


def _jitter(x: torch.Tensor, pixels: int, generator: torch.Generator) -> torch.Tensor:
    if pixels <= 0:
        return x
    dy, dx = (int(v) for v in torch.randint(-pixels, pixels + 1, (2,), generator=generator))
    return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))


def _blur(x: torch.Tensor) -> torch.Tensor:
    kernel = torch.tensor([1.0, 2.0, 1.0])
    kernel = (kernel[:, None] * kernel[None, :]) / 16.0
    channels = x.shape[1]
    weight = kernel.expand(channels, 1, 3, 3).contiguous()
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), weight, groups=channels)


def image_bounds(x: np.ndarray) -> tuple[tuple[float, float], float]:
    """The value range a data set's images span (at least 0..1, as the attacks clip to) and their mean grey."""
    if not len(x):
        return (0.0, 1.0), 0.5
    return (min(0.0, float(x.min())), max(1.0, float(x.max()))), float(x.mean())
