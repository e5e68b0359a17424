"""Loss and accuracy per epoch, train and test, drawn from the snapshot's downsampled history."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QCheckBox, QHBoxLayout, QWidget

from playground.viz.colormaps import TF_BLUE, TF_ORANGE

from .base import PRESS_PLAY, SnapshotView, array, attr, mapping
from .curves import corner_legend, curve_plot
from .view_spec import ViewSpec

TRAIN_COLOR = TF_BLUE
TEST_COLOR = TF_ORANGE
# Shorter than this (and wide), the panel puts the two plots side by side: stacked, each would get a sliver with
# its ticks printed over one another (the right column of a 1366x768 screen).
SIDE_BY_SIDE_BELOW = 300
# The value axes of both plots equally wide, so an epoch of the loss sits right above the same of the accuracy.
AXIS_WIDTH = 48


class LossCurvePanel(SnapshotView):
    """Train and test loss (and accuracy for classification) per epoch.

    Reads: ``state``, ``epoch``, ``task``, ``metrics`` (train_loss, test_loss, train_accuracy, test_accuracy)
    and ``history`` (epoch, train_loss, test_loss, train_accuracy, test_accuracy).
    """

    probes: tuple[str, ...] = ()
    title = "Loss"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossCurvePanel")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.log_checkbox = QCheckBox("Log scale")
        self.log_checkbox.setObjectName("lossLogScale")
        self.log_checkbox.setToolTip("Plot the loss on a logarithmic axis. Late in training the loss keeps falling by "
                                     "factors, which a linear axis flattens into a line at zero.")
        self.log_checkbox.toggled.connect(self.set_log_scale)
        row.addWidget(self.log_checkbox)
        row.addStretch(1)
        self.controls_layout.addLayout(row)

        self.loss_plot = curve_plot("lossPlot", "", "loss", log_y=True)
        item = self.loss_plot.getPlotItem()
        corner_legend(item, 2)
        self.train_loss_curve = item.plot(name="train", pen=pg.mkPen(TRAIN_COLOR, width=2))
        self.test_loss_curve = item.plot(name="test", pen=pg.mkPen(TEST_COLOR, width=2))
        self.loss_plot.setToolTip(
            "Loss per epoch on the training data (blue) and on held-out test data (orange).\n"
            "Both falling: the network is learning. Train falling while test rises: it is memorising the "
            "training points (overfitting) - try more data, less capacity or regularization.\n"
            "Flat from the start: the learning rate may be too small; jumping around: too large.")

        self.accuracy_plot = curve_plot("accuracyPlot", "epoch", "accuracy")
        acc = self.accuracy_plot.getPlotItem()
        for plot in (item, acc):
            plot.getAxis("left").setWidth(AXIS_WIDTH)
        acc.setYRange(0.0, 1.0, padding=0.02)
        acc.enableAutoRange(axis="y", enable=False)
        acc.setXLink(item)
        self.train_accuracy_curve = acc.plot(name="train", pen=pg.mkPen(TRAIN_COLOR, width=2))
        self.test_accuracy_curve = acc.plot(name="test", pen=pg.mkPen(TEST_COLOR, width=2))
        self.accuracy_plot.setToolTip(
            "Fraction of points classified correctly, on training (blue) and test (orange) data.\n"
            "A gap that grows between the two is overfitting.")
        # Equal heights: at 3 to 2 the accuracy plot was a strip whose 0..1 axis could not be read.
        self.content_layout.addWidget(self.loss_plot, 1)
        self.content_layout.addWidget(self.accuracy_plot, 1)
        self._drawn_key: tuple[Any, ...] | None = None
        self._task = ""
        self._loss_x_label = ""

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange()

    @property
    def side_by_side(self) -> bool:
        return self.content_layout.direction() == QBoxLayout.Direction.LeftToRight

    def _arrange(self) -> None:
        """Loss above accuracy, or beside it in a short wide panel; the loss plot names its x axis unless the
        accuracy plot right below it does."""
        side = self.height() < SIDE_BY_SIDE_BELOW and self.width() >= 1.4 * self.height()
        direction = QBoxLayout.Direction.LeftToRight if side else QBoxLayout.Direction.TopToBottom
        if self.content_layout.direction() != direction:
            self.content_layout.setDirection(direction)
        label = "" if self._task == "classification" and not side else "epoch"
        if label != self._loss_x_label:
            self._loss_x_label = label
            self.loss_plot.getPlotItem().setLabel("bottom", label)

    def set_log_scale(self, on: bool) -> None:
        if self.log_checkbox.isChecked() != on:
            self.log_checkbox.setChecked(on)  # re-enters through toggled
            return
        self.loss_plot.getPlotItem().setLogMode(y=on)

    @property
    def log_scale(self) -> bool:
        return self.log_checkbox.isChecked()

    def show_snapshot(self, snapshot: Any) -> None:
        history = mapping(snapshot, "history")
        metrics = mapping(snapshot, "metrics")
        task = str(attr(snapshot, "task", "classification"))
        epochs = array(history, "epoch")
        if task != self._task:
            self._task = task
            self.accuracy_plot.setVisible(task == "classification")
            self._arrange()
        self.set_caption(self._caption(snapshot, metrics, task))
        if epochs is None:
            self.show_empty(PRESS_PLAY)
            self._drawn_key = None
            return
        self.show_content()
        key = (len(epochs), float(epochs[0]), float(epochs[-1]), _last(history, "train_loss"),
               _last(history, "test_loss"))
        if key == self._drawn_key:
            return  # same epoch as last frame: nothing new to draw
        self._drawn_key = key
        _set(self.train_loss_curve, epochs, array(history, "train_loss"))
        _set(self.test_loss_curve, epochs, array(history, "test_loss"))
        if task == "classification":
            _set(self.train_accuracy_curve, epochs, array(history, "train_accuracy"))
            _set(self.test_accuracy_curve, epochs, array(history, "test_accuracy"))

    @staticmethod
    def _caption(snapshot: Any, metrics: Any, task: str) -> str:
        parts = [f"Epoch {int(attr(snapshot, 'epoch', 0))}"]
        for key, label in (("train_loss", "train loss"), ("test_loss", "test loss")):
            v = metrics.get(key)
            if v is not None and math.isfinite(v):
                parts.append(f"{label} {v:.4g}")
        if task == "classification":
            v = metrics.get("test_accuracy")
            if v is not None and math.isfinite(v):
                parts.append(f"test accuracy {100 * v:.1f}%")
        return "  ·  ".join(parts)


def _last(history: Any, key: str) -> float:
    a = array(history, key)
    return float(a[-1]) if a is not None else float("nan")


def _set(curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray | None) -> None:
    if y is None or len(y) != len(x):
        curve.setData([], [])
        return
    y = np.asarray(y, dtype=np.float64)
    curve.setData(np.asarray(x, dtype=np.float64), y, connect="finite")


SPEC = ViewSpec("loss", "Loss and accuracy", LossCurvePanel, place="side", min_size=(120, 90))
