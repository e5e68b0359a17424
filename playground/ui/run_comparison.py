"""Runs side by side (Learning > Compare runs…): the runs' curves overlaid in one plot, a table of the runs (name,
shown, state), a table of their settings with the differences highlighted, and each run's main view beside the
others'. It only draws and asks; the composition root's presenter trains the runs and answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.snapshots import Snapshot
from playground.snapshots.comparison import SettingsTable

from .run_panel import RunPanel, RunRow, run_colour
from .views.curves import curve_plot

__all__ = ["RunComparisonView", "RunComparisonWindow", "RunPanel", "RunRow", "run_colour"]

DIFFERS = QColor("#ffe9a8")
METRICS = {"Loss": "loss", "Accuracy": "accuracy"}
RUN_COLUMNS = ("", "Run (double-click to rename)", "Shown", "Change", "Epoch", "Test loss", "Test acc.", "")
CURVES_TIP = ("Each run's curve in its own colour: test data solid, training data dashed. Runs that differ in one "
              "setting and start from the same weights: the gap between two curves is what that setting does.")
SETTINGS_TIP = "Every run's settings; the rows where runs differ are highlighted."


class RunComparisonView(QWidget):
    """The comparison: a row of controls, the curves beside the two tables, and the runs' main views."""

    duplicate_requested = Signal(int, str, object)  # from run, change kind, new value
    rename_requested = Signal(int, str)
    hidden_changed = Signal(int, bool)
    remove_requested = Signal(int)
    play_toggled = Signal(bool)
    restart_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runComparisonView")
        self._rows: list[RunRow] = []
        self._histories: dict[int, Mapping[str, np.ndarray]] = {}
        self._curves: dict[int, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._panels: dict[int, RunPanel] = {}
        self._filling = False
        self._builds_left = 1
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(4)
        outer.addLayout(self._controls())
        top = QSplitter(Qt.Orientation.Horizontal)
        top.setChildrenCollapsible(False)
        top.addWidget(self._curves_box())
        tables = QSplitter(Qt.Orientation.Vertical)
        tables.setChildrenCollapsible(False)
        tables.addWidget(self._runs_table())
        tables.addWidget(self._settings_table())
        tables.setSizes([140, 180])
        top.addWidget(tables)
        top.setSizes([520, 760])
        self.panels_host = QWidget()
        self.panels_host.setObjectName("runPanels")
        self.panels_layout = QHBoxLayout(self.panels_host)
        self.panels_layout.setContentsMargins(0, 0, 0, 0)
        self.panels_layout.setSpacing(4)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.panels_host)
        self.splitter.setSizes([330, 370])
        outer.addWidget(self.splitter, 1)

    # Building -----------------------------------------------------------------------------------------------

    def _controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Duplicate"))
        self.from_combo = QComboBox()
        self.from_combo.setObjectName("duplicateFrom")
        self.from_combo.setToolTip("The run to copy: same seed, same data, same starting weights")
        self.from_combo.setMinimumWidth(140)
        row.addWidget(self.from_combo)
        row.addWidget(QLabel("with"))
        self.change_combo = QComboBox()
        self.change_combo.setObjectName("changeKind")
        self.change_combo.setToolTip("The one thing the copy does differently")
        self.change_combo.currentIndexChanged.connect(self._on_change_kind)
        row.addWidget(self.change_combo)
        self.value_stack = QStackedWidget()
        self.choice_value = QComboBox()
        self.choice_value.setObjectName("changeChoice")
        self.float_value = QDoubleSpinBox()
        self.float_value.setObjectName("changeNumber")
        self.float_value.setDecimals(4)
        self.int_value = QSpinBox()
        self.int_value.setObjectName("changeWhole")
        self.int_value.setRange(1, 4096)
        self.nothing_value = QLabel("")
        for w in (self.nothing_value, self.choice_value, self.float_value, self.int_value):
            self.value_stack.addWidget(w)
        self.value_stack.setFixedWidth(110)
        row.addWidget(self.value_stack)
        self.add_button = QPushButton("Add run")
        self.add_button.setObjectName("addRun")
        self.add_button.setToolTip("Add the copy as a new run; it trains with the others")
        self.add_button.clicked.connect(self._on_add)
        row.addWidget(self.add_button)
        row.addSpacing(16)
        self.play_button = QPushButton("Train")
        self.play_button.setObjectName("comparisonPlay")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Train every run together, one epoch each in turn")
        self.play_button.toggled.connect(self._on_play)
        row.addWidget(self.play_button)
        self.restart_button = QPushButton("Restart all")
        self.restart_button.setObjectName("comparisonRestart")
        self.restart_button.setToolTip("Every run back to the same starting weights, and train them again")
        self.restart_button.clicked.connect(self.restart_requested)
        row.addWidget(self.restart_button)
        self.status = QLabel("")
        self.status.setObjectName("comparisonStatus")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(self.status, 1)
        return row

    def _curves_box(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        line = QHBoxLayout()
        line.addWidget(QLabel("Curves:"))
        self.metric_combo = QComboBox()
        self.metric_combo.setObjectName("comparisonMetric")
        self.metric_combo.addItems(list(METRICS))
        self.metric_combo.currentIndexChanged.connect(lambda _i: self._redraw_curves())
        line.addWidget(self.metric_combo)
        key = QLabel("solid: test, dashed: training")
        key.setStyleSheet("color: #555;")
        line.addWidget(key)
        line.addStretch(1)
        layout.addLayout(line)
        self.plot = curve_plot("comparisonCurves", "epoch", "loss")
        self.plot.setToolTip(CURVES_TIP)
        self.legend = _legend_above(self.plot.getPlotItem(), 3)
        self.plot.setMinimumSize(320, 200)
        layout.addWidget(self.plot, 1)
        return box

    def _runs_table(self) -> QTableWidget:
        t = QTableWidget(0, len(RUN_COLUMNS))
        t.setObjectName("comparisonRuns")
        t.setHorizontalHeaderLabels(list(RUN_COLUMNS))
        t.verticalHeader().setVisible(False)
        t.verticalHeader().setDefaultSectionSize(22)
        t.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = t.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        t.itemChanged.connect(self._on_run_item)
        self.runs_table = t
        return t

    def _settings_table(self) -> QTableWidget:
        t = QTableWidget(0, 0)
        t.setObjectName("comparisonSettings")
        t.setToolTip(SETTINGS_TIP)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        t.verticalHeader().setDefaultSectionSize(20)
        self.settings_table = t
        return t

    # What the presenter tells it ------------------------------------------------------------------------------

    def set_change_choices(self, kinds: Mapping[str, str], choices: Mapping[str, Sequence[str]]) -> None:
        """The changes a duplicate may make (kind -> label) and, for kinds with a list of values, the values."""
        self._choices = {k: list(v) for k, v in choices.items()}
        self.change_combo.blockSignals(True)
        self.change_combo.clear()
        for kind, label in kinds.items():
            self.change_combo.addItem(label, kind)
        self.change_combo.blockSignals(False)
        self.change_combo.setCurrentIndex(min(2, self.change_combo.count() - 1))
        self._on_change_kind()

    def set_runs(self, rows: Sequence[RunRow]) -> None:
        """The runs, in order: the table, the curves and the panels follow."""
        self._rows = list(rows)
        ids = {r.id for r in rows}
        for gone in [i for i in self._curves if i not in ids]:
            for curve in self._curves.pop(gone):
                self.plot.getPlotItem().removeItem(curve)
            self._histories.pop(gone, None)
        for gone in [i for i in self._panels if i not in ids]:
            self._panels.pop(gone).deleteLater()
        for row in rows:
            if row.id not in self._curves:
                item = self.plot.getPlotItem()
                train = item.plot(pen=pg.mkPen(row.colour, width=1.5, style=Qt.PenStyle.DashLine))
                test = item.plot(pen=pg.mkPen(row.colour, width=2.5))
                self._curves[row.id] = (test, train)
            if row.id not in self._panels:
                self._panels[row.id] = RunPanel(row)
            self._panels[row.id].set_row(row)
            for curve in self._curves[row.id]:
                curve.setVisible(not row.hidden)
        while self.panels_layout.count():
            self.panels_layout.takeAt(0)
        for row in rows:
            panel = self._panels[row.id]
            panel.setVisible(not row.hidden)
            if not row.hidden:
                self.panels_layout.addWidget(panel, 1)
        self._fill_runs_table()
        self._rebuild_legend()
        selected = self.from_combo.currentData()
        self.from_combo.clear()
        for row in rows:
            self.from_combo.addItem(row.name, row.id)
        index = self.from_combo.findData(selected)
        self.from_combo.setCurrentIndex(max(0, index))
        self.add_button.setEnabled(bool(rows))

    def set_table(self, table: SettingsTable) -> None:
        names = {r.id: r.name for r in self._rows}
        t = self.settings_table
        t.clear()
        # What differs on top: it is what the comparison is about, and the rest may scroll out of sight.
        rows = sorted(table.rows, key=lambda row: not row.differs)
        t.setColumnCount(len(table.runs))
        t.setRowCount(len(rows))
        t.setHorizontalHeaderLabels([names.get(i, str(i)) for i in table.runs])
        t.setVerticalHeaderLabels([("● " if row.differs else "") + row.name for row in rows])
        bold = QFont(t.font())
        bold.setBold(True)
        for r, row in enumerate(rows):
            for c, value in enumerate(row.values):
                item = QTableWidgetItem(value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if row.differs:
                    item.setBackground(QBrush(DIFFERS))
                    item.setFont(bold)
                    item.setToolTip(f"{row.name} differs between the runs")
                t.setItem(r, c, item)
        self._table = table

    def highlighted_settings(self) -> list[str]:
        """The settings whose row is highlighted (the ones the runs differ in)."""
        t = self.settings_table
        out = []
        for r in range(t.rowCount()):
            item = t.item(r, 0)
            header = t.verticalHeaderItem(r)
            if item is not None and header is not None and item.background().color() == DIFFERS:
                out.append(header.text().removeprefix("● "))
        return out

    def show_run(self, run_id: int, history: Mapping[str, np.ndarray], snapshot: Snapshot | None,
                 state: str = "", note: str = "") -> None:
        """A run's curves (``history``), its main view (``snapshot``; None: ``note`` instead) and its state."""
        self._histories[run_id] = history
        self._draw_curves(run_id)
        panel = self._panels.get(run_id)
        if panel is not None:
            builds = panel.view is None and snapshot is not None
            drawn = panel.show_snapshot(snapshot, note, may_build=self._builds_left > 0)
            self._builds_left -= int(builds and drawn)
        self._numbers(run_id, state)

    def begin_redraw(self) -> None:
        """A new round of :meth:`show_run` calls: it may build one more run's view."""
        self._builds_left = 1

    def set_playing(self, on: bool) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(on)
        self.play_button.setText("Pause" if on else "Train")
        self.play_button.blockSignals(False)

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setToolTip(text)

    def curve_data(self, run_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The test curve drawn for a run now (x, y)."""
        x, y = self._curves[run_id][0].getData()
        return (np.asarray([]) if x is None else x), (np.asarray([]) if y is None else y)

    def curve_visible(self, run_id: int) -> bool:
        return bool(self._curves[run_id][0].isVisible())

    def panel(self, run_id: int) -> RunPanel | None:
        return self._panels.get(run_id)

    # Drawing --------------------------------------------------------------------------------------------------

    def _metric(self) -> str:
        return METRICS[self.metric_combo.currentText()]

    def _redraw_curves(self) -> None:
        self.plot.getPlotItem().setLabel("left", self._metric())
        for run_id in self._curves:
            self._draw_curves(run_id)

    def _draw_curves(self, run_id: int) -> None:
        curves = self._curves.get(run_id)
        history = self._histories.get(run_id, {})
        if curves is None:
            return
        metric = self._metric()
        epochs = np.asarray(history.get("epoch", []), dtype=np.float64)
        for curve, split in zip(curves, ("test", "train")):
            values = np.asarray(history.get(f"{split}_{metric}", []), dtype=np.float64)
            if len(values) != len(epochs) or not len(values):
                curve.setData([], [])
                continue
            keep = np.isfinite(values)
            curve.setData(epochs[keep], values[keep])

    def _rebuild_legend(self) -> None:
        self.legend.clear()
        for row in self._rows:
            if not row.hidden:
                self.legend.addItem(self._curves[row.id][0], row.name)

    def _row_index(self, run_id: int) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == run_id), None)

    def _fill_runs_table(self) -> None:
        t = self.runs_table
        self._filling = True
        try:
            t.setRowCount(len(self._rows))
            for i, row in enumerate(self._rows):
                swatch = QTableWidgetItem("■")
                swatch.setForeground(QBrush(QColor(row.colour)))
                swatch.setFlags(Qt.ItemFlag.ItemIsEnabled)
                name = QTableWidgetItem(row.name)
                name.setData(Qt.ItemDataRole.UserRole, row.id)
                name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsEditable)
                shown = QTableWidgetItem("")
                shown.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                shown.setCheckState(Qt.CheckState.Unchecked if row.hidden else Qt.CheckState.Checked)
                shown.setToolTip("Show this run's curves and picture")
                change = QTableWidgetItem(row.change or "the original")
                change.setFlags(Qt.ItemFlag.ItemIsEnabled)
                for col, item in enumerate((swatch, name, shown, change)):
                    t.setItem(i, col, item)
                remove = QToolButton()
                remove.setAutoRaise(True)
                remove.setText("Remove")
                remove.setObjectName(f"removeRun{row.id}")
                remove.setToolTip(f"Remove {row.name} from the comparison")
                remove.clicked.connect(lambda _c=False, run_id=row.id: self.remove_requested.emit(run_id))
                t.setCellWidget(i, 7, remove)
                for col in (4, 5, 6):
                    t.takeItem(i, col)
        finally:
            self._filling = False
        for row in self._rows:
            if row.id in self._histories:
                self._numbers(row.id)

    def _numbers(self, run_id: int, state: str = "") -> None:
        """A run's epoch, test loss and test accuracy in its row of the runs table."""
        row = self._row_index(run_id)
        if row is None:
            return
        history = self._histories.get(run_id, {})
        epochs = history.get("epoch")
        values = [str(int(epochs[-1])) if epochs is not None and len(epochs) else "0",
                  _last(history, "test_loss", "{:.4f}"), _last(history, "test_accuracy", "{:.1%}")]
        self._filling = True
        try:
            for col, text in zip((4, 5, 6), values):
                item = self.runs_table.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.runs_table.setItem(row, col, item)
                if item.text() != text:
                    item.setText(text)
                if col == 4 and state and item.toolTip() != state:
                    item.setToolTip(state)
        finally:
            self._filling = False

    # What the user does ---------------------------------------------------------------------------------------

    def _on_run_item(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        row = self._rows[item.row()] if item.row() < len(self._rows) else None
        if row is None:
            return
        if item.column() == 1:
            name = item.text().strip()
            if name and name != row.name:
                self.rename_requested.emit(row.id, name)
            elif not name:
                self._filling = True
                item.setText(row.name)
                self._filling = False
        elif item.column() == 2:
            hidden = item.checkState() != Qt.CheckState.Checked
            if hidden != row.hidden:
                self.hidden_changed.emit(row.id, hidden)

    def _on_change_kind(self, *_args: Any) -> None:
        kind = self.change_combo.currentData()
        choices = getattr(self, "_choices", {}).get(kind)
        if choices:
            self.choice_value.clear()
            self.choice_value.addItems(choices)
            self.value_stack.setCurrentWidget(self.choice_value)
        elif kind in ("learning_rate", "dropout"):
            if kind == "learning_rate":
                self.float_value.setRange(1e-5, 10.0)
                self.float_value.setSingleStep(0.01)
                self.float_value.setValue(0.1)
            else:
                self.float_value.setRange(0.0, 0.9)
                self.float_value.setSingleStep(0.1)
                self.float_value.setValue(0.3)
            self.value_stack.setCurrentWidget(self.float_value)
        elif kind in ("batch_size", "units"):
            self.int_value.setValue(64 if kind == "batch_size" else 8)
            self.value_stack.setCurrentWidget(self.int_value)
        else:
            self.value_stack.setCurrentWidget(self.nothing_value)

    def change_value(self) -> Any:
        widget = self.value_stack.currentWidget()
        if widget is self.choice_value:
            return self.choice_value.currentText()
        if widget is self.float_value:
            return float(self.float_value.value())
        if widget is self.int_value:
            return int(self.int_value.value())
        return ""

    def _on_add(self) -> None:
        source = self.from_combo.currentData()
        if source is not None:
            self.duplicate_requested.emit(int(source), str(self.change_combo.currentData()), self.change_value())

    def _on_play(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Train")
        self.play_toggled.emit(on)


def _legend_above(plot: pg.PlotItem, columns: int) -> pg.LegendItem:
    """The runs' names in rows above the curves: inside the plot, up to eight names would cover the curves."""
    legend = pg.LegendItem(colCount=columns, labelTextColor="#333", verSpacing=-8, horSpacing=6)
    legend.layout.setContentsMargins(0, 0, 0, 0)
    plot.layout.removeItem(plot.titleLabel)  # no title: its row holds the legend
    plot.titleLabel.setVisible(False)
    plot.layout.addItem(legend, 0, 1)
    return legend


def _last(history: Mapping[str, np.ndarray], name: str, form: str) -> str:
    values = history.get(name)
    if values is None or not len(values) or not np.isfinite(values[-1]):
        return ""
    return form.format(float(values[-1]))


class RunComparisonWindow(QWidget):
    """A window of its own for the comparison; ``closed`` when it goes away (the runs pause)."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("runComparisonWindow")
        self.setWindowTitle("Compare runs")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = RunComparisonView()
        layout.addWidget(self.view)
        self.resize(1340, 720)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)
