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

from .kinds import HOMES


def build_layer(node: Node, inputs: Sequence[Shape]) -> nn.Module:
    """The torch module for one node, given the shapes arriving at its ports (each kind's home says how)."""
    home = HOMES.get(node.kind)
    if home is None:
        raise ValueError(f"{node.label}: no torch module for kind {node.kind}")
    return home.build(node.params, inputs)


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
