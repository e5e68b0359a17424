"""A hidden layer's view of the data: training points and the input grid's lines mapped through the network,
in two units or the first two principal components (ConvNetJS's "crumpled paper" being unfolded)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QSpinBox, QWidget

from playground.snapshots import HiddenSpace, Neurons
from playground.viz.projection import PCA, fit_pca, polyline_with_breaks, select_units

from .base import NEEDS_PLANE, PRESS_PLAY, SnapshotView, array, attr, mapping, plot_widget, probe
from .decision_boundary import data_key, point_brushes
from .view_spec import CLASSIC_TASKS, ViewSpec

MODE_PCA = "PCA"  # short: the chooser shares a narrow dock's row with the layer's; the tooltip says it in full
MODE_UNITS = "Two units"


class HiddenSpaceView(SnapshotView):
    """Points and grid lines as a chosen hidden layer sees them.

    Reads: ``task``, ``data_version``, ``dataset`` (train_points, train_labels), the ``HiddenSpace`` record's layers:
    points (N, units) and lines (L, P, units) with the first half of the L lines horizontal.
    Layers to choose from: :meth:`set_layers`, plus any layer of the ``Neurons`` or ``HiddenSpace`` records.
    ``probes`` (on the instance) names the chosen layer's probe; ``probe_changed`` announces a change.
    """

    probe_changed = Signal(str)
    probes: tuple[str, ...] = ()  # no layer chosen yet; an instance's ``probes`` becomes ("hidden:<layer>",)
    title = "Hidden space"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hiddenSpaceView")
        row, self.layer_combo = self.add_layer_row("hiddenLayer", "Which hidden layer's representation to draw.")
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("hiddenProjection")
        self.mode_combo.addItems([MODE_PCA, MODE_UNITS])
        self.mode_combo.setItemData(0, "Principal component analysis: the two directions in which this layer's "
                                    "activations vary most", Qt.ItemDataRole.ToolTipRole)
        self.mode_combo.setToolTip("PCA, principal components: the two directions in which this layer's activations "
                                   "vary most (works for any width).\nTwo units: plot the outputs of two chosen "
                                   "units against each other.")
        row.addWidget(self.mode_combo)
        self.unit_x = QSpinBox()
        self.unit_y = QSpinBox()
        for spin, name, axis in ((self.unit_x, "hiddenUnitX", "horizontal"), (self.unit_y, "hiddenUnitY", "vertical")):
            spin.setObjectName(name)
            spin.setRange(0, 0)
            spin.setPrefix("unit ")
            spin.setToolTip(f"The unit on the {axis} axis (in 'Two units' mode).")
            spin.valueChanged.connect(self._redraw)
            row.addWidget(spin)
        row.addStretch(1)
        self.layer_combo.currentTextChanged.connect(self._on_layer_changed)
        self.mode_combo.currentTextChanged.connect(self._on_mode_changed)

        self.plot = plot_widget()
        self.plot.setObjectName("hiddenPlot")
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        self.horizontal_lines = item.plot(pen=pg.mkPen("#9aa4ad", width=1))
        self.vertical_lines = item.plot(pen=pg.mkPen("#c9b8a6", width=1))
        self.scatter = pg.ScatterPlotItem(size=6, pen=pg.mkPen("w", width=0.8), pxMode=True)
        item.addItem(self.scatter)
        self.plot.setToolTip(
            "The training points and the input plane's grid lines (grey: horizontal, tan: vertical) as this layer "
            "sees them.\nEach layer bends and stretches the plane; a good network unfolds the 'crumpled paper' "
            "until the two classes can be split by a straight line - which is all the output layer can do.")
        self.content_layout.addWidget(self.plot)

        self.probes = ()
        self._layers: list[str] = []
        self._points: np.ndarray | None = None
        self._lines: np.ndarray | None = None
        self._pca: PCA | None = None
        self._data_key: tuple[Any, ...] = ()
        self._brushes: list[Any] = []
        self._axis_labels = ("", "")
        self._on_mode_changed(MODE_PCA)

    # Layers and modes -----------------------------------------------------------------------------------------

    @property
    def layer(self) -> str:
        return self.layer_combo.currentText()

    @property
    def mode(self) -> str:
        return "pca" if self.mode_combo.currentText() == MODE_PCA else "units"

    def set_mode(self, mode: str) -> None:
        self.mode_combo.setCurrentText(MODE_PCA if mode == "pca" else MODE_UNITS)

    def set_units(self, first: int, second: int) -> None:
        self.unit_x.setValue(first)
        self.unit_y.setValue(second)

    def set_layers(self, names: Iterable[str]) -> None:
        """The hidden layers to offer (e.g. from the graph). Keeps the current choice when it is still there,
        else chooses the last (the one the output layer must separate)."""
        names = [str(n) for n in names]
        if names == self._layers:
            return
        current = self.layer
        self._layers = names
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.addItems(names)
        self.layer_combo.blockSignals(False)
        if names:
            self.layer_combo.setCurrentText(current if current in names else names[-1])
        self._on_layer_changed(self.layer)

    def _on_layer_changed(self, name: str) -> None:
        probes: tuple[str, ...] = (f"hidden:{name}",) if name else ()
        if probes != self.probes:
            self.probes = probes
            self._points = self._lines = None
            self._pca = None
            if name:
                self.probe_changed.emit(probes[0])

    def _on_mode_changed(self, _text: str) -> None:
        units = self.mode == "units"
        for spin in (self.unit_x, self.unit_y):
            spin.setEnabled(units)
            # Out of the row unless they are used: in a narrow dock they cut the layer and mode choosers short.
            spin.setVisible(units)
        self._redraw()

    # Drawing --------------------------------------------------------------------------------------------------

    def show_snapshot(self, snapshot: Any) -> None:
        dataset = mapping(snapshot, "dataset")
        neurons, hidden = probe(snapshot, Neurons), probe(snapshot, HiddenSpace)
        train = array(dataset, "train_points")
        if train is None:
            self.show_empty(NEEDS_PLANE)
            return
        found = list(neurons.layers if neurons is not None else ()) + list(hidden.layers if hidden is not None else ())
        extra = [n for n in dict.fromkeys(found) if n not in self._layers]
        if extra:
            self.set_layers(self._layers + extra)
        if not self._layers:
            self.show_empty("No hidden layer to show: add a Dense layer with an activation between input and output.")
            return
        key = data_key(snapshot, dataset)
        if key != self._data_key:
            self._data_key = key
            self._brushes = point_brushes(array(dataset, "train_labels"), str(attr(snapshot, "task", "")), len(train))
        shown = hidden.layers.get(self.layer) if hidden is not None and self.layer else None
        points = shown.points if shown is not None and shown.points.size else None
        lines = shown.lines if shown is not None and shown.lines.size else None
        if points is None or points.ndim != 2:
            self.show_empty(PRESS_PLAY if attr(snapshot, "state", "ready") == "ready"
                            else f"Waiting for layer '{self.layer}' …")
            return
        self.show_content()
        self._points = points
        self._lines = lines if lines is not None and lines.ndim == 3 else None
        units = points.shape[1]
        if self.unit_x.maximum() != units - 1:
            first_time = self.unit_y.maximum() == 0
            for spin in (self.unit_x, self.unit_y):
                spin.blockSignals(True)
                spin.setMaximum(units - 1)
            if first_time and units > 1:
                self.unit_y.setValue(1)  # two different units to start with
            for spin in (self.unit_x, self.unit_y):
                spin.blockSignals(False)
        self._redraw()

    def projected(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The points (N, 2) and lines (L, P, 2) as currently drawn."""
        assert self._points is not None
        if self.mode == "pca":
            self._pca = fit_pca(self._points, 2, previous=self._pca)
            pts = self._pca.transform(self._points)
            lines = self._pca.transform(self._lines) if self._lines is not None else None
        else:
            a, b = self.unit_x.value(), self.unit_y.value()
            pts = select_units(self._points, a, b)
            lines = select_units(self._lines, a, b) if self._lines is not None else None
        return pts, lines

    def _redraw(self, *_args: Any) -> None:
        if self._points is None:
            return
        pts, lines = self.projected()
        brushes = self._brushes if len(self._brushes) == len(pts) else None
        if brushes is None:
            self.scatter.setData(x=pts[:, 0], y=pts[:, 1], brush=pg.mkBrush("#888888"))
        else:
            self.scatter.setData(x=pts[:, 0], y=pts[:, 1], brush=brushes)
        if lines is not None and len(lines):
            half = len(lines) // 2
            for item, part in ((self.horizontal_lines, lines[:half]), (self.vertical_lines, lines[half:])):
                x, y = polyline_with_breaks(part)
                item.setData(x, y, connect="finite")
        else:
            self.horizontal_lines.setData([], [])
            self.vertical_lines.setData([], [])
        if self.mode == "pca" and self._pca is not None:
            r = self._pca.explained_ratio
            labels = (f"PC 1 ({100 * r[0]:.0f}% of variance)", f"PC 2 ({100 * r[1]:.0f}%)")
        else:
            labels = (f"unit {self.unit_x.value()}", f"unit {self.unit_y.value()}")
        self._set_axis_labels(labels)
        self.set_caption(f"{self.layer}: {self._points.shape[1]} units, {len(pts)} training points")

    def _set_axis_labels(self, labels: tuple[str, str]) -> None:
        # Rounded percentages change rarely; setLabel re-lays out the axis, so only call it on a change.
        if labels != self._axis_labels:
            self._axis_labels = labels
            item = self.plot.getPlotItem()
            item.setLabel("bottom", labels[0])
            item.setLabel("left", labels[1])


SPEC = ViewSpec("hidden", "Hidden space", HiddenSpaceView, probes=("hidden",), tasks=CLASSIC_TASKS,
                data=("plane",), unless=("no_hidden_layer",))
