"""Convolutions, padding, pooling and upsampling: the image layers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from playground.graph import Shape

from .base import (
    CodeWriter,
    Imported,
    ImportPattern,
    KindHome,
    Params,
    PatternError,
    bias_code,
    first,
    square_arg,
    square_code,
    whole_square,
)

_CONV_SIGNATURE = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
                   "padding_mode")
_CONVT_SIGNATURE = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups",
                    "bias", "dilation", "padding_mode")


def _conv(p: Params, inputs: Sequence[Shape]) -> nn.Module:
    return nn.Conv2d(first(inputs).dims[0], p["filters"], p["kernel_size"], p["stride"], p["padding"],
                     groups=p.get("groups", 1), bias=p["bias"])


def _convt(p: Params, inputs: Sequence[Shape]) -> nn.Module:
    return nn.ConvTranspose2d(first(inputs).dims[0], p["filters"], p["kernel_size"], p["stride"], p["padding"],
                              p["output_padding"], bias=p["bias"])


def _conv_code(m: nn.Conv2d | nn.ConvTranspose2d) -> str:
    k, s, p = (square_code(getattr(m, a), a) for a in ("kernel_size", "stride", "padding"))
    extra = ""
    if isinstance(m, nn.ConvTranspose2d):
        extra = f", output_padding={square_code(m.output_padding, 'output padding')}"
    if m.groups != 1:
        extra += f", groups={m.groups}"
    channels = f"{m.in_channels}, {m.out_channels}"
    return f"nn.{type(m).__name__}({channels}, kernel_size={k}, stride={s}, padding={p}{extra}{bias_code(m)})"


def _read_conv(kind: str, a: dict[str, Any]) -> Imported:
    k = square_arg(a["kernel_size"], kind, "kernel")
    stride = square_arg(a.get("stride", 1), kind, "stride")
    padding = a.get("padding", 0)
    if padding == "valid":
        padding = 0
    elif padding == "same":
        if kind != "Conv2d" or stride != 1 or k % 2 == 0:
            raise PatternError(f"{kind} with padding='same' needs an odd kernel and stride 1 to be drawn")
        padding = (k - 1) // 2
    params = {"filters": a["out_channels"], "kernel_size": k, "stride": stride,
              "padding": square_arg(padding, kind, "padding"), "bias": bool(a.get("bias", True))}
    if kind == "ConvTranspose2d":
        params["output_padding"] = square_arg(a.get("output_padding", 0), kind, "output padding")
    elif a.get("groups", 1) != 1:
        params["groups"] = a["groups"]
    c_in = a["in_channels"]
    return Imported(kind, params, expects=lambda s: None if s.rank == 3 and s.dims[0] == c_in else
                    f"expects {c_in} input channels but receives {s.describe()}", size=c_in, image=True)


CONV = KindHome(
    "Conv2d", _conv, (CodeWriter(nn.Conv2d, _conv_code),),
    (ImportPattern("Conv2d", _CONV_SIGNATURE, lambda a: _read_conv("Conv2d", a),
                   {"dilation": 1, "padding_mode": "zeros"}),),
)
CONV_TRANSPOSE = KindHome(
    "ConvTranspose2d", _convt, (CodeWriter(nn.ConvTranspose2d, _conv_code),),
    (ImportPattern("ConvTranspose2d", _CONVT_SIGNATURE, lambda a: _read_conv("ConvTranspose2d", a),
                   {"dilation": 1, "groups": 1, "padding_mode": "zeros"}),),
)

_PADS: dict[str, type[nn.ZeroPad2d | nn.ReflectionPad2d | nn.ReplicationPad2d]] = {
    "zeros": nn.ZeroPad2d, "reflect": nn.ReflectionPad2d, "replicate": nn.ReplicationPad2d}


def _pad_pattern(mode: str, module: type[nn.Module]) -> ImportPattern:
    name = module.__name__
    return ImportPattern(name, ("padding",), lambda a: Imported(
        "Pad2d", {"padding": square_arg(a["padding"], name, "padding"), "mode": mode}))


def _pad_writer(module: type[nn.Module]) -> CodeWriter:
    return CodeWriter(module, lambda m: f"nn.{module.__name__}({square_code(m.padding, 'padding')})")


PAD = KindHome(
    "Pad2d", lambda p, inputs: _PADS[p["mode"]](p["padding"]),
    tuple(_pad_writer(m) for m in _PADS.values()),
    tuple(_pad_pattern(mode, m) for mode, m in _PADS.items()),
)


def _pool_code(m: nn.MaxPool2d | nn.AvgPool2d) -> str:
    k, s, p = (square_code(getattr(m, a), a) for a in ("kernel_size", "stride", "padding"))
    return f"nn.{type(m).__name__}(kernel_size={k}, stride={s}, padding={p})"


def _read_pool(kind: str, a: dict[str, Any]) -> Imported:
    k = square_arg(a["kernel_size"], kind, "window")
    pool_stride = a.get("stride")
    # The editor's stride 0 means "the window's size", torch's default.
    window_stride = 0 if pool_stride in (None, k) else square_arg(pool_stride, kind, "stride")
    return Imported(kind, {"kernel_size": k, "stride": window_stride,
                           "padding": square_arg(a.get("padding", 0), kind, "padding")})


MAX_POOL = KindHome(
    "MaxPool2d", lambda p, inputs: nn.MaxPool2d(p["kernel_size"], p["stride"] or p["kernel_size"], p["padding"]),
    (CodeWriter(nn.MaxPool2d, _pool_code),),
    (ImportPattern("MaxPool2d", ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
                   lambda a: _read_pool("MaxPool2d", a),
                   {"dilation": 1, "return_indices": False, "ceil_mode": False}, functional=("max_pool2d",),
                   functional_signature=("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                         "return_indices")),),
)
AVG_POOL = KindHome(
    "AvgPool2d", lambda p, inputs: nn.AvgPool2d(p["kernel_size"], p["stride"] or p["kernel_size"], p["padding"]),
    (CodeWriter(nn.AvgPool2d, _pool_code),),
    (ImportPattern("AvgPool2d", ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                                 "divisor_override"), lambda a: _read_pool("AvgPool2d", a),
                   {"ceil_mode": False, "count_include_pad": True, "divisor_override": None},
                   functional=("avg_pool2d",)),),
)


def _read_upsample(a: dict[str, Any]) -> Imported:
    scale = a.get("scale_factor")
    scale = whole_square(scale) if isinstance(scale, (tuple, list)) else scale
    if not isinstance(scale, (int, float)) or float(scale) != int(scale):
        raise PatternError("Upsample needs a whole scale_factor to be drawn")
    return Imported("Upsample", {"scale": int(scale), "mode": a.get("mode", "nearest")})


UPSAMPLE = KindHome(
    "Upsample", lambda p, inputs: nn.Upsample(scale_factor=p["scale"], mode=p["mode"]),
    (CodeWriter(nn.Upsample, lambda m: f"nn.Upsample(scale_factor={m.scale_factor!r}, mode={m.mode!r})"),),
    (ImportPattern("Upsample", ("size", "scale_factor", "mode", "align_corners"), _read_upsample,
                   {"size": None, "align_corners": None}, functional=("interpolate",)),),
)


def _read_pixel_shuffle(a: dict[str, Any]) -> Imported:
    factor = a["upscale_factor"]
    if not isinstance(factor, int) or isinstance(factor, bool) or factor < 1:
        raise PatternError(f"PixelShuffle needs a whole upscale_factor to be drawn, not {factor!r}")
    return Imported("PixelShuffle", {"factor": factor}, image=True)


PIXEL_SHUFFLE = KindHome(
    "PixelShuffle", lambda p, inputs: nn.PixelShuffle(p["factor"]),
    (CodeWriter(nn.PixelShuffle, lambda m: f"nn.PixelShuffle({m.upscale_factor})"),),
    (ImportPattern("PixelShuffle", ("upscale_factor",), _read_pixel_shuffle, functional=("pixel_shuffle",)),),
)

HOMES = (CONV, CONV_TRANSPOSE, PAD, MAX_POOL, AVG_POOL, UPSAMPLE, PIXEL_SHUFFLE)
