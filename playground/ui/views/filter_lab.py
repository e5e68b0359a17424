"""Convolution by hand: edit a 3×3 kernel (or pick a classic one) and see what it does to the current digit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from playground.snapshots import FeatureMaps
from playground.viz.colormaps import diverging_lut, interpolated_lut
from playground.viz.convolution import KERNEL_PRESETS, convolve2d
from playground.viz.histogram import symmetric_levels

from .base import SnapshotView, colour_bar, probe, set_bar_levels
from .filters import image_box
from .view_spec import CLASSIC_TASKS, ViewSpec

CUSTOM = "custom"
NO_IMAGE = ("Filter lab: no digit yet. Load an image data set and press Play (the current test sample comes "
            "here), or draw a digit.\nYou can already edit the kernel above.")


class FilterLabView(SnapshotView):
    """A 3×3 kernel in nine spin boxes with presets, the current digit, and the digit convolved with the kernel.

    Reads: the ``FeatureMaps`` record's sample input (C, H, W) (channels averaged); or an image given to
    :meth:`set_image`.
    """

    probes: tuple[str, ...] = ("feature_maps",)
    title = "Filter lab"
    kernel_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterLabView")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        grid = QGridLayout()
        grid.setSpacing(2)
        self.cells: list[QDoubleSpinBox] = []
        for i in range(9):
            spin = QDoubleSpinBox()
            spin.setObjectName(f"kernelCell{i // 3}{i % 3}")
            spin.setRange(-99.0, 99.0)
            spin.setDecimals(3)
            spin.setSingleStep(0.5)
            spin.setToolTip("One weight of the kernel. The output pixel is the sum of the nine input pixels under "
                            "the kernel, each times its weight.")
            spin.valueChanged.connect(self._on_cell_changed)
            grid.addWidget(spin, i // 3, i % 3)
            self.cells.append(spin)
        row.addLayout(grid)
        presets = QGridLayout()
        presets.addWidget(QLabel("Preset"), 0, 0)
        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("kernelPreset")
        self.preset_combo.addItems(list(KERNEL_PRESETS) + [CUSTOM])
        self.preset_combo.setToolTip(
            "Classic kernels: the edge detectors answer where brightness changes across a line (top, bottom, left, "
            "right); the Laplacian finds outlines in every direction; box blur averages; sharpen boosts the centre "
            "against its neighbours; identity changes nothing.\nA CNN learns kernels like these by itself.")
        self.preset_combo.currentTextChanged.connect(self._on_preset)
        presets.addWidget(self.preset_combo, 0, 1)
        row.addLayout(presets)
        row.addStretch(1)
        self.controls_layout.addLayout(row)

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setObjectName("filterLabCanvas")
        gray = interpolated_lut(("#ffffff", "#000000"))
        self.input_box, self.input_image = image_box(self.canvas, 0, 0, gray)
        self.output_box, self.output_image = image_box(self.canvas, 0, 1, diverging_lut())
        self.colour_bar = colour_bar(diverging_lut(), (-1.0, 1.0), "input ⋆ kernel")
        self.canvas.addItem(self.colour_bar, row=0, col=2)
        self._titles: list[pg.TextItem] = []
        for box, text in ((self.input_box, "input"), (self.output_box, "input ⋆ kernel")):
            label = pg.TextItem(text, color="#333", anchor=(0.5, 1.0))
            box.addItem(label)
            self._titles.append(label)
        self.canvas.setToolTip(
            "Left: the digit (dark is ink). Right: the kernel slid over every position of it (with zero padding, "
            "so the output keeps the size); blue positive, orange negative, symmetric around zero.\nThis is "
            "exactly what one filter of a Conv2d layer computes (before adding its bias).")
        self.content_layout.addWidget(self.canvas)
        self.image: np.ndarray | None = None
        self.output: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()
        self._setting = False
        self.set_preset("vertical edge (dark left)")

    # Kernel -----------------------------------------------------------------------------------------------------

    @property
    def kernel(self) -> np.ndarray:
        return np.array([c.value() for c in self.cells], dtype=np.float32).reshape(3, 3)

    def set_kernel(self, kernel: np.ndarray) -> None:
        k = np.asarray(kernel, dtype=np.float64).reshape(3, 3)
        self._setting = True
        for spin, value in zip(self.cells, k.reshape(-1)):
            spin.setValue(float(value))
        self._setting = False
        self._match_preset()
        self._redraw()
        self.kernel_changed.emit()

    def set_preset(self, name: str) -> None:
        if name in KERNEL_PRESETS:
            self.set_kernel(KERNEL_PRESETS[name])

    def _on_preset(self, name: str) -> None:
        if not self._setting:
            self.set_preset(name)

    def _on_cell_changed(self, _value: float) -> None:
        if self._setting:
            return
        self._match_preset()
        self._redraw()
        self.kernel_changed.emit()

    def _match_preset(self) -> None:
        k = self.kernel
        name = next((n for n, p in KERNEL_PRESETS.items() if np.allclose(k, p, atol=5e-4)), CUSTOM)
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentText(name)
        self.preset_combo.blockSignals(False)

    # Image --------------------------------------------------------------------------------------------------------

    def set_image(self, image: np.ndarray) -> None:
        """Use ``image`` (h, w), or (C, h, w) averaged over channels, as the digit."""
        a = np.asarray(image, dtype=np.float32)
        if a.ndim == 3:
            a = a.mean(axis=0)
        if a.ndim != 2 or a.shape[0] < 3 or a.shape[1] < 3:
            return
        self.image = a
        self.show_content()
        self._redraw()

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, FeatureMaps)
        sample = record.input if record is not None and record.input.size else None
        if sample is not None:
            self.set_image(sample)
        elif self.image is None:
            self.show_empty(NO_IMAGE)

    def _redraw(self) -> None:
        if self.image is None:
            self.show_empty(NO_IMAGE)
            return
        self.output = convolve2d(self.image, self.kernel, padding="same")
        finite = self.image[np.isfinite(self.image)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.input_image.setImage(self.image, levels=(lo, hi if hi > lo else lo + 1), autoLevels=False)
        levels = symmetric_levels(self.output)
        self.output_image.setImage(self.output, levels=levels, autoLevels=False)
        set_bar_levels(self.colour_bar, levels)
        if self.image.shape != self._shape:
            self._shape = self.image.shape
            h, w = self.image.shape
            for box, title in zip((self.input_box, self.output_box), self._titles):
                title.setPos(w / 2, -0.5)
                box.setRange(QRectF(0, -h * 0.12, w, h * 1.12), padding=0.03)
        self.set_caption(f"output range {float(np.nanmin(self.output)):+.2f} … {float(np.nanmax(self.output)):+.2f}"
                         f"  ·  kernel sum {float(self.kernel.sum()):+.2f}")


# It convolves the sample the feature maps show, so it asks for their probe.
SPEC = ViewSpec("filter_lab", "Filter lab", FilterLabView, probes=("feature_maps",), tasks=CLASSIC_TASKS,
                data=("images",), place="side", front=False)
