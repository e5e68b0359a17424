"""Records of networks over a 2-D input plane or a 1-D function."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .records import Record


@dataclass(frozen=True)
class DecisionBoundary(Record):
    """The output over the input plane, (R, R) float32, row 0 at the bottom: P(class 1) for two classes, the
    predicted class for more, the value for a regression. With more than two classes also ``probabilities``
    (R, R, K), which the view mixes into class colours."""

    probe = "boundary"
    values: np.ndarray
    probabilities: np.ndarray | None = None


@dataclass(frozen=True)
class Neurons(Record):
    """Each hidden layer's units over the plane: layer -> (units, r, r) float32, in network order."""

    probe = "neurons"
    layers: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class HiddenLayer:
    """One layer's view of the data: the training points, (N, units), and grid lines, (L, P, units), the first
    half of the L lines horizontal."""

    points: np.ndarray
    lines: np.ndarray


@dataclass(frozen=True)
class HiddenSpace(Record):
    """The hidden space of the layers asked for (probe ``hidden:<layer>``): layer -> HiddenLayer."""

    probe = "hidden"
    layers: Mapping[str, HiddenLayer]

    def __post_init__(self) -> None:
        super().__post_init__()
        for layer in self.layers.values():
            layer.points.setflags(write=False)
            layer.lines.setflags(write=False)

    def merged(self, newer: Record) -> Record:
        assert isinstance(newer, HiddenSpace)
        return HiddenSpace({**self.layers, **newer.layers})


@dataclass(frozen=True)
class FunctionFit(Record):
    """A 1-D fit: the prediction and the true f over ``x`` (G,), the training points, the function's index in
    the data's list; when the last layer is a Dense with one output, each hidden unit's contribution (H, G),
    whose sum plus ``bias`` is the prediction."""

    probe = "function"
    x: np.ndarray
    prediction: np.ndarray
    target: np.ndarray
    function_index: int
    train_x: np.ndarray
    train_y: np.ndarray
    contributions: np.ndarray | None = None
    bias: float | None = None
