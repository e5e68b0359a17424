"""Export trained networks: ONNX, a standalone PyTorch ``.py`` file with safetensors weights, ``torch.export``.

Every writer checks what it wrote against the torch module it came from, on a fresh random batch of a size other
than the one used to export (so a batch dimension frozen by mistake shows up), and reports the largest
difference. Nothing here loads code from disk: weights come from safetensors, labs from JSON.
"""

from __future__ import annotations

import csv
import io
import math
import re
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from playground.compile import CompiledNetwork, compile_network
from playground.compile.modules import Add, Concat, Multiply, Recurrent, Reshape, Sample
from playground.graph import GraphError, Lab
from playground.graph.errors import shown
from playground.graph.files import atomic_write

from .errors import EngineError

FORMATS: dict[str, str] = {"onnx": ".onnx", "py": ".py", "pt2": ".pt2"}
FORMAT_TITLES: dict[str, str] = {"onnx": "ONNX", "py": "PyTorch code", "pt2": "torch.export program"}
# Largest difference from torch that a check accepts, relative to the size of the outputs (at least 1).
TOLERANCE: dict[str, float] = {"onnx": 1e-4, "py": 1e-5, "pt2": 1e-5}
EXPORT_BATCH = 3  # the example batch the exporters trace with
CHECK_BATCH = 5  # the check runs another size, so a batch dimension frozen by mistake fails it
ONNX_OPSET = 17
STEPS_PROPERTY = "playground.steps."  # ONNX metadata: the trained length of a sequence input whose length is free


class ExportError(EngineError):
    """Something could not be exported; the message says what and why."""


# Sources -------------------------------------------------------------------------------------------------------


@dataclass
class ExportSource:
    """What an export reads: the lab, each network's weights (absent: the lab's seeded start), the history CSV."""

    lab: Lab
    weights: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    history_csv: str | None = None
    origin: str = ""


def read_source(path: str | Path) -> ExportSource:
    """Read a ``playground train --out`` folder, a project file, or a bare lab (weights from its seed)."""
    p = Path(path)
    if p.is_dir():
        return _read_run_folder(p)
    if not p.exists():
        raise ExportError(f"{shown(p, quote=False)} does not exist: give a project file or the --out folder of "
                          f"'playground train'")
    if p.suffix.lower() == ".json":
        try:
            return ExportSource(Lab.load(str(p)), origin=str(p))
        except GraphError as e:
            raise ExportError(str(e)) from None
    return _read_project(p)


def _read_run_folder(folder: Path) -> ExportSource:
    lab_path = folder / "lab.json"
    if not lab_path.is_file():
        raise ExportError(f"{shown(folder, quote=False)} has no lab.json, so it is not the --out folder of "
                          f"'playground train'")
    try:
        lab = Lab.load(str(lab_path))
    except GraphError as e:
        raise ExportError(str(e)) from None
    weights: dict[str, dict[str, torch.Tensor]] = {}
    stems = network_file_stems([net.name for net in lab.networks])
    for net in lab.networks:
        file = folder / f"{stems[net.name]}.safetensors"
        if not file.is_file():
            raise ExportError(f"{shown(folder, quote=False)} has no weights for network '{net.name}' ({file.name} is "
                              f"missing)")
        weights[net.name] = _read_weights(file)
    history = folder / "history.csv"
    try:
        text = history.read_text(encoding="utf-8") if history.is_file() else None
    except (OSError, UnicodeDecodeError) as e:
        raise ExportError(f"{shown(history, quote=False)} is not a readable metric history: "
                          f"{getattr(e, 'strerror', None) or e}") from None
    return ExportSource(lab, weights, text, origin=str(folder))


def _read_weights(file: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(file))  # safetensors: tensors only, never code
    except (SafetensorError, OSError, ValueError) as e:
        raise ExportError(f"{shown(file, quote=False)} is not a readable safetensors file: {e}") from None


def _read_project(path: Path) -> ExportSource:
    """Adapter over the project-file reader: the lab the checkpoint was trained as, its weights and history."""
    from . import project

    try:
        loaded = project.load_project(path)
    except EngineError as e:
        raise ExportError(str(e)) from None
    lab = loaded.training_lab
    checkpoint = loaded.checkpoint or {}
    tensors = checkpoint.get("tensors") or {}
    weights: dict[str, dict[str, torch.Tensor]] = {n.name: {} for n in lab.networks}
    for key, value in tensors.items():
        for name in sorted(weights, key=len, reverse=True):  # longest first: "a/b" before "a"
            if key.startswith(f"model/{name}/"):
                weights[name][key[len(name) + 7:]] = value
                break
    history = checkpoint.get("history")
    text = project.history_csv(history) if history else None
    # A project saved before any training holds no weights: export the seeded start, as for a bare lab.
    return ExportSource(lab, {k: v for k, v in weights.items() if v}, text, origin=str(path))


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


# ONNX ----------------------------------------------------------------------------------------------------------


def export_onnx(net: CompiledNetwork, path: str | Path) -> ExportResult:
    """One .onnx file with a dynamic batch dimension, checked with onnxruntime right after it is written."""
    start = time.perf_counter()
    path = Path(path)
    args = example_inputs(net, EXPORT_BATCH)
    axes = dynamic_axes(net)
    data = _onnx_bytes(net, args, axes)
    try:
        import onnx

        model = onnx.load_from_string(data)
        if axes.steps:
            # The length is free; the one the network was trained with is kept for the editor's importer.
            for name in axes.steps_inputs:
                onnx.helper.set_model_props(model, {**{p.key: p.value for p in model.metadata_props},
                                                    f"{STEPS_PROPERTY}{name}": str(net.input_shapes[name].dims[0])})
            data = model.SerializeToString()
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # noqa: BLE001 - the checker raises several types; any of them means a broken file
        raise ExportError(f"{net.name}: the ONNX model does not pass onnx's checker: {e}") from None
    atomic_write(path, data)
    worst, scale = 0.0, 1.0
    for check in _check_inputs(net, axes):
        w, s = _difference(run_torch(net, check), run_onnx(data, net.inputs, check))
        worst, scale = max(worst, w), max(scale, s)
    return _result(net, "onnx", [path], start, worst, scale, "onnxruntime")


def _check_inputs(net: CompiledNetwork, axes: DynamicAxes) -> list[tuple[torch.Tensor, ...]]:
    """A batch of another size than the traced one; with a free length also one step and a longer sequence."""
    checks = [example_inputs(net, CHECK_BATCH, seed=1)]
    if axes.steps:
        length = net.input_shapes[axes.steps_inputs[0]].dims[0]
        checks += [example_inputs(net, 1, seed=2, steps=1), example_inputs(net, 2, seed=3, steps=length + 5)]
    return checks


def _onnx_bytes(net: CompiledNetwork, args: tuple[torch.Tensor, ...], axes: DynamicAxes | None = None) -> bytes:
    # The TorchScript exporter (dynamo=False) writes these graphs of plain modules in milliseconds and maps
    # nn.LSTM/GRU/RNN to ONNX's own recurrent operators; the dynamo exporter takes seconds per network. It is
    # the fallback should a future torch drop the TorchScript path or fail on a module.
    axes = axes if axes is not None else DynamicAxes()
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(net.module, args, buffer, input_names=list(net.inputs), output_names=list(net.outputs),
                              dynamic_axes=axes.onnx(net), opset_version=ONNX_OPSET, dynamo=False)
        return buffer.getvalue()
    except Exception as first:  # noqa: BLE001
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                program = torch.onnx.export(net.module, args, input_names=list(net.inputs),
                                            output_names=list(net.outputs),
                                            dynamic_shapes=_export_dims(net, axes), dynamo=True,
                                            external_data=False, verbose=False)
            assert program is not None
            return bytes(program.model_proto.SerializeToString())
        except Exception as second:  # noqa: BLE001
            raise ExportError(f"{net.name}: torch cannot export this network to ONNX ({first}; the dynamo "
                              f"exporter: {second})") from None


def run_onnx(model: bytes | str | Path, input_names: list[str], inputs: tuple[torch.Tensor, ...]) -> list[Any]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    source = model if isinstance(model, bytes) else str(model)
    session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    return list(session.run(None, {n: t.numpy() for n, t in zip(input_names, inputs)}))


# torch.export --------------------------------------------------------------------------------------------------


def export_program(net: CompiledNetwork, path: str | Path) -> ExportResult:
    """A ``torch.export`` program (.pt2) with a dynamic batch dimension."""
    start = time.perf_counter()
    path = Path(path)
    args = example_inputs(net, EXPORT_BATCH)
    axes = dynamic_axes(net)
    # torch traces nn.LSTM/GRU/RNN one step at a time, which fixes the length it was traced with; the same
    # recurrence written as a scan over the steps keeps it free (same parameters, same names in the program).
    module = _scanned(net, axes) if axes.steps else net.module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nn.LSTM's flat weights: "assigned during export", harmless
            try:
                program = torch.export.export(module, args, dynamic_shapes=_export_dims(net, axes))
            except Exception:  # a free length torch cannot keep: export the traced length
                if not axes.steps:
                    raise
                axes = DynamicAxes()
                program = torch.export.export(net.module, args, dynamic_shapes=_export_dims(net, axes))
    except Exception as e:  # noqa: BLE001 - torch.export raises many types, all meaning "cannot export"
        raise ExportError(f"{net.name}: torch.export cannot export this network: {e}") from None
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    atomic_write(path, buffer.getvalue())
    worst, scale = 0.0, 1.0
    runnable = program.module()
    for check in _check_inputs(net, axes):
        with torch.no_grad():
            got = _as_list(runnable(*check))
        w, s = _difference(run_torch(net, check), got)
        worst, scale = max(worst, w), max(scale, s)
    return _result(net, "pt2", [path], start, worst, scale, "the exported program")


class ScannedRecurrent(nn.Module):
    """The function of a :class:`Recurrent` (batch-first RNN, GRU or LSTM) as ``torch.scan`` over the steps, so
    that ``torch.export`` keeps the sequence length free. It holds the same ``rnn`` and so the same parameters."""

    def __init__(self, recurrent: Recurrent) -> None:
        super().__init__()
        self.cell = recurrent.cell
        self.rnn = recurrent.rnn
        self.last_only = recurrent.last_only

    def _direction(self, xs: torch.Tensor, layer: int, suffix: str) -> torch.Tensor:
        from torch._higher_order_ops.scan import scan

        rnn = self.rnn
        w_ih, w_hh = getattr(rnn, f"weight_ih_l{layer}{suffix}"), getattr(rnn, f"weight_hh_l{layer}{suffix}")
        b_ih, b_hh = getattr(rnn, f"bias_ih_l{layer}{suffix}"), getattr(rnn, f"bias_hh_l{layer}{suffix}")
        inputs = torch.matmul(xs, w_ih.t()) + b_ih  # every step's input projection at once: steps×batch×gates
        h0 = xs.new_zeros(xs.shape[1], rnn.hidden_size)
        cell, relu = self.cell, getattr(rnn, "nonlinearity", "tanh") == "relu"

        def step(carry: Any, x: torch.Tensor) -> Any:
            hidden = torch.matmul(carry[0], w_hh.t()) + b_hh
            if cell == "LSTM":
                i, f, g, o = (x + hidden).chunk(4, dim=-1)
                c = torch.sigmoid(f) * carry[1] + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                return (h, c), h.clone()
            if cell == "GRU":
                xr, xz, xn = x.chunk(3, dim=-1)
                hr, hz, hn = hidden.chunk(3, dim=-1)
                r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                n = torch.tanh(xn + r * hn)
                h = (1 - z) * n + z * carry[0]
                return (h,), h.clone()
            h = torch.relu(x + hidden) if relu else torch.tanh(x + hidden)
            return (h,), h.clone()

        init = (h0, h0.clone()) if cell == "LSTM" else (h0,)
        _state, ys = scan(step, init, inputs)
        out: torch.Tensor = ys
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs = x.transpose(0, 1)  # steps first, as the scan walks them
        for layer in range(self.rnn.num_layers):
            out = self._direction(xs, layer, "")
            if self.rnn.bidirectional:
                back = self._direction(xs.flip(0), layer, "_reverse").flip(0)
                out = torch.cat((out, back), dim=-1)
            xs = out
        out = xs.transpose(0, 1)
        return out[:, -1] if self.last_only else out


def _scanned(net: CompiledNetwork, axes: DynamicAxes) -> nn.Module:
    """A copy of the network's module whose Recurrent layers that read a sequence of free length are
    ScannedRecurrent (sharing the parameters); the others keep their fixed length as torch traces it."""
    import copy

    module = net.module
    free: set[str] = set(axes.steps_inputs)
    for node in module.graph.nodes:  # fx nodes come in topological order
        if any(str(a) in free for a in node.all_input_nodes):
            free.add(node.name)
    names = {str(n.target) for n in module.graph.nodes if n.op == "call_module" and n.name in free
             and isinstance(module.get_submodule(str(n.target)), Recurrent)}
    if not names:
        return module
    out = copy.copy(module)
    out._modules = dict(module._modules)
    for name in names:
        out._modules[name] = ScannedRecurrent(module.get_submodule(name))  # type: ignore[arg-type]
    return out


def _export_dims(net: CompiledNetwork, axes: DynamicAxes) -> tuple[dict[int, Any], ...]:
    """torch.export's dynamic shapes: the batch of every input, the length of the sequence inputs."""
    batch = torch.export.Dim("batch", min=1, max=1 << 20)
    steps = torch.export.Dim("steps", min=1, max=1 << 20)
    return tuple({0: batch, 1: steps} if name in axes.steps_inputs else {0: batch} for name in net.inputs)


# Standalone Python ---------------------------------------------------------------------------------------------

_HELPERS: dict[type, str] = {
    Reshape: '''
class Reshape(nn.Module):
    """Reshape each sample to ``shape`` (the batch dimension is kept)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)
''',
    Add: '''
class Add(nn.Module):
    """Element-wise sum of two tensors of the same shape (a residual connection)."""

    def forward(self, a, b):
        return a + b
''',
    Multiply: '''
class Multiply(nn.Module):
    """Element-wise product (an image times one weight per channel broadcasts: a gate)."""

    def forward(self, a, b):
        return a * b
''',
    Sample: '''
class Sample(nn.Module):
    """A VAE's reparameterization: mean + exp(log_variance / 2) * noise while training, the mean at test time."""

    def forward(self, mean, log_variance):
        if self.training:
            return mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
        return mean
''',
    Concat: '''
class Concat(nn.Module):
    """Join two tensors along features (dim -1) or image channels (dim 1)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, a, b):
        return torch.cat((a, b), dim=self.dim)
''',
    Recurrent: '''
class Recurrent(nn.Module):
    """An RNN, GRU or LSTM over batch-first sequences that returns every step's output or only the last one."""

    CELLS = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}

    def __init__(self, cell, input_size, hidden, layers=1, bidirectional=False, last_only=False,
                 nonlinearity="tanh"):
        super().__init__()
        kwargs = {"nonlinearity": nonlinearity} if cell == "RNN" else {}
        self.rnn = self.CELLS[cell](input_size, hidden, num_layers=layers, batch_first=True,
                                    bidirectional=bidirectional, **kwargs)
        self.last_only = last_only

    def forward(self, x):
        out, _state = self.rnn(x)
        return out[:, -1] if self.last_only else out
''',
}


def _bias(m: nn.Module) -> str:
    return "" if getattr(m, "bias", None) is not None else ", bias=False"


def _square(value: Any, what: str, node: str) -> int:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(set(values)) != 1:
        raise ExportError(f"'{node}': a {what} of {values} cannot be written as code yet")
    return int(values[0])


def _ctor_conv(m: nn.Module, node: str) -> str:
    kind = type(m).__name__
    k, s, p = (_square(getattr(m, a), a, node) for a in ("kernel_size", "stride", "padding"))
    extra = ""
    if isinstance(m, nn.ConvTranspose2d):
        extra = f", output_padding={_square(m.output_padding, 'output padding', node)}"
    if m.groups != 1:
        extra += f", groups={m.groups}"
    channels = f"{m.in_channels}, {m.out_channels}"
    return f"nn.{kind}({channels}, kernel_size={k}, stride={s}, padding={p}{extra}{_bias(m)})"


def _ctor_pool(m: nn.Module, node: str) -> str:
    k, s, p = (_square(getattr(m, a), a, node) for a in ("kernel_size", "stride", "padding"))
    return f"nn.{type(m).__name__}(kernel_size={k}, stride={s}, padding={p})"


def _ctor_recurrent(m: Recurrent, _node: str) -> str:
    rnn = m.rnn
    nonlinearity = getattr(rnn, "nonlinearity", "tanh")
    return (f"Recurrent({m.cell!r}, {rnn.input_size}, {rnn.hidden_size}, layers={rnn.num_layers}, "
            f"bidirectional={rnn.bidirectional}, last_only={m.last_only}, nonlinearity={nonlinearity!r})")


def _ctor_layernorm(m: nn.LayerNorm, _node: str) -> str:
    shape = list(m.normalized_shape)
    return f"nn.LayerNorm({shape if len(shape) > 1 else shape[0]})"


_CONSTRUCTORS: dict[type, Callable[[Any, str], str]] = {
    nn.Linear: lambda m, n: f"nn.Linear({m.in_features}, {m.out_features}{_bias(m)})",
    nn.Conv2d: _ctor_conv,
    nn.ConvTranspose2d: _ctor_conv,
    nn.MaxPool2d: _ctor_pool,
    nn.AvgPool2d: _ctor_pool,
    nn.ZeroPad2d: lambda m, n: f"nn.ZeroPad2d({_square(m.padding, 'padding', n)})",
    nn.ReflectionPad2d: lambda m, n: f"nn.ReflectionPad2d({_square(m.padding, 'padding', n)})",
    nn.ReplicationPad2d: lambda m, n: f"nn.ReplicationPad2d({_square(m.padding, 'padding', n)})",
    nn.InstanceNorm2d: lambda m, n: f"nn.InstanceNorm2d({m.num_features}, affine={m.affine})",
    nn.Upsample: lambda m, n: f"nn.Upsample(scale_factor={m.scale_factor!r}, mode={m.mode!r})",
    nn.Flatten: lambda m, n: "nn.Flatten()",
    nn.Dropout: lambda m, n: f"nn.Dropout(p={m.p!r})",
    nn.BatchNorm1d: lambda m, n: f"nn.BatchNorm1d({m.num_features}, momentum={m.momentum!r})",
    nn.BatchNorm2d: lambda m, n: f"nn.BatchNorm2d({m.num_features}, momentum={m.momentum!r})",
    nn.LayerNorm: _ctor_layernorm,
    nn.ReLU: lambda m, n: "nn.ReLU()",
    nn.LeakyReLU: lambda m, n: f"nn.LeakyReLU({m.negative_slope!r})",
    nn.Sigmoid: lambda m, n: "nn.Sigmoid()",
    nn.Tanh: lambda m, n: "nn.Tanh()",
    nn.GELU: lambda m, n: "nn.GELU()" if m.approximate == "none" else f"nn.GELU(approximate={m.approximate!r})",
    nn.Softplus: lambda m, n: f"nn.Softplus(beta={m.beta!r})",
    nn.Identity: lambda m, n: "nn.Identity()",
    nn.Softmax: lambda m, n: f"nn.Softmax(dim={m.dim!r})",
    nn.Embedding: lambda m, n: f"nn.Embedding({m.num_embeddings}, {m.embedding_dim})",
    Reshape: lambda m, n: f"Reshape({tuple(m.shape)!r})",
    Add: lambda m, n: "Add()",
    Multiply: lambda m, n: "Multiply()",
    Sample: lambda m, n: "Sample()",
    Concat: lambda m, n: f"Concat(dim={m.dim})",
    Recurrent: _ctor_recurrent,
}


def module_constructor(module: nn.Module, node: str) -> str:
    """The Python expression that builds ``module`` (e.g. ``nn.Linear(2, 4)``); ExportError if none is known."""
    make = _CONSTRUCTORS.get(type(module))
    if make is None:
        raise ExportError(f"'{node}': cannot write a {type(module).__name__} as code")
    return make(module, node)


_DELETES = re.compile(r";\s+(?:\w+ = )+None(?:;\s+(?:\w+ = )+None)*\s*$")


def forward_code(net: CompiledNetwork) -> str:
    """The fx graph's forward as readable source: without fx's ``x = None`` bookkeeping, indented for a class."""
    lines = []
    for line in net.module.code.strip("\n").splitlines():
        line = _DELETES.sub("", line.rstrip())
        if line.strip():
            lines.append("    " + line)
    return "\n".join(lines)


def input_params(net: CompiledNetwork, lab_graph: Any) -> dict[str, dict[str, Any]]:
    """Each Input node's parameters that matter for its kind (what the importer reads back)."""
    relevant = {"vector": ("features",), "image": ("channels", "height", "width"), "sequence": ("steps", "features"),
                "tokens": ("steps",)}
    out: dict[str, dict[str, Any]] = {}
    for name in net.inputs:
        p = lab_graph.node(name).params
        out[name] = {"kind": p["kind"], **{k: p[k] for k in relevant[p["kind"]]}}
    return out


def python_source(net: CompiledNetwork, inputs: Mapping[str, Mapping[str, Any]], weights_name: str,
                  lab_name: str = "") -> str:
    """A standalone module: the network as a readable ``nn.Module``, ``load(weights=None)`` and ``example_inputs``."""
    cls = type(net.module).__name__
    children = list(net.module.named_children())
    helpers = [src for kind, src in _HELPERS.items() if any(type(m) is kind for _, m in children)]
    init = "\n".join(f"        self.{name} = {module_constructor(m, name)}" for name, m in children)
    shapes = {n: tuple(net.input_shapes[n].dims) for n in net.inputs}
    tokens = [n for n in net.inputs if net.input_shapes[n].is_tokens]
    vocabulary = min((m.num_embeddings for _, m in net.module.named_modules() if isinstance(m, nn.Embedding)),
                     default=2)
    source = f"{lab_name!r} " if lab_name else ""
    if tokens:
        examples = f'''def example_inputs(batch=1):
    \"\"\"A random batch of inputs of the right shapes (token ids below the vocabulary of {vocabulary}).\"\"\"
    tokens = {tokens!r}
    return tuple(torch.randint(0, {vocabulary}, (batch, *shape)) if name in tokens else torch.randn(batch, *shape)
                 for name, shape in INPUT_SHAPES.items())'''
    else:
        examples = '''def example_inputs(batch=1):
    \"\"\"A random batch of inputs of the right shapes.\"\"\"
    return tuple(torch.randn(batch, *shape) for shape in INPUT_SHAPES.values())'''
    text = f'''"""Network {net.name!r} of the Neural Network Playground lab {source}as a standalone PyTorch module.

Needs only torch and safetensors. Its weights are in {weights_name}, beside this file:

    from {_module_name(weights_name)} import load, example_inputs
    model = load()
    x = example_inputs(batch=8)
    y = model(*x)
"""

from pathlib import Path

import torch
from torch import nn
from safetensors.torch import load_file

WEIGHTS = {weights_name!r}
# Each Input node as the playground's editor knows it: one sample, without the batch dimension.
INPUTS = {dict(inputs)!r}
INPUT_SHAPES = {shapes!r}
# Each Output node and its head, in the order forward returns them.
OUTPUTS = {dict(net.heads)!r}
'''
    for helper in helpers:
        text += "\n" + helper
    text += f'''

class {cls}(nn.Module):
    def __init__(self):
        super().__init__()
{init if init else "        pass"}

{forward_code(net)}


def load(weights=None):
    """The model in eval mode with its weights from ``weights`` (a safetensors file; default: {weights_name})."""
    path = Path(__file__).with_name(WEIGHTS) if weights is None else Path(weights)
    model = {cls}()
    model.load_state_dict(load_file(str(path)))
    return model.eval()


{examples}


if __name__ == "__main__":
    model = load()
    print(model)
    x = example_inputs(batch=4)
    with torch.no_grad():
        y = model(*x)
    for name, value in zip(OUTPUTS, y if isinstance(y, tuple) else (y,)):
        print(name, tuple(value.shape))
'''
    return text


def _module_name(file_name: str) -> str:
    stem = Path(file_name).stem
    return stem if stem.isidentifier() else "model"


def export_python(net: CompiledNetwork, path: str | Path, inputs: Mapping[str, Mapping[str, Any]],
                  lab_name: str = "") -> ExportResult:
    """``path`` (.py) and its weights beside it (same stem, .safetensors), checked by running the code."""
    from safetensors.torch import save

    start = time.perf_counter()
    path = Path(path)
    weights_path = path.with_suffix(".safetensors")
    text = python_source(net, inputs, weights_path.name, lab_name)
    state = {k: v.detach().cpu().contiguous().clone() for k, v in net.module.state_dict().items()}
    # The generated code is ours, built in memory a moment ago: running it here is the check, not a load.
    namespace: dict[str, Any] = {"__name__": "playground_export_check", "__file__": str(path)}
    exec(compile(text, str(path), "exec"), namespace)  # noqa: S102
    model = namespace[type(net.module).__name__]()
    model.load_state_dict(state)
    model.eval()
    check = example_inputs(net, CHECK_BATCH, seed=1)
    with torch.no_grad():
        got = _as_list(model(*check))
    worst, scale = _difference(run_torch(net, check), got)
    atomic_write(weights_path, save(state, metadata={"network": net.name, "lab": lab_name}))
    atomic_write(path, text.encode("utf-8"))
    return _result(net, "py", [path, weights_path], start, worst, scale, "the generated module")


# Whole labs ----------------------------------------------------------------------------------------------------


def network_file_stems(network_names: list[str]) -> dict[str, str]:
    """The file stem of each network in a run folder or an export: its own name when that is a safe file name,
    else ``network<i>``, so a name such as "../../x" never writes outside the folder chosen."""
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for i, name in enumerate(network_names):
        stem = name if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name) else f"network{i + 1}"
        while stem.lower() in taken:
            stem = f"{stem[:60]}_{i + 1}"
        taken.add(stem.lower())
        stems[name] = stem
    return stems


def target_paths(network_names: list[str], fmt: str, to: str | Path) -> dict[str, Path]:
    """Where each network goes: ``to`` itself if it ends in the format's suffix and there is one network,
    ``<stem>-<network><suffix>`` beside it for several; otherwise ``to`` is a folder of ``<network><suffix>``."""
    suffix = FORMATS[fmt]
    to = Path(to)
    stems = network_file_stems(network_names)
    if to.suffix.lower() == suffix:
        if len(network_names) == 1:
            return {network_names[0]: to}
        return {n: to.with_name(f"{to.stem}-{stems[n]}{suffix}") for n in network_names}
    return {n: to / f"{stems[n]}{suffix}" for n in network_names}


def export_network(net: CompiledNetwork, fmt: str, path: Path, lab: Lab) -> ExportResult:
    if fmt == "onnx":
        return export_onnx(net, path)
    if fmt == "pt2":
        return export_program(net, path)
    if fmt == "py":
        graph = lab.network(net.name).graph
        return export_python(net, path, input_params(net, graph), lab.name)
    raise ExportError(f"Unknown export format {shown(fmt)} (formats: {', '.join(FORMATS)})")


def export_source(source: ExportSource, fmt: str, to: str | Path, network: str | None = None,
                  networks: dict[str, CompiledNetwork] | None = None) -> list[ExportResult]:
    """Export the networks of ``source`` (or only ``network``) in format ``fmt`` to ``to``."""
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {shown(fmt)} (formats: {', '.join(FORMATS)})")
    names = [n.name for n in source.lab.networks]
    if network is not None:
        if network not in names:
            raise ExportError(f"The lab has no network named {shown(network)} (networks: {', '.join(names)})")
        names = [network]
    nets = networks if networks is not None else build_networks(source)
    paths = target_paths(names, fmt, to)
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    return [export_network(nets[n], fmt, paths[n], source.lab) for n in names]


def write_history_csv(source: ExportSource, path: str | Path) -> Path:
    """The metric history as CSV (one row per epoch)."""
    if not source.history_csv:
        raise ExportError("There is no metric history to export: train first")
    rows = list(csv.reader(io.StringIO(source.history_csv)))
    if not rows:
        raise ExportError("There is no metric history to export: train first")
    path = Path(path)
    atomic_write(path, source.history_csv.encode("utf-8"))
    return path
