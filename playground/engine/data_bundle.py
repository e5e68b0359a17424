"""The arrays a lab trains on, as the engine hands them around: a data set's loader makes one, the tasks, probes
and trainer read it. Its own module so that the loaders of your own data (``own_data``) and the built-in ones
(``datasets``, which registers them) both build on it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class DataBundle:
    """Train and test arrays for one lab, and what views need to draw them."""

    name: str
    kind: str  # "classification", "regression" or "samples" (unlabelled points, for a GAN)
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int = 0
    class_names: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    points_train: np.ndarray | None = None  # raw 2-D points, for the plane views
    points_test: np.ndarray | None = None
    grid_resolution: int = 0
    grid_extent: float = 6.0
    grid_inputs: np.ndarray | None = None  # the input plane's grid, already turned into features
    x_val: np.ndarray | None = None  # a validation split, when the data set has one (early stopping watches it)
    y_val: np.ndarray | None = None
    function: str = ""  # for a 1-D function set, the f it samples (the fit view draws it)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def is_plane(self) -> bool:
        return self.grid_inputs is not None

    @property
    def target_width(self) -> int:
        return 1 if self.y_train.ndim == 1 else int(self.y_train.shape[1])
