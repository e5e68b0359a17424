"""The texts of the network-of-neurons view, which keep their size in pixels while the drawing scales: the column
headers and how much room each has."""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QRectF

HEADER_GAP = 3  # pixels kept free between the letters of two column headers


@dataclass
class ColumnHeader:
    """The text above one column: ``lines`` in full (the units, the activation), centred at scene ``x``, in row
    ``row`` from the bottom (1: above row 0, when neighbours would overprint each other in one row)."""

    item: pg.TextItem
    x: float
    lines: tuple[str, ...]
    row: int = 0

    @property
    def full_text(self) -> str:
        return "\n".join(self.lines)

    @property
    def shown_text(self) -> str:
        return str(self.item.toPlainText())


def text_box(item: pg.TextItem) -> QRectF:
    """A text's box in pixels (its size on screen at any zoom)."""
    box: QRectF = item.textItem.boundingRect()
    return box


def header_rooms(xs: list[float], rows: list[int], widths: list[float], scale: float, x0: float,
                 x1: float) -> list[float]:
    """How many pixels wide each header, centred at scene ``xs`` and ``widths`` pixels wide in full, may be: the
    free way to its nearest neighbour in the same row on each side is shared in proportion to their widths (a
    short "8" beside "Input" leaves it the most), within the view's edges ``x0`` and ``x1``."""
    rooms = []
    for i, (x, row, width) in enumerate(zip(xs, rows, widths)):
        half = [(x - x0) * scale, (x1 - x) * scale]
        for j, (other, r, w) in enumerate(zip(xs, rows, widths)):
            if j == i or r != row or other == x:
                continue
            share = (abs(other - x) * scale - HEADER_GAP) * width / max(width + w, 1e-6)
            side = 0 if other < x else 1
            half[side] = min(half[side], share)
        rooms.append(max(1.0, 2 * min(half)))
    return rooms
