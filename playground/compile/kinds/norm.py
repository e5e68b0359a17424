"""Dropout and the normalizations, whose torch class depends on the shape arriving (a vector or an image)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from playground.graph import Shape

from .base import CodeWriter, Imported, ImportPattern, KindHome, Params, PatternError, first

_NORM_SIGNATURE = ("num_features", "eps", "momentum", "affine", "track_running_stats")
_BATCH_FIXED = {"eps": 1e-5, "affine": True, "track_running_stats": True}

DROPOUT = KindHome(
    "Dropout", lambda p, inputs: nn.Dropout(p["p"]),
    (CodeWriter(nn.Dropout, lambda m: f"nn.Dropout(p={m.p!r})"),),
    (ImportPattern("Dropout", ("p", "inplace"), lambda a: Imported("Dropout", {"p": float(a.get("p", 0.5))}),
                   functional=("dropout", "dropout2d"), functional_signature=("p", "training", "inplace")),),
    eval_identity=True,
)


def _batchnorm(p: Params, inputs: Sequence[Shape]) -> nn.Module:
    shape = first(inputs)
    if shape.rank == 3:
        return nn.BatchNorm2d(shape.dims[0], momentum=p["momentum"])
    return nn.BatchNorm1d(shape.dims[0], momentum=p["momentum"])


def _read_batchnorm(rank: int, a: dict[str, Any]) -> Imported:
    n = a["num_features"]
    momentum = a.get("momentum", 0.1)
    if momentum is None:
        raise PatternError("BatchNorm with momentum=None (a cumulative average) cannot be drawn")
    return Imported("BatchNorm", {"momentum": float(momentum)},
                    expects=lambda s: None if s.rank == rank and s.dims[0] == n else
                    f"expects {n} features{' (an image)' if rank == 3 else ''} but receives {s.describe()}",
                    size=n, image=rank == 3)


def _batchnorm_writer(module: type[nn.BatchNorm1d | nn.BatchNorm2d]) -> CodeWriter:
    return CodeWriter(module, lambda m: f"nn.{module.__name__}({m.num_features}, momentum={m.momentum!r})")


BATCHNORM = KindHome(
    "BatchNorm", _batchnorm,
    (_batchnorm_writer(nn.BatchNorm1d), _batchnorm_writer(nn.BatchNorm2d)),
    (ImportPattern("BatchNorm1d", _NORM_SIGNATURE, lambda a: _read_batchnorm(1, a), _BATCH_FIXED),
     ImportPattern("BatchNorm2d", _NORM_SIGNATURE, lambda a: _read_batchnorm(3, a), _BATCH_FIXED)),
)


def _read_instancenorm(a: dict[str, Any]) -> Imported:
    n_channels = a["num_features"]
    return Imported("InstanceNorm", {"affine": bool(a.get("affine", False))},
                    expects=lambda s: None if s.rank == 3 and s.dims[0] == n_channels else
                    f"expects {n_channels} channels (an image) but receives {s.describe()}",
                    size=n_channels, image=True)


INSTANCENORM = KindHome(
    "InstanceNorm", lambda p, inputs: nn.InstanceNorm2d(first(inputs).dims[0], affine=p["affine"]),
    (CodeWriter(nn.InstanceNorm2d, lambda m: f"nn.InstanceNorm2d({m.num_features}, affine={m.affine})"),),
    (ImportPattern("InstanceNorm2d", _NORM_SIGNATURE, _read_instancenorm,
                   {"eps": 1e-5, "track_running_stats": False}),),
)


def _read_groupnorm(a: dict[str, Any]) -> Imported:
    groups, n_channels = a["num_groups"], a["num_channels"]
    return Imported("GroupNorm", {"groups": int(groups), "affine": bool(a.get("affine", True))},
                    expects=lambda s: None if s.rank == 3 and s.dims[0] == n_channels else
                    f"expects {n_channels} channels (an image) but receives {s.describe()}",
                    size=n_channels, image=True)


GROUPNORM = KindHome(
    "GroupNorm", lambda p, inputs: nn.GroupNorm(p["groups"], first(inputs).dims[0], affine=p["affine"]),
    (CodeWriter(nn.GroupNorm, lambda m: f"nn.GroupNorm({m.num_groups}, {m.num_channels}, affine={m.affine})"),),
    (ImportPattern("GroupNorm", ("num_groups", "num_channels", "eps", "affine", "device", "dtype"),
                   _read_groupnorm, {"eps": 1e-5}),),
)


def _layernorm(p: Params, inputs: Sequence[Shape]) -> nn.Module:
    shape = first(inputs)
    return nn.LayerNorm(list(shape.dims) if shape.rank == 3 else shape.dims[-1])


def _layernorm_code(m: nn.LayerNorm) -> str:
    shape = list(m.normalized_shape)
    return f"nn.LayerNorm({shape if len(shape) > 1 else shape[0]})"


def _read_layernorm(a: dict[str, Any]) -> Imported:
    given = a["normalized_shape"]
    shape = list(given) if isinstance(given, (tuple, list)) else [given]

    def layer_norm(s: Shape) -> str | None:
        own = list(s.dims) if s.rank == 3 else [s.dims[-1]]
        return None if own == shape else f"normalizes over {shape} but the editor's LayerNorm over {own}"

    return Imported("LayerNorm", {}, expects=layer_norm)


LAYERNORM = KindHome(
    "LayerNorm", _layernorm, (CodeWriter(nn.LayerNorm, _layernorm_code),),
    (ImportPattern("LayerNorm", ("normalized_shape", "eps", "elementwise_affine", "bias"), _read_layernorm,
                   {"eps": 1e-5, "elementwise_affine": True, "bias": True}),),
)

HOMES = (DROPOUT, BATCHNORM, INSTANCENORM, GROUPNORM, LAYERNORM)
