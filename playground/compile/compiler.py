"""Turn one network of the graph into a ``torch.fx.GraphModule`` whose submodules are named after the nodes.

The fx graph is built directly (not traced), one ``call_module`` per node, so ``gm.code`` reads like the
diagram: ``dense_1 = self.dense_1(input_1)``. The same artefact gives forward, the code export and ONNX.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from playground.graph import Graph, Node, Shape

from .modules import Add, Concat, Multiply, Recurrent, Reshape, Sample

_ACTIVATIONS = {
    "ReLU": lambda p: nn.ReLU(),
    "LeakyReLU": lambda p: nn.LeakyReLU(p["slope"]),
    "Sigmoid": lambda p: nn.Sigmoid(),
    "Tanh": lambda p: nn.Tanh(),
    "GELU": lambda p: nn.GELU(),
    "Softplus": lambda p: nn.Softplus(beta=p["beta"]),
    "Identity": lambda p: nn.Identity(),
}

_PADS: dict[str, type[nn.Module]] = {"zeros": nn.ZeroPad2d, "reflect": nn.ReflectionPad2d,
                                     "replicate": nn.ReplicationPad2d}


def build_layer(node: Node, inputs: Sequence[Shape]) -> nn.Module:
    """The torch module for one node, given the shapes arriving at its ports."""
    p, kind = node.params, node.kind
    first = inputs[0] if inputs else None
    if kind in _ACTIVATIONS:
        return _ACTIVATIONS[kind](p)
    if kind == "Dense":
        assert first is not None
        return nn.Linear(first.dims[-1], p["units"], bias=p["bias"])
    if kind == "Conv2d":
        assert first is not None
        return nn.Conv2d(first.dims[0], p["filters"], p["kernel_size"], p["stride"], p["padding"],
                         groups=p.get("groups", 1), bias=p["bias"])
    if kind == "ConvTranspose2d":
        assert first is not None
        return nn.ConvTranspose2d(first.dims[0], p["filters"], p["kernel_size"], p["stride"], p["padding"],
                                  p["output_padding"], bias=p["bias"])
    if kind == "MaxPool2d":
        return nn.MaxPool2d(p["kernel_size"], p["stride"] or p["kernel_size"], p["padding"])
    if kind == "AvgPool2d":
        return nn.AvgPool2d(p["kernel_size"], p["stride"] or p["kernel_size"], p["padding"])
    if kind == "Pad2d":
        return _PADS[p["mode"]](p["padding"])
    if kind == "InstanceNorm":
        assert first is not None
        return nn.InstanceNorm2d(first.dims[0], affine=p["affine"])
    if kind == "Upsample":
        return nn.Upsample(scale_factor=p["scale"], mode=p["mode"])
    if kind == "Flatten":
        return nn.Flatten()
    if kind == "Reshape":
        assert first is not None
        target = list(p["shape"])
        if -1 in target:
            known = 1
            for d in target:
                if d != -1:
                    known *= d
            target[target.index(-1)] = first.size // known
        return Reshape(tuple(target))
    if kind == "Dropout":
        return nn.Dropout(p["p"])
    if kind == "BatchNorm":
        assert first is not None
        if first.rank == 3:
            return nn.BatchNorm2d(first.dims[0], momentum=p["momentum"])
        return nn.BatchNorm1d(first.dims[0], momentum=p["momentum"])
    if kind == "LayerNorm":
        assert first is not None
        return nn.LayerNorm(list(first.dims) if first.rank == 3 else first.dims[-1])
    if kind == "Softmax":
        return nn.Softmax(dim=-1)
    if kind == "Embedding":
        return nn.Embedding(p["vocabulary"], p["dim"])
    if kind in Recurrent.CELLS:
        assert first is not None
        return Recurrent(kind, first.dims[-1], p["hidden"], p["layers"], p["bidirectional"],
                         last_only=p["output"] == "last", nonlinearity=p.get("nonlinearity", "tanh"))
    if kind == "Add":
        return Add()
    if kind == "Multiply":
        return Multiply()
    if kind == "Sample":
        return Sample()
    if kind == "Concat":
        assert first is not None
        return Concat(1 if first.rank == 3 else -1)
    raise ValueError(f"{node.label}: no torch module for kind {kind}")


@dataclass
class CompiledNetwork:
    """A compiled network and what the engine needs to know about its ends."""

    name: str
    module: fx.GraphModule
    inputs: list[str]
    outputs: list[str]
    heads: dict[str, str]
    input_shapes: dict[str, Shape]
    output_shapes: dict[str, Shape]
    output_sources: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.module.code

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.module.parameters())

    def head_of(self, head: str) -> str | None:
        """Name of the first Output node whose head is ``head``."""
        for name in self.outputs:
            if self.heads[name] == head:
                return name
        return None


def compile_network(graph: Graph, name: str = "model") -> CompiledNetwork:
    """Compile a graph with no problems; raises the graph's first GraphError otherwise."""
    inference = graph.check()
    fx_graph = fx.Graph()
    values: dict[str, fx.Node] = {}
    modules: dict[str, nn.Module] = {}
    inputs: list[str] = []
    outputs: list[str] = []
    heads: dict[str, str] = {}
    sources: dict[str, str] = {}
    for node_name in graph.topological_order():
        node = graph.node(node_name)
        feeds = graph.incoming(node_name)
        if node.kind == "Input":
            values[node_name] = fx_graph.placeholder(node_name)
            inputs.append(node_name)
            continue
        args = tuple(values[feeds[port]] for port in node.spec.inputs)
        if node.kind == "Output":
            outputs.append(node_name)
            heads[node_name] = node.params["head"]
            sources[node_name] = feeds["in"]
            values[node_name] = args[0]
            continue
        modules[node_name] = build_layer(node, inference.input_shapes[node_name])
        values[node_name] = fx_graph.call_module(node_name, args)
    results = [values[o] for o in outputs]
    fx_graph.output(results[0] if len(results) == 1 else tuple(results))
    module = fx.GraphModule(modules, fx_graph, class_name=_class_name(name))
    return CompiledNetwork(
        name=name,
        module=module,
        inputs=inputs,
        outputs=outputs,
        heads=heads,
        input_shapes={n: inference.shapes[n] for n in inputs},
        output_shapes={n: inference.shapes[n] for n in outputs},
        output_sources=sources,
    )


def _class_name(name: str) -> str:
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in name).split()
    title = "".join(w[:1].upper() + w[1:] for w in words)
    # The class name ends up in exported Python code, so it must be an identifier ("2 layers" -> "Net2Layers").
    if not title:
        return "Network"
    return title if title[0].isalpha() else "Net" + title


@contextmanager
def capture(module: nn.Module, names: Sequence[str]) -> Iterator[dict[str, torch.Tensor]]:
    """Record the outputs of the named submodules during the forward passes run inside the ``with`` block.

    Hooks exist only inside the block, so training pays nothing for a view that is closed.
    """
    found: dict[str, torch.Tensor] = {}
    handles = []
    for n in names:
        try:
            sub = module.get_submodule(n)
        except AttributeError:
            continue

        def hook(_m: nn.Module, _args: Any, out: Any, key: str = n) -> None:
            if isinstance(out, tuple):  # a bare nn.RNN inside a node returns (output, state)
                out = out[0]
            if isinstance(out, torch.Tensor):
                found[key] = out.detach()

        handles.append(sub.register_forward_hook(hook))
    try:
        yield found
    finally:
        for h in handles:
            h.remove()
