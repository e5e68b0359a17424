"""What every curve plot shares: whole-number epoch and step axes, log axes whose labels never overprint, and a
legend in the corner the curves leave free, so it does not cover the newest points."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QBoxLayout, QWidget

from .base import style_plot

LABEL_ROOM = 18  # pixels between two labels of the log axis


class LogAxis(pg.AxisItem):
    """A log axis whose labels never overprint: pyqtgraph labels the 2…9 marks of each decade too, bunched at its
    top (0.07 0.08 0.09 over one another in a short dock). Labels go on the decades (or on 1, 2 and 5 × 10ⁿ when
    the range spans less than two of them), as many as there is room for; the other marks are unlabelled ticks."""

    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: Any) -> Any:
        low, high = int(np.floor(minVal)), int(np.ceil(maxVal))
        marks = [v + float(np.log10(m)) for v in range(low, high) for m in range(1, 10)]
        marks = [x for x in marks if minVal <= x <= maxVal]
        major = [float(v) for v in range(low, high + 1) if minVal <= v <= maxVal]
        if len(major) < 2:
            major = [v + float(np.log10(m)) for v in range(low, high) for m in (1, 2, 5)
                     if minVal <= v + np.log10(m) <= maxVal]
        if len(major) < 2:
            major = marks
        if len(major) < 2:  # within one step of the 1-2-5 marks (a loss from 0.67 to 0.70): plain steps
            major = _linear_marks(minVal, maxVal)
        pixels = size / max(maxVal - minVal, 1e-12)  # per decade
        if len(major) >= 2:
            gap = min(b - a for a, b in zip(major, major[1:])) * pixels
            every = max(1, int(np.ceil(LABEL_ROOM / max(gap, 1e-6))))
            major = major[::every]
        minor = [x for x in marks if all(abs(x - m) > 1e-9 for m in major)]
        return [(None, major), (None, minor)]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """pyqtgraph's one significant digit, or as many as it takes to tell the labels apart (0.67 0.68, not
        0.7 0.7)."""
        strings: list[str] = super().logTickStrings(values, scale, spacing)
        numbers = 10 ** np.asarray(values, dtype=np.float64) * scale
        digits = 2
        while len(set(strings)) < len(strings) and digits <= 6:
            strings = [f"{x:.{digits}g}" for x in numbers]
            digits += 1
        return strings


def _linear_marks(low: float, high: float) -> list[float]:
    """log10 of round values (steps of 1, 2 or 5 × 10ⁿ, about four of them) between 10**low and 10**high."""
    lo, hi = 10.0 ** low, 10.0 ** high
    rough = max((hi - lo) / 4, 1e-300)
    power = 10.0 ** np.floor(np.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    values = np.arange(np.ceil(lo / step) * step, hi + step * 1e-6, step)
    return [float(np.log10(v)) for v in values if v > 0]




# Shorter than this (and wide), a view with two curve plots puts them side by side: stacked, each would get a sliver
# with its ticks printed over one another (the right column of a 1366x768 screen).
SIDE_BY_SIDE_BELOW = 300


def arrange_pair(view: QWidget, layout: QBoxLayout) -> bool:
    """Two plots one above the other, or side by side in a short, wide ``view``; whether side by side."""
    side = view.height() < SIDE_BY_SIDE_BELOW and view.width() >= 1.4 * view.height()
    direction = QBoxLayout.Direction.LeftToRight if side else QBoxLayout.Direction.TopToBottom
    if layout.direction() != direction:
        layout.setDirection(direction)
    return side


class IntegerAxis(pg.AxisItem):
    """An axis of whole numbers (epochs, steps): there is no epoch 2.5, so there is no tick for it either."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        levels: list[tuple[float, list[float]]] = []
        for spacing, values in super().tickValues(minVal, maxVal, size):
            if spacing >= 1 and abs(spacing - round(spacing)) < 1e-9:
                levels.append((spacing, [v for v in values if abs(v - round(v)) < 1e-9]))
        if not levels:  # a range of a few epochs: pyqtgraph steps by 0.5 or 0.2 there
            first, last = math.ceil(minVal), math.floor(maxVal)
            levels = [(1.0, [float(v) for v in range(first, last + 1)])]
        return levels

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [str(int(round(v * scale))) for v in values]


def curve_plot(name: str, x_label: str, y_label: str, *, whole_x: bool = True, log_y: bool = False
               ) -> pg.PlotWidget:
    """A white plot for curves over epochs or steps: integer ticks on x when ``whole_x``; a log-ready y axis (its
    labels only where there is room) when ``log_y``."""
    axes: dict[str, Any] = {}
    if whole_x:
        axes["bottom"] = IntegerAxis("bottom")
    if log_y:
        axes["left"] = LogAxis("left")
    widget = pg.PlotWidget(background="w", axisItems=axes)
    widget.setObjectName(name)
    item = widget.getPlotItem()
    if log_y:
        item.getAxis("left").setStyle(maxTextLevel=0)  # labels on the first level only
    if whole_x:  # no epoch -10: a single first point was centred in a range running far below zero
        item.getViewBox().setLimits(xMin=-0.5)
    style_plot(item, x_label, y_label)
    return widget


class CornerLegend(pg.LegendItem):
    """A legend inside the plot, in the corner its curves leave free: pyqtgraph's fixed top right covered the
    newest points whenever a curve ran along the top (a flat loss, D(real) near 1). Re-placed when a curve's data
    or the view's range changes; it stays where it is unless another corner is clearly freer."""

    CORNERS = ((1.0, 0.0), (0.0, 0.0), (1.0, 1.0), (0.0, 1.0))  # top right first, as before
    MARGIN = 6.0

    def __init__(self, plot: pg.PlotItem, columns: int) -> None:
        super().__init__(colCount=columns, labelTextColor="#333", brush=pg.mkBrush(255, 255, 255, 210),
                         pen=pg.mkPen("#bbb"), verSpacing=-6)
        self.plot = plot
        self.corner = self.CORNERS[0]
        self.setParentItem(plot.getViewBox())
        self._put(self.corner)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.place)
        plot.getViewBox().sigRangeChanged.connect(self._timer.start)
        plot.getViewBox().sigResized.connect(self._timer.start)
        plot.legend = self  # curves made with plot(name=...) join it

    def addItem(self, item: Any, name: str) -> None:
        super().addItem(item, name)
        signal = getattr(item, "sigPlotChanged", None)
        if signal is not None:
            signal.connect(self._timer.start)

    def _put(self, corner: tuple[float, float]) -> None:
        self.corner = corner
        dx = -self.MARGIN if corner[0] else self.MARGIN
        dy = -self.MARGIN if corner[1] else self.MARGIN
        self.anchor(itemPos=corner, parentPos=corner, offset=(dx, dy))

    def covered(self, corner: tuple[float, float]) -> int:
        """How many pixel columns of the legend's box, put in ``corner``, some curve passes through."""
        box = self.plot.getViewBox()
        width, height = box.width(), box.height()
        w, h = self.width(), self.height()
        if width <= 0 or height <= 0 or w <= 0 or h <= 0:
            return 0
        left = width - w - self.MARGIN if corner[0] else self.MARGIN
        top = height - h - self.MARGIN if corner[1] else self.MARGIN
        (x0, x1), (y0, y1) = box.viewRange()
        columns = np.linspace(left, left + w, max(2, int(w // 3)))
        hit = np.zeros(len(columns), dtype=bool)
        for sample, _label in self.items:
            curve = sample.item
            if not curve.isVisible():
                continue
            x, y = curve.getData()
            if x is None or y is None or len(x) < 1:
                continue
            x = np.asarray(x, dtype=np.float64)
            y = np.asarray(y, dtype=np.float64)
            keep = np.isfinite(x) & np.isfinite(y)
            x, y = x[keep], y[keep]
            if len(x) < 1:
                continue
            px = (x - x0) / max(x1 - x0, 1e-12) * width
            py = (y1 - y) / max(y1 - y0, 1e-12) * height
            order = np.argsort(px)
            px, py = px[order], py[order]
            inside = (columns >= px[0] - 2) & (columns <= px[-1] + 2)
            ys = np.interp(columns, px, py)
            hit |= inside & (ys >= top - 2) & (ys <= top + h + 2)
        return int(hit.sum())

    def place(self) -> None:
        scores = {corner: self.covered(corner) for corner in self.CORNERS}
        best = min(self.CORNERS, key=lambda c: scores[c])
        # Move only for a clear gain, so a noisy curve does not make the legend hop from corner to corner.
        if scores[best] + 2 < scores[self.corner]:
            self._put(best)


def legend_above(plot: pg.PlotItem, columns: int) -> pg.LegendItem:
    """A one-row legend in the title row above a large plot whose curves fill every corner (a forecast's waves):
    inside, it would always cover some of them. Curves made with ``plot(name=...)`` join it."""
    legend = pg.LegendItem(colCount=columns, labelTextColor="#333", verSpacing=-8, horSpacing=6)
    legend.layout.setContentsMargins(0, 0, 0, 0)
    plot.layout.removeItem(plot.titleLabel)  # these plots have no title: its row holds the legend
    plot.titleLabel.setVisible(False)
    plot.layout.addItem(legend, 0, 1)
    plot.legend = legend
    return legend


def corner_legend(plot: pg.PlotItem, columns: int = 1) -> CornerLegend:
    """A legend inside ``plot``, in whichever corner its curves leave free."""
    return CornerLegend(plot, columns)
