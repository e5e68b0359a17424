"""Text that fits the room it has: whole phrases dropped from the end first, then "…", and always the whole text in
the tooltip. Never cut mid-word at the edge of a narrow dock."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QWidget

SEPARATOR = " · "


def fitted_text(text: str, metrics: QFontMetrics, width: int) -> str:
    """``text`` as it fits ``width`` pixels: whole, or without its last " · " phrases (a caption's hints come last),
    or ended in "…"."""
    if width <= 0 or metrics.horizontalAdvance(text) <= width:
        return text
    parts = text.split(SEPARATOR)
    for n in range(len(parts) - 1, 0, -1):
        shorter = SEPARATOR.join(parts[:n]).rstrip()
        if metrics.horizontalAdvance(shorter) <= width:
            return shorter
    return metrics.elidedText(parts[0], Qt.TextElideMode.ElideRight, width)


class ElidedLabel(QLabel):
    """A one-line QLabel that paints ``shown_text`` (what fits its width) and keeps ``text()`` and the tooltip
    whole, so the label never asks for more width than its dock has."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setToolTip(text)

    def setText(self, text: str) -> None:  # Qt's name
        super().setText(text)
        self.setToolTip(text)

    def shown_text(self) -> str:
        """The text as painted at the label's present width."""
        if self.wordWrap():  # a wrapping label has room for all of it, line by line
            return self.text()
        return fitted_text(self.text(), self.fontMetrics(), self.contentsRect().width())

    def paintEvent(self, event: Any) -> None:  # Qt's name
        if self.wordWrap():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        align = self.alignment() | Qt.AlignmentFlag.AlignVCenter
        self.style().drawItemText(painter, self.contentsRect(), int(align), self.palette(), self.isEnabled(),
                                  self.shown_text(), QPalette.ColorRole.WindowText)
        painter.end()
