"""One layer's weights: the matrix as a heatmap and the distribution of its values as a histogram."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QWidget

from playground.snapshots import Weights
from playground.viz.colormaps import TF_BLUE, diverging_lut
from playground.viz.histogram import histogram, symmetric_levels, weight_matrix_2d

from .base import PRESS_PLAY, SnapshotView, plot_colour_bar, plot_widget, probe, set_bar_levels
from .view_spec import ViewSpec

MAX_BINS = 41
SIDE_BY_SIDE_FROM = 360  # pixels of width
STACKED_FROM = 300  # pixels of height: a narrower, shorter dock shows the matrix alone


def histogram_bins(count: int) -> int:
    """Enough bins to show a shape, few enough that 16 weights do not scatter over 41 empty bins."""
    return int(np.clip(round(2 * np.sqrt(count)), 8, MAX_BINS))


class WeightsView(SnapshotView):
    """Per layer (chosen in a combo box): weight heatmap with symmetric colour levels, and its histogram.

    Reads: the ``Weights`` record's layers, Dense (out, in) or Conv2d (out, in, k, k), in network order.
    """

    probes: tuple[str, ...] = ("weights",)
    title = "Weights"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("weightsView")
        row, self.layer_combo = self.add_layer_row("weightsLayer", "Which layer's weights to show.")
        self.layer_combo.currentTextChanged.connect(self._redraw)
        row.addStretch(1)

        self.matrix_plot = plot_widget()
        self.matrix_plot.setObjectName("weightMatrixPlot")
        m = self.matrix_plot.getPlotItem()
        m.setLabel("bottom", "input")
        m.setLabel("left", "output unit")
        m.invertY(True)  # output unit 0 on top, like a printed matrix
        m.setMenuEnabled(False)
        self.matrix_image = pg.ImageItem(axisOrder="row-major")
        self.matrix_image.setLookupTable(diverging_lut())
        m.addItem(self.matrix_image)
        # Under the matrix: beside it, in the narrow weights dock, the bar took the width the matrix needs.
        self.colour_bar = plot_colour_bar(m, diverging_lut(), (-1.0, 1.0), "weight", below=True)
        self.matrix_plot.setToolTip(
            "Each cell is one weight: row = the unit it feeds, column = the input it reads. Blue positive, orange "
            "negative, pale near zero; colours are symmetric around zero.\nColumns that fade to pale: that input "
            "is being ignored (L1 regularization does this on purpose).")

        self.histogram_plot = plot_widget()
        self.histogram_plot.setObjectName("weightHistogramPlot")
        h = self.histogram_plot.getPlotItem()
        h.setLabel("bottom", "weight value")
        h.setLabel("left", "count")
        h.setMenuEnabled(False)
        self.histogram_curve = h.plot([0.0, 1.0], [0.0], stepMode="center", fillLevel=0,
                                      pen=pg.mkPen(TF_BLUE, width=1.5), brush=pg.mkBrush(8, 119, 189, 90))
        self.zero_line = pg.InfiniteLine(0, angle=90, pen=pg.mkPen("#999", style=pg.QtCore.Qt.DashLine))
        h.addItem(self.zero_line)
        self.histogram_plot.setToolTip(
            "How many weights have each value. At the start it is the random initialisation (narrow, centred on "
            "zero); as training goes on it spreads.\nA very wide histogram with an exploding loss: the learning "
            "rate is too high. L2 regularization pulls it in towards zero.")
        self.plots = QHBoxLayout()
        self.plots.addWidget(self.matrix_plot, 3)
        self.plots.addWidget(self.histogram_plot, 2)
        self.content_layout.addLayout(self.plots)
        self._weights: dict[str, np.ndarray] = {}
        self._matrix_shape: tuple[int, ...] = ()

    def resizeEvent(self, event: Any) -> None:  # Qt's name
        super().resizeEvent(event)
        # Matrix above histogram in a narrow dock: side by side there, each got 50 px and printed its ticks over
        # one another.
        side = self.width() >= SIDE_BY_SIDE_FROM
        direction = QBoxLayout.Direction.LeftToRight if side else QBoxLayout.Direction.TopToBottom
        if self.plots.direction() != direction:
            self.plots.setDirection(direction)
        # Stacked in a short dock, the matrix kept no rows at all under its axis and colour bar: the histogram
        # gives way (the caption keeps its mean and spread; a taller or wider dock shows it again).
        self.histogram_plot.setVisible(side or self.height() >= STACKED_FROM)

    @property
    def layer(self) -> str:
        return self.layer_combo.currentText()

    def set_layer(self, name: str) -> None:
        self.layer_combo.setCurrentText(name)

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, Weights)
        weights = {k: v for k, v in (record.layers if record is not None else {}).items() if v.size}
        if not weights:
            self._weights = {}
            self.show_empty(PRESS_PLAY + "\n(Layers with weights, such as Dense and Conv2d, show here.)")
            return
        self.show_content()
        self._weights = weights
        names = list(weights)
        if names != [self.layer_combo.itemText(i) for i in range(self.layer_combo.count())]:
            current = self.layer
            self.layer_combo.blockSignals(True)
            self.layer_combo.clear()
            self.layer_combo.addItems(names)
            self.layer_combo.setCurrentText(current if current in names else names[0])
            self.layer_combo.blockSignals(False)
        self._redraw()

    def _redraw(self, *_args: Any) -> None:
        w = self._weights.get(self.layer)
        if w is None:
            return
        matrix = weight_matrix_2d(w)
        levels = symmetric_levels(matrix)
        self.matrix_image.setImage(matrix, levels=levels, autoLevels=False)
        set_bar_levels(self.colour_bar, levels)
        if matrix.shape != self._matrix_shape:
            # Cell centres on whole numbers, so tick "3" labels the fourth row, not an edge between two.
            self._matrix_shape = matrix.shape
            self.matrix_image.setRect(QRectF(-0.5, -0.5, matrix.shape[1], matrix.shape[0]))
            item = self.matrix_plot.getPlotItem()
            for axis, n in (("bottom", matrix.shape[1]), ("left", matrix.shape[0])):
                if n <= 16:
                    item.getAxis(axis).setTickSpacing(max(1, n // 8 * 2) if n > 8 else 1, 1)
                else:
                    item.getAxis(axis).setTickSpacing()  # automatic
            item.autoRange(padding=0.02)
        counts, edges = histogram(w, bins=histogram_bins(w.size))
        self.histogram_curve.setData(edges, counts.astype(np.float64), stepMode="center", fillLevel=0)
        shape = " × ".join(str(d) for d in w.shape)
        finite = w[np.isfinite(w)]
        stats = f"mean {finite.mean():+.3f}, std {finite.std():.3f}" if finite.size else "no finite values"
        self.set_caption(f"{self.layer}: {shape} = {w.size} weights  ·  {stats}  ·  |w| ≤ {levels[1]:.3g}")


SPEC = ViewSpec("weights", "Weights", WeightsView, probes=("weights",))
