"""Dense layers (Gemm, MatMul and the Add of its bias), Add and Multiply of two tensors, convolutions, pooling and
upsampling."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import _ReaderBase
from .values import _Const, _Data, _Seq


class _DenseConv(_ReaderBase):
    """The operators of dense and convolutional networks."""

    def _op_Gemm(self, node: Any) -> None:
        a = self.attrs(node)
        if a.get("transA", 0):
            raise self.fail(node, "multiplies a transposed input (transA=1): the editor's Dense reads x·Wᵀ")
        source = self.data(node, node.input[0])
        b = self.const(node, 1, "weight")
        weight = (b if a.get("transB", 0) else b.T) * float(a.get("alpha", 1.0))
        c = self.optional_const(node, 2)
        if len(node.input) > 2 and node.input[2] and c is None:
            raise self.fail(node, f"computes its bias {node.input[2]!r} in the graph: the editor needs it stored")
        units = weight.shape[0]
        name = self.add("Dense", node, {"units": units, "bias": c is not None}, [source])
        self._store(name, weight=weight)
        if c is not None:
            self._store(name, bias=np.broadcast_to(c * float(a.get("beta", 1.0)), (units,)))
        self._set(node, name)

    def _op_MatMul(self, node: Any) -> None:
        if not isinstance(self.values.get(node.input[0]), (_Data, _Seq)):
            raise self.fail(node, "multiplies a stored matrix by the data from the left: the editor's Dense reads x·Wᵀ")
        source = self.data(node, node.input[0])
        w = self.const(node, 1, "weight")
        if w.ndim != 2:
            raise self.fail(node, f"multiplies by a {w.ndim}-D tensor: a Dense layer has a 2-D weight")
        name = self.add("Dense", node, {"units": int(w.shape[1]), "bias": False}, [source])
        self._store(name, weight=w.T)
        self._set(node, name)
        self._bias_may_follow(node, name, None)

    def _op_Add(self, node: Any) -> None:
        a, b = (self.values.get(i) for i in node.input[:2])
        if isinstance(a, _Const) or isinstance(b, _Const):
            data_index = 1 if isinstance(a, _Const) else 0
            const = (a if isinstance(a, _Const) else b).array  # type: ignore[union-attr]
            dense = self.pending_bias.pop(node.input[data_index], None)
            layer = next((x for x in self.layers if x.name == dense), None)
            units = int(layer.params.get("units") or layer.params.get("filters") or 0) if layer else 0
            if layer is not None and layer.kind == "Dense":
                fits = const.size in (1, units) and (const.ndim <= 1 or const.shape[-1] == const.size)
            else:  # a convolution's bias is one value per channel: C×1×1 (or 1×C×1×1)
                fits = const.size == units and const.ndim >= 3 and const.shape[-2:] == (1, 1)
            if layer is None or not fits:
                raise self.fail(node, "adds a stored tensor that is not the bias of a Dense or convolution layer "
                                      "before it: the editor has no layer for that")
            layer.params["bias"] = True
            self._store(layer.name, bias=np.broadcast_to(const.reshape(-1), (units,)))
            self._alias(node, layer.name)
            return
        first, second = self.data(node, node.input[0]), self.data(node, node.input[1])
        self._set(node, self.add("Add", node, {}, [first, second]))

    def _op_Mul(self, node: Any) -> None:
        a, b = (self.values.get(i) for i in node.input[:2])
        if isinstance(a, _Const) or isinstance(b, _Const):
            raise self.fail(node, "multiplies by a stored tensor: the editor has no layer for that (its Multiply "
                                  "multiplies two tensors of the network)")
        first, second = self.data(node, node.input[0]), self.data(node, node.input[1])
        self._set(node, self.add("Multiply", node, {}, [first, second]))

    # Convolutions and pooling -----------------------------------------------------------------------------------

    def _pads(self, node: Any, a: dict[str, Any], kernel: int) -> int:
        auto = a.get("auto_pad", "NOTSET")
        if auto not in ("NOTSET", "VALID"):
            raise self.fail(node, f"pads with auto_pad={auto!r}: the editor's layers need the padding written out")
        return self.square(node, a.get("pads", [0, 0, 0, 0]), "padding")

    def _conv_common(self, node: Any, a: dict[str, Any], w: np.ndarray) -> tuple[int, int, int]:
        if w.ndim != 4:
            raise self.fail(node, f"is a {w.ndim - 2}-D convolution: the editor's convolutions are 2-D")
        if self.square(node, a.get("dilations", [1, 1]), "dilation") != 1:
            raise self.fail(node, "is dilated: the editor's convolutions are not")
        k = self.square(node, w.shape[2:], "kernel")
        return k, self.square(node, a.get("strides", [1, 1]), "stride"), self._pads(node, a, k)

    def _op_Conv(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        a = self.attrs(node)
        w = self.const(node, 1, "weight")
        k, stride, pad = self._conv_common(node, a, w)
        bias = self.optional_const(node, 2)
        params = {"filters": int(w.shape[0]), "kernel_size": k, "stride": stride, "padding": pad,
                  "bias": bias is not None}
        if int(a.get("group", 1)) != 1:
            params["groups"] = int(a["group"])
        name = self.add("Conv2d", node, params, [source])
        self._store(name, weight=w, bias=bias)
        self._set(node, name)
        self._bias_may_follow(node, name, bias)

    def _bias_may_follow(self, node: Any, layer: str, bias: np.ndarray | None) -> None:
        """Some exporters write a bias as an Add after the layer: the Add that follows may bring it."""
        if bias is None and self.consumers.get(node.output[0], 0) == 1:
            self.pending_bias[node.output[0]] = layer

    def _op_ConvTranspose(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        a = self.attrs(node)
        w = self.const(node, 1, "weight")
        k, stride, pad = self._conv_common(node, a, w)
        if a.get("group", 1) != 1:
            raise self.fail(node, f"is a grouped transposed convolution (group={a['group']}): the editor's has "
                                  f"one group")
        if "output_shape" in a:
            raise self.fail(node, "gives its output_shape instead of its padding: the editor needs the padding")
        extra = self.square(node, a.get("output_padding", [0, 0]), "output padding")
        bias = self.optional_const(node, 2)
        name = self.add("ConvTranspose2d", node, {"filters": int(w.shape[1]), "kernel_size": k, "stride": stride,
                                                  "padding": pad, "output_padding": extra,
                                                  "bias": bias is not None}, [source])
        self._store(name, weight=w, bias=bias)
        self._set(node, name)
        self._bias_may_follow(node, name, bias)

    def _pool(self, node: Any, kind: str) -> None:
        source = self.data(node, node.input[0])
        a = self.attrs(node)
        if len(a.get("kernel_shape", [])) != 2:
            raise self.fail(node, "is not a 2-D pooling: the editor's pools work on images")
        k = self.square(node, a["kernel_shape"], "window")
        stride = self.square(node, a.get("strides", [1, 1]), "stride")
        pad = self._pads(node, a, k)
        if a.get("ceil_mode", 0):
            raise self.fail(node, "rounds its output size up (ceil_mode=1): the editor's pools round down")
        if self.square(node, a.get("dilations", [1, 1]), "dilation") != 1:
            raise self.fail(node, "is dilated: the editor's pools are not")
        if kind == "AvgPool2d" and pad and not a.get("count_include_pad", 0):
            raise self.fail(node, "leaves the padding out of its averages (count_include_pad=0): the editor's "
                                  "average pool counts it, as torch does by default")
        self._set(node, self.add(kind, node, {"kernel_size": k, "stride": 0 if stride == k else stride,
                                              "padding": pad}, [source]))

    def _op_MaxPool(self, node: Any) -> None:
        if len(node.output) > 1 and node.output[1] and self.consumers.get(node.output[1]):
            raise self.fail(node, "also returns the indices of the maxima, which the editor's MaxPool does not")
        self._pool(node, "MaxPool2d")

    def _op_AveragePool(self, node: Any) -> None:
        self._pool(node, "AvgPool2d")

    def _global_pool(self, node: Any, kind: str) -> None:
        source = self.data(node, node.input[0])
        dims = self.shape(node.input[0])
        if len(dims) != 4 or dims[2] is None or dims[2] != dims[3]:
            raise self.fail(node, "pools an image whose size is not known and square: the editor's pools need it")
        k = int(dims[2])
        self._set(node, self.add(kind, node, {"kernel_size": k, "stride": 0, "padding": 0}, [source]))

    def _reduce(self, node: Any, kind: str) -> None:
        """A mean or max over height and width (adaptive pooling to 1×1): a pool as large as the image."""
        dims = self.shape(node.input[0])
        axes = {a % 4 for a in self._axes_of(node, 1, "axes")} if len(dims) == 4 else set()
        if axes != {2, 3}:
            raise self.fail(node, "reduces axes other than height and width of an image: the editor has no layer "
                                  "for that")
        self._global_pool(node, kind)
        if not int(self.attrs(node).get("keepdims", 1)):
            pooled = self.values[node.output[0]]
            assert isinstance(pooled, _Data)
            self._set(node, self.add("Flatten", node, {}, [pooled.node], name=self.fresh(f"{pooled.node}_flat",
                                                                                            "flatten")))

    def _op_ReduceMean(self, node: Any) -> None:
        self._reduce(node, "AvgPool2d")

    def _op_ReduceMax(self, node: Any) -> None:
        self._reduce(node, "MaxPool2d")

    def _op_GlobalAveragePool(self, node: Any) -> None:
        self._global_pool(node, "AvgPool2d")

    def _op_GlobalMaxPool(self, node: Any) -> None:
        self._global_pool(node, "MaxPool2d")

    def _upsample(self, node: Any, mode: str, a: dict[str, Any]) -> None:
        source = self.data(node, node.input[0])
        before, after = self.shape(node.input[0]), self.shape(node.output[0])
        if len(before) != 4 or len(after) != 4 or None in before[1:] or None in after[1:]:
            raise self.fail(node, "resizes a tensor whose size is not known: the editor's Upsample needs an image")
        assert all(d is not None for d in before[1:] + after[1:])
        if before[1] != after[1] or after[2] % before[2] or after[3] % before[3]:  # type: ignore[operator]
            raise self.fail(node, f"resizes {before[1:]} to {after[1:]}: the editor's Upsample enlarges height and "
                                  f"width by a whole factor")
        fh, fw = after[2] // before[2], after[3] // before[3]  # type: ignore[operator]
        if fh != fw:
            raise self.fail(node, f"enlarges height by {fh} and width by {fw}: the editor's Upsample uses one factor")
        coordinates = a.get("coordinate_transformation_mode", "half_pixel")
        if mode == "nearest":
            if node.op_type == "Resize" and (coordinates != "asymmetric" or a.get("nearest_mode", "round_prefer_floor")
                                             != "floor"):
                raise self.fail(node, "picks nearest pixels otherwise than torch's Upsample (it needs "
                                      "coordinate_transformation_mode='asymmetric' and nearest_mode='floor')")
            kind = "nearest"
        elif mode in ("linear", "bilinear"):
            if node.op_type == "Resize" and coordinates not in ("half_pixel", "pytorch_half_pixel"):
                raise self.fail(node, f"interpolates with coordinate_transformation_mode={coordinates!r}: torch's "
                                      f"bilinear Upsample (align_corners=False) is 'half_pixel'")
            kind = "bilinear"
        else:
            raise self.fail(node, f"resizes with mode {mode!r}: the editor's Upsample is nearest or bilinear")
        self._set(node, self.add("Upsample", node, {"scale": int(fh), "mode": kind}, [source]))

    def _op_Resize(self, node: Any) -> None:
        a = self.attrs(node)
        self._upsample(node, a.get("mode", "nearest"), a)

    def _op_Upsample(self, node: Any) -> None:
        a = self.attrs(node)
        self._upsample(node, a.get("mode", "nearest"), a)

    def _op_DepthToSpace(self, node: Any) -> None:
        a = self.attrs(node)
        mode = a.get("mode", "DCR")
        if mode != "CRD":
            # DCR (ONNX's default, TensorFlow's depth_to_space) takes the block from the channels in another order
            raise self.fail(node, f"moves channels to pixels in mode {mode!r}: the editor's PixelShuffle is "
                                  f"torch's, mode 'CRD'")
        source = self.data(node, node.input[0])
        self._set(node, self.add("PixelShuffle", node, {"factor": int(a["blocksize"])}, [source]))
