"""Gradient norm of each layer over training steps, on a log axis: vanishing and exploding gradients made visible."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from playground.snapshots import Gradients
from playground.viz.colormaps import curve_color

from .base import PRESS_PLAY, SnapshotView, plot_widget, probe, style_plot
from .view_spec import ViewSpec

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


class GradientNormView(SnapshotView):
    """One curve per layer with weights: the L2 norm of its weight gradient at each recorded step.

    Reads: the ``Gradients`` record: steps (T,) and each layer's norms (T,), in network order.
    """

    probes: tuple[str, ...] = ("gradients",)
    title = "Gradients"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradientNormView")
        self.plot = plot_widget()
        self.plot.setObjectName("gradientPlot")
        item = self.plot.getPlotItem()
        item.setAxisItems({"left": LogAxis("left")})
        item.getAxis("left").setStyle(maxTextLevel=0)  # labels on the first level only
        style_plot(item)
        item.setLogMode(y=True)
        item.setLabel("bottom", "step")
        item.setLabel("left", "gradient norm")
        self.legend = item.addLegend(offset=(-10, 10), brush=pg.mkBrush(255, 255, 255, 210), pen=pg.mkPen("#bbb"))
        self.legend.setLabelTextColor("#333")
        self.plot.setToolTip(
            "The size of each layer's weight gradient, ‖∂loss/∂W‖: how strongly the loss pushes that layer "
            "(log scale: each labelled step on the axis is 10×).\n"
            "Curves far apart, with the first layers 100× below the last: vanishing gradients - the early layers "
            "barely learn (try ReLU instead of sigmoid, or fewer layers).\nCurves shooting up: exploding gradients "
            "- lower the learning rate.")
        self.content_layout.addWidget(self.plot)
        self.curves: dict[str, pg.PlotDataItem] = {}

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, Gradients)
        steps = record.steps if record is not None and record.steps.size else None
        layers = list(record.layers) if record is not None else []
        if record is None or steps is None or not layers:
            self.show_empty(PRESS_PLAY + "\n(Gradient norms are recorded while training runs.)")
            return
        self.show_content()
        if layers != list(self.curves):
            self._rebuild_curves(layers)
        x = np.asarray(steps, dtype=np.float64)
        last = []
        for name, curve in self.curves.items():
            y = np.asarray(record.layers[name], dtype=np.float64)
            if len(y) != len(x):
                curve.setData([], [])
                continue
            # log10 of zero is -inf: leave those points out instead of drawing a cliff.
            y = np.where(y > 0, y, np.nan)
            curve.setData(x, y, connect="finite")
            finite = y[np.isfinite(y)]
            if finite.size:
                last.append(f"{name} {finite[-1]:.2g}")
        self.set_caption("latest: " + ",  ".join(last) if last else "")

    def _rebuild_curves(self, layers: list[str]) -> None:
        # Only when the network's layers change, never per snapshot.
        item = self.plot.getPlotItem()
        for curve in self.curves.values():
            item.removeItem(curve)
            self.legend.removeItem(curve)
        self.curves = {}
        for i, name in enumerate(layers):
            self.curves[name] = item.plot(name=name, pen=pg.mkPen(curve_color(i), width=1.5))


SPEC = ViewSpec("gradients", "Gradients", GradientNormView, probes=("gradients",))
