"""The standalone PyTorch export: a readable ``.py`` module of the network (needing only torch and safetensors) and
its safetensors weights beside it, checked by running the generated code."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from playground.compile import CompiledNetwork
from playground.compile.kinds import CodeError, helper_sources, module_code
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


def module_constructor(module: nn.Module, node: str) -> str:
    """The Python expression that builds ``module`` (e.g. ``nn.Linear(2, 4)``); ExportError if none is known.

    Each layer kind's home (:mod:`playground.compile.kinds`) says how its modules are written."""
    try:
        return module_code(module)
    except CodeError as e:
        raise ExportError(f"'{node}': {e}") from None


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
    helpers = helper_sources(m for _, m in children)
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
    exec(compile(text, str(path), "exec"), namespace)
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
