"""The gradient check: a weight's derivative by a central finite difference against the one backpropagation
(autograd) computed, with their relative error, so the student sees that backprop computes the derivative.

    ∂L/∂w ≈ (L(w + ε) − L(w − ε)) / 2ε,   relative error = |numeric − autograd| / max(|numeric|, |autograd|)

A plot shows every checked weight's relative error on a log scale against the 1e-4 line under which the two agree.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from playground.snapshots.learning import BackpropTrace, GradientCheckEntry

from .backprop_view import WeightKey, number, weight_title

AGREE_BELOW = 1e-4
FLOOR = 1e-16  # a relative error of exactly 0 still needs a place on the log scale


def entry_key(trace: BackpropTrace, entry: GradientCheckEntry) -> WeightKey:
    layer = next(i for i, s in enumerate(trace.summaries, start=1) if s.name == entry.layer)
    return layer, entry.row, entry.column


class GradientCheckView(QWidget):
    """Pick a weight; read its finite-difference and autograd derivatives and their relative error."""

    weight_selected = Signal(object)  # a WeightKey

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradientCheckView")
        self.trace: BackpropTrace | None = None
        self.keys: list[WeightKey] = []
        self.weight_combo = QComboBox()
        self.weight_combo.setObjectName("gradientCheckWeight")
        self.weight_combo.setToolTip("The weight whose derivative is checked")
        self.weight_combo.currentIndexChanged.connect(self._on_pick)
        self.value_label = QLabel()
        self.numeric_label = QLabel()
        self.numeric_label.setObjectName("gradientCheckNumeric")
        self.analytic_label = QLabel()
        self.analytic_label.setObjectName("gradientCheckAnalytic")
        self.error_label = QLabel()
        self.error_label.setObjectName("gradientCheckError")
        self.error_label.setWordWrap(True)
        self.formula = QLabel()
        self.formula.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Weight", self.weight_combo)
        form.addRow("Value w", self.value_label)
        form.addRow("Finite difference", self.numeric_label)
        form.addRow("Autograd ∂L/∂w", self.analytic_label)
        form.addRow("Relative error", self.error_label)
        for label in (self.value_label, self.numeric_label, self.analytic_label):
            label.setToolTip("Select and copy the number")
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("gradientCheckPlot")
        self.plot.setBackground("w")
        self.plot.setLogMode(y=True)
        self.plot.setLabel("left", "relative error")
        self.plot.setLabel("bottom", "checked weight (in order)")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(160)
        dashed = pg.mkPen("#d32f2f", style=Qt.PenStyle.DashLine)
        self.plot.addItem(pg.InfiniteLine(np.log10(AGREE_BELOW), angle=0, pen=dashed, label="1e-4",
                                          labelOpts={"position": 0.95, "color": "#d32f2f"}))
        self.points = pg.ScatterPlotItem(size=7, pen=None, brush=pg.mkBrush("#0877bd"))
        self.points.sigClicked.connect(self._on_point)
        self.marker = pg.ScatterPlotItem(size=13, pen=pg.mkPen("#202124", width=2), brush=None)
        self.plot.addItem(self.points)
        self.plot.addItem(self.marker)
        layout = QVBoxLayout(self)
        title = QLabel("<b>Gradient check</b>: does backpropagation compute the derivative?")
        title.setWordWrap(True)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.formula)
        layout.addWidget(self.plot, 1)

    def show_trace(self, trace: BackpropTrace) -> None:
        self.trace = trace
        check = trace.gradient_check
        self.keys = [entry_key(trace, e) for e in check.entries]
        self.formula.setText(f"(L(w + ε) − L(w − ε)) / 2ε with ε = {check.epsilon:g}, in float64; the two agree when "
                             f"the relative error is below {AGREE_BELOW:g}. The worst of the {len(check.entries)} "
                             f"checked: {check.worst:.2e}.")
        self.weight_combo.blockSignals(True)
        self.weight_combo.clear()
        self.weight_combo.addItems([weight_title(trace, k) for k in self.keys])
        self.weight_combo.blockSignals(False)
        errors = np.array([max(e.relative_error, FLOOR) for e in check.entries])
        self.points.setData(np.arange(len(errors)), np.log10(errors) if len(errors) else errors,
                            data=list(range(len(errors))))
        self.plot.setYRange(min(-12.0, float(np.log10(errors.min())) - 1) if len(errors) else -12.0,
                            max(0.0, float(np.log10(errors.max())) + 0.5) if len(errors) else 0.0)
        self._show(0 if self.keys else -1)

    def select_weight(self, key: WeightKey) -> None:
        if key in self.keys and self.weight_combo.currentIndex() != self.keys.index(key):
            self.weight_combo.setCurrentIndex(self.keys.index(key))

    def _on_pick(self, index: int) -> None:
        self._show(index)
        if 0 <= index < len(self.keys):
            self.weight_selected.emit(self.keys[index])

    def _on_point(self, _item: object, points: list[object]) -> None:
        if points:
            self.weight_combo.setCurrentIndex(int(points[0].data()))  # type: ignore[attr-defined]

    def _show(self, index: int) -> None:
        trace = self.trace
        if trace is None or not 0 <= index < len(self.keys):
            for label in (self.value_label, self.numeric_label, self.analytic_label, self.error_label):
                label.setText("—")
            self.marker.setData([], [])
            return
        if self.weight_combo.currentIndex() != index:
            self.weight_combo.blockSignals(True)
            self.weight_combo.setCurrentIndex(index)
            self.weight_combo.blockSignals(False)
        entry = trace.gradient_check.entries[index]
        self.value_label.setText(number(entry.weight, 8))
        self.numeric_label.setText(number(entry.numeric, 10))
        self.analytic_label.setText(number(entry.analytic, 10))
        agree = entry.relative_error < AGREE_BELOW
        verdict = ("✓ they agree: backprop computed the derivative" if agree else
                   "✗ they differ: a kink (ReLU at 0) between w − ε and w + ε, or a too-large ε")
        color = "#1b7f3b" if agree else "#d32f2f"
        self.error_label.setText(f"<b>{entry.relative_error:.2e}</b> <span style='color:{color}'>{verdict}</span>")
        self.marker.setData([index], [np.log10(max(entry.relative_error, FLOOR))])
