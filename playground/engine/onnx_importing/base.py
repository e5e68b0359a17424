"""The state of an ONNX reader and the helpers every operator uses: errors that name the node, fresh layer names,
stored constants, attributes, shapes, and the values an operator leaves for the next."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch

from .values import OnnxImportError, Value, _Aux, _Const, _Data, _Layer, _Seq, _tensor, _text, _Unusable


class _ReaderBase:
    """What the operator mixins (patterns, dense_conv, norms_shapes, recurrent) share; ``reader._Reader`` joins
    them."""

    # Given by the recurrent mixin, named here for the methods of the others that call them.
    finish: Callable[[Any, _Seq], str]
    _axes_of: Callable[[Any, int, str], list[int]]
    _layout: Callable[[Any], None]
    _seq_reshape: Callable[[Any, _Seq], None]
    # Given by norms_shapes, for the recurrent mixin's layout operators.
    _reshape: Callable[[Any], None]

    def __init__(self, model: Any, filename: str) -> None:
        import onnx
        from onnx import numpy_helper

        self.onnx = onnx
        self.numpy_helper = numpy_helper
        self.model = model
        self.g = model.graph
        self.filename = filename
        self.values: dict[str, Value] = {}
        self.layers: list[_Layer] = []
        self.names: set[str] = set()
        self.state: dict[str, torch.Tensor] = {}
        self.notes: list[str] = []
        self.shapes: dict[str, list[int | None]] = {}
        self.types: dict[str, int] = {}
        for vi in list(self.g.value_info) + list(self.g.input) + list(self.g.output):
            t = vi.type.tensor_type
            self.types[vi.name] = t.elem_type
            if t.HasField("shape"):
                self.shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        self.producers: dict[str, Any] = {o: n for n in self.g.node for o in n.output}
        self.consumers: dict[str, int] = {}
        for n in self.g.node:
            for i in n.input:
                if i:
                    self.consumers[i] = self.consumers.get(i, 0) + 1
        for o in self.g.output:
            self.consumers[o.name] = self.consumers.get(o.name, 0) + 1
        self.pending_bias: dict[str, str] = {}  # MatMul output -> its Dense layer, whose bias an Add may bring
        self.users: dict[str, list[Any]] = {}
        for n in self.g.node:
            for i in n.input:
                if i:
                    self.users.setdefault(i, []).append(n)
        # Operators torch writes for one module: the first node of each -> (kind, params, last node's output)
        self.patterns: dict[int, tuple[str, dict[str, Any], str]] = {}
        self.inside: set[int] = set()  # the other nodes of those patterns
        self.pattern_weights: dict[int, dict[str, np.ndarray]] = {}  # what a pattern's layer learned

    # Errors and names ------------------------------------------------------------------------------------------

    def fail(self, node: Any, text: str) -> OnnxImportError:
        where = f"{node.op_type} {node.name!r}" if node.name else node.op_type
        return OnnxImportError(f"{self.filename}: {where} {text}")

    def square(self, node: Any, values: Iterable[int], what: str) -> int:
        values = [int(v) for v in values]
        if len(set(values)) > 1:
            raise self.fail(node, f"has a {what} of {values}: the editor's layers use the same {what} for height "
                                  f"and width")
        return values[0] if values else 0

    def fresh(self, wanted: str, prefix: str) -> str:
        name = re.sub(r"[^A-Za-z0-9_]", "_", wanted).strip("_")
        name = re.sub(r"_+", "_", name)[:64]
        if not name or not name[0].isalpha() or name in self.names:
            i = 1
            while f"{prefix}_{i}" in self.names:
                i += 1
            name = f"{prefix}_{i}"
        self.names.add(name)
        return name

    def layer_name(self, node: Any, kind: str) -> str:
        from playground.graph import get_kind

        # torch names a node after the module it came from: "/dense_1/Gemm", "/lstm_1/rnn/LSTM".
        parts = node.name.strip("/").split("/") if node.name.startswith("/") else [node.name]
        return self.fresh(parts[0] if parts else "", get_kind(kind).prefix)

    def add(self, kind: str, node: Any, params: dict[str, Any], sources: Sequence[str],
            name: str | None = None) -> str:
        name = name or self.layer_name(node, kind)
        self.layers.append(_Layer(name, kind, params, list(sources)))
        return name

    # Values ----------------------------------------------------------------------------------------------------

    def const(self, node: Any, index: int, what: str) -> np.ndarray:
        name = node.input[index] if index < len(node.input) else ""
        value = self.values.get(name) if name else None
        if isinstance(value, _Const):
            return value.array
        if not name:
            raise self.fail(node, f"has no {what}")
        raise self.fail(node, f"computes its {what} {name!r} in the graph: the editor needs it stored in the file")

    def optional_const(self, node: Any, index: int) -> np.ndarray | None:
        if index >= len(node.input) or not node.input[index]:
            return None
        value = self.values.get(node.input[index])
        return value.array if isinstance(value, _Const) else None

    def data(self, node: Any, name: str) -> str:
        """The layer whose output the tensor ``name`` is; ends a recurrent block where its output is complete."""
        value = self.values.get(name)
        if isinstance(value, _Data):
            return value.node
        if isinstance(value, _Seq):
            return self.finish(node, value)
        if isinstance(value, _Unusable):
            raise self.fail(node, f"reads {name!r}, {value.why}")
        raise self.fail(node, f"reads {name!r}, which is not computed from the network's input")

    def shape(self, name: str) -> list[int | None]:
        return self.shapes.get(name, [])

    def attrs(self, node: Any) -> dict[str, Any]:
        return {a.name: _text(self.onnx.helper.get_attribute_value(a)) for a in node.attribute}

    # Values an operator leaves -------------------------------------------------------------------------------

    def _constant(self, node: Any) -> Value:
        a = node.attribute[0] if node.attribute else None
        if a is None:
            return _Aux("Constant")
        if a.name == "value":
            return _Const(self.numpy_helper.to_array(a.t))
        value = self.onnx.helper.get_attribute_value(a)
        if a.name in ("value_float", "value_int", "value_floats", "value_ints"):
            return _Const(np.array(value))
        return _Aux("Constant")

    def _set(self, node: Any, layer: str) -> None:
        self.values[node.output[0]] = _Data(layer)
        for extra in node.output[1:]:
            if extra:
                self.values[extra] = _Unusable(f"an extra output of {node.op_type} that the editor's layers do "
                                               f"not have")

    def _alias(self, node: Any, source: str) -> None:
        self.values[node.output[0]] = _Data(source)

    def _store(self, layer: str, **arrays: np.ndarray | None) -> None:
        for key, array in arrays.items():
            if array is not None:
                self.state[f"{layer}.{key}"] = _tensor(array)

    def _opset(self) -> int:
        return max((o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx")), default=13)
