"""Projections of a layer's activations to 2-D: principal components (SVD) or two chosen units."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PCA:
    """A fitted two-(or k-)component principal component basis."""

    mean: np.ndarray  # (d,)
    components: np.ndarray  # (k, d), orthonormal rows, largest variance first
    explained_variance: np.ndarray  # (k,)
    explained_ratio: np.ndarray  # (k,), fraction of the total variance

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Project (..., d) activations to (..., k)."""
        x = np.asarray(x, dtype=np.float64)
        projected: np.ndarray = (x - self.mean) @ self.components.T
        return projected


def fit_pca(x: np.ndarray, k: int = 2, previous: PCA | None = None) -> PCA:
    """Principal components of the rows of ``x`` (n, d) by SVD.

    With fewer than ``k`` dimensions the missing components are zero. ``previous`` keeps each component's sign
    pointing the same way as last time, so a live plot does not flip back and forth between snapshots.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"PCA needs a (samples, features) array, got shape {x.shape}")
    n, d = x.shape
    mean = x.mean(axis=0) if n else np.zeros(d)
    comps = np.zeros((k, d))
    var = np.zeros(k)
    total = 0.0
    if n >= 1 and d >= 1:
        centred = x - mean
        centred = np.nan_to_num(centred, nan=0.0, posinf=0.0, neginf=0.0)
        _u, s, vt = np.linalg.svd(centred, full_matrices=False)
        m = min(k, vt.shape[0])
        comps[:m] = vt[:m]
        denom = max(n - 1, 1)
        var[:m] = s[:m] ** 2 / denom
        total = float((s ** 2).sum() / denom)
    # Deterministic signs: the largest-magnitude entry of each component positive, then agree with last time.
    for i in range(k):
        row = comps[i]
        if previous is not None and previous.components.shape == comps.shape:
            dot = float(row @ previous.components[i])
            if dot < 0:
                comps[i] = -row
        elif row.size and row[np.argmax(np.abs(row))] < 0:
            comps[i] = -row
    ratio = var / total if total > 0 else np.zeros(k)
    return PCA(mean, comps, var, ratio)


def select_units(x: np.ndarray, first: int, second: int) -> np.ndarray:
    """Columns ``first`` and ``second`` of (..., d) activations as (..., 2); out-of-range units read as zero."""
    x = np.asarray(x)
    d = x.shape[-1] if x.ndim else 0
    cols = []
    for unit in (first, second):
        cols.append(x[..., unit] if 0 <= unit < d else np.zeros(x.shape[:-1], dtype=x.dtype))
    return np.stack(cols, axis=-1)


def polyline_with_breaks(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L, P, 2) polylines as one x and one y array with NaN between lines, drawable as one curve item
    (``connect='finite'``)."""
    lines = np.asarray(lines, dtype=np.float64)
    if lines.ndim != 3 or lines.shape[0] == 0:
        return np.zeros(0), np.zeros(0)
    L, P, _ = lines.shape
    out = np.full((L, P + 1, 2), np.nan)
    out[:, :P] = lines
    flat = out.reshape(-1, 2)[:-1]
    return flat[:, 0], flat[:, 1]
