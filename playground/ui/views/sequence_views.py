"""Views of recurrent networks: a forecast against the truth with a free-running continuation, the hidden state
over time as a heatmap, the gates of a GRU or LSTM over time, and text the network writes at a temperature the
user sets.

They read the records ``Forecast``, ``SequenceStates``, ``Gates`` and ``GeneratedText`` of
:mod:`playground.snapshots`.
"""

from __future__ import annotations

import html
import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QTextEdit,
    QWidget,
)

from playground.snapshots import Forecast, Gates, GeneratedText, SequenceStates
from playground.viz.colormaps import TF_BLUE, TF_ORANGE, diverging_lut, sequential_lut

from .base import (
    PRESS_PLAY,
    SnapshotView,
    attr,
    colour_bar,
    has_probes,
    plot_colour_bar,
    probe,
    set_bar_levels,
    style_plot,
)
from .curves import curve_plot, legend_above
from .view_spec import ViewSpec

SEQUENCE_TASKS = ("sequence",)
QWIDGETSIZE_MAX = 16_777_215  # Qt's "no limit" for a size
NOT_SEQUENCE = "This view is for recurrent networks on sequences (the sequence task)."
TRUTH_COLOR = "#555555"
GATE_TEXT = {
    "reset": "reset r: how much of the old state enters the new candidate",
    "update": "update z: the share of the old state kept (PyTorch's h' = (1 − z)·n + z·h)",
    "input": "input i: how much of the new candidate is written to the cell",
    "forget": "forget f: how much of the cell is kept",
    "output": "output o: how much of the cell is shown as h",
}
GATE_TITLES = {"reset": "reset r", "update": "update z", "input": "input i", "forget": "forget f",
               "output": "output o"}
_PENDING_SECONDS = 2.0


def _char_label(code: int) -> str:
    c = chr(int(code))
    return {" ": "·", "\n": "↵", "\t": "→"}.get(c, c)


class _Heatmap:
    """A plot with one row-major image: rows are units, columns are time steps."""

    def __init__(self, plot: pg.PlotItem, lut: np.ndarray, y_label: str, bar_label: str = "") -> None:
        style_plot(plot, "step", y_label)
        # Under the map: the recurrent views are narrow docks, where a bar at the side had its label cut.
        self.colour_bar = plot_colour_bar(plot, lut, (-1.0, 1.0), bar_label, below=True) if bar_label else None
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.invertY(True)
        self.plot = plot
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(lut)
        plot.addItem(self.image)
        self._shape: tuple[int, ...] = ()

    def show(self, values: np.ndarray, levels: tuple[float, float]) -> None:
        image = np.ascontiguousarray(values.T)  # (units, steps)
        self.image.setImage(image, levels=levels, autoLevels=False)
        if self.colour_bar is not None:
            set_bar_levels(self.colour_bar, levels)
        if image.shape != self._shape:
            self._shape = image.shape
            self.image.setRect(0, 0, image.shape[1], image.shape[0])
            self.plot.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0)


class _LayerChooser:
    """Keeps a combo box's items equal to the layers a snapshot has, keeping the user's choice."""

    def __init__(self, combo: QComboBox) -> None:
        self.combo = combo

    def update(self, layers: list[str]) -> str:
        current = [self.combo.itemText(i) for i in range(self.combo.count())]
        if current != layers:
            chosen = self.combo.currentText()
            self.combo.blockSignals(True)
            self.combo.clear()
            self.combo.addItems(layers)
            if chosen in layers:
                self.combo.setCurrentText(chosen)
            self.combo.blockSignals(False)
        return self.combo.currentText()


def _not_for(snapshot: Any) -> str | None:
    if attr(snapshot, "task", "") not in SEQUENCE_TASKS:
        return NOT_SEQUENCE
    return None


class ForecastView(SnapshotView):
    """The truth of a fresh test series, the network's one-step predictions from the true past, and from the
    dashed line on a free-running continuation that feeds each prediction back in as the next input.

    Reads the ``Forecast`` record (truth, one-step and free-running predictions, where the free run starts, and
    the one-step MSE, free-running MSE and the last-value baseline's MSE on the test set).
    """

    probes = ("forecast",)
    title = "Forecast"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot_widget = curve_plot("forecastPlot", "step", "value")
        plot = self.plot_widget.getPlotItem()
        legend_above(plot, 3)
        plot.showGrid(x=True, y=True, alpha=0.15)
        self.truth_curve = plot.plot(name="truth", pen=pg.mkPen(TRUTH_COLOR, width=2))
        self.one_step_curve = plot.plot(name="one step ahead", pen=pg.mkPen(TF_BLUE, width=2))
        self.free_curve = plot.plot(name="free running", pen=pg.mkPen(TF_ORANGE, width=2.5))
        self.start_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#888888", style=Qt.PenStyle.DashLine))
        plot.addItem(self.start_line)
        self.content_layout.addWidget(self.plot_widget)

    def show_snapshot(self, snapshot: Any) -> None:
        problem = _not_for(snapshot)
        record = probe(snapshot, Forecast)
        truth = record.truth if record is not None and record.truth.size else None
        if problem is None and truth is None:
            problem = (PRESS_PLAY if attr(snapshot, "step", 0) == 0 and not has_probes(snapshot) else
                       "The forecast is for forecasting labs (the sine dataset): this lab classifies or writes text.")
        if problem is not None or truth is None or record is None:
            self.show_empty(problem or PRESS_PLAY)
            return
        steps = np.arange(len(truth), dtype=np.float64)
        self.truth_curve.setData(steps, truth.astype(np.float64))
        for curve, values in ((self.one_step_curve, record.one_step), (self.free_curve, record.free)):
            if not values.size:
                curve.setData([], [])
            else:
                curve.setData(steps[: len(values)], values.astype(np.float64), connect="finite")
        self.start_line.setValue(float(record.start))
        one, free, base = record.one_step_error, record.free_error, record.baseline_error
        verdict = f"{base / one:.0f}× better than" if np.isfinite(one) and 0 < one < base else "not yet below"
        self.set_caption(f"One step ahead: MSE {one:.4f} ({verdict} repeating the last value, {base:.4f}). "
                         f"Free running from step {record.start}: MSE {free:.4f}.")
        self.show_content()


class HiddenStateView(SnapshotView):
    """One test sequence's hidden state over time: a heatmap with a row per unit and a column per step, the input
    drawn below it (the signal, or the characters of a text).

    Reads the ``SequenceStates`` record (each layer's states, steps × units; the input, values or Unicode code
    points for text; a classifier's label and probabilities) and the snapshot's ``task``."""

    probes = ("hidden_states",)
    title = "Hidden state"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row, combo = self.add_layer_row("hiddenLayerChoice", "Which recurrent layer's hidden state to show")
        row.addStretch(1)
        self.chooser = _LayerChooser(combo)
        combo.currentTextChanged.connect(lambda _t: self._redraw())
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.heatmap = _Heatmap(self.canvas.addPlot(row=0, col=0), diverging_lut(), "unit", "hidden state")
        self.input_plot: pg.PlotItem = self.canvas.addPlot(row=1, col=0)
        style_plot(self.input_plot, "", "input")
        self.input_plot.setMouseEnabled(x=False, y=False)
        self.input_plot.setMenuEnabled(False)
        self.input_plot.hideButtons()
        self.input_plot.setXLink(self.heatmap.plot)
        self.input_curve = self.input_plot.plot(pen=pg.mkPen(TRUTH_COLOR, width=2))
        self.canvas.ci.layout.setRowStretchFactor(0, 4)
        self.canvas.ci.layout.setRowStretchFactor(1, 1)
        self.content_layout.addWidget(self.canvas)
        self._snapshot: Any = None
        self._ticks_key: tuple[int, ...] = ()

    def show_snapshot(self, snapshot: Any) -> None:
        self._snapshot = snapshot
        self._redraw()

    def _redraw(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        problem = _not_for(snapshot)
        record = probe(snapshot, SequenceStates)
        layers = list(record.layers) if record is not None else []
        if problem is None and not layers:
            problem = PRESS_PLAY if not has_probes(snapshot) else "This network has no recurrent layer (RNN, GRU or " \
                                                                  "LSTM)."
        if problem is not None or record is None:
            self.show_empty(problem or PRESS_PLAY)
            return
        layer = self.chooser.update(layers) or layers[0]
        values = record.layers.get(layer)
        if values is None or values.ndim != 2:
            self.show_empty(PRESS_PLAY)
            return
        top = float(np.nanmax(np.abs(values))) if values.size else 1.0
        top = 1.0 if not np.isfinite(top) or top <= 1.0 else top
        self.heatmap.show(values, (-top, top))
        self._draw_input(record.input if record.input.size else None, values.shape[0])
        caption = f"'{layer}': {values.shape[1]} units over {values.shape[0]} steps of one test sequence " \
                  f"(blue +{top:.3g}, orange −{top:.3g})."
        label, probs = record.label, record.probabilities
        if label is not None and probs is not None:
            names = list(attr(snapshot, "class_names", []) or [])
            names = names or ["sine", "square", "triangle", "sawtooth"][: len(probs)]
            if len(names) < len(probs):
                names = [str(i) for i in range(len(probs))]
            guess = int(np.argmax(probs))
            caption += f" True class: {names[label]}; the network says {names[guess]} " \
                       f"({100 * float(probs[guess]):.0f}%)."
        self.set_caption(caption)
        self.show_content()

    def _draw_input(self, values: np.ndarray | None, steps: int) -> None:
        bottom = self.heatmap.plot.getAxis("bottom")
        if values is None:
            self.input_curve.setData([], [])
            return
        if np.issubdtype(values.dtype, np.integer):  # characters: label the steps with them
            codes = tuple(int(v) for v in values[:steps])
            if codes != self._ticks_key:
                self._ticks_key = codes
                # One label per character is unreadable past a couple of dozen steps: then each label holds the
                # next few characters, starting at its step.
                chunk = 1 if len(codes) <= 24 else 8
                ticks = [[(i + 0.5, "".join(_char_label(c) for c in codes[i:i + chunk]))
                          for i in range(0, len(codes), chunk)]]
                bottom.setTicks(ticks)
                self.input_plot.getAxis("bottom").setTicks(ticks)
            self.input_curve.setData([], [])
            self.input_plot.setVisible(False)
            self.canvas.ci.layout.setRowFixedHeight(1, 0)  # hidden, it still held a fifth of the height
            return
        if self._ticks_key:
            self._ticks_key = ()
            bottom.setTicks(None)
            self.input_plot.getAxis("bottom").setTicks(None)
        self.input_plot.setVisible(True)
        self.canvas.ci.layout.setRowMinimumHeight(1, 0)
        self.canvas.ci.layout.setRowMaximumHeight(1, QWIDGETSIZE_MAX)
        self.input_curve.setData(np.arange(len(values)) + 0.5, values.astype(np.float64))


class GateView(SnapshotView):
    """The gates of a GRU (reset, update) or LSTM (input, forget, output) over one test sequence, each a heatmap
    from 0 (closed, white) to 1 (open, dark blue), recomputed from the layer's weights.

    Reads the ``Gates`` record: layer -> gate -> (steps × units)."""

    probes = ("gates",)
    title = "Gates"
    MAX_GATES = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row, combo = self.add_layer_row("gateLayerChoice", "Which GRU or LSTM layer's gates to show")
        row.addStretch(1)
        self.chooser = _LayerChooser(combo)
        combo.currentTextChanged.connect(lambda _t: self._redraw())
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.maps: list[_Heatmap] = []
        # Side by side: the docks are wider than tall, and the same unit sits on the same row in every gate.
        for i in range(self.MAX_GATES):
            self.maps.append(_Heatmap(self.canvas.addPlot(row=0, col=i), sequential_lut(), "unit" if i == 0 else ""))
            if i:
                self.maps[i].plot.setYLink(self.maps[0].plot)
                self.maps[i].plot.hideAxis("left")  # the first gate's unit axis reads for all: room for four
        # One colour bar for all the gates: each is a sigmoid, 0 (closed) to 1 (open).
        # Under the gates, not beside them: the dock is narrow and a bar at the side pushed the last gate out.
        self.colour_bar = colour_bar(sequential_lut(), (0.0, 1.0), "gate: 0 closed … 1 open", width=8,
                                     horizontal=True)
        self.canvas.addItem(self.colour_bar, row=1, col=0, colspan=self.MAX_GATES)
        self.content_layout.addWidget(self.canvas)
        self._snapshot: Any = None

    def show_snapshot(self, snapshot: Any) -> None:
        self._snapshot = snapshot
        self._redraw()

    def _redraw(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        problem = _not_for(snapshot)
        record = probe(snapshot, Gates)
        layers = list(record.layers) if record is not None else []
        if problem is None and not layers:
            states = probe(snapshot, SequenceStates)
            has_hidden = states is not None and bool(states.layers)
            problem = ("A simple RNN has no gates: use a GRU or an LSTM layer to see them." if has_hidden else
                       PRESS_PLAY if not has_probes(snapshot) else
                       "This network has no GRU or LSTM layer, so it has no gates.")
        if problem is not None or record is None:
            self.show_empty(problem or PRESS_PLAY)
            return
        layer = self.chooser.update(layers) or layers[0]
        gates = list(record.layers.get(layer, {}).items())
        for i, heat in enumerate(self.maps):
            visible = i < len(gates)
            heat.plot.setVisible(visible)
            if visible:
                name, values = gates[i]
                heat.show(values, (0.0, 1.0))
                heat.plot.setTitle(GATE_TITLES.get(name, name), color="#333", size="9pt")
                heat.plot.setToolTip(GATE_TEXT.get(name, name))
        means = ", ".join(f"{name} {float(np.mean(v)):.2f}" for name, v in gates)
        self.set_caption(f"'{layer}' over one test sequence, white = closed (0), blue = open (1). Mean: {means}.")
        self.caption.setToolTip("\n".join(GATE_TEXT.get(name, name) for name, _v in gates))
        self.show_content()


class TextGenerationView(SnapshotView):
    """Text the network writes, live: a prompt from the held-out text (grey) and what the network wrote after it,
    one character at a time, sampled at the temperature set here (low: the likeliest characters).

    Reads the ``GeneratedText`` record (Unicode code points, the prompt's length, the temperature); the
    temperature control emits ``training_changed({"temperature": t})``."""

    probes = ("text_sample",)
    title = "Generated text"
    training_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Temperature"))
        self.temperature = QDoubleSpinBox()
        self.temperature.setObjectName("temperatureControl")
        self.temperature.setRange(0.01, 5.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setValue(1.0)
        self.temperature.setToolTip("Scores are divided by T before sampling: low T writes the likeliest, safe "
                                    "text (near 0 it nearly always picks the top character), high T takes more risks.")
        self.temperature.valueChanged.connect(self._on_temperature)
        row.addWidget(self.temperature)
        row.addStretch(1)
        self.controls_layout.addLayout(row)
        self.text = QTextEdit()
        self.text.setReadOnly(True)
        self.text.setObjectName("generatedText")
        self.text.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.text.setStyleSheet("font-family: monospace; font-size: 12px; background: white;")
        self.content_layout.addWidget(self.text)
        self._pending_until = 0.0
        self._shown: tuple[Any, ...] = ()
        self._setting = False

    @property
    def plain_text(self) -> str:
        return self.text.toPlainText()

    def _on_temperature(self, value: float) -> None:
        if self._setting:
            return
        self._pending_until = time.monotonic() + _PENDING_SECONDS
        self.training_changed.emit({"temperature": float(value)})

    def show_snapshot(self, snapshot: Any) -> None:
        problem = _not_for(snapshot)
        record = probe(snapshot, GeneratedText)
        codes = record.codes if record is not None and record.codes.size else None
        if problem is None and codes is None:
            problem = (PRESS_PLAY if not has_probes(snapshot) else
                       "Text generation is for character-level text labs (the austen dataset).")
        if problem is not None or codes is None or record is None:
            self.show_empty(problem or PRESS_PLAY)
            return
        if time.monotonic() > self._pending_until:
            value = record.temperature
            if abs(value - self.temperature.value()) > 1e-6:
                self._setting = True
                self.temperature.setValue(value)
                self._setting = False
        cut = record.prompt_length
        key = (codes.tobytes(), cut)
        if key != self._shown:
            self._shown = key
            text = "".join(chr(int(c)) for c in codes)
            prompt, written = html.escape(text[:cut]), html.escape(text[cut:])
            self.text.setHtml(f"<pre style='white-space: pre-wrap; font-family: monospace;'>"
                              f"<span style='color: #999;'>{prompt}</span><span style='color: #111;'>{written}</span>"
                              f"</pre>")
        shown_t = record.temperature
        step = int(attr(snapshot, "step", 0))
        self.set_caption(f"Step {step}: {len(codes) - cut} characters written after a {cut}-character prompt "
                         f"(grey) from the test text, at temperature {shown_t:g}.")
        self.show_content()


# The forecast or the generated text is what a sequence model teaches: the main view (a classifier of sequences has
# neither, and its curves take the place).
VIEWS = (
    ViewSpec("seq_forecast", "Forecast", ForecastView, probes=("forecast",), tasks=SEQUENCE_TASKS, data=("series",),
             main=True),
    ViewSpec("seq_hidden", "Hidden state", HiddenStateView, probes=("hidden_states",), tasks=SEQUENCE_TASKS),
    ViewSpec("seq_gates", "Gates", GateView, probes=("gates",), tasks=SEQUENCE_TASKS),
    ViewSpec("seq_text", "Generated text", TextGenerationView, probes=("text_sample",), tasks=SEQUENCE_TASKS,
             data=("text",), main=True),
)

__all__ = ["VIEWS", "ForecastView", "GateView", "HiddenStateView", "TextGenerationView"]

