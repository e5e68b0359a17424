"""The layers and edges forward draws, collected; the input's shape guessed from the first layers where the file does
not say it; the editor's graph built and checked against what each layer expects."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from playground.graph import Graph, GraphError, Shape

from . import limits
from .results import ModelImportError


class _Failing(Protocol):
    """What the builder needs of the reader: its errors, which name the file and the line (the reader's scope
    builds builders, so the builder asks only for this)."""

    def fail(self, node: ast.AST | int, text: str) -> ModelImportError: ...


@dataclass
class _Layer:
    name: str
    kind: str
    params: dict[str, Any]
    line: int
    sources: list[str] = field(default_factory=list)  # producers, in port order
    expects: Callable[[Shape], str | None] | None = None  # says what is wrong with the shape arriving, if anything
    size: int | None = None  # the input size the file says this layer reads (features or channels)
    image: bool = False  # the layer reads images
    resolve: Callable[[Shape], dict[str, Any] | str] | None = None  # params from the arriving shape, or what is wrong


class _Builder:
    """Collects layers and edges, then finds the input shape (when the file does not say it) and builds the Graph."""

    def __init__(self, reader: _Failing) -> None:
        self.reader = reader
        self.layers: list[_Layer] = []
        self.input_params: dict[str, dict[str, Any] | None] = {}
        self.outputs: list[tuple[str, str, int, str | None]] = []
        self.names: set[str] = set()
        self.counters: dict[str, int] = {}
        self.by_name: dict[str, _Layer] = {}
        # forward's parameters a recurrent layer reads as its starting state (taken as zeros), and the positions of
        # forward's returned values that are the states its layers return (dropped)
        self.states: list[str] = []
        self.dropped_outputs: list[int] = []

    def free(self, name: str) -> bool:
        return name.isidentifier() and name not in self.names and not name.startswith("_")

    def claim(self, wanted: str | None, prefix: str) -> str:
        """``wanted`` when it is free, else a fresh ``prefix_<n>``; reserved either way."""
        if wanted and self.free(wanted):
            self.names.add(wanted)
            return wanted
        return self.fresh(prefix)

    def fresh(self, prefix: str) -> str:
        """A new node name ``prefix_<n>``, reserved at once (so the layers of one Sequential get distinct names).

        The counter per prefix keeps this constant time: scanning from 1 for each layer made imports quadratic.
        """
        i = self.counters.get(prefix, 0) + 1
        while f"{prefix}_{i}" in self.names:
            i += 1
        self.counters[prefix] = i
        name = f"{prefix}_{i}"
        self.names.add(name)
        return name

    def add_input(self, name: str, params: dict[str, Any] | None, line: int) -> str:
        self.names.add(name)
        self.input_params[name] = dict(params) if isinstance(params, dict) else None
        self.layers.append(_Layer(name, "Input", {}, line))
        return name

    def layer(self, name: str) -> _Layer | None:
        return self.by_name.get(name)

    def consumers(self, name: str) -> list[str]:
        return [x.name for x in self.layers if name in x.sources] + [o[0] for o in self.outputs if o[1] == name]

    def add(self, layer: _Layer) -> None:
        if len(self.by_name) >= limits.MAX_LAYERS:  # read when used: tests lower it
            raise self.reader.fail(layer.line, f"the network has more than {limits.MAX_LAYERS} layers: the importer "
                                               f"opens networks of at most {limits.MAX_LAYERS}")
        self.names.add(layer.name)
        self.layers.append(layer)
        self.by_name[layer.name] = layer

    def remove(self, name: str) -> None:
        """Take back a layer nothing reads (its name stays reserved)."""
        layer = self.by_name.pop(name)
        self.layers.remove(layer)

    def add_output(self, name: str, source: str, line: int, head: str | None = None) -> None:
        if not self.free(name):
            name = self.fresh("output")
        self.names.add(name)
        self.outputs.append((name, source, line, head))

    # Building --------------------------------------------------------------------------------------------------

    def build(self) -> Graph:
        unknown = [n for n, p in self.input_params.items() if p is None]
        if not unknown:
            return self._graph(self.input_params, strict=True)  # type: ignore[arg-type]
        if len(self.input_params) > 1:
            raise self.reader.fail(self.layers[0].line, "forward takes several inputs: say their shapes in a "
                                                        "constant INPUTS = {'x': {'kind': 'vector', 'features': 2}, "
                                                        "...}")
        name = unknown[0]
        candidates = self._candidates(name)
        for params in candidates:
            try:
                return self._graph({name: params}, strict=True)
            except ModelImportError:
                continue
        # None fits: report the first candidate's problem, which names the layer and its line.
        return self._graph({name: candidates[0]}, strict=True)

    def _candidates(self, input_name: str) -> list[dict[str, Any]]:
        """Input shapes to try, from what the first layers that care about their input reveal."""
        chain = [layer for layer in self.layers if layer.kind != "Input"]
        for i, layer in enumerate(chain):
            if layer.kind == "Reshape" and -1 not in layer.params["shape"]:
                return _images_or_vector(math.prod(layer.params["shape"]))
            n = layer.size
            if layer.kind == "Dense" and n is not None:
                before = {c.kind for c in chain[:i]}
                if "Flatten" in before:
                    return _images_or_vector(n)
                return [{"kind": "vector", "features": n}]
            if layer.image and n is not None:
                sides = [28, 32, 64, 224] + [s for s in range(1, 257) if s not in (28, 32, 64, 224)]
                return [{"kind": "image", "channels": n, "height": s, "width": s} for s in sides]
            if layer.kind in ("RNN", "GRU", "LSTM"):
                return [{"kind": "sequence", "steps": 20, "features": n}]
            if layer.kind == "Embedding":
                return [{"kind": "tokens", "steps": 20}]
            if layer.kind == "BatchNorm" and n is not None:
                return [{"kind": "vector", "features": n}]
        raise self.reader.fail(self.layers[0].line, "cannot tell the shape of the input from the layers: start "
                                                    "with a layer that says its input size (nn.Linear, nn.Conv2d...)")

    def _graph(self, inputs: dict[str, dict[str, Any]], strict: bool) -> Graph:
        g = Graph()
        depth: dict[str, int] = {}
        rows: dict[int, int] = {}

        def place(name: str, sources: list[str]) -> tuple[float, float]:
            d = max((depth[s] + 1 for s in sources), default=0)
            depth[name] = d
            row = rows.get(d, 0)
            rows[d] = row + 1
            return (190.0 * d, 150.0 * row)

        lines: dict[str, int] = {}
        try:
            for layer in self.layers:
                lines[layer.name] = layer.line
                if layer.kind == "Input":
                    g.add_node("Input", layer.name, inputs[layer.name], place(layer.name, []))
                    continue
                g.add_node(layer.kind, layer.name, self._resolved(g, layer), place(layer.name, layer.sources))
                ports = g.node(layer.name).spec.inputs
                if len(layer.sources) != len(ports):
                    raise self.reader.fail(layer.line, f"{layer.kind} '{layer.name}' takes {len(ports)} input(s) "
                                                       f"but receives {len(layer.sources)}")
                for port, source in zip(ports, layer.sources):
                    g.connect(source, layer.name, port, check_shapes=False)
            for name, source, line, head in self.outputs:
                lines[name] = line
                g.add_node("Output", name, {"head": head or "classification"}, place(name, [source]))
                g.connect(source, name, check_shapes=False)
        except GraphError as e:
            raise self.reader.fail(lines.get(e.node or "", self.layers[0].line), e.message) from None
        inference = g.infer()
        if inference.problems:
            problem = inference.problems[0]
            raise self.reader.fail(lines.get(problem.node or "", self.layers[0].line), problem.message)
        for layer in self.layers:
            wrong = layer.expects(inference.input_shapes[layer.name][0]) if layer.expects is not None else None
            if wrong:
                raise self.reader.fail(layer.line, f"{layer.kind} '{layer.name}' {wrong}")
        for name, _source, _line, head in self.outputs:
            if head is None and inference.shapes[name].dims == (1,):
                g.set_param(name, "head", "regression")
        return g

    def _resolved(self, g: Graph, layer: _Layer) -> dict[str, Any]:
        """The layer's parameters; the window of an adaptive pool follows from the image that arrives, so the
        graph is inferred up to it."""
        if layer.resolve is None or not layer.sources:
            return layer.params
        arriving = g.infer().shapes.get(layer.sources[0])
        if arriving is None:
            return layer.params
        resolved = layer.resolve(arriving)
        if isinstance(resolved, str):
            raise self.reader.fail(layer.line, f"{layer.kind} '{layer.name}' {resolved}")
        return resolved


def _images_or_vector(n: int) -> list[dict[str, Any]]:
    """Inputs of ``n`` values: a square grey or colour image where ``n`` makes one, then a vector."""
    out: list[dict[str, Any]] = []
    for c in (1, 3):
        side = math.isqrt(n // c) if n % c == 0 else 0
        if side and side * side * c == n:
            out.append({"kind": "image", "channels": c, "height": side, "width": side})
    return out + [{"kind": "vector", "features": n}]
