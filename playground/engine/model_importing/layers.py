"""Layers made in ``__init__``: an ``nn.*`` constructor is kept as its arguments (checked when forward uses it),
then translated into a layer of the editor's catalog with the parameters it can represent."""

from __future__ import annotations

import ast
from typing import Any

from playground.graph import Shape

from .builder import _Builder, _Layer
from .results import ModelImportError
from .scope import _FileScope
from .syntax import _keyword
from .values import (
    _MODULES,
    _is_plain,
    _Leaf,
    _ModuleList,
    _node_name,
    _Refused,
    _same,
    _Seq,
    _set_path,
    _square,
    _Unknown,
)
from .vocabulary import _ADAPTIVE, _FIXED, _PADS, _SIGNATURES, HELPERS, _prefix


class _Layers(_FileScope):
    """nn.Sequential, nn.ModuleList and nn layers made; a layer's arguments translated into the catalog's."""

    def layer(self, kind: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call) -> Any:
        """A torch.nn constructor: a _Leaf holding its arguments (checked when forward uses it)."""
        if kind == "Sequential":
            if len(args) == 1 and isinstance(args[0], dict):
                items = list(args[0].values())
                names: list[str | None] = [str(k) for k in args[0]]
            elif len(args) == 1 and isinstance(args[0], list) and args[0] and \
                    all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in args[0]):
                items = [p[1] for p in args[0]]
                names = [p[0] for p in args[0]]
            else:
                items, names = list(args), [None] * len(args)
            for item in items:
                if not isinstance(item, _MODULES):
                    if isinstance(item, _Unknown):
                        raise item.refuse("as a layer of nn.Sequential")
                    raise _Refused(call, f"nn.Sequential holds {item!r}, which is not a layer")
            seq = _Seq(items, names, call)
            for item, n in zip(items, names):
                if n is not None and isinstance(item, _MODULES) and not item.path:
                    _set_path(item, n)
            return seq
        if kind == "ModuleList":
            if args and isinstance(args[0], _Unknown):
                raise args[0].refuse("as the layers of nn.ModuleList")
            items = list(args[0]) if args else []
            if args and isinstance(args[0], (_Seq, _ModuleList)):
                items = list(args[0].items)
            if not all(isinstance(i, _MODULES) for i in items):
                raise _Refused(call, "nn.ModuleList holds something that is not a layer")
            return _ModuleList(items, call)
        if kind not in _SIGNATURES and kind not in ("RNN", "GRU", "LSTM", "Dropout2d", "LogSoftmax", *_ADAPTIVE):
            return _Leaf(kind, {}, call)
        names_ = _SIGNATURES[kind] if kind in _SIGNATURES else {
            "RNN": ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout",
                    "bidirectional"),
            "GRU": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"),
            "LSTM": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional",
                     "proj_size"),
            "Dropout2d": ("p", "inplace"), "LogSoftmax": ("dim",), "AdaptiveAvgPool2d": ("output_size",),
            "AdaptiveMaxPool2d": ("output_size", "return_indices")}[kind]
        if len(args) > len(names_):
            raise _Refused(call, f"{kind} takes at most {len(names_)} positional arguments")
        a = dict(zip(names_, args))
        for k, v in kwargs.items():
            if k not in names_:
                raise _Refused(_keyword(call, k), f"{kind} has no argument {k!r}")
            a[k] = v
        return _Leaf(kind, a, call)

    def translate(self, leaf: _Leaf, builder: _Builder) -> _Layer:
        call = leaf.call
        kind = leaf.kind
        if kind not in _SIGNATURES:
            raise _Refused(call, f"{ast.unparse(call.func)} is not a layer the editor knows (it knows "
                                 f"{', '.join(sorted(k for k in _SIGNATURES if k not in HELPERS))})")
        a: dict[str, Any] = {}
        for pname, value in leaf.args.items():
            if isinstance(value, _Unknown):
                raise value.refuse(f"as the {pname} of {kind}")
            if not _is_plain(value):
                raise _Refused(call, f"the {pname} of {kind} is not a number, text or tuple")
            a[pname] = value
        for pname, fixed in _FIXED.get(kind, {}).items():
            if pname in a and not _same(a[pname], fixed):
                raise _Refused(call, f"{kind} with {pname}={a[pname]!r} cannot be drawn: the editor's layer "
                                     f"always has {pname}={fixed!r}")
        try:
            layer = self._translate(kind, a, call)
        except ModelImportError as e:
            raise _Refused(call, e.message.split(": ", 1)[1]) from None
        except (KeyError, TypeError) as e:
            raise _Refused(call, f"{kind} is missing its argument {e}") from None
        own = _node_name(leaf.path)
        layer.name = builder.claim(own, own or _prefix(layer.kind))  # a second use of self.pool is pool_1
        return layer

    def _translate(self, kind: str, a: dict[str, Any], call: ast.Call) -> _Layer:
        line = call.lineno
        bad = self.fail

        def square(value: Any, what: str) -> int:
            v = _square(value)
            if v is None:
                raise bad(call, f"{kind} with a non-square {what} {value!r} cannot be drawn")
            return v

        if kind == "Linear":
            n_in = a["in_features"]
            return _Layer("", "Dense", {"units": a["out_features"], "bias": bool(a.get("bias", True))}, line,
                          expects=lambda s: None if s.dims[-1] == n_in else
                          f"expects {n_in} input features but receives {s.describe()}", size=n_in)
        if kind in ("Conv2d", "ConvTranspose2d"):
            k = square(a["kernel_size"], "kernel")
            stride = square(a.get("stride", 1), "stride")
            padding = a.get("padding", 0)
            if padding == "valid":
                padding = 0
            elif padding == "same":
                if kind != "Conv2d" or stride != 1 or k % 2 == 0:
                    raise bad(call, f"{kind} with padding='same' needs an odd kernel and stride 1 to be drawn")
                padding = (k - 1) // 2
            params = {"filters": a["out_channels"], "kernel_size": k, "stride": stride,
                      "padding": square(padding, "padding"), "bias": bool(a.get("bias", True))}
            if kind == "ConvTranspose2d":
                params["output_padding"] = square(a.get("output_padding", 0), "output padding")
            elif a.get("groups", 1) != 1:
                params["groups"] = a["groups"]
            c_in = a["in_channels"]
            return _Layer("", kind, params, line, expects=lambda s: None if s.rank == 3 and s.dims[0] == c_in else
                          f"expects {c_in} input channels but receives {s.describe()}", size=c_in, image=True)
        if kind in ("MaxPool2d", "AvgPool2d"):
            k = square(a["kernel_size"], "window")
            pool_stride = a.get("stride")
            window_stride = 0 if pool_stride in (None, k) else square(pool_stride, "stride")
            return _Layer("", kind, {"kernel_size": k, "stride": window_stride,
                                     "padding": square(a.get("padding", 0), "padding")}, line)
        if kind == "Upsample":
            scale = a.get("scale_factor")
            scale = _square(scale) if isinstance(scale, (tuple, list)) else scale
            if not isinstance(scale, (int, float)) or float(scale) != int(scale):
                raise bad(call, "Upsample needs a whole scale_factor to be drawn")
            return _Layer("", "Upsample", {"scale": int(scale), "mode": a.get("mode", "nearest")}, line)
        if kind == "Flatten":
            return _Layer("", "Flatten", {}, line)
        if kind in ("Unflatten", "Reshape"):
            shape = a["unflattened_size" if kind == "Unflatten" else "shape"]
            return _Layer("", "Reshape", {"shape": list(shape)}, line)
        if kind == "Dropout":
            return _Layer("", "Dropout", {"p": float(a.get("p", 0.5))}, line)
        if kind in ("BatchNorm1d", "BatchNorm2d"):
            n = a["num_features"]
            rank = 1 if kind == "BatchNorm1d" else 3
            momentum = a.get("momentum", 0.1)
            if momentum is None:
                raise bad(call, "BatchNorm with momentum=None (a cumulative average) cannot be drawn")
            return _Layer("", "BatchNorm", {"momentum": float(momentum)}, line,
                          expects=lambda s: None if s.rank == rank and s.dims[0] == n else
                          f"expects {n} features{' (an image)' if rank == 3 else ''} but receives {s.describe()}",
                          size=n, image=rank == 3)
        if kind in _PADS:
            return _Layer("", "Pad2d", {"padding": square(a["padding"], "padding"), "mode": _PADS[kind]}, line)
        if kind == "InstanceNorm2d":
            n_channels = a["num_features"]
            return _Layer("", "InstanceNorm", {"affine": bool(a.get("affine", False))}, line,
                          expects=lambda s: None if s.rank == 3 and s.dims[0] == n_channels else
                          f"expects {n_channels} channels (an image) but receives {s.describe()}",
                          size=n_channels, image=True)
        if kind == "LayerNorm":
            shape = a["normalized_shape"]
            shape = list(shape) if isinstance(shape, (tuple, list)) else [shape]

            def layer_norm(s: Shape) -> str | None:
                own = list(s.dims) if s.rank == 3 else [s.dims[-1]]
                return None if own == shape else f"normalizes over {shape} but the editor's LayerNorm over {own}"

            return _Layer("", "LayerNorm", {}, line, expects=layer_norm)
        if kind in ("ReLU", "Sigmoid", "Tanh", "Identity", "GELU"):
            return _Layer("", kind, {}, line)
        if kind == "LeakyReLU":
            return _Layer("", kind, {"slope": float(a.get("negative_slope", 0.01))}, line)
        if kind == "Softplus":
            return _Layer("", kind, {"beta": float(a.get("beta", 1.0))}, line)
        if kind == "Softmax":
            dim = a.get("dim")
            if dim not in (-1, 1):
                raise bad(call, f"Softmax(dim={dim!r}) cannot be drawn: the editor's Softmax is over the last "
                                f"dimension (dim=-1)")
            return _Layer("", "Softmax", {}, line)
        if kind == "Embedding":
            return _Layer("", "Embedding", {"vocabulary": a["num_embeddings"], "dim": a["embedding_dim"]}, line)
        if kind == "Recurrent":
            cell = a["cell"]
            if cell not in ("RNN", "GRU", "LSTM"):
                raise bad(call, f"Recurrent cell {cell!r} is not RNN, GRU or LSTM")
            params = {"hidden": a["hidden"], "layers": a.get("layers", 1),
                      "bidirectional": bool(a.get("bidirectional", False)),
                      "output": "last" if a.get("last_only", False) else "sequence"}
            if cell == "RNN":
                params["nonlinearity"] = a.get("nonlinearity", "tanh")
            n_in = a["input_size"]
            return _Layer("", cell, params, line, expects=lambda s: None if s.dims[-1] == n_in else
                          f"expects {n_in} features per step but receives {s.describe()}", size=n_in)
        if kind in ("Add", "Multiply", "Sample", "Concat"):
            return _Layer("", kind, {}, line)
        raise bad(call, f"{kind} is not a layer the editor knows")  # pragma: no cover - _SIGNATURES guards
