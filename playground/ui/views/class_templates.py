"""For a dense layer from the pixels straight to the classes (784 to 10), each class's weights as a 28×28 picture:
the template the layer matches every digit against."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from playground.snapshots import Weights
from playground.viz.colormaps import diverging_lut
from playground.viz.histogram import symmetric_levels
from playground.viz.tiling import tile_grid

from .base import PRESS_PLAY, SnapshotView, class_names, colour_bar, has_probes, probe, set_bar_levels
from .filters import image_box, layer_arrays
from .view_spec import ViewSpec

PAD = 3
COLUMNS = 5
NO_TEMPLATE = ("Class templates need a Dense layer that reads the image's pixels directly and outputs one unit "
               "per class (784 → 10, as in the \"MNIST 1 layer\" template). This network has none.")


def template_layer(weights: dict[str, np.ndarray], classes: int) -> tuple[str, np.ndarray] | None:
    """The first (classes, side²) dense weight matrix, so each row folds into a square image."""
    for name, w in weights.items():
        if w.ndim != 2:
            continue
        side = math.isqrt(w.shape[1])
        if side * side == w.shape[1] and side >= 4 and (w.shape[0] == classes or (not classes and w.shape[0] <= 26)):
            return name, w
    return None


class ClassTemplateView(SnapshotView):
    """One 28×28 template per class in a 2×5 grid, labelled with the class, colours symmetric around zero.

    Reads: the ``Weights`` record (its first (classes, 784) layer), ``classes`` (names, count; 10 if absent).
    """

    probes: tuple[str, ...] = ("weights",)
    title = "Class templates"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classTemplateView")
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setObjectName("classTemplateCanvas")
        self.box, self.image = image_box(self.canvas, 0, 0, diverging_lut())
        self.colour_bar = colour_bar(diverging_lut(), (-1.0, 1.0), "weight")
        self.canvas.addItem(self.colour_bar, row=0, col=1)
        self.canvas.setToolTip(
            "Each picture is one class's row of weights, folded back into the image's shape. Blue pixels vote for "
            "the class when they are inked, orange pixels vote against it.\nThe layer scores a digit by laying it "
            "over each template and adding up: you can often see a blurry '0', '1', '3' ... appear as it learns.")
        self.content_layout.addWidget(self.canvas)
        self._labels: list[pg.TextItem] = []
        self._structure: tuple[Any, ...] = ()
        self.layer = ""
        self.template_count = 0

    @property
    def label_texts(self) -> list[str]:
        return [label.toPlainText() for label in self._labels]

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, Weights)
        classes = class_names(snapshot)
        found = template_layer(layer_arrays(record.layers if record else None), len(classes) or 10)
        if found is None:
            self.template_count = 0
            self.show_empty(NO_TEMPLATE if has_probes(snapshot) else PRESS_PLAY + "\n(For a 784 → 10 Dense layer, "
                            "each class's weights show here as a 28×28 picture.)")
            return
        self.show_content()
        self.layer, w = found
        side = math.isqrt(w.shape[1])
        templates = w.reshape(w.shape[0], side, side)
        self.template_count = len(templates)
        columns = min(COLUMNS, len(templates))
        image = tile_grid(templates, columns, pad=PAD)
        levels = symmetric_levels(w)
        self.image.setImage(image, levels=levels, autoLevels=False)
        set_bar_levels(self.colour_bar, levels)
        names = [classes[i] if i < len(classes) else str(i) for i in range(len(templates))]
        structure = (tuple(names), side, image.shape)
        if structure != self._structure:
            self._structure = structure
            for label in self._labels:
                self.box.removeItem(label)
            self._labels = []
            for i, name in enumerate(names):
                r, c = divmod(i, columns)
                label = pg.TextItem(name, color="#222", anchor=(0.5, 1.0))
                label.setPos(c * (side + PAD) + side / 2, r * (side + PAD) + 0.5)
                self.box.addItem(label)
                self._labels.append(label)
            self.box.setRange(QRectF(0, -PAD * 2, image.shape[1], image.shape[0] + PAD * 2), padding=0.04)
        self.set_caption(f"{self.layer}: {len(templates)} class templates of {side}×{side}  ·  "
                         f"|w| ≤ {levels[1]:.3g}  ·  blue: ink here votes for the class")


SPEC = ViewSpec("templates", "Class templates", ClassTemplateView, probes=("weights",), tasks=("classification",),
                data=("images",), unless=("no_template_layer",))
