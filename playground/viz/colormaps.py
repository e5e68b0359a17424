"""Colour lookup tables for the views, as plain (n, 4) uint8 RGBA arrays that pyqtgraph's ``setLookupTable`` takes.

The diverging table is TensorFlow Playground's: orange for class 0 (or -1), a near-white middle for "undecided",
blue for class 1 (or +1). Keeping the same colours means what a learner saw there reads the same here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TF_ORANGE = "#f59322"
TF_WHITE = "#e8eaeb"  # TF Playground's middle: a hair off white, so white-outlined points still show on it
TF_BLUE = "#0877bd"

# Distinct, colour-blind-aware curve colours (Okabe-Ito, then Tableau) for one line per layer.
CURVE_COLORS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
                "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1")


def hex_to_rgba(color: str, alpha: int = 255) -> tuple[int, int, int, int]:
    c = color.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"Expected a colour like '#f59322', got '{color}'")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), alpha


def interpolated_lut(stops: Sequence[str], n: int = 256) -> np.ndarray:
    """A table of ``n`` colours running linearly (in RGB) through evenly spaced hex ``stops``."""
    if len(stops) < 2 or n < 2:
        raise ValueError("A colour table needs at least two stops and two entries")
    rgb = np.array([hex_to_rgba(s)[:3] for s in stops], dtype=np.float64)
    at = np.linspace(0.0, 1.0, len(stops))
    x = np.linspace(0.0, 1.0, n)
    out = np.empty((n, 4), dtype=np.uint8)
    for ch in range(3):
        out[:, ch] = np.round(np.interp(x, at, rgb[:, ch])).astype(np.uint8)
    out[:, 3] = 255
    return out


def diverging_lut(n: int = 256) -> np.ndarray:
    """Orange (low) - white - blue (high), TF Playground's output colours."""
    return interpolated_lut((TF_ORANGE, TF_WHITE, TF_BLUE), n)


def lightened(lut: np.ndarray, amount: float) -> np.ndarray:
    """``lut`` mixed with white by ``amount`` (0: unchanged, 1: white), alpha kept."""
    out = np.asarray(lut, dtype=np.uint8).copy()
    rgb = out[:, :3].astype(np.float64)
    out[:, :3] = np.round(rgb + (255.0 - rgb) * float(np.clip(amount, 0.0, 1.0))).astype(np.uint8)
    return out


# How much paler a background under points is than the points themselves: a sure region stays clearly orange or
# blue, yet a point of either class keeps its own colour visible on it (TF Playground pales its output the same way).
BACKGROUND_LIGHTEN = 0.4


def boundary_lut(n: int = 256) -> np.ndarray:
    """The diverging colours, paler, for a picture that points are drawn over."""
    return lightened(diverging_lut(n), BACKGROUND_LIGHTEN)


def sequential_lut(n: int = 256) -> np.ndarray:
    """Light to dark blue, for magnitudes (no sign to show)."""
    return interpolated_lut(("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"), n)


def map_values(values: np.ndarray, lut: np.ndarray, low: float, high: float) -> np.ndarray:
    """Colours (…, 4) uint8 of ``values`` under ``lut``, ``low``..``high`` spanning the table; NaN -> transparent."""
    v = np.asarray(values, dtype=np.float64)
    span = high - low if high != low else 1.0
    t = np.clip((v - low) / span, 0.0, 1.0)
    finite = np.isfinite(t)
    idx = np.where(finite, np.round(np.nan_to_num(t) * (len(lut) - 1)), 0).astype(np.int64)
    out = lut[idx].copy()
    out[~finite] = 0
    return out


# Classes 2 to 4 of the multi-class 2-D sets: green, purple, red (the data package's thumbnails use the same).
CLASS_COLORS = (TF_ORANGE, TF_BLUE, "#2ca02c", "#8e44ad", "#d62728")


def class_color(index: int) -> str:
    """Class 0 orange and class 1 blue (as in the boundary), then green, purple and red (distinct from both and
    from each other), further classes from the curve palette."""
    if 0 <= index < len(CLASS_COLORS):
        return CLASS_COLORS[index]
    return CURVE_COLORS[(index - len(CLASS_COLORS)) % len(CURVE_COLORS)]


def curve_color(index: int) -> str:
    return CURVE_COLORS[index % len(CURVE_COLORS)]
