"""Gradient norm of each layer over training steps, on a log axis: vanishing and exploding gradients made visible."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from playground.snapshots import Gradients
from playground.viz.colormaps import curve_color

from .base import PRESS_PLAY, SnapshotView, probe
from .curves import curve_plot, legend_above
from .view_spec import ViewSpec


class GradientNormView(SnapshotView):
    """One curve per layer with weights: the L2 norm of its weight gradient at each recorded step.

    Reads: the ``Gradients`` record: steps (T,) and each layer's norms (T,), in network order.
    """

    probes: tuple[str, ...] = ("gradients",)
    title = "Gradients"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradientNormView")
        self.plot = curve_plot("gradientPlot", "step", "gradient norm", log_y=True)
        item = self.plot.getPlotItem()
        item.setLogMode(y=True)
        # Above the plot, as many columns as its width holds: inside it, seven layers' names covered every curve
        # of a narrow dock.
        self.legend = legend_above(item, 2)
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

    def resizeEvent(self, event: Any) -> None:  # Qt's name
        super().resizeEvent(event)
        self._fit_legend_columns()

    def _fit_legend_columns(self) -> None:
        widest = max((label.width() for _, label in self.legend.items), default=60.0) + 30.0  # with its line
        columns = max(1, min(len(self.curves) or 1, int(self.plot.width() // widest)))
        if self.legend.columnCount != columns:
            self.legend.setColumnCount(columns)

    def _rebuild_curves(self, layers: list[str]) -> None:
        # Only when the network's layers change, never per snapshot.
        item = self.plot.getPlotItem()
        for curve in self.curves.values():
            item.removeItem(curve)
            self.legend.removeItem(curve)
        self.curves = {}
        for i, name in enumerate(layers):
            self.curves[name] = item.plot(name=name, pen=pg.mkPen(curve_color(i), width=1.5))
        self._fit_legend_columns()


SPEC = ViewSpec("gradients", "Gradients", GradientNormView, probes=("gradients",))
