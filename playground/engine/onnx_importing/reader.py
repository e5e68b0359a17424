"""The walk over a whole ONNX graph: stored tensors, patterns, the check that every operator has a layer, the
inputs, one operator after another, and the outputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from playground.graph import Graph

from .assembly import _build_graph
from .dense_conv import _DenseConv
from .norms_shapes import _NormsShapes
from .patterns import _Patterns
from .recurrent import _Recurrent
from .values import OnnxImportError, _Aux, _Const, _Data, _Layer, _Seq, _Unusable

# Operators that take part in the data flow and have a layer (or belong to a pattern that has one).
_LAYER_OPS = {
    "Gemm", "MatMul", "Add", "Conv", "ConvTranspose", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Softplus", "Gelu",
    "Identity", "Dropout", "Softmax", "Flatten", "Reshape", "MaxPool", "AveragePool", "GlobalAveragePool",
    "GlobalMaxPool", "BatchNormalization", "LayerNormalization", "Concat", "Resize", "Upsample", "LSTM", "GRU",
    "RNN", "Transpose", "Squeeze", "Unsqueeze", "Gather", "Shape", "Size", "Cast", "ReduceMean", "ReduceMax",
    "Pad", "InstanceNormalization", "Mul", "DepthToSpace",
}
_DEFAULT_STEPS = 20  # the length given to a sequence input whose length the file leaves free


class _Reader(_Patterns, _DenseConv, _NormsShapes, _Recurrent):
    """Reads a shape-inferred ONNX model into the editor's layers and the compiled names of their weights."""

    def read(self) -> tuple[Graph, dict[str, torch.Tensor]]:
        for init in self.g.initializer:
            self.values[init.name] = _Const(self.numpy_helper.to_array(init))
        self._find_patterns()
        self._check_operators()
        for inp in self.g.input:
            if inp.name not in self.values:
                self._input(inp)
        if not any(isinstance(v, _Data) for v in self.values.values()):
            raise OnnxImportError(f"{self.filename} has no input: the graph takes no data")
        for node in self.g.node:
            self._node(node)
        outputs = []
        for out in self.g.output:
            value = self.values.get(out.name)
            if isinstance(value, (_Const, _Aux)) or value is None:
                raise OnnxImportError(f"{self.filename}: output {out.name!r} is not computed from the input")
            fake = self.onnx.NodeProto(op_type="output", name=out.name)
            source = self.data(fake, out.name)
            if any(layer.name == source and layer.kind == "Input" for layer in self.layers):
                raise OnnxImportError(f"{self.filename}: output {out.name!r} is the input itself: there is no layer "
                                      f"between them to draw")
            outputs.append((out.name, source))
        for name, source in outputs:
            dims = tuple(d for d in self.shape(name)[1:])
            head = "regression" if dims in ((1,), (None, 1)) or (len(dims) == 2 and dims[-1] == 1) else \
                "classification"  # one number, or one per step
            self.add("Output", None, {"head": head}, [source], name=self.fresh(name, "output"))
        return _build_graph(self.layers, self.filename), self.state

    def _check_operators(self) -> None:
        """Every operator on the data's path must be one the editor knows: name all that are not, at once."""
        data = {i.name for i in self.g.input if i.name not in self.values}
        unknown: list[str] = []
        for node in self.g.node:
            if not any(i in data for i in node.input if i):
                continue
            if id(node) in self.inside or id(node) in self.patterns:
                data.update(o for o in node.output if o)
                continue
            op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
            if op not in _LAYER_OPS:
                unknown.append(f"{op} {node.name!r}" if node.name else op)
            if node.op_type not in ("Shape", "Size"):
                data.update(o for o in node.output if o)
        if unknown:
            shown = ", ".join(unknown[:8]) + (f" and {len(unknown) - 8} more" if len(unknown) > 8 else "")
            raise OnnxImportError(f"{self.filename} uses {len(unknown)} operator(s) the editor has no layer for: "
                                  f"{shown}")

    def _input(self, inp: Any) -> None:
        dims = self.shape(inp.name)
        elem = self.types.get(inp.name, 0)
        where = f"{self.filename}: input {inp.name!r}"
        if not dims:
            raise OnnxImportError(f"{where} has no known shape")
        rest = dims[1:]
        floating = elem in (self.onnx.TensorProto.FLOAT, self.onnx.TensorProto.DOUBLE, self.onnx.TensorProto.FLOAT16)
        integer = elem in (self.onnx.TensorProto.INT64, self.onnx.TensorProto.INT32)
        shape_text = "×".join("?" if d is None else str(d) for d in dims)
        if floating and len(rest) == 1 and rest[0]:
            params: dict[str, Any] = {"kind": "vector", "features": rest[0]}
        elif floating and len(rest) == 3 and all(rest):
            params = {"kind": "image", "channels": rest[0], "height": rest[1], "width": rest[2]}
        elif floating and len(rest) == 2 and rest[1]:
            params = {"kind": "sequence", "steps": rest[0] or self._steps(inp.name), "features": rest[1]}
        elif integer and len(rest) == 1:
            params = {"kind": "tokens", "steps": rest[0] or self._steps(inp.name)}
        else:
            raise OnnxImportError(f"{where} is {shape_text} ({'numbers' if floating else 'integers'}): the editor's "
                                  f"inputs are batch×features, batch×channels×height×width, batch×steps×features "
                                  f"or batch×steps of token ids")
        name = self.fresh(inp.name, "input")
        self.layers.append(_Layer(name, "Input", params, []))
        self.values[inp.name] = _Data(name)

    def _steps(self, name: str) -> int:
        """The length of a sequence input the file leaves free: the trained one, where the playground wrote it."""
        for prop in self.model.metadata_props:
            if prop.key == f"playground.steps.{name}" and prop.value.isdigit() and 1 <= int(prop.value) <= 10000:
                return int(prop.value)
        return _DEFAULT_STEPS

    # One operator -----------------------------------------------------------------------------------------------

    def _node(self, node: Any) -> None:
        op = node.op_type
        if id(node) in self.inside:
            return
        if id(node) in self.patterns:
            kind, params, output = self.patterns[id(node)]
            source = self.data(node, node.input[0])
            name = self.add(kind, node, params, [source])
            if id(node) in self.pattern_weights:
                self._store(name, **self.pattern_weights[id(node)])
            self.values[output] = _Data(name)
            return
        ins = [self.values.get(i) if i else None for i in node.input]
        if op == "Constant":
            self.values[node.output[0]] = self._constant(node)
            return
        data_in = [v for v in ins if isinstance(v, (_Data, _Seq, _Unusable))]
        if not data_in:
            # Shape arithmetic, or constants folded by hand: Identity and Cast of a stored tensor stay constants.
            if op in ("Identity", "Cast") and isinstance(ins[0], _Const):
                array = ins[0].array
                if op == "Cast":
                    to = self.attrs(node).get("to")
                    array = array.astype(self.onnx.helper.tensor_dtype_to_np_dtype(to)) if to else array
                self.values[node.output[0]] = _Const(array)
                return
            for o in node.output:
                self.values[o] = _Aux(op)
            return
        if op in ("Shape", "Size"):
            self.values[node.output[0]] = _Aux(op)
            return
        handler: Callable[[Any], None] | None = getattr(self, f"_op_{op}", None)
        if handler is None or node.domain not in ("", "ai.onnx"):  # pragma: no cover - _check_operators guards
            raise self.fail(node, "has no layer in the editor")
        handler(node)
