"""Histograms of weights for the weights view: counts and edges ready for a step plot."""

from __future__ import annotations

import numpy as np


def histogram(values: np.ndarray, bins: int = 40, symmetric: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Counts (``bins``,) and edges (``bins + 1``,) of the finite entries of ``values``.

    ``symmetric`` centres the range on zero, so a weight distribution's drift off zero shows as lopsided bars.
    An empty or all-NaN input gives zero counts over [-1, 1].
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.zeros(bins, dtype=np.int64), np.linspace(-1.0, 1.0, bins + 1)
    if symmetric:
        m = float(np.abs(v).max()) or 1.0
        lo, hi = -m, m
    else:
        lo, hi = float(v.min()), float(v.max())
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    return counts.astype(np.int64), edges


def symmetric_levels(values: np.ndarray) -> tuple[float, float]:
    """(-m, m) with m the largest finite magnitude, so zero is always the colour table's middle."""
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    m = float(np.abs(finite).max()) if finite.size else 0.0
    m = m if m > 0 else 1.0
    return -m, m


def weight_matrix_2d(weight: np.ndarray) -> np.ndarray:
    """A weight tensor as one 2-D matrix for a heatmap: Dense (out, in) as is; conv (out, in, k, k) as
    (out, in * k * k) rows, one row per output channel; anything else flattened into one row."""
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim == 2:
        return w
    if w.ndim == 0:
        return w.reshape(1, 1)
    if w.ndim == 1:
        return w.reshape(1, -1)
    return w.reshape(w.shape[0], -1)
