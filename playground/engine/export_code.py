"""The standalone PyTorch export: a readable ``.py`` module of the network (needing only torch and safetensors) and
its safetensors weights beside it, checked by running the generated code."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from playground.compile import CompiledNetwork
from playground.compile.modules import Add, Concat, Multiply, Recurrent, Reshape, Sample
from playground.graph.files import atomic_write

from .export_networks import (
    CHECK_BATCH,
    ExportError,
    ExportResult,
    _as_list,
    _difference,
    _result,
    example_inputs,
    run_torch,
)

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
