"""What every curve plot shares: whole-number epoch and step axes, log axes whose labels never overprint, and a
legend above the plot, where it cannot cover the newest points."""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg

from .base import style_plot
from .gradients import LogAxis

LEGEND_HEIGHT = 20


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
