"""The 1-D fit: the network's curve over noisy samples of y = f(x), and each hidden unit's weighted activation as a
thin curve, so a learner sees the fit being built as a sum of simple pieces (universal approximation)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QWidget

from playground.snapshots import DecisionBoundary, FunctionFit
from playground.viz.colormaps import curve_color, hex_to_rgba

from .base import PRESS_PLAY, SnapshotView, attr, mapping, plot_widget, probe
from .view_spec import ViewSpec

# The functions of the data package's 1-D sets (playground.data.functions1d.FUNCTIONS; views do not import data,
# a test keeps the two lists equal), with the formula the picker shows.
FUNCTIONS = {
    "sine": "sin(1.5x)",
    "step": "step (−1, then +1 from x = 0)",
    "abs": "|x| / 1.5 − 1",
    "poly": "0.1x³ − 0.6x",
    "sawtooth": "sawtooth, period 2",
}
NEEDS_FUNCTION = "This view draws a 1-D fit: choose the 'Universal approximation' template (data set 'function')."
X_RANGE = 3.15
Y_RANGE = 2.0
MAX_UNIT_CURVES = 64  # more thin curves than this are a blur, and slow to draw


class FunctionFitView(SnapshotView):
    """Reads the ``FunctionFit`` record (x, prediction, target, train_x, train_y, each 1-D, and, when the last
    layer is a Dense of one unit, the contributions (H, G) and bias); ``epoch``, ``metrics`` (train_loss,
    test_loss)."""

    probes: tuple[str, ...] = ("function",)
    title = "Function fit"
    dataset_changed = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("functionFitView")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("f(x) ="))
        self.function_combo = QComboBox()
        self.function_combo.setObjectName("functionChoice")
        for name, formula in FUNCTIONS.items():
            self.function_combo.addItem(formula, name)
        self.function_combo.setToolTip("The function the samples come from. The network sees only the noisy dots; "
                                       "the dashed line is the truth it should find.")
        self.function_combo.activated.connect(self._on_function)
        row.addWidget(self.function_combo)
        self.units_checkbox = QCheckBox("Hidden units")
        self.units_checkbox.setObjectName("showUnits")
        self.units_checkbox.setChecked(True)
        self.units_checkbox.setToolTip("Thin curves: each hidden unit's activation times its weight into the output, "
                                       "w·h(x). The network's curve is their sum plus the output bias: more units, "
                                       "more pieces to build the shape from.")
        self.units_checkbox.toggled.connect(self._on_units)
        row.addWidget(self.units_checkbox)
        row.addStretch(1)
        self.controls_layout.addLayout(row)
        self.legend = QLabel(
            '<span style="color:#6e6e6e;">&#9679;</span>&nbsp;samples&nbsp;&nbsp; '
            '<span style="color:#333333;"><b>- -</b></span>&nbsp;true f(x)&nbsp;&nbsp; '
            '<span style="color:#d55e00;"><b>&#9473;&#9473;</b></span>&nbsp;network&nbsp;&nbsp; '
            f'<span style="color:{curve_color(0)};">&#9472;&#9472;</span>&nbsp;each hidden unit: w·h(x)')
        self.legend.setObjectName("fitLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.controls_layout.addWidget(self.legend)

        self.plot = plot_widget()
        self.plot.setObjectName("functionPlot")
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "x")
        item.setLabel("left", "y")
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setRange(xRange=(-X_RANGE, X_RANGE), yRange=(-Y_RANGE, Y_RANGE), padding=0.0)
        self.points = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(110, 110, 110, 150))
        self.truth = pg.PlotDataItem(pen=pg.mkPen("#333333", width=1.5, style=Qt.PenStyle.DashLine))
        self.fit = pg.PlotDataItem(pen=pg.mkPen("#d55e00", width=3))
        item.addItem(self.points)
        item.addItem(self.truth)
        item.addItem(self.fit)
        self._unit_curves: list[pg.PlotDataItem] = []
        self.fit.setZValue(10)
        self.truth.setZValue(5)
        self.plot.setToolTip("Dots: the noisy training samples. Dashed: the true function. Thick: what the network "
                             "computes. Thin: each hidden unit's share of it (weight × activation).")
        self.content_layout.addWidget(self.plot)
        self._data_key: tuple[Any, ...] = ()
        self._contributions: np.ndarray | None = None
        self._x: np.ndarray | None = None

    # Controls -------------------------------------------------------------------------------------------------

    def _on_function(self, index: int) -> None:
        name = self.function_combo.itemData(index)
        if isinstance(name, str):
            self.dataset_changed.emit({"options": {"function": name}})

    def _on_units(self, on: bool) -> None:
        for curve in self._unit_curves:
            curve.setVisible(on)
        self._draw_units()

    def select_function(self, name: str) -> None:
        """Show ``name`` in the picker without asking for a change (the lab already uses it)."""
        index = self.function_combo.findData(name)
        if index >= 0 and index != self.function_combo.currentIndex():
            self.function_combo.setCurrentIndex(index)

    # Drawing --------------------------------------------------------------------------------------------------

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, FunctionFit)
        if record is None or not record.x.size or record.x.shape != record.prediction.shape:
            self.show_empty(NEEDS_FUNCTION if probe(snapshot, DecisionBoundary) is not None else PRESS_PLAY)
            self.set_caption("")
            return
        self.show_content()
        x = record.x.astype(np.float64)
        prediction = record.prediction
        train_x, train_y = record.train_x, record.train_y
        target = record.target if record.target.size else None
        key = (attr(snapshot, "data_version", None), None if target is None else target.tobytes()[:64],
               None if train_x is None else len(train_x))
        if key != self._data_key:  # the samples and the truth change only with the data
            self._data_key = key
            if train_x is not None and train_y is not None and train_x.shape == train_y.shape:
                self.points.setData(train_x.astype(np.float64), train_y.astype(np.float64))
            else:
                self.points.setData([], [])
            if target is not None and target.shape == x.shape:
                self.truth.setData(x, target.astype(np.float64))
            else:
                self.truth.setData([], [])
        if 0 <= record.function_index < len(FUNCTIONS):
            self.select_function(list(FUNCTIONS)[record.function_index])
        self.fit.setData(x, prediction.astype(np.float64))
        contributions = record.contributions
        self._x = x
        self._contributions = contributions if contributions is not None and contributions.ndim == 2 and \
            contributions.shape[1] == len(x) else None
        self._draw_units()
        self.set_caption(self._caption(snapshot))

    def _draw_units(self) -> None:
        c = self._contributions
        shown = self.units_checkbox.isChecked() and c is not None and self._x is not None
        count = min(len(c), MAX_UNIT_CURVES) if shown and c is not None else 0
        item = self.plot.getPlotItem()
        while len(self._unit_curves) < count:  # made once per unit, then only setData
            i = len(self._unit_curves)
            r, g, b, _ = hex_to_rgba(curve_color(i))
            curve = pg.PlotDataItem(pen=pg.mkPen((r, g, b, 170), width=1.2))
            curve.setZValue(1)
            item.addItem(curve)
            self._unit_curves.append(curve)
        for i, curve in enumerate(self._unit_curves):
            if i < count and c is not None and self._x is not None:
                curve.setData(self._x, c[i].astype(np.float64))
                curve.setVisible(True)
            else:
                curve.setVisible(False)

    def _caption(self, snapshot: Any) -> str:
        metrics = mapping(snapshot, "metrics")
        parts = [f"Epoch {int(attr(snapshot, 'epoch', 0))}"]
        for key, label in (("train_loss", "train MSE"), ("test_loss", "test MSE")):
            value = metrics.get(key)
            if value is not None and np.isfinite(value):
                parts.append(f"{label} {value:.3g}")
        c = self._contributions
        if c is not None:
            parts.append(f"{len(c)} hidden unit{'s' if len(c) != 1 else ''}"
                         + (f" (first {MAX_UNIT_CURVES} drawn)" if len(c) > MAX_UNIT_CURVES else ""))
        return "  ·  ".join(parts)


SPEC = ViewSpec("function_fit", "Function fit", FunctionFitView, probes=("function",), tasks=("regression",),
                data=("function",), place="main", main=True)
