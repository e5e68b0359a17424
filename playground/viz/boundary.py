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


def class_regions(probabilities: np.ndarray, colors: np.ndarray, discrete: bool = False) -> np.ndarray:
    """Paint a multi-class output: (R, R, K) class probabilities -> (R, R, 4) uint8 RGBA.

    Each spot mixes the class colours (``colors``: (K, 3) RGB) by their probabilities and fades towards white as
    the network grows unsure (the top probability falls towards 1/K), so confident regions are strong, the borders
    between them pale, as in the two-class view. ``discrete`` paints the top class at one strength instead: the
    exact decision regions.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 3 or p.shape[2] < 2:
        raise ValueError(f"class_regions needs (R, R, K) probabilities with K >= 2, got shape {p.shape}")
    k = p.shape[2]
    rgb = np.asarray(colors, dtype=np.float64)[:k, :3]
    if len(rgb) < k:
        raise ValueError(f"class_regions needs a colour for each of the {k} classes, got {len(rgb)}")
    p = np.nan_to_num(p, nan=1.0 / k)
    white = np.array([255.0, 255.0, 255.0])
    if discrete:
        mix = rgb[p.argmax(axis=2)]
        strength = np.full(p.shape[:2] + (1,), 0.6)
    else:
        mix = p @ rgb
        top = p.max(axis=2, keepdims=True)
        strength = 0.15 + 0.6 * np.clip((top - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)
    out = np.empty(p.shape[:2] + (4,), dtype=np.uint8)
    out[..., :3] = np.rint(white + (mix - white) * strength).astype(np.uint8)
    out[..., 3] = 255
    return out
