"""A conv layer's kernels as a tile grid: what each filter looks for, live while it trains."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QCheckBox, QComboBox, QWidget

from playground.snapshots import Filters
from playground.viz.colormaps import diverging_lut
from playground.viz.convolution import filter_tiles, grid_columns, rgb_filter_tiles
from playground.viz.histogram import symmetric_levels
from playground.viz.tiling import tile_grid

from .base import PRESS_PLAY, SnapshotView, colour_bar, has_probes, probe, set_bar_levels
from .view_spec import ViewSpec

MAX_TILES = 256
NO_CONV = ("No convolutional layer in this network: add a Conv2d layer (the LeNet-style template has two) to see "
           "its filters here.")


def image_box(canvas: pg.GraphicsLayoutWidget, row: int, col: int, lut: np.ndarray | None = None
              ) -> tuple[pg.ViewBox, pg.ImageItem]:
    """A fixed (no pan, no zoom) view box with one row-major image in it, row 0 at the top, square pixels."""
    box: pg.ViewBox = canvas.addViewBox(row=row, col=col)
    box.setAspectLocked(True)
    box.invertY(True)
    box.setMouseEnabled(x=False, y=False)
    box.setMenuEnabled(False)
    image = pg.ImageItem(axisOrder="row-major")
    if lut is not None:
        image.setLookupTable(lut)
    box.addItem(image)
    return box, image


def layer_arrays(layers: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """A record's arrays keyed by layer, in network order; empty ones dropped."""
    return {name: a for name, a in (layers or {}).items() if a.size}


def sync_combo(combo: QComboBox, names: list[str]) -> None:
    """Refill a layer chooser only when the layers changed, keeping the current choice when it still exists."""
    if names == [combo.itemText(i) for i in range(combo.count())]:
        return
    current = combo.currentText()
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(names)
    combo.setCurrentText(current if current in names else names[0])
    combo.blockSignals(False)


class FilterGridView(SnapshotView):
    """One conv layer's kernels (chosen in a combo box) as one tiled image, colours symmetric around zero.

    Reads: the ``Filters`` record's layers, float (out_channels, in_channels, k, k), one per Conv2d node in network
    order; ``epoch``.
    """

    probes: tuple[str, ...] = ("filters",)
    title = "Filters"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterGridView")
        row, self.layer_combo = self.add_layer_row("filterLayer", "Which convolutional layer's filters to show.")
        self.layer_combo.currentTextChanged.connect(self._redraw)
        self.rgb_checkbox = QCheckBox("Colour")
        self.rgb_checkbox.setObjectName("filterRgb")
        self.rgb_checkbox.setChecked(True)
        self.rgb_checkbox.setToolTip("For a layer that reads colour images (3 input channels): show each filter as "
                                     "one colour picture, its red, green and blue weights as the colour (grey: 0), "
                                     "each filter scaled by its own largest weight. Off: one tile per channel.")
        self.rgb_checkbox.toggled.connect(self._redraw)
        row.addWidget(self.rgb_checkbox)
        row.addStretch(1)

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setObjectName("filterCanvas")
        self.box, self.image = image_box(self.canvas, 0, 0, diverging_lut())
        self.colour_bar = colour_bar(diverging_lut(), (-1.0, 1.0), "weight")
        self.canvas.addItem(self.colour_bar, row=0, col=1)
        self.canvas.setToolTip(
            "Each small square is one filter (kernel): the weights it multiplies a patch of its input with. Blue "
            "positive, orange negative, pale near zero (symmetric around zero).\nA filter answers most strongly "
            "where the input looks like it: a blue stripe beside an orange one is an edge detector.\nAt the start "
            "they are random noise; watch them turn into edges and blobs as the network trains.")
        self.content_layout.addWidget(self.canvas)
        self._filters: dict[str, np.ndarray] = {}
        self._shape: tuple[int, ...] = ()
        self._lut_on = True
        self.tile_count = 0
        self.columns = 1

    @property
    def layer(self) -> str:
        return self.layer_combo.currentText()

    def set_layer(self, name: str) -> None:
        self.layer_combo.setCurrentText(name)

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, Filters)
        filters = {k: v for k, v in layer_arrays(record.layers if record else None).items() if v.ndim == 4}
        if not filters:
            self._filters = {}
            self.tile_count = 0
            self.show_empty(NO_CONV if has_probes(snapshot) else PRESS_PLAY + "\n(The filters of Conv2d layers show "
                            "here.)")
            return
        self.show_content()
        self._filters = filters
        sync_combo(self.layer_combo, list(filters))
        self._redraw()

    def _redraw(self, *_args: Any) -> None:
        w = self._filters.get(self.layer)
        if w is None:
            return
        colour = w.ndim == 4 and w.shape[1] == 3 and self.rgb_checkbox.isChecked()
        self.rgb_checkbox.setVisible(w.ndim == 4 and w.shape[1] == 3)
        levels = symmetric_levels(w)
        if colour:
            rgb = rgb_filter_tiles(w)
            columns, how = grid_columns(len(rgb), 2.0), "one colour tile per filter (grey: 0)"
            k = rgb.shape[1]
            planes = [np.nan_to_num(tile_grid(rgb[..., c], columns, pad=max(1, k // 4)), nan=1.0) for c in range(3)]
            image = (np.stack(planes, axis=-1) * 255).round().astype(np.uint8)
            self.tile_count, self.columns = len(rgb), columns
            if self._lut_on:  # a lookup table would recolour the RGB image
                self.image.setLookupTable(None)
                self._lut_on = False
            self.image.setImage(image, levels=(0, 255), autoLevels=False)
            self.colour_bar.setVisible(False)  # each colour tile has its own scale: no one bar reads them all
        else:
            tiles, columns, how = filter_tiles(w, MAX_TILES)
            self.tile_count, self.columns = len(tiles), columns
            k = tiles.shape[-1]
            image = tile_grid(tiles, columns, pad=max(1, k // 4))
            if not self._lut_on:
                self.image.setLookupTable(diverging_lut())
                self._lut_on = True
            self.image.setImage(image, levels=levels, autoLevels=False)
            set_bar_levels(self.colour_bar, levels)
            self.colour_bar.setVisible(True)
        if image.shape[:2] != self._shape:
            self._shape = image.shape[:2]
            self.box.setRange(QRectF(0, 0, image.shape[1], image.shape[0]), padding=0.02)
        out_c, in_c = w.shape[:2]
        self.set_caption(f"{self.layer}: {out_c} filters × {in_c} input channel{'s' if in_c != 1 else ''}, "
                         f"{w.shape[2]}×{w.shape[3]}  ·  {how}  ·  |w| ≤ {levels[1]:.3g}")


# Any family with a convolution (a convolutional autoencoder too); none without one, not even a placeholder.
SPEC = ViewSpec("filters", "Filters", FilterGridView, probes=("filters",), needs=("convolution",))
