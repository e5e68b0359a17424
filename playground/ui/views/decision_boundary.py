"""The network's output over the input plane, with the training and test points on top (TF Playground's main view)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QWidget

from playground.snapshots import DecisionBoundary
from playground.viz.boundary import class_regions, discretize, output_levels
from playground.viz.colormaps import (
    BACKGROUND_LIGHTEN,
    boundary_lut,
    class_color,
    diverging_lut,
    hex_to_rgba,
    map_values,
)

from .base import (
    NEEDS_PLANE,
    PRESS_PLAY,
    SnapshotView,
    array,
    attr,
    class_names,
    mapping,
    plane_plot,
    plot_colour_bar,
    probe,
    set_bar_label,
    set_bar_levels,
)
from .view_spec import CLASSIC_TASKS, ViewSpec

POINT_SIZE = 7
CLASSIFY_BAR = "P(class 1)"
REGRESS_BAR = "output"


def data_key(snapshot: Any, dataset: Any) -> tuple[Any, ...]:
    """What the drawn points depend on: the trainer's data version alone repeats across labs (every new trainer
    counts from the same number), so a second lab opened in the window kept the first lab's points."""
    digest = hashlib.blake2b(digest_size=16)
    for key in ("train_points", "train_labels", "test_points", "test_labels"):
        values = array(dataset, key)
        digest.update(key.encode())
        if values is not None:
            digest.update(str((values.shape, values.dtype.str)).encode())
            digest.update(np.ascontiguousarray(values).tobytes())
    return attr(snapshot, "data_version", None), str(attr(snapshot, "task", "")), digest.hexdigest()


def point_brushes(labels: np.ndarray | None, task: str, count: int) -> list[Any]:
    """One brush per point: class 0 orange, class 1 blue; regression targets through the same diverging colours."""
    if labels is None or len(labels) != count:
        return [pg.mkBrush("#888888")] * count
    if task == "classification":
        ids = np.asarray(labels).reshape(len(labels), -1)[:, 0].astype(np.int64)
        cache = {int(c): pg.mkBrush(class_color(int(c))) for c in np.unique(ids)}
        return [cache[int(c)] for c in ids]
    rgba = map_values(np.asarray(labels, dtype=np.float64).reshape(len(labels), -1)[:, 0], diverging_lut(), -1, 1)
    return [pg.mkBrush(*map(int, c)) for c in rgba]


class DecisionBoundaryView(SnapshotView):
    """Output heatmap over [-extent, extent]^2 with the points drawn over it.

    Reads: ``task``, ``state``, ``epoch``, ``data_version``, ``dataset`` (train_points, train_labels, test_points,
    test_labels, extent), the ``DecisionBoundary`` record's values (R, R), row 0 = bottom, ``metrics`` (test_loss,
    test_accuracy); with more than two ``classes`` also its probabilities (R, R, K), painted as one colour per
    class with a legend (without them, the values hold the predicted class).
    """

    probes: tuple[str, ...] = ("boundary",)
    title = "Output"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("decisionBoundaryView")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.show_test_checkbox = QCheckBox("Show test data")
        self.show_test_checkbox.setObjectName("showTestData")
        self.show_test_checkbox.setToolTip("Also draw the held-out test points (black outline). The network never "
                                           "trains on them: where they fall on the wrong colour is how it will "
                                           "do on new data.")
        self.discretize_checkbox = QCheckBox("Discretize output")
        self.discretize_checkbox.setObjectName("discretizeOutput")
        self.discretize_checkbox.setToolTip("Paint hard decisions instead of confidence: each spot takes the colour "
                                            "of the class the network would pick (threshold 0.5; the sign for "
                                            "regression). Shows the exact decision boundary.")
        self.show_test_checkbox.toggled.connect(self._on_show_test)
        self.discretize_checkbox.toggled.connect(self._redraw_image)
        row.addWidget(self.show_test_checkbox)
        row.addWidget(self.discretize_checkbox)
        row.addStretch(1)
        self.controls_layout.addLayout(row)
        self.legend = QLabel("")
        self.legend.setObjectName("classLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setToolTip("The colour of each class: its points, and the region where the network picks it "
                               "(strong where it is sure, pale near a border).")
        self.legend.setVisible(False)
        self.controls_layout.addWidget(self.legend)

        self.plot, item, self.image = plane_plot("boundaryPlot", diverging_lut())
        self.colour_bar = plot_colour_bar(item, boundary_lut(), (0.0, 1.0), CLASSIFY_BAR)
        self.train_scatter = pg.ScatterPlotItem(size=POINT_SIZE, pen=pg.mkPen("w", width=1.2), pxMode=True)
        self.test_scatter = pg.ScatterPlotItem(size=POINT_SIZE, pen=pg.mkPen("k", width=1.2), pxMode=True)
        self.test_scatter.setVisible(False)
        item.addItem(self.train_scatter)
        item.addItem(self.test_scatter)
        self.plot.setToolTip(
            "The network's output at every point of the input plane. Orange: class 0 (or -1), blue: class 1 "
            "(or +1); pale: unsure.\nDots are training data (white outline) and, if shown, test data (black).\n"
            "Watch the colours bend to follow the dots: a straight edge means the network can only draw lines "
            "- add hidden units or features.")
        self.content_layout.addWidget(self.plot)
        self._task = ""
        self._extent = 0.0
        self._data_key: tuple[Any, ...] = ()
        self._values: np.ndarray | None = None
        self._probabilities: np.ndarray | None = None  # (R, R, K) for more than two classes
        self._classes = 0
        self._legend_names: list[str] = []
        self._lut_on = True
        self._rect_key: tuple[Any, ...] = ()

    # Controls -------------------------------------------------------------------------------------------------

    def _on_show_test(self, on: bool) -> None:
        self.test_scatter.setVisible(on)

    def _redraw_image(self, *_args: Any) -> None:
        if self._values is None:
            self.image.clear()
            return
        hard = self.discretize_checkbox.isChecked()
        if self._task == "classification" and self._classes > 2:
            probs = self._probabilities
            if probs is None:  # only the predicted class (an older snapshot, a GIF frame): hard regions
                k = self._classes
                probs = np.eye(k, dtype=np.float32)[np.clip(np.nan_to_num(self._values), 0, k - 1).astype(int)]
                hard = True
            colors = np.array([hex_to_rgba(class_color(i))[:3] for i in range(probs.shape[2])], dtype=np.float64)
            values = class_regions(probs, colors, discrete=hard)
            if self._lut_on:  # a lookup table would recolour the RGBA image
                self.image.setLookupTable(None)
                self._lut_on = False
            self.image.setImage(values, autoLevels=False, levels=(0, 255))
            self.colour_bar.setVisible(False)  # the class swatches above the plot are its legend
            self.image.setOpacity(1.0)  # class_regions pales its colours itself
        else:
            if not self._lut_on:
                self.image.setLookupTable(diverging_lut())
                self._lut_on = True
            # TF Playground's colours, paled by the white plot showing through (what the colour bar shows): on the
            # full colours a blue point on a sure blue region vanished.
            self.image.setOpacity(1.0 - BACKGROUND_LIGHTEN)
            values = discretize(self._values, self._task) if hard else self._values
            levels = output_levels(self._task)
            self.image.setImage(values, levels=levels, autoLevels=False)
            set_bar_levels(self.colour_bar, levels)
            label = CLASSIFY_BAR if self._task == "classification" else REGRESS_BAR
            set_bar_label(self.colour_bar, label)
            self.colour_bar.setVisible(True)
        # setRect scales by the image's pixel count, so it must follow the first image (and any size change).
        key = (self._extent, values.shape[:2])
        if key != self._rect_key:
            self._rect_key = key
            e = self._extent
            self.image.setRect(QRectF(-e, -e, 2 * e, 2 * e))

    # Drawing --------------------------------------------------------------------------------------------------

    def show_snapshot(self, snapshot: Any) -> None:
        dataset = mapping(snapshot, "dataset")
        record = probe(snapshot, DecisionBoundary)
        task = str(attr(snapshot, "task", "classification"))
        points = array(dataset, "train_points")
        if points is None or points.ndim != 2 or points.shape[1] != 2:
            self._values = None
            self.show_empty(NEEDS_PLANE)
            self.set_caption("")
            return
        self.show_content()
        extent_a = array(dataset, "extent")
        extent = float(extent_a.ravel()[0]) if extent_a is not None else 6.0
        if extent != self._extent:
            self._extent = extent
            self.plot.getPlotItem().setRange(xRange=(-extent, extent), yRange=(-extent, extent), padding=0.0)
        self._task = task
        key = data_key(snapshot, dataset)
        if key != self._data_key:
            self._data_key = key
            self._set_points(dataset, task)
        boundary = record.values if record is not None else None
        self._values = boundary if boundary is not None and boundary.ndim == 2 else None
        probs = record.probabilities if record is not None else None
        self._probabilities = probs if probs is not None and probs.ndim == 3 and self._values is not None else None
        classes = attr(snapshot, "classes", 0)
        self._classes = int(classes) if isinstance(classes, (int, np.integer)) else len(class_names(snapshot))
        if self._probabilities is not None:
            self._classes = max(self._classes, int(self._probabilities.shape[2]))
        self._update_legend(snapshot, task)
        self._redraw_image()
        self.set_caption(self._caption(snapshot, task, boundary is not None))

    def _update_legend(self, snapshot: Any, task: str) -> None:
        multi = task == "classification" and self._classes > 2
        names = class_names(snapshot) if multi else []
        if multi and len(names) != self._classes:
            names = [str(i) for i in range(self._classes)]
        if names != self._legend_names:
            self._legend_names = names
            swatches = [f'<span style="color:{class_color(i)}; font-size:15px;">&#9632;</span>&nbsp;class {i}'
                        + (f" ({name})" if name != str(i) else "") for i, name in enumerate(names)]
            self.legend.setText("&nbsp;&nbsp; ".join(swatches))
        self.legend.setVisible(multi)

    def show_empty(self, message: str) -> None:
        """A new lab opens with the placeholder: the points of the lab before it go with their lab."""
        super().show_empty(message)
        self._data_key = ()
        self._values = None
        if hasattr(self, "test_scatter"):  # the base class shows its placeholder before the plot is made
            self.train_scatter.setData([], [])
            self.test_scatter.setData([], [])

    def _set_points(self, dataset: Any, task: str) -> None:
        for scatter, pk, lk in ((self.train_scatter, "train_points", "train_labels"),
                                (self.test_scatter, "test_points", "test_labels")):
            pts = array(dataset, pk)
            if pts is None or pts.ndim != 2 or pts.shape[1] != 2:
                scatter.setData([], [])
                continue
            brushes = point_brushes(array(dataset, lk), task, len(pts))
            scatter.setData(x=pts[:, 0].astype(np.float64), y=pts[:, 1].astype(np.float64), brush=brushes)

    @staticmethod
    def _caption(snapshot: Any, task: str, has_output: bool) -> str:
        if not has_output:
            return PRESS_PLAY
        metrics = mapping(snapshot, "metrics")
        parts = [f"Epoch {int(attr(snapshot, 'epoch', 0))}"]
        loss = metrics.get("test_loss")
        if loss is not None and np.isfinite(loss):
            parts.append(f"test loss {loss:.3g}")
        acc = metrics.get("test_accuracy")
        if task == "classification" and acc is not None and np.isfinite(acc):
            parts.append(f"test accuracy {100 * acc:.1f}%")
        return "  ·  ".join(parts)


SPEC = ViewSpec("boundary", "Output", DecisionBoundaryView, probes=("boundary",), tasks=CLASSIC_TASKS,
                data=("plane",), place="main", main=True, aspect="square")
