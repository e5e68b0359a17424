"""What every curve plot shares: whole-number epoch and step axes, log axes whose labels never overprint, and a
legend above the plot, where it cannot cover the newest points."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg

from .base import style_plot

LEGEND_HEIGHT = 20
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
    style_plot(item, x_label, y_label)
    return widget


def legend_above(plot: pg.PlotItem, columns: int) -> pg.LegendItem:
    """A one-row legend in the plot's title row, above the curves: inside the plot it covered the newest points
    (a flat loss runs along the top right, where pyqtgraph puts it). Curves made with ``plot(name=...)`` join it."""
    legend = pg.LegendItem(colCount=columns, labelTextColor="#333", verSpacing=-8, horSpacing=6)
    legend.layout.setContentsMargins(0, 0, 0, 0)
    plot.layout.removeItem(plot.titleLabel)  # the curve plots have no title: their row holds the legend
    plot.titleLabel.setVisible(False)
    plot.layout.addItem(legend, 0, 1)
    plot.layout.setRowFixedHeight(0, LEGEND_HEIGHT)
    plot.legend = legend
    return legend
