"""Numbers derived from a confusion matrix (rows = true class, columns = predicted class)."""

from __future__ import annotations

import numpy as np


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """For each true class, the share of its samples predicted right (NaN for a class with no samples)."""
    m = np.asarray(matrix, dtype=np.float64)
    totals = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(m) / np.where(totals > 0, totals, 1), np.nan)


def overall_accuracy(matrix: np.ndarray) -> float:
    m = np.asarray(matrix, dtype=np.float64)
    total = m.sum()
    return float(np.trace(m) / total) if total > 0 else float("nan")


def most_confused(matrix: np.ndarray, count: int = 3) -> list[tuple[int, int, int]]:
    """The largest off-diagonal cells as (true, predicted, count), largest first, zeros left out."""
    m = np.asarray(matrix, dtype=np.int64).copy()
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        return []
    np.fill_diagonal(m, 0)
    order = np.argsort(m, axis=None)[::-1][:count]
    out = []
    for flat in order:
        t, p = divmod(int(flat), m.shape[1])
        if m[t, p] > 0:
            out.append((t, p, int(m[t, p])))
    return out
