"""What flows along an ONNX graph while it is read: stored tensors, shapes, the data, recurrent blocks; the
result of an import and its error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from playground.graph import Lab

from ..errors import EngineError


class OnnxImportError(EngineError):
    """The file cannot be opened as a lab; the message names the file and, where there is one, the node."""


@dataclass
class OnnxImport:
    """What an ONNX file becomes: a lab of one network, and that network's weights (compiled names)."""

    lab: Lab
    weights: dict[str, dict[str, torch.Tensor]]
    notes: list[str] = field(default_factory=list)

    @property
    def network(self) -> str:
        return self.lab.networks[0].name


# Values flowing along the ONNX graph ---------------------------------------------------------------------------


@dataclass
class _Const:
    array: np.ndarray


@dataclass
class _Aux:
    """A value that is not data: a shape, a size or anything computed from them."""

    op: str


@dataclass
class _Data:
    """A batch-first tensor: the output of the layer ``node``."""

    node: str


@dataclass
class _Unusable:
    why: str


@dataclass
class _Rec:
    """A recurrent layer being read: one ONNX operator per stacked layer."""

    kind: str
    hidden: int
    dirs: int
    source: str  # the layer whose output it reads
    name: str
    onnx_name: str
    nonlinearity: str = "tanh"
    layers: list[dict[str, np.ndarray]] = field(default_factory=list)
    drawn: dict[bool, str] = field(default_factory=dict)  # last-only? -> the layer drawn for that output


Axes = tuple[tuple[str, ...], ...]


@dataclass
class _Seq:
    """A tensor inside a recurrent block, its axes described by what they hold: B batch, T steps, D directions,
    H hidden units, F input features; an axis of () has size 1. ``rec`` is None for the input of a first layer."""

    rec: _Rec | None
    source: str
    axes: Axes
    last: bool = False  # the steps were reduced to the last one
    final_state: bool = False  # it is the final hidden state (Y_h), not the outputs


Value = _Const | _Aux | _Data | _Seq | _Unusable


@dataclass
class _Layer:
    name: str
    kind: str
    params: dict[str, Any]
    sources: list[str]


def _text(value: Any) -> Any:
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value.decode() if isinstance(value, bytes) else value


def _tensor(array: np.ndarray) -> torch.Tensor:
    a = np.asarray(array)
    dtype = np.float32 if a.dtype.kind == "f" else a.dtype
    return torch.from_numpy(np.ascontiguousarray(a, dtype=dtype).copy())
