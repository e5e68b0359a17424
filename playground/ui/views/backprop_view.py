"""Backpropagation step by step: the network as units and edges with its numbers, walked phase by phase (forward
layer by layer, the loss, backward layer by layer, the update), and the chain-rule product of the selected weight.

Units show their input sum z and activation a once the forward pass reaches them, their error term δ = ∂L/∂z once
the backward pass does; edges show their weight, then their gradient ∂L/∂w, then the new weight. Colour is the
sign (blue positive, orange negative, as in TensorFlow Playground), thickness the size. Weights are numbered
w1, w2 ... layer by layer, row by row, as in the course's worked example.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.snapshots.learning import BackpropTrace
from playground.viz.colormaps import TF_BLUE, TF_ORANGE

PLAY_MS = 1200
EDGE_LABELS_UP_TO = 16  # edges per layer that all carry a number; beyond, only the selected one does
TALL_LAYER = 4  # units in a column above which unit labels sit beside the circles, not under them
LABEL_PX = (150, 17)  # the size of an edge's label ("w17 −0.1185→−0.1193") in pixels
UNIT_LABEL_PX = (95, 62)  # a unit's label: its name, z, a and δ on four lines
# Where along an edge its label may sit, in order of preference.
LABEL_STOPS = (0.3, 0.7, 0.5, 0.2, 0.8, 0.4, 0.6, 0.25, 0.75, 0.35, 0.65, 0.45, 0.55)
WeightKey = tuple[int, int, int]  # (layer 1..L, unit, input; -1 for the bias)

LOSS_FORMULAS = {"mse": "L = mean over samples and outputs of (a − y)²",
                 "cross_entropy": "L = −mean log softmax(a)[class]"}


def phases(layers: int) -> list[tuple[str, int]]:
    """The walk through one step: the input, forward 1..L, the loss, backward L..1, the update."""
    return ([("input", 0)] + [("forward", i) for i in range(1, layers + 1)] + [("loss", layers)]
            + [("backward", i) for i in range(layers, 0, -1)] + [("update", 0)])


def unit_names(trace: BackpropTrace) -> list[list[str]]:
    """i1, i2 ... for the inputs, o1 ... for the outputs, h1 ... for one hidden layer (h2.1 ... for several)."""
    sizes = [u.a.shape[1] for u in trace.units]
    hidden = len(sizes) - 2
    names = []
    for layer, n in enumerate(sizes):
        if layer == 0:
            prefix = "i"
        elif layer == len(sizes) - 1:
            prefix = "o"
        else:
            prefix = "h" if hidden == 1 else f"h{layer}."
        names.append([f"{prefix}{j + 1}" for j in range(n)])
    return names


def weight_name(trace: BackpropTrace, key: WeightKey) -> str:
    layer, row, column = key
    if not trace.detailed:
        where = "bias" if column < 0 else f"weight[{row}, {column}]"
        return f"{trace.summaries[layer - 1].name}.{where}"
    units = unit_names(trace)
    if column < 0:
        return f"b({units[layer][row]})"
    number = sum(w.weight.size for w in trace.weights[:layer - 1]) + row * trace.weights[layer - 1].weight.shape[1]
    return f"w{number + column + 1}"


def weight_title(trace: BackpropTrace, key: WeightKey) -> str:
    """The weight's name and where it runs: "w5 (h1 → o1)"."""
    name = weight_name(trace, key)
    if not trace.detailed:
        return name
    layer, row, column = key
    units = unit_names(trace)
    source = "bias" if column < 0 else units[layer - 1][column]
    return f"{name} ({source} → {units[layer][row]})"


def weight_keys(trace: BackpropTrace) -> list[WeightKey]:
    keys: list[WeightKey] = []
    for layer, w in enumerate(trace.weights, start=1):
        for row in range(w.weight.shape[0]):
            keys += [(layer, row, column) for column in range(w.weight.shape[1])]
        if w.bias is not None:
            keys += [(layer, row, -1) for row in range(w.weight.shape[0])]
    return keys


def number(value: float, digits: int = 4) -> str:
    text = f"{value + 0.0:.{digits}g}"  # + 0.0: a −0 (a dead unit's δ) reads as 0
    return text.replace("-", "−")


def sign_color(value: float, alpha: int = 255) -> QColor:
    color = QColor(TF_BLUE if value >= 0 else TF_ORANGE)
    color.setAlpha(alpha)
    return color


class BackpropView(QWidget):
    """One training step of the open lab's network, phase by phase."""

    weight_selected = Signal(object)  # a WeightKey

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backpropView")
        self.trace: BackpropTrace | None = None
        self.phase_list: list[tuple[str, int]] = []
        self.phase = 0
        self.sample = 0
        self.selected: WeightKey | None = None
        self._edges: dict[WeightKey, pg.PlotCurveItem] = {}
        self._edge_labels: dict[WeightKey, pg.TextItem] = {}
        self._unit_labels: list[list[pg.TextItem]] = []
        self._positions: list[np.ndarray] = []
        self._label_edges = True
        self._label_box = (0.5, 0.1)
        self._unit_anchor = (0.5, -0.25)
        self._shape: tuple[int, ...] = ()
        self._timer = QTimer(self)
        self._timer.setInterval(PLAY_MS)
        self._timer.timeout.connect(self._advance)

        self.back_button = QPushButton("◀ Back")
        self.back_button.setObjectName("backpropBack")
        self.back_button.setToolTip("One phase back (←)")
        self.back_button.clicked.connect(lambda: self.set_phase(self.phase - 1))
        self.forward_button = QPushButton("Forward ▶")
        self.forward_button.setObjectName("backpropForward")
        self.forward_button.setToolTip("One phase on (→): forward layer by layer, the loss, backward layer by "
                                       "layer, the update")
        self.forward_button.clicked.connect(lambda: self.set_phase(self.phase + 1))
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("backpropPlay")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Walk through every phase, one every 1.2 s")
        self.play_button.toggled.connect(self._play)
        self.sample_spin = QSpinBox()
        self.sample_spin.setObjectName("backpropSample")
        self.sample_spin.setPrefix("sample ")
        self.sample_spin.setToolTip("Whose numbers the units show; the gradients on the edges sum over the batch")
        self.sample_spin.valueChanged.connect(self._set_sample)
        self.phase_label = QLabel()
        self.phase_label.setObjectName("phaseLabel")
        self.phase_label.setWordWrap(True)
        controls = QHBoxLayout()
        for w in (self.back_button, self.forward_button, self.play_button, self.sample_spin):
            controls.addWidget(w)
        controls.addWidget(self.phase_label, 1)

        self.plot = pg.PlotWidget()
        self.plot.setObjectName("backpropPlot")
        self.plot.setBackground("w")
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMinimumSize(480, 300)
        self.units_item = pg.ScatterPlotItem(size=26, pen=pg.mkPen("#333", width=1.5))
        self.units_item.setZValue(10)
        self.plot.addItem(self.units_item)
        self.summary_table = QTableWidget()
        self.summary_table.setObjectName("backpropSummary")
        self.summary_table.hide()
        self.chain_label = QLabel()
        self.chain_label.setObjectName("chainRuleLabel")
        self.chain_label.setWordWrap(True)
        self.chain_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.chain_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.chain_label.setFont(font)
        self.loss_label = QLabel()
        self.loss_label.setObjectName("backpropLoss")
        self.loss_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary_table, 1)
        layout.addWidget(self.loss_label)
        layout.addWidget(self.chain_label)
        # The arrow keys walk the phases, as the buttons do, while the view has the focus.
        for key, step in ((Qt.Key.Key_Right, 1), (Qt.Key.Key_Left, -1)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda step=step: self.set_phase(self.phase + step))
        self._update_controls()

    # The trace -----------------------------------------------------------------------------------------------

    def show_trace(self, trace: BackpropTrace) -> None:
        self.trace = trace
        self.phase_list = phases(trace.layer_count)
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(1, trace.batch_size)
        self.sample_spin.setValue(1)
        self.sample_spin.setSuffix(f" of {trace.batch_size}")
        self.sample_spin.blockSignals(False)
        self.sample_spin.setVisible(trace.batch_size > 1 and trace.detailed)
        self.sample = 0
        self.plot.setVisible(trace.detailed)
        self.summary_table.setVisible(not trace.detailed)
        if trace.detailed:
            self._build_network(trace)
        else:
            self._fill_summary(trace)
        # A trace of the same network again (the next step, other samples) keeps the weight the student follows.
        shape = tuple(u.a.shape[1] for u in trace.units) or tuple(x.units for x in trace.summaries)
        if shape != self._shape:
            self.selected = None
        self._shape = shape
        if self.selected is None or self.selected not in self._edges:
            # The last layer's first weight: the first one whose chain rule the backward pass finishes.
            keys = weight_keys(trace) if trace.detailed else []
            last = [k for k in keys if k[0] == trace.layer_count and k[2] >= 0]
            self.selected = last[0] if last else None
        self.set_phase(0)

    def _build_network(self, trace: BackpropTrace) -> None:
        for item in [*self._edges.values(), *self._edge_labels.values(), *(t for ts in self._unit_labels for t in ts)]:
            self.plot.removeItem(item)
        self._edges.clear()
        self._edge_labels.clear()
        sizes = [u.a.shape[1] for u in trace.units]
        tallest = max(sizes)
        self._positions = [np.array([(tallest - 1) / 2 - j * (tallest - 1) / max(1, n - 1) if n > 1 else 0.0
                                     for j in range(n)]) * 1.0 for n in sizes]
        names = unit_names(trace)
        label_edges = max(w.weight.size for w in trace.weights) <= EDGE_LABELS_UP_TO
        spread = max(1.0, (tallest - 1) / 2)
        # Data units per label, for placing edge labels apart: the plot's size once shown, a typical one before.
        width, height = max(self.plot.width(), 600), max(self.plot.height(), 360)
        sx, sy = len(sizes) / width, (2 * spread + 1.4) / height
        self._label_box = (LABEL_PX[0] * sx, LABEL_PX[1] * sy)
        # The units' own labels (name, z, a, δ below each circle) are in the way too.
        # A tall layer has no room under each unit: its labels go to the right of the circles.
        beside = tallest > TALL_LAYER
        self._unit_anchor = (-0.12, 0.5) if beside else (0.5, -0.25)
        if beside:
            units = [(layer + (14 + UNIT_LABEL_PX[0] / 2) * sx, float(y), UNIT_LABEL_PX[0] * sx,
                      UNIT_LABEL_PX[1] * sy) for layer, ys in enumerate(self._positions) for y in ys]
        else:
            units = [(float(layer), float(y) - UNIT_LABEL_PX[1] * sy / 2 - 12 * sy, UNIT_LABEL_PX[0] * sx,
                      UNIT_LABEL_PX[1] * sy) for layer, ys in enumerate(self._positions) for y in ys]
        for layer, w in enumerate(trace.weights, start=1):
            placed = list(units)
            for row in range(w.weight.shape[0]):
                for column in range(w.weight.shape[1]):
                    key = (layer, row, column)
                    y0, y1 = self._positions[layer - 1][column], self._positions[layer][row]
                    curve = pg.PlotCurveItem([layer - 1, layer], [y0, y1], clickable=True)
                    curve.sigClicked.connect(lambda _c, _e=None, k=key: self.select_weight(k))
                    curve.setToolTip(weight_title(trace, key))
                    self.plot.addItem(curve)
                    self._edges[key] = curve
                    label = pg.TextItem(anchor=(0.5, 0.5), fill=pg.mkBrush(255, 255, 255, 215))
                    label.setPos(*self._label_place(layer, y0, y1, placed))
                    label.setZValue(5)
                    label.setVisible(label_edges)
                    self.plot.addItem(label)
                    self._edge_labels[key] = label
        self._label_edges = label_edges
        self._unit_labels = []
        for layer, n in enumerate(sizes):
            labels = []
            for j in range(n):
                text = pg.TextItem(anchor=self._unit_anchor, fill=pg.mkBrush(255, 255, 255, 225))
                text.setPos(layer, self._positions[layer][j])
                text.setZValue(20)
                text.setToolTip(names[layer][j])
                self.plot.addItem(text)
                labels.append(text)
            self._unit_labels.append(labels)
        right = len(sizes) - 1 + ((UNIT_LABEL_PX[0] + 24) * sx if beside else 0.45)
        self.plot.setXRange(-0.45, right, padding=0)
        self.plot.setYRange(-spread - 0.95, spread + 0.45, padding=0)

    def _label_place(self, layer: int, y0: float, y1: float,
                     placed: list[tuple[float, float, float, float]]) -> tuple[float, float]:
        """Where along its edge a weight's label overlaps least the labels already placed (centre, size)."""
        bw, bh = self._label_box
        best, best_overlap = (0.0, 0.0), float("inf")
        for t in LABEL_STOPS:
            x, y = layer - 1 + t, y0 + t * (y1 - y0)
            overlap = sum(max(0.0, (bw + w) / 2 - abs(x - px)) * max(0.0, (bh + h) / 2 - abs(y - py))
                          for px, py, w, h in placed)
            if overlap < best_overlap - 1e-12:
                best, best_overlap = (x, y), overlap
            if overlap == 0.0:
                break
        placed.append((*best, bw, bh))
        return best

    def _fill_summary(self, trace: BackpropTrace) -> None:
        columns = ("layer", "units", "activation", "‖z‖", "‖a‖", "‖δ‖", "‖W‖", "‖∂L/∂W‖", "‖ΔW‖")
        table = self.summary_table
        table.clear()
        table.setColumnCount(len(columns))
        table.setHorizontalHeaderLabels(list(columns))
        table.setRowCount(len(trace.summaries))
        for row, s in enumerate(trace.summaries):
            values = (s.name, str(s.units), s.activation, number(s.z_norm), number(s.a_norm), number(s.delta_norm),
                      number(s.weight_norm), number(s.grad_norm), number(s.update_norm))
            for column, value in enumerate(values):
                table.setItem(row, column, QTableWidgetItem(value))
        table.resizeColumnsToContents()

    # Phases ---------------------------------------------------------------------------------------------------

    def set_phase(self, index: int) -> None:
        if self.trace is None:
            return
        self.phase = max(0, min(index, len(self.phase_list) - 1))
        self._redraw()
        self._update_controls()

    @property
    def phase_name(self) -> tuple[str, int]:
        return self.phase_list[self.phase] if self.phase_list else ("input", 0)

    def _reached(self) -> tuple[int, int, bool]:
        """(the last layer the forward pass has reached, the lowest layer the backward pass has reached, updated)."""
        assert self.trace is not None
        kind, layer = self.phase_name
        count = self.trace.layer_count
        if kind in ("input", "forward"):
            return layer, count + 1, False
        if kind == "loss":
            return count, count + 1, False
        if kind == "backward":
            return count, layer, False
        return count, 1, True

    def _play(self, on: bool) -> None:
        if on:
            if self.phase >= len(self.phase_list) - 1:
                self.set_phase(0)
            self._timer.start()
        else:
            self._timer.stop()

    def _advance(self) -> None:
        if self.phase >= len(self.phase_list) - 1:
            self.play_button.setChecked(False)
            return
        self.set_phase(self.phase + 1)

    def _set_sample(self, value: int) -> None:
        self.sample = max(0, value - 1)
        self._redraw()

    def _update_controls(self) -> None:
        has = self.trace is not None
        self.back_button.setEnabled(has and self.phase > 0)
        self.forward_button.setEnabled(has and self.phase < len(self.phase_list) - 1)
        self.play_button.setEnabled(has)

    def select_weight(self, key: WeightKey) -> None:
        if self.trace is None or key == self.selected:
            return
        self.selected = key
        self._redraw()
        self.weight_selected.emit(key)

    # Drawing --------------------------------------------------------------------------------------------------

    def _redraw(self) -> None:
        trace = self.trace
        if trace is None:
            return
        forward, backward, updated = self._reached()
        self.phase_label.setText(self._phase_text(forward, backward, updated))
        self.loss_label.setText(self._loss_text(forward, updated))
        if trace.detailed:
            self._draw_units(forward, backward)
            self._draw_edges(forward, backward, updated)
        else:
            kind, layer = self.phase_name
            if kind in ("forward", "backward"):
                self.summary_table.selectRow(layer - 1)
            else:
                self.summary_table.clearSelection()
        self.chain_label.setText(self.chain_text())

    def _phase_text(self, forward: int, backward: int, updated: bool) -> str:
        assert self.trace is not None
        kind, layer = self.phase_name
        step = f"Phase {self.phase + 1} of {len(self.phase_list)}: "
        name = self.trace.summaries[layer - 1].name if layer else ""
        if kind == "input":
            return step + "the sample enters the input units."
        if kind == "forward":
            activation = self.trace.summaries[layer - 1].activation
            return step + f"forward through layer {layer} ({name}, {activation}): z = Σ w·a + b, a = f(z)."
        if kind == "loss":
            return step + f"the loss compares the outputs with the targets: {LOSS_FORMULAS[self.trace.loss_name]}."
        if kind == "backward":
            return step + (f"backward through layer {layer} ({name}): δ = ∂L/∂a · f′(z), ∂L/∂w = δ · a_prev, "
                           f"and ∂L/∂a_prev = Σ w·δ goes down a layer.")
        return step + f"the update by {self.trace.optimizer} with learning rate η = {number(self.trace.learning_rate)}."

    def _loss_text(self, forward: int, updated: bool) -> str:
        trace = self.trace
        assert trace is not None
        if forward < trace.layer_count or self.phase_name[0] == "forward":
            return "Loss: not computed yet (the forward pass has not reached the outputs)."
        targets = np.atleast_1d(trace.targets[self.sample])
        if trace.loss_name == "cross_entropy":
            shown = f"class {int(targets[0])}"
        else:
            shown = "targets " + ", ".join(number(float(v), 6) for v in targets)
        outputs = ", ".join(number(float(v), 6) for v in trace.outputs[self.sample])
        text = (f"Loss L = {trace.loss:.9f}   (sample {self.sample + 1}: outputs {outputs}, {shown}; "
                f"{trace.batch_size} sample(s))")
        if updated:
            text += f"   →   after the update: {trace.new_loss:.9f}"
        return text

    def _draw_units(self, forward: int, backward: int) -> None:
        trace = self.trace
        assert trace is not None
        names = unit_names(trace)
        spots = []
        s = self.sample
        for layer, unit in enumerate(trace.units):
            for j in range(unit.a.shape[1]):
                lines = [f"<b>{names[layer][j]}</b>"]
                brush = pg.mkBrush("#ffffff")
                if layer <= forward:
                    a = float(unit.a[s, j])
                    if unit.z is not None:
                        lines.append(f"z {number(float(unit.z[s, j]))}")
                    lines.append(f"a {number(a)}")
                    brush = pg.mkBrush(sign_color(a, 60 + int(170 * min(1.0, abs(a)))))
                if layer >= backward and unit.delta is not None:
                    delta = float(unit.delta[s, j])
                    lines.append(f"<span style='color:{sign_color(delta).name()}'>δ {number(delta)}</span>")
                label = self._unit_labels[layer][j]
                label.setToolTip(self._unit_tip(layer, j, forward, backward))
                label.setHtml(f"<div style='text-align:center; font-size:9pt; color:#202124'>"
                              f"{'<br>'.join(lines)}</div>")
                spots.append({"pos": (layer, self._positions[layer][j]), "brush": brush})
        self.units_item.setData(spots)

    def _unit_tip(self, layer: int, j: int, forward: int, backward: int) -> str:
        """Every number of a unit in full, with the two chain-rule factors the label leaves out."""
        assert self.trace is not None
        unit, s = self.trace.units[layer], self.sample
        parts = [f"{unit_names(self.trace)[layer][j]} ({unit.name}, {unit.activation})"]
        if layer <= forward:
            if unit.z is not None:
                parts.append(f"z = Σ w·a + b = {number(float(unit.z[s, j]), 10)}")
            parts.append(f"a = {number(float(unit.a[s, j]), 10)}")
        if layer >= backward and unit.delta is not None and unit.dloss_da is not None and unit.fprime is not None:
            parts += [f"∂L/∂a = {number(float(unit.dloss_da[s, j]), 10)}",
                      f"f′(z) = {number(float(unit.fprime[s, j]), 10)}",
                      f"δ = ∂L/∂a · f′(z) = {number(float(unit.delta[s, j]), 10)}"]
        return "\n".join(parts)

    def _draw_edges(self, forward: int, backward: int, updated: bool) -> None:
        trace = self.trace
        assert trace is not None
        for layer, w in enumerate(trace.weights, start=1):
            if updated:
                values, tag = w.new_weight, "new"
            elif layer >= backward:
                values, tag = w.grad_weight, "∂L/∂w"
            else:
                values, tag = w.weight, ""
            scale = float(np.abs(values).max()) or 1.0
            for row in range(values.shape[0]):
                for column in range(values.shape[1]):
                    key = (layer, row, column)
                    value = float(values[row, column])
                    selected = key == self.selected
                    shown = layer <= forward or layer >= backward
                    width = 1.0 + 5.0 * abs(value) / scale
                    color = sign_color(value, 230 if shown else 60)
                    self._edges[key].setPen(pg.mkPen("#202124" if selected else color,
                                                     width=width + (2.0 if selected else 0.0)))
                    label = self._edge_labels[key]
                    label.setVisible(shown and (self._label_edges or selected))
                    if selected and not self._label_edges:
                        # Alone on a dense layer: halfway along its edge, above the units' labels.
                        (x0, x1), (y0, y1) = self._edges[key].getData()
                        label.setPos((x0 + x1) / 2, (y0 + y1) / 2)
                        label.setZValue(30)
                    name = weight_name(trace, key)
                    prefix = f"{name} {tag} " if tag else f"{name} "
                    if updated:
                        text = f"{name} {number(float(w.weight[row, column]))}→{number(value)}"
                    else:
                        text = prefix + number(value)
                    weight = "bold" if selected else "normal"
                    label.setHtml(f"<span style='font-size:9pt; font-weight:{weight}; color:{color.name()}'>"
                                  f"{text}</span>")

    def chain_text(self) -> str:
        """The chain-rule product that gives the selected weight's gradient, with this sample's numbers."""
        trace, key = self.trace, self.selected
        if trace is None or key is None or not trace.detailed:
            return ""
        layer, row, column = key
        forward, backward, updated = self._reached()
        name = weight_name(trace, key)
        names = unit_names(trace)
        unit, below, w = trace.units[layer], trace.units[layer - 1], trace.weights[layer - 1]
        if backward > layer:
            return (f"∂L/∂{name} = ∂L/∂a({names[layer][row]}) · f′(z({names[layer][row]})) · "
                    f"a({names[layer - 1][column]}): known once the backward pass reaches layer {layer}.")
        assert unit.dloss_da is not None and unit.fprime is not None
        s = self.sample
        dloss, slope = float(unit.dloss_da[s, row]), float(unit.fprime[s, row])
        source = float(below.a[s, column]) if column >= 0 else 1.0
        grad = float(w.grad_weight[row, column]) if column >= 0 else float(np.asarray(w.grad_bias)[row])
        target, origin = names[layer][row], names[layer - 1][column] if column >= 0 else "1"
        text = (f"∂L/∂{name} = ∂L/∂a({target}) · f′(z({target})) · a({origin}) = {number(dloss, 8)} × "
                f"{number(slope, 8)} × {number(source, 8)} = {number(dloss * slope * source, 8)}")
        if trace.batch_size > 1:
            text += f";  summed over the {trace.batch_size} samples: {number(grad, 8)}"
        if layer < trace.layer_count:
            above, up = trace.units[layer + 1], trace.weights[layer]
            assert above.delta is not None
            terms = " + ".join(f"{number(float(up.weight[k, row]), 4)}×{number(float(above.delta[s, k]), 4)}"
                               for k in range(up.weight.shape[0]))
            text += f"<br>where ∂L/∂a({target}) = Σ w·δ of the layer above = {terms} = {number(dloss, 8)}"
        if updated:
            old = float(w.weight[row, column]) if column >= 0 else float(np.asarray(w.bias)[row])
            new = float(w.new_weight[row, column]) if column >= 0 else float(np.asarray(w.new_bias)[row])
            if trace.optimizer == "sgd":
                text += (f"<br>update: {name} ← {name} − η·∂L/∂{name} = {number(old, 8)} − "
                         f"{number(trace.learning_rate)} × {number(grad, 8)} = <b>{number(new, 8)}</b>")
            else:
                text += f"<br>update by {trace.optimizer}: {name} = {number(old, 8)} → <b>{number(new, 8)}</b>"
        return text
