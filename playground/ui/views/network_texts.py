"""The texts of the network-of-neurons view, which keep their size in pixels while the drawing scales: the column
headers and how much room each has."""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QRectF

HEADER_GAP = 6  # pixels kept free between two column headers


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


def header_rooms(xs: list[float], rows: list[int], scale: float, x0: float, x1: float) -> list[float]:
    """How many pixels wide each header, centred at scene ``xs``, may be: the way to its nearest neighbour in the
    same row (half of it each side), within the view's edges ``x0`` and ``x1``."""
    rooms = []
    for i, (x, row) in enumerate(zip(xs, rows)):
        near = [abs(x - other) for j, (other, r) in enumerate(zip(xs, rows)) if j != i and r == row]
        room = min([*near, 2 * (x - x0), 2 * (x1 - x)]) * scale - HEADER_GAP
        rooms.append(max(1.0, room))
    return rooms
