"""Turning a model's output over the plane into what the boundary view paints."""

from __future__ import annotations

import numpy as np


def output_levels(task: str) -> tuple[float, float]:
    """Fixed colour levels: probabilities span [0, 1]; regression values [-1, 1] (the toy targets' range).
    Fixed, not per-image, so a colour means the same thing in every frame."""
    return (0.0, 1.0) if task == "classification" else (-1.0, 1.0)


def discretize(values: np.ndarray, task: str) -> np.ndarray:
    """Hard decisions: P(class 1) >= 0.5 -> 1 else 0 for classification; the sign (-1, 0, +1) for regression."""
    v = np.asarray(values, dtype=np.float32)
    if task == "classification":
        return (v >= 0.5).astype(np.float32)
    return np.sign(v).astype(np.float32)


def normalize_layer(stack: np.ndarray, min_scale: float = 1.0) -> np.ndarray:
    """Scale a layer's unit images into [-1, 1] for the diverging colours.

    Bounded activations (tanh, sigmoid) keep their own scale, like TF Playground; unbounded ones (ReLU) are divided
    by the layer's largest magnitude so they do not all saturate to one colour.
    """
    s = np.asarray(stack, dtype=np.float32)
    finite = s[np.isfinite(s)]
    m = float(np.abs(finite).max()) if finite.size else 0.0
    return s / max(m, min_scale)
