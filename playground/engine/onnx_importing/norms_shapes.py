"""Normalization layers, activations, and the operators that reshape, join or pick: each one layer of the editor."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .base import _ReaderBase
from .values import _Const, _Data, _Seq

_PAD_MODES = {"constant": "zeros", "reflect": "reflect", "edge": "replicate"}

EPSILON = 1e-5  # the eps of torch's BatchNorm and LayerNorm, which the editor's layers use


class _NormsShapes(_ReaderBase):
    """Normalization, activation and shape operators."""

    def _op_BatchNormalization(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        a = self.attrs(node)
        if a.get("training_mode", 0):
            raise self.fail(node, "normalizes with the batch's statistics (training_mode=1): the file should hold "
                                  "the network in inference mode")
        rank = len(self.shape(node.input[0]))
        if rank not in (2, 4):
            raise self.fail(node, "normalizes a sequence: the editor's BatchNorm normalizes vectors and images")
        scale, bias = self.const(node, 1, "scale"), self.const(node, 2, "bias")
        mean, var = self.const(node, 3, "running mean"), self.const(node, 4, "running variance")
        eps = float(a.get("epsilon", 1e-5))
        # The editor's BatchNorm divides by sqrt(var + 1e-5): another epsilon moves into the variance, exactly.
        var = var.astype(np.float64) + eps - EPSILON
        momentum = min(1.0, max(0.0, round(1.0 - float(a.get("momentum", 0.9)), 6)))
        name = self.add("BatchNorm", node, {"momentum": momentum}, [source])
        self._store(name, weight=scale, bias=bias, running_mean=mean, running_var=var)
        self.state[f"{name}.num_batches_tracked"] = torch.tensor(0)
        self._set(node, name)

    def _op_Pad(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        mode = self.attrs(node).get("mode", "constant")
        if mode not in _PAD_MODES:
            raise self.fail(node, f"pads in mode {mode!r}: the editor's Pad2d has zeros, reflect and replicate")
        pads = [int(v) for v in self.const(node, 1, "padding").reshape(-1)]
        fill = self.optional_const(node, 2)
        if fill is not None and fill.size and float(fill.reshape(-1)[0]) != 0.0:
            raise self.fail(node, f"pads with the value {float(fill.reshape(-1)[0])}: the editor's Pad2d pads with "
                                  f"zeros")
        if len(node.input) > 3 and node.input[3] or len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
            raise self.fail(node, "pads more than the height and width of an image: the editor's Pad2d pads "
                                  "images")
        side = self.square(node, [pads[i] for i in (2, 3, 6, 7)], "padding")
        if side < 1:
            raise self.fail(node, f"pads by {side}: the editor's Pad2d adds at least one row and column")
        self._set(node, self.add("Pad2d", node, {"padding": side, "mode": _PAD_MODES[mode]}, [source]))

    def _op_InstanceNormalization(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        if len(self.shape(node.input[0])) != 4:
            raise self.fail(node, "normalizes something other than images: the editor's InstanceNorm normalizes "
                                  "images")
        eps = float(self.attrs(node).get("epsilon", 1e-5))
        if not math.isclose(eps, EPSILON, rel_tol=1e-3):
            raise self.fail(node, f"uses epsilon {eps}: the editor's InstanceNorm uses 1e-5")
        scale, bias = self.const(node, 1, "scale"), self.const(node, 2, "bias")
        stored = {i.name for i in self.g.initializer}
        affine = node.input[1] in stored or node.input[2] in stored or not (
            np.all(scale == 1.0) and np.all(bias == 0.0))
        name = self.add("InstanceNorm", node, {"affine": bool(affine)}, [source])
        if affine:
            self._store(name, weight=scale, bias=bias)
        self._set(node, name)

    def _op_LayerNormalization(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        a = self.attrs(node)
        rank = len(self.shape(node.input[0]))
        axis = int(a.get("axis", -1)) % max(rank, 1)
        if not math.isclose(float(a.get("epsilon", 1e-5)), EPSILON, rel_tol=1e-3):
            raise self.fail(node, f"uses epsilon {a.get('epsilon')}: the editor's LayerNorm uses 1e-5")
        wanted = 1 if rank == 4 else rank - 1
        if axis != wanted:
            raise self.fail(node, f"normalizes from axis {axis}: the editor's LayerNorm normalizes "
                                  f"{'channels, height and width' if rank == 4 else 'the features'}")
        scale = self.const(node, 1, "scale")
        bias = self.optional_const(node, 2)
        name = self.add("LayerNorm", node, {}, [source])
        self._store(name, weight=scale, bias=bias if bias is not None else np.zeros_like(scale))
        self._set(node, name)

    def _activation(self, node: Any, kind: str, params: dict[str, Any] | None = None) -> None:
        source = self.data(node, node.input[0])
        self._set(node, self.add(kind, node, params or {}, [source]))

    def _op_Relu(self, node: Any) -> None:
        self._activation(node, "ReLU")

    def _op_Sigmoid(self, node: Any) -> None:
        self._activation(node, "Sigmoid")

    def _op_Tanh(self, node: Any) -> None:
        self._activation(node, "Tanh")

    def _op_Gelu(self, node: Any) -> None:
        if self.attrs(node).get("approximate", "none") != "none":
            raise self.fail(node, "uses the tanh approximation: the editor's GELU is the exact one")
        self._activation(node, "GELU")

    def _op_LeakyRelu(self, node: Any) -> None:
        self._activation(node, "LeakyReLU", {"slope": round(float(self.attrs(node).get("alpha", 0.01)), 7)})

    def _op_Softplus(self, node: Any) -> None:
        self._activation(node, "Softplus", {"beta": 1.0})

    def _op_Softmax(self, node: Any) -> None:
        rank = len(self.shape(node.input[0]))
        axis = int(self.attrs(node).get("axis", -1 if self._opset() >= 13 else 1))
        if rank and axis % rank != rank - 1:
            raise self.fail(node, f"is over axis {axis} of a {rank}-D tensor: the editor's Softmax is over the "
                                  f"last one")
        self._activation(node, "Softmax")

    def _op_Dropout(self, node: Any) -> None:
        ratio = self.optional_const(node, 1)
        p = float(ratio) if ratio is not None else float(self.attrs(node).get("ratio", 0.5))
        self._activation(node, "Dropout", {"p": round(min(p, 0.95), 6)})

    def _op_Identity(self, node: Any) -> None:
        value = self.values.get(node.input[0])
        if isinstance(value, _Seq):
            self.values[node.output[0]] = value
            return
        self._alias(node, self.data(node, node.input[0]))

    def _op_Cast(self, node: Any) -> None:
        to = self.attrs(node).get("to")
        if to not in (self.onnx.TensorProto.FLOAT, self.onnx.TensorProto.INT64, self.onnx.TensorProto.INT32):
            raise self.fail(node, "changes the data's type to one the editor's layers do not use")
        self._op_Identity(node)

    def _op_Flatten(self, node: Any) -> None:
        if int(self.attrs(node).get("axis", 1)) != 1:
            raise self.fail(node, "keeps more than the batch axis: the editor's Flatten keeps only the batch")
        self._activation(node, "Flatten")

    def _op_Reshape(self, node: Any) -> None:
        value = self.values.get(node.input[0])
        if isinstance(value, _Seq):
            self._seq_reshape(node, value)
            return
        self._reshape(node)

    def _reshape(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        before, after = self.shape(node.input[0]), self.shape(node.output[0])
        if not after or None in after[1:]:
            raise self.fail(node, "reshapes to a size the file leaves open: the editor's Reshape needs it known")
        dims = [int(d) for d in after[1:]]  # type: ignore[arg-type]
        if before[1:] == after[1:]:
            self._alias(node, source)
            return
        if not 1 <= len(dims) <= 3:
            raise self.fail(node, f"reshapes to {len(dims)} axes besides the batch: the editor's Reshape makes 1 to 3")
        self._set(node, self.add("Reshape", node, {"shape": dims}, [source]))

    def _op_Squeeze(self, node: Any) -> None:
        self._layout(node)

    def _op_Unsqueeze(self, node: Any) -> None:
        self._layout(node)

    def _op_Transpose(self, node: Any) -> None:
        self._layout(node)

    def _op_Concat(self, node: Any) -> None:
        rank = len(self.shape(node.output[0]))
        axis = int(self.attrs(node).get("axis", 1)) % max(rank, 1)
        if rank and axis != (1 if rank == 4 else rank - 1):
            raise self.fail(node, f"joins along axis {axis}: the editor's Concat joins images along channels and "
                                  f"vectors or sequences along features")
        sources = [self.data(node, i) for i in node.input]
        if len(sources) < 2:
            self._alias(node, sources[0])
            return
        name = self.layer_name(node, "Concat")
        current = sources[0]
        for i, other in enumerate(sources[1:]):
            last = i == len(sources) - 2
            current = self.add("Concat", node, {}, [current, other],
                               name=name if last else self.fresh(f"{name}_{i + 1}", "concat"))
        self._set(node, current)

    def _op_Gather(self, node: Any) -> None:
        value = self.values.get(node.input[1])
        table = self.values.get(node.input[0])
        if isinstance(table, _Const) and isinstance(value, _Data):
            if int(self.attrs(node).get("axis", 0)) != 0 or table.array.ndim != 2:
                raise self.fail(node, "looks up rows of a table otherwise than an Embedding does")
            vocabulary, dim = (int(d) for d in table.array.shape)
            name = self.add("Embedding", node, {"vocabulary": vocabulary, "dim": dim}, [value.node])
            self._store(name, weight=table.array)
            self._set(node, name)
            return
        if isinstance(table, _Seq):
            self._layout(node)
            return
        raise self.fail(node, "picks entries out of the data: the editor has a layer for that only as the last step "
                              "of a recurrent layer")
