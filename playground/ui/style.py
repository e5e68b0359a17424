"""Colours and icons shared by the palette and the canvas, drawn with QPainter so no image files are needed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

CATEGORY_COLORS: dict[str, str] = {
    "Inputs": "#2e7d9a",
    "Dense": "#3f6fb5",
    "Convolution": "#7b52ab",
    "Pooling": "#8e6bbf",
    "Recurrent": "#b5651d",
    "Normalization & regularization": "#5f7f3a",
    "Activations": "#c0822b",
    "Shape": "#607080",
    "Merge": "#a04870",
    "Outputs": "#2f8f5f",
}

PROBLEM_COLOR = "#d32f2f"
APP_ICON_PATH = Path(__file__).resolve().parents[1] / "resources" / "icons" / "app.svg"


def category_color(category: str) -> QColor:
    return QColor(CATEGORY_COLORS.get(category, "#607080"))


def _glyph(p: QPainter, category: str, r: QRectF) -> None:
    """A tiny picture of what the category does, drawn in white on its colour."""
    p.setPen(QPen(QColor("white"), 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    p.setBrush(Qt.BrushStyle.NoBrush)
    cx, cy, w, h = r.center().x(), r.center().y(), r.width(), r.height()
    if category == "Inputs":
        p.drawLine(QPointF(r.left() + 3, cy), QPointF(r.right() - 4, cy))
        p.drawPolyline(QPolygonF([QPointF(cx, cy - 4), QPointF(r.right() - 4, cy), QPointF(cx, cy + 4)]))
    elif category == "Outputs":
        p.drawLine(QPointF(r.left() + 4, cy), QPointF(r.right() - 3, cy))
        p.drawLine(QPointF(r.right() - 3, cy - 5), QPointF(r.right() - 3, cy + 5))
    elif category == "Dense":
        for y1 in (cy - 4, cy + 4):
            for y2 in (cy - 5, cy, cy + 5):
                p.drawLine(QPointF(r.left() + 4, y1), QPointF(r.right() - 4, y2))
    elif category in ("Convolution", "Pooling"):
        s = w * 0.22
        for i in range(3):
            p.drawRect(QRectF(r.left() + 3 + i * s * 0.6, r.top() + 3 + i * s * 0.6, w - 8 - s, h - 8 - s))
    elif category == "Recurrent":
        p.drawArc(QRectF(cx - 5, cy - 5, 10, 10), 30 * 16, 300 * 16)
        p.drawLine(QPointF(cx + 4, cy - 3), QPointF(cx + 6, cy - 6))
    elif category == "Normalization & regularization":
        path = QPainterPath(QPointF(r.left() + 3, r.bottom() - 4))
        path.cubicTo(QPointF(cx - 3, r.bottom() - 4), QPointF(cx - 3, r.top() + 3), QPointF(cx, r.top() + 3))
        path.cubicTo(QPointF(cx + 3, r.top() + 3), QPointF(cx + 3, r.bottom() - 4),
                     QPointF(r.right() - 3, r.bottom() - 4))
        p.drawPath(path)
    elif category == "Activations":
        p.drawPolyline(QPolygonF([QPointF(r.left() + 3, cy + 3), QPointF(cx, cy + 3),
                                  QPointF(r.right() - 3, r.top() + 3)]))
    elif category == "Merge":
        p.drawLine(QPointF(r.left() + 3, cy - 5), QPointF(cx, cy))
        p.drawLine(QPointF(r.left() + 3, cy + 5), QPointF(cx, cy))
        p.drawLine(QPointF(cx, cy), QPointF(r.right() - 3, cy))
    else:  # Shape
        p.drawRect(QRectF(r.left() + 3, cy - 2, w - 6, 4))
        p.drawLine(QPointF(cx, r.top() + 3), QPointF(cx, cy - 3))


@cache
def category_icon(category: str, size: int = 20) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(category_color(category))
    r = QRectF(0.5, 0.5, size - 1, size - 1)
    p.drawRoundedRect(r, 4, 4)
    _glyph(p, category, r)
    p.end()
    return QIcon(pm)


def app_icon() -> QIcon:
    if APP_ICON_PATH.exists():
        icon = QIcon(str(APP_ICON_PATH))
        if not icon.isNull() and not icon.pixmap(32, 32).isNull():
            return icon
    pm = QPixmap(64, 64)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor("#1f3a5f"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QRectF(2, 2, 60, 60), 12, 12)
    p.setPen(QPen(QColor("#9ec5ff"), 2))
    left, mid, right = [(14, 20), (14, 44)], [(32, 16), (32, 32), (32, 48)], [(50, 32)]
    for a in left:
        for b in mid:
            p.drawLine(QPointF(*a), QPointF(*b))
    for a in mid:
        p.drawLine(QPointF(*a), QPointF(*right[0]))
    p.setPen(Qt.PenStyle.NoPen)
    for pts, col in ((left, "#4fc3f7"), (mid, "#ffb74d"), (right, "#81c784")):
        p.setBrush(QColor(col))
        for x, y in pts:
            p.drawEllipse(QPointF(x, y), 6, 6)
    p.end()
    return QIcon(pm)


def small_font(point_size: float = 8.0, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSizeF(point_size)
    f.setBold(bold)
    return f


def format_count(n: int) -> str:
    """1234567 -> '1.23M', 61706 -> '61.7k': short enough to fit on a node."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.3g}M"
    if n >= 10_000:
        return f"{n / 1000:.3g}k"
    return f"{n:,}"


def teaching_tooltip(text: str, title: str = "") -> str:
    """Rich text, so Qt wraps long teaching tooltips instead of drawing one very wide line."""
    import html

    body = "<br>".join(html.escape(line) for line in text.split("\n"))
    head = f"<b>{html.escape(title)}</b><br>" if title else ""
    return f"<qt>{head}{body}</qt>"


_presentation_scale = [1.0]


def presentation_scale() -> float:
    """How much larger than made the window draws now: 1.0, or more in presentation mode. A view that sets its
    point sizes or pen widths per snapshot multiplies them by this (fixed ones are scaled for it)."""
    return _presentation_scale[0]


def set_presentation_scale(scale: float) -> None:
    _presentation_scale[0] = scale
