"""The torch names the importer knows: signatures of the ``nn`` layers in positional order, the values the editor's
layers always have, the functional calls with a layer, the builtins the interpreter follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

HELPERS = {"Reshape", "Add", "Multiply", "Sample", "Concat", "Recurrent"}  # the classes the playground's own exports define
# Signatures of the torch.nn classes (and the playground's helpers) the editor knows, in positional order.
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "Linear": ("in_features", "out_features", "bias", "device", "dtype"),
    "Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
               "padding_mode"),
    "ConvTranspose2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
                        "groups", "bias", "dilation", "padding_mode"),
    "MaxPool2d": ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
    "AvgPool2d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "Upsample": ("size", "scale_factor", "mode", "align_corners"),
    "Flatten": ("start_dim", "end_dim"),
    "Unflatten": ("dim", "unflattened_size"),
    "Dropout": ("p", "inplace"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "BatchNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", "bias"),
    "InstanceNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "ZeroPad2d": ("padding",), "ReflectionPad2d": ("padding",), "ReplicationPad2d": ("padding",),
    "ReLU": ("inplace",), "Sigmoid": (), "Tanh": (), "Identity": (), "GELU": ("approximate",),
    "LeakyReLU": ("negative_slope", "inplace"),
    "Softplus": ("beta", "threshold"),
    "Softmax": ("dim",),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx", "max_norm"),
    "Recurrent": ("cell", "input_size", "hidden", "layers", "bidirectional", "last_only", "nonlinearity"),
    "Reshape": ("shape",), "Add": (), "Multiply": (), "Sample": (), "Concat": ("dim",),
}
# Values the editor's layers always have: another value cannot be represented.
_FIXED: dict[str, dict[str, Any]] = {
    "Conv2d": {"dilation": 1, "padding_mode": "zeros"},
    "ConvTranspose2d": {"dilation": 1, "groups": 1, "padding_mode": "zeros"},
    "MaxPool2d": {"dilation": 1, "return_indices": False, "ceil_mode": False},
    "AvgPool2d": {"ceil_mode": False, "count_include_pad": True, "divisor_override": None},
    "Upsample": {"size": None, "align_corners": None},
    "Flatten": {"start_dim": 1, "end_dim": -1},
    "Unflatten": {"dim": 1},
    "BatchNorm1d": {"eps": 1e-5, "affine": True, "track_running_stats": True},
    "BatchNorm2d": {"eps": 1e-5, "affine": True, "track_running_stats": True},
    "LayerNorm": {"eps": 1e-5, "elementwise_affine": True, "bias": True},
    "InstanceNorm2d": {"eps": 1e-5, "track_running_stats": False},
    "GELU": {"approximate": "none"},
    "Softplus": {"threshold": 20.0},
    "Embedding": {"padding_idx": None, "max_norm": None},
}
_RECURRENT_HINT = ("returns (output, state), which a chain of layers cannot pass on; the editor's {kind} layer "
                   "is written Recurrent({kind!r}, input_size, hidden, last_only=...) in its exports")
_PARAMETER_FREE = {"ReLU", "Sigmoid", "Tanh", "Identity", "GELU", "LeakyReLU", "Softplus", "Softmax", "LogSoftmax",
                   "Flatten", "Unflatten", "Reshape", "Dropout", "Dropout2d", "MaxPool2d", "AvgPool2d", "Upsample",
                   "Add", "Multiply", "Sample", "Concat", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "ZeroPad2d", "ReflectionPad2d",
                   "ReplicationPad2d"}
_ADAPTIVE = {"AdaptiveAvgPool2d": "AvgPool2d", "AdaptiveMaxPool2d": "MaxPool2d"}
_LAYER_CLASSES = set(_SIGNATURES) | {"Sequential", "ModuleList", "RNN", "GRU", "LSTM", "Dropout2d", "LogSoftmax"} \
    | set(_ADAPTIVE)
_BUILTINS = {"range", "len", "int", "float", "min", "max", "abs", "round", "sum", "list", "tuple", "zip",
             "enumerate", "isinstance", "bool", "str", "print", "super", "OrderedDict", "reversed", "dict", "pow",
             "hasattr", "getattr", "sorted"}
_PLAIN_BUILTINS: dict[str, Callable[..., Any]] = {
    "int": int, "float": float, "abs": abs, "round": round, "bool": bool, "str": str, "min": min, "max": max,
    "sum": sum, "sorted": sorted, "pow": pow}
_FUNCTIONAL = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU", "leaky_relu": "LeakyReLU",
               "softplus": "Softplus", "softmax": "Softmax", "flatten": "Flatten", "log_softmax": "",
               "max_pool2d": "MaxPool2d", "avg_pool2d": "AvgPool2d", "dropout": "Dropout", "dropout2d": "Dropout",
               "interpolate": "Upsample", "adaptive_avg_pool2d": "", "adaptive_max_pool2d": ""}
_PADS = {"ZeroPad2d": "zeros", "ReflectionPad2d": "reflect", "ReplicationPad2d": "replicate"}
_MAKERS = {"randn", "rand", "zeros", "ones", "empty"}  # torch functions that make a tensor of sizes written out


def _prefix(kind: str) -> str:
    from playground.graph import get_kind

    return get_kind(kind).prefix
