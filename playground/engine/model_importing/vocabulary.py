"""The torch names the importer knows: signatures of the ``nn`` layers in positional order (from each kind's import
pattern in :mod:`playground.compile.kinds`), the constructors forward treats itself, the functional calls with a
layer, the builtins the interpreter follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playground.compile.kinds import FUNCTIONAL, HELPER_NAMES, PATTERNS, STATEFUL_PATTERNS

from .steps import CELL_SIGNATURES

HELPERS = HELPER_NAMES  # the classes the playground's own exports define
# Signatures of the torch.nn classes (and the playground's helpers) the editor knows, in positional order: each kind's
# import pattern says them.
_SIGNATURES: dict[str, tuple[str, ...]] = {name: p.signature for name, p in PATTERNS.items()}
# Constructors forward treats itself rather than as one layer of a chain: the bare recurrent classes return
# (output, state); a cell runs one time step of a loop; a 2-D dropout is a Dropout; a log-softmax closes a
# classifier; an adaptive pool is a pool whose window depends on the image arriving.
_ROUTED: dict[str, tuple[str, ...]] = {
    **{name: p.signature for name, p in STATEFUL_PATTERNS.items()}, **CELL_SIGNATURES,
    "Dropout2d": ("p", "inplace"), "LogSoftmax": ("dim",), "AdaptiveAvgPool2d": ("output_size",),
    "AdaptiveMaxPool2d": ("output_size", "return_indices")}
_RECURRENT_HINT = ("returns (output, state), which a chain of layers cannot pass on; the editor's {kind} layer "
                   "is written Recurrent({kind!r}, input_size, hidden, last_only=...) in its exports")
_PARAMETER_FREE = {"ReLU", "Sigmoid", "Tanh", "Identity", "GELU", "LeakyReLU", "Softplus", "Softmax", "LogSoftmax",
                   "Flatten", "Unflatten", "Reshape", "Dropout", "Dropout2d", "MaxPool2d", "AvgPool2d", "Upsample",
                   "PixelShuffle", "Add", "Multiply", "Sample", "Concat", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
                   "ZeroPad2d", "ReflectionPad2d", "ReplicationPad2d"}
_ADAPTIVE = {"AdaptiveAvgPool2d": "AvgPool2d", "AdaptiveMaxPool2d": "MaxPool2d"}
_LAYER_CLASSES = set(_SIGNATURES) | {"Sequential", "ModuleList"} | set(_ROUTED)
_BUILTINS = {"range", "len", "int", "float", "min", "max", "abs", "round", "sum", "list", "tuple", "zip",
             "enumerate", "isinstance", "bool", "str", "print", "super", "OrderedDict", "reversed", "dict", "pow",
             "hasattr", "getattr", "sorted"}
_PLAIN_BUILTINS: dict[str, Callable[..., Any]] = {
    "int": int, "float": float, "abs": abs, "round": round, "bool": bool, "str": str, "min": min, "max": max,
    "sum": sum, "sorted": sorted, "pow": pow}
# Functional calls with a layer: each layer's import pattern names its functional forms; the rest forward treats
# itself (a log-softmax closes a classifier, an adaptive pool's window depends on the image arriving).
_FUNCTIONAL = {name: p.name for name, p in FUNCTIONAL.items()} | {
    "log_softmax": "", "adaptive_avg_pool2d": "", "adaptive_max_pool2d": ""}
_MAKERS = {"randn", "rand", "zeros", "ones", "empty"}  # torch functions that make a tensor of sizes written out


def _prefix(kind: str) -> str:
    from playground.graph import get_kind

    return get_kind(kind).prefix
