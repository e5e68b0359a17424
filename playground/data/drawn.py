"""Points a student draws on the 2-D plane: kept in the lab as plain JSON, added to the training set.

In a lab they are ``dataset.options["drawn"]``: a list of ``[x, y, value]``, where value is a class index for a
classification set and a target in [-1, 1] for a regression set. Everything here checks that list, so a hand-edited
lab file gets one clear message that names the point and what is wrong with it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from playground.data.errors import DataError

#: How many points a lab may hold (a drag paints a few per stroke; this is far more than a lesson needs).
MAX_DRAWN = 5000
#: The plane's half width: a point must lie on the plane the views draw.
EXTENT = 6.0
OPTION = "drawn"


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))


def parse_drawn(value: Any, kind: str, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """``options["drawn"]`` as (points float64 (N, 2), labels): int64 (N,) classes or float32 (N, 1) targets."""
    if value is None:
        value = []
    if not isinstance(value, (list, tuple)):
        raise DataError(f"dataset.options.drawn must be a list of [x, y, value] points. Received: {value!r}"[:200])
    if len(value) > MAX_DRAWN:
        raise DataError(f"dataset.options.drawn holds {len(value)} points; a lab keeps at most {MAX_DRAWN}")
    points = np.zeros((len(value), 2), dtype=np.float64)
    targets = np.zeros(len(value), dtype=np.float64)
    for i, item in enumerate(value):
        where = f"dataset.options.drawn point #{i + 1}"
        if not isinstance(item, (list, tuple)) or len(item) != 3 or not all(_number(v) for v in item):
            raise DataError(f"{where} must be [x, y, value], three numbers. Received: {item!r}"[:200])
        x, y, v = (float(t) for t in item)
        if abs(x) > EXTENT or abs(y) > EXTENT:
            raise DataError(f"{where} ({x:g}, {y:g}) lies off the plane (both coordinates from {-EXTENT:g} to "
                            f"{EXTENT:g})")
        if kind == "classification":
            if v != int(v) or not 0 <= v < max(classes, 1):
                raise DataError(f"{where}: the class must be a whole number from 0 to {classes - 1}. "
                                f"Received: {item[2]!r}")
        elif not -1.0 <= v <= 1.0:
            raise DataError(f"{where}: the value must be from -1 to 1. Received: {item[2]!r}")
        points[i] = (x, y)
        targets[i] = v
    if kind == "classification":
        return points, targets.astype(np.int64)
    return points, targets.astype(np.float32).reshape(-1, 1)


def drawn_list(points: np.ndarray, labels: np.ndarray) -> list[list[float]]:
    """The JSON form of drawn points (rounded to 1e-4: a pixel of the plane is about 0.02 units)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    vals = np.asarray(labels, dtype=np.float64).reshape(len(pts), -1)[:, 0] if len(pts) else np.zeros(0)
    return [[round(float(x), 4), round(float(y), 4), int(v) if float(v).is_integer() else round(float(v), 4)]
            for (x, y), v in zip(pts, vals)]


def erase_near(drawn: list[list[float]], x: float, y: float, radius: float) -> list[list[float]]:
    """The drawn points farther than ``radius`` from (x, y)."""
    return [p for p in drawn if math.hypot(p[0] - x, p[1] - y) > radius]
