"""Where the classifier goes wrong on the test set: the confusion matrix, accuracy per class, and the misclassified
images themselves."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.snapshots import Confusion
from playground.viz.colormaps import sequential_lut
from playground.viz.confusion import overall_accuracy, per_class_accuracy

from .base import PRESS_PLAY, SnapshotView, class_names, plot_colour_bar, plot_widget, probe, set_bar_levels
from .view_spec import ViewSpec

MAX_GALLERY = 32
ICON = 56
# A count's font: at most this share of its cell's height and width, between these pixel sizes; below the
# smallest the numbers are left out (the colours and the colour bar still tell), never drawn cut or overlapping.
CELL_FILL = 0.8
FONT_PX = (7, 18)


def gray_pixmap(image: np.ndarray, size: int = ICON) -> QPixmap:
    """A (h, w) float image as a grayscale pixmap (its own min..max to black..white), scaled with square pixels."""
    a = np.asarray(image, dtype=np.float64)
    if a.ndim == 3 and a.shape[0] == 3:  # a colour image (3, h, w), pixels in [0, 1]: shown in its colours
        rgb = np.ascontiguousarray((np.clip(np.nan_to_num(a), 0.0, 1.0) * 255).round().astype(np.uint8)
                                   .transpose(1, 2, 0))
        q = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888).copy()
        return QPixmap.fromImage(q).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation)
    if a.ndim == 3:
        a = a.mean(axis=0)
    finite = np.isfinite(a)
    lo, hi = (float(a[finite].min()), float(a[finite].max())) if finite.any() else (0.0, 1.0)
    g = np.ascontiguousarray(np.clip((np.nan_to_num(a, nan=lo) - lo) / ((hi - lo) or 1.0) * 255, 0, 255)
                             .astype(np.uint8))
    q = QImage(g.data, g.shape[1], g.shape[0], g.strides[0], QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(q).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.FastTransformation)


class ConfusionMatrixView(SnapshotView):
    """Heatmap of (true, predicted) counts with the numbers in the cells; accuracy per class; the misclassified
    test images captioned "true 4 → predicted 9".

    Reads: the ``Confusion`` record (the matrix (classes, classes) int, rows = true, columns = predicted; the
    misclassified images (M, H, W) or, colour, (M, 3, H, W), their true and predicted classes (M,)); ``classes``.
    """

    probes: tuple[str, ...] = ("confusion",)
    title = "Confusion matrix"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionMatrixView")
        self.matrix_plot = plot_widget()
        self.matrix_plot.setObjectName("confusionMatrixPlot")
        m = self.matrix_plot.getPlotItem()
        m.setLabel("bottom", "predicted class")
        m.setLabel("left", "true class")
        m.invertY(True)
        m.setMenuEnabled(False)
        m.setMouseEnabled(x=False, y=False)
        m.hideButtons()
        m.getViewBox().setAspectLocked(True)
        self.matrix_image = pg.ImageItem(axisOrder="row-major")
        self.matrix_image.setLookupTable(sequential_lut())
        m.addItem(self.matrix_image)
        self.colour_bar = plot_colour_bar(m, sequential_lut(), (0.0, 1.0), "test images")
        m.getViewBox().sigResized.connect(self._fit_cell_font)
        self.matrix_plot.setToolTip(
            "Row = the true class of a test image, column = what the network answered; the number is how many "
            "test images fell there.\nA perfect classifier has numbers only on the diagonal. A big number off it "
            "is a pair the network mixes up (4 and 9, 3 and 5 ...).")

        self.accuracy_list = QListWidget()
        self.accuracy_list.setObjectName("perClassAccuracy")
        self.accuracy_list.setToolTip("For each true class: the share of its test images the network got right.")
        widest = self.accuracy_list.fontMetrics().horizontalAdvance("0: 100.0%  (999/999)")
        self.accuracy_list.setMinimumWidth(widest + 28)
        self.accuracy_list.setMaximumWidth(self.accuracy_list.minimumWidth() + 40)

        self.gallery = QListWidget()
        self.gallery.setObjectName("misclassifiedGallery")
        self.gallery.setViewMode(QListView.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(ICON, ICON))
        self.gallery.setGridSize(QSize(ICON + 34, ICON + 36))
        self.gallery.setResizeMode(QListView.ResizeMode.Adjust)
        self.gallery.setMovement(QListView.Movement.Static)
        self.gallery.setWordWrap(True)
        self.gallery.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.gallery.setToolTip(
            "Test images the network gets wrong, with the right answer and its answer. Some are genuinely "
            "ambiguous; others show what the network has not learned yet.")
        self.gallery.setMinimumHeight(ICON + 44)

        # The matrix takes the whole width: beside the list it was squeezed to a few pixels per cell in the
        # narrow docks of 1366x768. The per-class accuracies sit beside the gallery below it.
        bottom = QHBoxLayout()
        bottom.addWidget(self.accuracy_list, 1)
        bottom.addWidget(self.gallery, 3)
        column = QVBoxLayout()
        column.addWidget(self.matrix_plot, 3)
        column.addLayout(bottom, 2)
        self.content_layout.addLayout(column)
        self._cell_texts: list[pg.TextItem] = []
        self._classes: tuple[str, ...] = ()
        self.cell_font = QFont()
        self._widest = ""  # the longest count in the matrix: the text every cell's font must fit
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self.accuracy = np.zeros(0)

    # What tests read ------------------------------------------------------------------------------------------

    @property
    def cell_texts(self) -> list[str]:
        return [t.toPlainText() for t in self._cell_texts]

    @property
    def accuracy_texts(self) -> list[str]:
        return [self.accuracy_list.item(i).text() for i in range(self.accuracy_list.count())]

    @property
    def gallery_captions(self) -> list[str]:
        return [self.gallery.item(i).text().replace("\n", " ") for i in range(self.gallery.count())
                if not self.gallery.item(i).isHidden()]

    # Drawing --------------------------------------------------------------------------------------------------

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, Confusion)
        matrix = record.matrix if record is not None and record.matrix.size else None
        if matrix is None or matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            self.show_empty(PRESS_PLAY + "\n(The test set's confusion matrix and the images the network gets wrong "
                            "show here, for classifiers.)")
            return
        self.show_content()
        matrix = matrix.astype(np.int64)
        n = matrix.shape[0]
        given = class_names(snapshot)
        names = tuple(given[i] if i < len(given) else str(i) for i in range(n))
        self.matrix = matrix
        self.accuracy = per_class_accuracy(matrix)
        levels = (0.0, float(max(1, matrix.max())))
        self.matrix_image.setImage(matrix.astype(np.float32), levels=levels, autoLevels=False)
        set_bar_levels(self.colour_bar, levels)
        if names != self._classes:
            self._rebuild(names)
        high = matrix.max() * 0.55
        for (t, p), text in zip(np.ndindex(n, n), self._cell_texts):
            value = int(matrix[t, p])
            text.setText(str(value) if value else "")
            text.setColor("#ffffff" if value > high else "#222222")
        widest = str(int(matrix.max()))
        if len(widest) != len(self._widest):
            self._widest = widest
            self._fit_cell_font()
        for i, item in enumerate(self._accuracy_items()):
            total = int(matrix[i].sum())
            acc = self.accuracy[i]
            item.setText(f"{names[i]}: {100 * acc:.1f}%  ({matrix[i, i]}/{total})" if total else f"{names[i]}: —")
        self._fill_gallery(record, names)
        overall = overall_accuracy(matrix)
        self.set_caption(f"test accuracy {100 * overall:.1f}% on {int(matrix.sum())} images  ·  rows true, "
                         f"columns predicted" if np.isfinite(overall) else "no test images counted yet")

    def cell_pixels(self) -> tuple[float, float]:
        """One cell's width and height on screen, in pixels."""
        box = self.matrix_plot.getPlotItem().getViewBox()
        (x0, x1), (y0, y1) = box.viewRange()
        rect = box.sceneBoundingRect()
        return rect.width() / max(x1 - x0, 1e-9), rect.height() / max(y1 - y0, 1e-9)

    def _fit_cell_font(self, *_args: Any) -> None:
        """The largest font in which the widest count fits its cell; the numbers hide when even the smallest
        readable one would not."""
        if not self._cell_texts:
            return
        width, height = self.cell_pixels()
        text = self._widest or "0"
        font = QFont(self.cell_font)
        size = FONT_PX[1]
        font.setPixelSize(size)
        while size > FONT_PX[0] and not _fits(font, text, width, height):
            size -= 1
            font.setPixelSize(size)
        visible = _fits(font, text, width, height)
        if font != self.cell_font or any(t.isVisible() != visible for t in self._cell_texts[:1]):
            self.cell_font = font
            for t in self._cell_texts:
                t.setFont(font)
                t.setVisible(visible)

    @property
    def cell_numbers_shown(self) -> bool:
        return bool(self._cell_texts) and self._cell_texts[0].isVisible()

    def _accuracy_items(self) -> list[QListWidgetItem]:
        return [self.accuracy_list.item(i) for i in range(self.accuracy_list.count())]

    def _rebuild(self, names: tuple[str, ...]) -> None:
        # Only when the classes change: one text item per cell, created once.
        n = len(names)
        self._classes = names
        plot = self.matrix_plot.getPlotItem()
        for t in self._cell_texts:
            plot.removeItem(t)
        self._cell_texts = []
        for t, p in np.ndindex(n, n):
            text = pg.TextItem("", color="#222", anchor=(0.5, 0.5))
            text.setPos(p, t)
            plot.addItem(text)
            self._cell_texts.append(text)
        self.matrix_image.setRect(QRectF(-0.5, -0.5, n, n))
        ticks = [[(i, name) for i, name in enumerate(names)]]
        plot.getAxis("bottom").setTicks(ticks)
        plot.getAxis("left").setTicks(ticks)
        plot.getViewBox().setRange(QRectF(-0.5, -0.5, n, n), padding=0.02)
        self.accuracy_list.clear()
        self.accuracy_list.addItems(["" for _ in names])
        self._fit_cell_font()

    def _fill_gallery(self, record: Confusion | None, names: tuple[str, ...]) -> None:
        count = 0
        if record is not None and record.images.ndim in (3, 4):
            count = min(len(record.images), len(record.true), len(record.predicted), MAX_GALLERY)
        while self.gallery.count() < count:  # items are made once and reused; extra ones are hidden
            self.gallery.addItem(QListWidgetItem())
        for i in range(self.gallery.count()):
            item = self.gallery.item(i)
            if i >= count or record is None:
                item.setHidden(True)
                continue
            t, p = int(record.true[i]), int(record.predicted[i])

            def name(c: int) -> str:
                return names[c] if 0 <= c < len(names) else str(c)

            item.setText(f"true {name(t)} →\npredicted {name(p)}")
            item.setIcon(QIcon(gray_pixmap(record.images[i])))
            item.setHidden(False)


def _fits(font: QFont, text: str, width: float, height: float) -> bool:
    metrics = QFontMetricsF(font)
    return (metrics.horizontalAdvance(text) <= CELL_FILL * width and metrics.height() <= CELL_FILL * height
            and font.pixelSize() >= FONT_PX[0])


SPEC = ViewSpec("confusion", "Confusion", ConfusionMatrixView, probes=("confusion",), tasks=("classification",),
                data=("images", "table"))
