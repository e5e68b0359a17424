"""Points you draw: a draw mode for the Output view's plane (TF Playground's most asked-for feature).

Click to add a point of the chosen class (or, for a regression set, of the chosen value), drag to paint many, switch
to Erase to remove the points you drew. The drawer owns no data: it shows the lab's drawn points (``set_drawn``) and
emits the whole new list once per click or stroke (``drawn_changed``), which the window turns into an undoable edit
of the lab; a running trainer takes the new points at once, so the boundary moves while the student watches.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)

from playground.viz.colormaps import class_color, diverging_lut, map_values

#: Units of the plane between two points of one stroke (the plane is 12 units wide: about 40 points across).
STROKE_SPACING = 0.3
ERASE_RADIUS = 0.45
DRAWN_SIZE = 11
PLANE = 6.0  # drawn points must lie on the 2-D sets' plane


def _swatch(color: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


def value_color(value: float) -> QColor:
    rgba = map_values(np.array([value], dtype=np.float64), diverging_lut(), -1, 1)[0]
    return QColor(*map(int, rgba))


class PointDrawer(QObject):
    """Adds the draw row to a DecisionBoundaryView and turns mouse strokes on its plane into drawn points."""

    drawn_changed = Signal(list)  # the whole new list of [x, y, value]
    mode_changed = Signal(str)  # "", "draw" or "erase"

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self.view = view
        self._drawn: list[list[float]] = []
        self._stroke: list[list[float]] | None = None  # the list while a stroke is under way
        self._last: tuple[float, float] | None = None
        self._task = "classification"
        self._available = False
        # Kept here, not read from the buttons: the viewport's events still reach the filter while Qt tears the
        # view down, after its buttons are gone.
        self._mode = ""
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.draw_button = QToolButton()
        self.draw_button.setObjectName("drawPointsButton")
        self.draw_button.setText("✎ Draw")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("Click on the plane to add a training point of the chosen class; drag to paint "
                                    "several. While training runs the network learns them at once: add a point "
                                    "where it is wrong and watch the boundary move.")
        self.erase_button = QToolButton()
        self.erase_button.setObjectName("erasePointsButton")
        self.erase_button.setText("Erase")
        self.erase_button.setCheckable(True)
        self.erase_button.setToolTip("Click or drag over the points you drew to remove them (the generated points "
                                     "stay).")
        self.class_combo = QComboBox()
        self.class_combo.setObjectName("drawClass")
        self.class_combo.setToolTip("The class of the points you add.")
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.class_combo.setMinimumContentsLength(4)
        self.value_spin = QDoubleSpinBox()
        self.value_spin.setObjectName("drawValue")
        self.value_spin.setRange(-1.0, 1.0)
        self.value_spin.setSingleStep(0.25)
        self.value_spin.setValue(1.0)
        self.value_spin.setToolTip("The value of the points you add, from −1 (orange) to +1 (blue).")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clearDrawnButton")
        self.clear_button.setToolTip("Remove every point you drew.")
        self.count_label = QLabel("")
        self.count_label.setObjectName("drawnCount")
        self.count_label.setStyleSheet("color: #555;")
        # The Draw button joins the view's first row of controls (no height taken while nobody draws); the tools
        # of the draw mode get a row of their own, shown only while drawing, so the plane keeps its room.
        first = view.controls_layout.itemAt(0).layout() if view.controls_layout.count() else None
        if isinstance(first, QHBoxLayout):
            first.insertWidget(max(0, first.count() - 1), self.draw_button)  # before the closing stretch
        else:
            row.addWidget(self.draw_button)
        for widget in (self.class_combo, self.value_spin, self.erase_button, self.clear_button, self.count_label):
            row.addWidget(widget)
        row.addStretch(1)
        self.row = QWidget()
        self.row.setObjectName("drawRow")
        self.row.setLayout(row)
        self.row.setVisible(False)
        view.controls_layout.addWidget(self.row)
        self.draw_button.toggled.connect(lambda on: self._set_mode("draw" if on else ""))
        self.erase_button.toggled.connect(lambda on: self._set_mode("erase" if on else ""))
        self.clear_button.clicked.connect(self._clear)

        plot_item = view.plot.getPlotItem()
        self._vb = plot_item.getViewBox()
        # Drawn points: larger, with a dark ring, over the generated ones (small, white rings), so the student
        # sees which are theirs.
        self.scatter = pg.ScatterPlotItem(size=DRAWN_SIZE, pen=pg.mkPen("#1a1a1a", width=2), symbol="o",
                                          pxMode=True)
        self.scatter.setZValue(20)
        plot_item.addItem(self.scatter)
        view.plot.viewport().installEventFilter(self)
        self.set_context("classification", 2, [], False)

    # What the window tells the drawer ---------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def drawn(self) -> list[list[float]]:
        return [list(p) for p in (self._stroke if self._stroke is not None else self._drawn)]

    def set_context(self, task: str, classes: int, class_names: list[str], available: bool) -> None:
        """The lab's kind of data: which classes (or a value) a point may get; ``available`` only for 2-D sets."""
        self._task = task
        self._available = available
        self.draw_button.setVisible(available)
        self.row.setVisible(available and bool(self._mode))
        if not available:
            self.draw_button.setChecked(False)
            self.erase_button.setChecked(False)
        classify = task == "classification"
        self.class_combo.setVisible(classify)
        self.value_spin.setVisible(not classify)
        if classify:
            current = max(0, self.class_combo.currentIndex())
            self.class_combo.blockSignals(True)
            self.class_combo.clear()
            for c in range(max(classes, 2)):
                name = class_names[c] if c < len(class_names) else f"class {c}"
                self.class_combo.addItem(_swatch(class_color(c)), name, c)
            self.class_combo.setCurrentIndex(min(current, self.class_combo.count() - 1))
            self.class_combo.blockSignals(False)
        self._show()

    def set_drawn(self, drawn: list[list[float]]) -> None:
        """The lab's drawn points (after an edit, an undo, a new lab)."""
        self._drawn = [list(p) for p in drawn]
        if self._stroke is None:
            self._show()

    # Drawing ----------------------------------------------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        self._mode = mode
        self.row.setVisible(self._available and bool(mode))
        for button, key in ((self.draw_button, "draw"), (self.erase_button, "erase")):
            if key != mode and button.isChecked():
                button.blockSignals(True)
                button.setChecked(False)
                button.blockSignals(False)
        self.view.plot.viewport().setCursor(Qt.CursorShape.CrossCursor if mode else Qt.CursorShape.ArrowCursor)
        self.mode_changed.emit(mode)

    def _value(self) -> float:
        if self._task == "classification":
            return int(self.class_combo.currentData() or 0)
        return round(float(self.value_spin.value()), 4)

    def plane_point(self, viewport_pos: QPointF) -> tuple[float, float] | None:
        """The plane's coordinates under a viewport position, or None off the plane."""
        scene = self.view.plot.mapToScene(viewport_pos.toPoint())
        if not self._vb.sceneBoundingRect().contains(scene):
            return None
        p = self._vb.mapSceneToView(scene)
        x, y = float(p.x()), float(p.y())
        if abs(x) > PLANE or abs(y) > PLANE:
            return None
        return x, y

    def press(self, x: float, y: float) -> None:
        self._stroke = [list(p) for p in self._drawn]
        self._last = None
        self.move(x, y)

    def move(self, x: float, y: float) -> None:
        if self._stroke is None:
            return
        if self.mode == "erase":
            self._stroke = [p for p in self._stroke if math.hypot(p[0] - x, p[1] - y) > ERASE_RADIUS]
        elif self._last is None or math.hypot(x - self._last[0], y - self._last[1]) >= STROKE_SPACING - 1e-6:
            self._stroke.append([round(x, 4), round(y, 4), self._value()])
            self._last = (x, y)
        self._show()

    def release(self) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is not None and stroke != self._drawn:
            self._drawn = stroke
            self.drawn_changed.emit([list(p) for p in stroke])
        self._show()

    def _clear(self) -> None:
        if self._drawn:
            self._drawn = []
            self.drawn_changed.emit([])
        self._show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._available or not self.mode:
            return False
        kind = event.type()
        mouse = cast(QMouseEvent, event)  # what Qt sends with each of the mouse types tested below
        if kind == QEvent.Type.MouseButtonPress and mouse.button() == Qt.MouseButton.LeftButton:
            point = self.plane_point(mouse.position())
            if point is not None:
                self.press(*point)
            return True
        if kind == QEvent.Type.MouseMove and self._stroke is not None:
            point = self.plane_point(mouse.position())
            if point is not None:
                self.move(*point)
            return True
        if kind == QEvent.Type.MouseButtonRelease and mouse.button() == Qt.MouseButton.LeftButton:
            self.release()
            return True
        return False

    def _show(self) -> None:
        points = self.drawn
        if not points:
            self.scatter.setData([], [])
        else:
            pts = np.asarray(points, dtype=np.float64)
            if self._task == "classification":
                brushes = [pg.mkBrush(class_color(int(v))) for v in pts[:, 2]]
            else:
                brushes = [pg.mkBrush(value_color(float(v))) for v in pts[:, 2]]
            self.scatter.setData(x=pts[:, 0], y=pts[:, 1], brush=brushes)
        n = len(points)
        self.count_label.setText(f"{n} drawn" if n else "")
        self.clear_button.setEnabled(bool(n))
