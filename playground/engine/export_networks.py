"""What every exporter shares: the networks an export reads (built on the CPU with their weights), random example
inputs, the axes left free (batch, sequence length), and the check of an export's outputs against torch.

Every writer checks what it wrote against the torch module it came from, on a fresh random batch of a size other
than the one used to export (so a batch dimension frozen by mistake shows up), and reports the largest
difference.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from playground.compile import CompiledNetwork, compile_network
from playground.graph import GraphError, Lab

from .errors import EngineError

FORMATS: dict[str, str] = {"onnx": ".onnx", "py": ".py", "pt2": ".pt2"}
FORMAT_TITLES: dict[str, str] = {"onnx": "ONNX", "py": "PyTorch code", "pt2": "torch.export program"}
# Largest difference from torch that a check accepts, relative to the size of the outputs (at least 1).
TOLERANCE: dict[str, float] = {"onnx": 1e-4, "py": 1e-5, "pt2": 1e-5}
EXPORT_BATCH = 3  # the example batch the exporters trace with
CHECK_BATCH = 5  # the check runs another size, so a batch dimension frozen by mistake fails it


class ExportError(EngineError):
    """Something could not be exported; the message says what and why."""


@dataclass
class ExportSource:
    """What an export reads: the lab, each network's weights (absent: the lab's seeded start), the history CSV."""

    lab: Lab
    weights: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    history_csv: str | None = None
    origin: str = ""


# Networks ------------------------------------------------------------------------------------------------------


def build_networks(source: ExportSource) -> dict[str, CompiledNetwork]:
    """Compile every network of the source's lab on the CPU, in eval mode, with the source's weights."""
    # The same seeding as the trainer's fresh build, so a lab without weights exports the weights it would
    # start training from.
    torch.manual_seed(source.lab.seed)
    out: dict[str, CompiledNetwork] = {}
    for net in source.lab.networks:
        try:
            compiled = compile_network(net.graph, net.name)
        except GraphError as e:
            where = f"[{net.name}] " if len(source.lab.networks) > 1 else ""
            raise ExportError(f"{where}{e}") from None
        state = source.weights.get(net.name)
        if state is not None:
            load_weights(compiled, state)
        compiled.module.eval()
        out[net.name] = compiled
    return out


def load_weights(net: CompiledNetwork, state: Mapping[str, torch.Tensor]) -> None:
    """Load ``state`` into the network or raise an ExportError that names what does not fit."""
    own = net.module.state_dict()
    missing = sorted(set(own) - set(state))
    extra = sorted(set(state) - set(own))
    if missing or extra:
        what = f"lacks {missing[0]}" if missing else f"has {extra[0]}, which the network does not"
        raise ExportError(f"The weights of network '{net.name}' do not fit its graph: the file {what}")
    for key, value in state.items():
        if tuple(value.shape) != tuple(own[key].shape):
            raise ExportError(f"The weights of network '{net.name}' do not fit its graph: {key} is "
                              f"{tuple(value.shape)} in the file but {tuple(own[key].shape)} in the network")
    net.module.load_state_dict(dict(state))


def example_inputs(net: CompiledNetwork, batch: int, seed: int = 0, *,
                   steps: int | None = None) -> tuple[torch.Tensor, ...]:
    """Random inputs of the network's shapes (token ids within every Embedding's vocabulary); ``steps`` replaces
    the length of every sequence input (steps×features or token ids)."""
    gen = torch.Generator().manual_seed(seed)
    vocabulary = min((m.num_embeddings for m in net.module.modules() if isinstance(m, nn.Embedding)), default=2)
    out = []
    for name in net.inputs:
        shape = net.input_shapes[name]
        dims = tuple(shape.dims)
        if steps is not None and (shape.is_tokens or shape.is_sequence):
            dims = (steps, *dims[1:])
        if shape.is_tokens:
            out.append(torch.randint(0, vocabulary, (batch, *dims), generator=gen))
        else:
            out.append(torch.randn((batch, *dims), generator=gen))
    return tuple(out)


@dataclass(frozen=True)
class DynamicAxes:
    """The axes an export leaves free: the batch (axis 0) of every input and output, and the sequence length
    (axis 1) of the sequence inputs, with the output axes that follow it, when the network reads sequences of
    any length (recurrent layers, Dense on every step; not a Flatten or a Reshape that fixes the length)."""

    steps_inputs: tuple[str, ...] = ()  # inputs whose axis 1 is the sequence length
    steps_outputs: dict[str, tuple[int, ...]] = field(default_factory=dict)  # output -> axes that follow the length

    @property
    def steps(self) -> bool:
        return bool(self.steps_inputs)

    def onnx(self, net: CompiledNetwork) -> dict[str, dict[int, str]]:
        axes: dict[str, dict[int, str]] = {n: {0: "batch"} for n in list(net.inputs) + list(net.outputs)}
        for name in self.steps_inputs:
            axes[name][1] = "steps"
        for name, dims in self.steps_outputs.items():
            for d in dims:
                axes[name][d] = "steps"
        return axes


SEQUENCE_PROBE = 3  # steps added to the traced length to find out whether a network reads any length


def dynamic_axes(net: CompiledNetwork) -> DynamicAxes:
    """Which axes of the network follow the sequence length, found by running it at two lengths."""
    inputs = tuple(n for n in net.inputs if net.input_shapes[n].is_tokens or net.input_shapes[n].is_sequence)
    if not inputs:
        return DynamicAxes()
    lengths = {net.input_shapes[n].dims[0] for n in inputs}
    if len(lengths) != 1:
        return DynamicAxes()  # sequences of different lengths: one free length cannot describe them
    (length,) = lengths
    was_training = net.module.training
    net.module.eval()
    try:
        base = run_torch(net, example_inputs(net, 2))
        longer = run_torch(net, example_inputs(net, 2, steps=length + SEQUENCE_PROBE))
        shorter = run_torch(net, example_inputs(net, 2, steps=1))
    except (RuntimeError, ValueError, IndexError):
        return DynamicAxes()  # a layer after the recurrent ones needs the traced length (Flatten, Reshape)
    finally:
        net.module.train(was_training)
    outputs: dict[str, tuple[int, ...]] = {}
    for name, a, b, c in zip(net.outputs, base, longer, shorter):
        if a.dim() != b.dim() or a.dim() != c.dim():
            return DynamicAxes()
        moved = tuple(d for d in range(1, a.dim()) if a.shape[d] != b.shape[d])
        expected_b = [a.shape[d] + SEQUENCE_PROBE if d in moved else a.shape[d] for d in range(a.dim())]
        expected_c = [1 if d in moved else a.shape[d] for d in range(a.dim())]
        if list(b.shape) != expected_b or list(c.shape) != expected_c:
            return DynamicAxes()  # an output that grows otherwise than with the length: keep the length fixed
        if moved:
            outputs[name] = moved
    return DynamicAxes(inputs, outputs)


def run_torch(net: CompiledNetwork, inputs: tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
    with torch.no_grad():
        return _as_list(net.module(*inputs))


def _as_list(result: Any) -> list[torch.Tensor]:
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _difference(expected: list[torch.Tensor], actual: Iterable[Any]) -> tuple[float, float]:
    """Largest absolute difference and the tolerance scale (largest magnitude, at least 1)."""
    worst, scale = 0.0, 1.0
    got = [torch.as_tensor(a) for a in actual]
    if len(got) != len(expected):
        raise ExportError(f"The export gives {len(got)} outputs where the network gives {len(expected)}")
    for e, a in zip(expected, got):
        if tuple(e.shape) != tuple(a.shape):
            raise ExportError(f"The export gives an output of shape {tuple(a.shape)} where the network gives "
                              f"{tuple(e.shape)}")
        d = (e.double() - a.double()).abs().max().item() if e.numel() else 0.0
        worst = max(worst, d if math.isfinite(d) else math.inf)
        if e.numel():
            scale = max(scale, e.double().abs().max().item())
    return worst, scale


# Results -------------------------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    network: str
    format: str
    paths: list[Path]
    seconds: float
    max_difference: float
    tolerance: float
    checked_with: str

    @property
    def ok(self) -> bool:
        return self.max_difference <= self.tolerance

    def summary(self) -> str:
        files = ", ".join(str(p) for p in self.paths)
        verdict = "" if self.ok else f" (more than the {self.tolerance:.0e} allowed)"
        return (f"{self.network}: wrote {files} in {self.seconds:.2f} s; {self.checked_with} differs from torch by "
                f"at most {self.max_difference:.1e}{verdict}")


def _result(net: CompiledNetwork, fmt: str, paths: list[Path], start: float, worst: float, scale: float,
            checked_with: str) -> ExportResult:
    return ExportResult(net.name, fmt, paths, time.perf_counter() - start, worst, TOLERANCE[fmt] * scale,
                        checked_with)


def _check_inputs(net: CompiledNetwork, axes: DynamicAxes) -> list[tuple[torch.Tensor, ...]]:
    """A batch of another size than the traced one; with a free length also one step and a longer sequence."""
    checks = [example_inputs(net, CHECK_BATCH, seed=1)]
    if axes.steps:
        length = net.input_shapes[axes.steps_inputs[0]].dims[0]
        checks += [example_inputs(net, 1, seed=2, steps=1), example_inputs(net, 2, seed=3, steps=length + 5)]
    return checks
