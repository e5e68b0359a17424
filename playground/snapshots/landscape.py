"""Records of cost surfaces and optimizer paths: what the loss-landscape and optimizer-race views draw.

Frozen dataclasses of read-only numpy arrays and plain numbers, so a record computed on a worker thread can be
handed to the GUI thread and kept there without anyone changing it under the view's feet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def frozen_array(values: object, dtype: type = np.float64) -> np.ndarray:
    """A private read-only copy: records are shared between threads and views."""
    a: np.ndarray = np.array(values, dtype=dtype, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class CostCurve:
    """The exact cost of a one-parameter model over a range of its weight, and an optimizer's path on it.

    ``losses[i]`` is the cost at ``weights[i]``; the path visits ``path_weights[k]`` (k = 0 is the start) with
    cost ``path_losses[k]``. ``minimum`` is the weight of the lowest cost on the grid."""

    title: str
    weight_label: str
    weights: np.ndarray
    losses: np.ndarray
    path_weights: np.ndarray
    path_losses: np.ndarray
    learning_rate: float
    minimum: float
    convex: bool
    note: str = ""


@dataclass(frozen=True)
class LossSurface:
    """A loss over a 2-D grid, with a path drawn on it.

    ``losses[j, i]`` is the loss at (``xs[i]``, ``ys[j]``) (rows are y, as an image is drawn). ``kind`` is
    "exact" (a two-parameter model, the axes are its weights), "random" (a slice through a network's weights along
    two filter-normalised random directions; the axes are the step sizes α and β along them), "pca" (the plane of
    the run's two principal directions; ``explained`` holds the share of the weight history's variance along each)
    or "function" (a 2-D test function). ``centre`` is where the weights are now (the origin of a slice)."""

    title: str
    kind: str
    x_label: str
    y_label: str
    xs: np.ndarray
    ys: np.ndarray
    losses: np.ndarray
    path: np.ndarray = field(default_factory=lambda: frozen_array(np.zeros((0, 2))))
    path_losses: np.ndarray = field(default_factory=lambda: frozen_array(np.zeros(0)))
    centre: tuple[float, float] = (0.0, 0.0)
    explained: tuple[float, float] = (0.0, 0.0)
    minimum: tuple[float, float] | None = None
    convex: bool = False
    learning_rate: float = 0.0
    log_scale: bool = False  # colours and contours follow log(loss): the surface spans many orders of magnitude
    note: str = ""

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(x min, x max, y min, y max) of the grid."""
        return float(self.xs[0]), float(self.xs[-1]), float(self.ys[0]), float(self.ys[-1])


@dataclass(frozen=True)
class OptimizerPath:
    """One optimizer's run: ``points[k]`` after k steps (k = 0 the start) with loss ``losses[k]``. A run that blew
    up stops at its last finite point and says so in ``diverged``."""

    name: str
    title: str
    learning_rate: float
    points: np.ndarray
    losses: np.ndarray
    diverged: bool = False

    @property
    def steps(self) -> int:
        return max(0, len(self.points) - 1)


@dataclass(frozen=True)
class OptimizerRace:
    """Several optimizers from the same start on the same surface (``surface.path`` is empty)."""

    function: str
    surface: LossSurface
    paths: tuple[OptimizerPath, ...]
    start: tuple[float, float]
    momentum: float
    steps: int

    def path(self, name: str) -> OptimizerPath:
        for p in self.paths:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True)
class LandscapeReport:
    """What the landscape window shows for the open lab at one moment: the network's slice (and race on it), or
    the reason there is none, plus the step the weights come from."""

    surface: LossSurface | None
    race: OptimizerRace | None
    step: int
    message: str = ""
