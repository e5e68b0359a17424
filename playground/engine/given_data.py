"""A dataset written into the lab itself: a handful of given samples, as in a worked example of the course.

``{"name": "given", "features": [...], "options": {"inputs": [[x, ...], ...], "targets": [[y, ...], ...]}}``, a
regression; every sample is both trained on and tested (there are too few to hold any back).
"""

from __future__ import annotations

import math

import numpy as np

from playground.graph import DatasetSettings
from playground.graph.errors import shown

from .datasets import DataBundle, register_loader
from .errors import EngineError

GIVEN = "given"
MAX_GIVEN = 1000


def _rows(value: object, key: str) -> np.ndarray:
    ok = isinstance(value, list) and 0 < len(value) <= MAX_GIVEN and all(
        isinstance(row, list) and row and len(row) == len(value[0])
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in row)
        for row in value)
    if not ok:
        raise EngineError(f"dataset.options.{key} must be a list of up to {MAX_GIVEN} rows of numbers, all as long "
                          f"(received: {key}={shown(value)})", field="dataset")
    return np.asarray(value, dtype=np.float32)


def load_given(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
    x = _rows(settings.options.get("inputs"), "inputs")
    y = _rows(settings.options.get("targets"), "targets")
    if len(x) != len(y):
        raise EngineError(f"dataset.options has {len(x)} inputs but {len(y)} targets", field="dataset")
    features = list(settings.features) if len(settings.features) == x.shape[1] else \
        [f"x{i + 1}" for i in range(x.shape[1])]
    return DataBundle(name=GIVEN, kind="regression", x_train=x, y_train=y, x_test=x.copy(), y_test=y.copy(),
                      features=features)


register_loader(GIVEN, load_given)
