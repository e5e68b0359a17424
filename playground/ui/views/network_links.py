"""The links of the network-of-neurons view: each one's line and weight, its pen, and how near the pointer is."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsLineItem

from playground.viz.colormaps import TF_BLUE, TF_ORANGE

NO_WEIGHT = "#b8b8b8"  # links before the first snapshot: the shape of the network, no values yet


@dataclass
class Link:
    """One drawn link: from neuron ``source`` of column ``column`` - 1 to neuron ``target`` of column ``column``
    (the output is the last column), its line and its weight (NaN until a snapshot brings one)."""

    column: int
    source: int
    target: int
    line: QGraphicsLineItem
    weight: float = float("nan")
    text: str = ""

    @property
    def color(self) -> str:
        return self.line.pen().color().name()

    @property
    def width(self) -> float:
        return float(self.line.pen().widthF())


def link_pen(weight: float, scale: float = 1.0) -> QPen:
    """Blue for a positive weight, orange for a negative one, 0.5 to 6 pixels wide with its magnitude (times
    ``scale``: between wide layers, where hundreds of links overlap, thinner)."""
    if not np.isfinite(weight):
        pen = QPen(QColor(NO_WEIGHT))
        pen.setWidthF(0.8)
    else:
        pen = QPen(QColor(TF_BLUE if weight >= 0 else TF_ORANGE))
        pen.setWidthF(0.5 + min(abs(weight), 2.75) * 2.0 * scale)
    pen.setCosmetic(True)
    return pen


def distance_to_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    d = b - a
    t = float(np.clip(np.dot(p - a, d) / max(float(np.dot(d, d)), 1e-12), 0.0, 1.0))
    return float(np.linalg.norm(p - (a + t * d)))
