"""What every layer makes of one sample: the input, each conv layer's activation maps, each dense layer's units
(CNN Explainer and Adam Harley's visualisations, as one panel). Click a map to see it large."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from playground.snapshots import FeatureMaps
from playground.viz.colormaps import diverging_lut
from playground.viz.convolution import normalize_symmetric, resize_nearest
from playground.viz.tiling import Tile, best_units_per_row, tile_at, tile_layer_rows

from .base import PRESS_PLAY, SnapshotView, class_names, colour_bar, probe
from .filters import image_box
from .view_spec import CLASSIC_TASKS, ViewSpec

PAD = 2
GAP = 10
LABEL_COLUMN = 90  # image pixels left of the tiles for the layer names
MAX_CELL = 28  # maps larger than this are shown at this size in the grid (full size when enlarged)


@dataclass(frozen=True)
class Layer:
    name: str
    values: np.ndarray  # (C, H, W) maps or (F,) units, as the snapshot gave them
    is_image: bool


class FeatureMapView(SnapshotView):
    """The chosen test sample (or the drawing) through the network: one band of maps per image-shaped layer, one
    strip per vector layer, the class probabilities last; the clicked map large on the right.

    Reads: the ``FeatureMaps`` record (the sample's input (C, H, W), its label or a drawing, every layer's output
    (C, H, W) or (F,) in network order, the class probabilities (classes,)), ``classes``.
    """

    probes: tuple[str, ...] = ("feature_maps",)
    title = "Feature maps"
    sample_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("featureMapView")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Test sample"))
        self.sample_spin = QSpinBox()
        self.sample_spin.setObjectName("featureSample")
        self.sample_spin.setRange(0, 999_999)
        self.sample_spin.setToolTip("Which test image to send through the network.")
        self.sample_spin.valueChanged.connect(self.sample_requested.emit)
        row.addWidget(self.sample_spin)
        self.next_button = QPushButton("Next sample")
        self.next_button.setObjectName("nextSample")
        self.next_button.setToolTip("Show the next test image.")
        self.next_button.clicked.connect(lambda: self.sample_spin.setValue(self.sample_spin.value() + 1))
        row.addWidget(self.next_button)
        self.sample_label = QLabel("")
        self.sample_label.setObjectName("sampleLabel")
        row.addWidget(self.sample_label)
        row.addStretch(1)
        self.controls_layout.addLayout(row)

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setObjectName("featureMapCanvas")
        lut = diverging_lut()
        self.grid_box, self.grid_image = image_box(self.canvas, 0, 0, lut)
        self.highlight = QGraphicsRectItem()
        self.highlight.setPen(pg.mkPen("#222222", width=2, cosmetic=True))
        self.highlight.setVisible(False)
        self.grid_box.addItem(self.highlight)
        self.big_box, self.big_image = image_box(self.canvas, 0, 1, lut)
        self._big_lut, self._big_lut_on = lut, True  # off while a colour input shows as RGB
        self.big_label = pg.TextItem("", color="#333", anchor=(0.5, 1.0))
        self.big_box.addItem(self.big_label)
        # Each layer is divided by its own largest |value|: the bar reads in that share, not in raw units.
        self.colour_bar = colour_bar(lut, (-1.0, 1.0), "activation ÷ layer's max")
        self.canvas.addItem(self.colour_bar, row=0, col=2)
        self.canvas.ci.layout.setColumnStretchFactor(0, 3)
        self.canvas.ci.layout.setColumnStretchFactor(1, 1)
        self.canvas.setToolTip(
            "One sample's journey through the network. Top: the input. Then each layer's activation maps: one "
            "small image per channel, showing where in the image that channel's filter found its pattern (blue "
            "strong, pale nothing; each layer scaled to its own largest value).\nDeeper maps are smaller and more "
            "abstract; dense layers are a strip of units; the last strip is the class probabilities.\n"
            "Click a map to see it large on the right.")
        self.content_layout.addWidget(self.canvas)
        self.canvas.scene().sigMouseClicked.connect(self._on_mouse_clicked)

        self.layers: list[Layer] = []
        self.tiles: list[Tile] = []  # image layers: column = index into image_layers, row = channel
        self._image_layers: list[int] = []  # index in self.layers of each band
        self._strips: list[tuple[int, pg.ImageItem, QRectF]] = []  # (index in self.layers, item, rect)
        self._labels: list[pg.TextItem] = []
        self._structure: tuple[Any, ...] = ()
        self._grid_shape: tuple[int, int] = (1, 1)
        self.selected: tuple[int, int] = (0, 0)  # (index in self.layers, channel or unit)
        self._big_text = ""
        self._big_shape: tuple[int, ...] = ()

    # What tests and the app read ------------------------------------------------------------------------------

    @property
    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    @property
    def enlarged_title(self) -> str:
        return self._big_text

    @property
    def strip_count(self) -> int:
        return len(self._strips)

    def set_sample(self, index: int) -> None:
        """Show ``index`` in the chooser without asking the engine for it again."""
        self.sample_spin.blockSignals(True)
        self.sample_spin.setValue(index)
        self.sample_spin.blockSignals(False)

    # Drawing --------------------------------------------------------------------------------------------------

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, FeatureMaps)
        layers: list[Layer] = []
        sample = record.input if record is not None and record.input.size else None
        if sample is not None:
            sample = sample.astype(np.float32)
            if sample.ndim == 2:
                sample = sample[None]
            if sample.ndim == 3:
                layers.append(Layer("input", sample, True))
        for key, value in (record.layers if record is not None else {}).items():
            a = np.asarray(value, dtype=np.float32)
            if a.ndim == 3 and a.size:
                layers.append(Layer(key, a, True))
            elif a.size:
                layers.append(Layer(key, a.reshape(-1), False))
        probabilities = record.probabilities if record is not None else None
        if probabilities is not None and probabilities.size:
            layers.append(Layer("probabilities", probabilities.astype(np.float32).reshape(-1), False))
        if not layers:
            self.layers = []
            self.show_empty(PRESS_PLAY + "\n(One test image and every layer's activations for it show here.)")
            return
        self.show_content()
        self.layers = layers
        self._draw(layers)
        self._describe(record, probabilities, snapshot)

    def _draw(self, layers: list[Layer]) -> None:
        image_layers = [i for i, layer in enumerate(layers) if layer.is_image]
        cell = max([min(MAX_CELL, max(layers[i].values.shape[1:])) for i in image_layers], default=MAX_CELL)
        counts = [len(layers[i].values) for i in image_layers]
        structure = (tuple((layer.name, layer.values.shape) for layer in layers), self._per_row(counts, cell))
        per_row = structure[1]
        stacks = [normalize_symmetric(resize_nearest(layers[i].values, cell, cell)) for i in image_layers]
        image, self.tiles = tile_layer_rows(stacks, per_row, pad=PAD, gap=GAP)
        if not stacks:
            image = np.full((1, per_row * (cell + PAD)), np.nan, dtype=np.float32)
        self.grid_image.setImage(image, levels=(-1.0, 1.0), autoLevels=False)
        if structure != self._structure:
            self._structure = structure
            self._image_layers = image_layers
            self._rebuild(layers, image.shape, cell)
        for index, item, _rect in self._strips:
            values = layers[index].values
            strip = values if layers[index].name == "probabilities" else normalize_symmetric(values)
            item.setImage(strip[None, :], levels=(-1.0, 1.0), autoLevels=False)
        if self.selected[0] >= len(layers) or self.selected[1] >= self._units(self.selected[0]):
            self.selected = (0, 0)
        self._show_big()

    def _per_row(self, counts: list[int], cell: int) -> int:
        rect = self.grid_box.sceneBoundingRect()
        width, height = rect.width(), rect.height()
        if width < 20 or height < 20:
            width, height = 500.0, 400.0
        scale = cell + PAD
        return best_units_per_row(counts or [1], width / scale * cell, height / scale * cell,
                                  label_width=LABEL_COLUMN / scale * cell)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._structure = ()  # lay out again for the new shape on the next snapshot

    def _rebuild(self, layers: list[Layer], shape: tuple[int, ...], cell: int) -> None:
        # Only when the network, the sample's shape or the layout change: never per snapshot.
        for item in self._labels:
            self.grid_box.removeItem(item)
        for _i, item, _r in self._strips:
            self.grid_box.removeItem(item)
        self._labels, self._strips = [], []
        self._layer_labels: list[tuple[pg.TextItem, float, Layer]] = []
        self._class_labels: list[pg.TextItem] = []  # the class numbers under the probabilities
        self._class_step = 1.0
        lut = diverging_lut()
        firsts: dict[int, Tile] = {}
        for t in self.tiles:
            firsts.setdefault(t.column, t)
        for band, index in enumerate(self._image_layers):
            if band in firsts:
                self._add_label(layers[index], -4, firsts[band].top)
        width = shape[1]
        top: float = shape[0] + GAP if self._image_layers else 0
        strip_height = max(4, cell // 2)
        numbers = any(layer.name == "probabilities" and len(layer.values) <= 20 for layer in layers)
        pitch = self._strip_pitch(sum(1 for layer in layers if not layer.is_image), strip_height + GAP,
                                  top + (cell // 2 if numbers else 0), width)
        for index, layer in enumerate(layers):
            if layer.is_image:
                continue
            item = pg.ImageItem(axisOrder="row-major")
            item.setLookupTable(lut)
            rect = QRectF(0, top, width, strip_height)
            item.setImage(np.zeros((1, len(layer.values)), dtype=np.float32), levels=(-1.0, 1.0), autoLevels=False)
            item.setRect(rect)
            self.grid_box.addItem(item)
            self._strips.append((index, item, rect))
            self._add_label(layer, -4, top)
            if layer.name == "probabilities" and len(layer.values) <= 20:
                step = width / len(layer.values)
                for c in range(len(layer.values)):
                    label = pg.TextItem(str(c), color="#555", anchor=(0.5, 0.0))
                    label.setPos((c + 0.5) * step, top + strip_height)
                    self.grid_box.addItem(label)
                    self._labels.append(label)
                    self._class_labels.append(label)
                self._class_step = step
                top += cell // 2
            top += pitch
        full = QRectF(-LABEL_COLUMN, 0, width + LABEL_COLUMN, max(top, shape[0]))
        self.grid_box.setRange(full, padding=0.02)
        self._fit_labels(full)

    def _strip_pitch(self, strips: int, pitch: float, fixed: float, width: float) -> float:
        """How far apart (in image pixels) the dense layers' strips go: at least a line of text on screen, so each
        keeps its name, as long as the view is tall enough for that at all (``fixed``: the height of the rest)."""
        box: QRectF = self.grid_box.boundingRect()
        if not strips or box.width() < 20 or box.height() < 20:
            return pitch
        line = QFontMetrics(self.font()).height() * 1.05
        across = box.width() / ((width + LABEL_COLUMN) * 1.04)  # pixels per image pixel when the width decides
        need = line / across
        left = box.height() - 1.04 * line * strips
        if left <= 0:  # not even one line per strip fits: _fit_labels leaves some out
            return pitch
        # At most twice the usual pitch: beyond it the maps themselves would shrink for the sake of the names.
        return min(2 * pitch, max(pitch, need, 1.04 * line * fixed / left))

    def _fit_labels(self, full: QRectF) -> None:
        """In a short dock the rows are only a few pixels apart: give each layer's label the lines it has room
        for (name and shape, the name alone, or nothing) instead of letting them overprint each other."""
        box = self.grid_box.boundingRect()
        if box.width() < 20 or box.height() < 20 or full.width() <= 0 or full.height() <= 0:
            return
        # The view keeps the aspect ratio: one scene unit is this many pixels.
        scale = min(box.width() / (full.width() * 1.04), box.height() / (full.height() * 1.04))
        line = QFontMetrics(self.font()).height()
        rows = sorted(self._layer_labels, key=lambda item: item[1])
        # A name longer than the label column is cut at its end with "…" (the tooltip has it whole), never at
        # the view's left edge in the middle of a word.
        metrics = QFontMetrics(self.font())
        left_of_tiles = self.grid_box.mapViewToScene(QPointF(-4, 0)).x() - self.grid_box.sceneBoundingRect().left()
        column = max(1, int(left_of_tiles) - 4)
        for i, (label, y, layer) in enumerate(rows):
            room = ((rows[i + 1][1] if i + 1 < len(rows) else full.bottom()) - y) * scale
            shape = "×".join(str(d) for d in layer.values.shape)
            name = metrics.elidedText(layer.name, Qt.TextElideMode.ElideRight, column)
            if room >= 2 * line:
                label.setText(f"{name}\n{metrics.elidedText(shape, Qt.TextElideMode.ElideRight, column)}")
            elif room >= line * 0.9:
                label.setText(name)
            label.setToolTip(f"{layer.name}: {shape}")
            label.setVisible(room >= line * 0.9)
        self.visible_label_count = sum(1 for label, _y, _l in rows if label.isVisible())
        # The class numbers: every one where they fit side by side, else every second or fifth, never overprinted.
        metrics = QFontMetrics(self.font())
        room = self._class_step * scale
        need = metrics.horizontalAdvance("00") + 2
        every = next((k for k in (1, 2, 5) if k * room >= need), 0)
        for c, label in enumerate(self._class_labels):
            label.setVisible(every > 0 and c % every == 0)

    def _add_label(self, layer: Layer, x: float, y: float) -> None:
        shape = "×".join(str(d) for d in layer.values.shape)
        label = pg.TextItem(f"{layer.name}\n{shape}", color="#333", anchor=(1.0, 0.0))
        label.setPos(x, y)
        self.grid_box.addItem(label)
        self._labels.append(label)
        self._layer_labels.append((label, y, layer))

    def _units(self, index: int) -> int:
        return len(self.layers[index].values)

    def _describe(self, record: FeatureMaps | None, probabilities: np.ndarray | None, snapshot: Any) -> None:
        drawing = record is not None and record.drawing
        classes = class_names(snapshot)
        truth = record.label if record is not None else None

        def name(c: int) -> str:
            return str(classes[c]) if 0 <= c < len(classes) else str(c)

        parts = ["your drawing" if drawing else f"true {name(truth)}" if truth is not None else "sample"]
        if probabilities is not None and probabilities.size:
            p = probabilities.reshape(-1)
            best = int(np.argmax(p))
            parts.append(f"predicted {name(best)} ({100 * float(p[best]):.0f}%)")
        text = " · ".join(parts)
        if self.sample_label.text() != text:
            self.sample_label.setText(text)
        self.set_caption(f"{text}  ·  {len(self.layers)} layers  ·  click a map to enlarge it")

    # Clicking -------------------------------------------------------------------------------------------------

    def _on_mouse_clicked(self, event: Any) -> None:
        scene_pos = event.scenePos()
        if not self.layers or not self.grid_box.sceneBoundingRect().contains(scene_pos):
            return
        p = self.grid_box.mapSceneToView(scene_pos)
        self.click_at(p.y(), p.x())

    def click_at(self, y: float, x: float) -> bool:
        """Enlarge what is under grid pixel (``y`` from the top, ``x`` from the left); False over nothing."""
        tile = tile_at(self.tiles, y, x)
        if tile is not None and tile.column < len(self._image_layers):
            self.selected = (self._image_layers[tile.column], tile.row)
            self._show_big()
            return True
        for index, _item, rect in self._strips:
            if rect.contains(QPointF(x, y)):
                n = self._units(index)
                self.selected = (index, int(np.clip((x - rect.left()) / rect.width() * n, 0, n - 1)))
                self._show_big()
                return True
        return False

    def map_center(self, layer: str, channel: int) -> QPointF:
        """Scene position of a map's (or a unit's) centre, for tests and automation."""
        index = self.layer_names.index(layer)
        if index in self._image_layers:
            band = self._image_layers.index(index)
            for t in self.tiles:
                if (t.column, t.row) == (band, channel):
                    centre: QPointF = self.grid_box.mapViewToScene(QPointF(t.left + t.width / 2, t.top + t.height / 2))
                    return centre
        for i, _item, rect in self._strips:
            if i == index:
                step = rect.width() / self._units(index)
                unit: QPointF = self.grid_box.mapViewToScene(QPointF(rect.left() + (channel + 0.5) * step,
                                                                     rect.center().y()))
                return unit
        raise KeyError((layer, channel))

    def _show_big(self) -> None:
        index, unit = self.selected
        if index >= len(self.layers):
            return
        layer = self.layers[index]
        colour = layer.is_image and layer.name == "input" and len(layer.values) == 3
        if colour:  # a colour photo: the picture itself, its three channel maps are in the grid
            big = (np.clip(np.transpose(layer.values, (1, 2, 0)), 0.0, 1.0) * 255).round().astype(np.uint8)
            text = "input · colour image"
        elif layer.is_image:
            big = normalize_symmetric(layer.values)[unit]
            what = "image" if layer.name == "input" else f"channel {unit}"
            text = f"{layer.name} · {what}"
            if layer.name == "input" and len(layer.values) > 1:
                text = f"input · channel {unit}"
        else:
            values = layer.values if layer.name == "probabilities" else normalize_symmetric(layer.values)
            big = values[None, :]
            text = f"{layer.name} · unit {unit} = {float(layer.values[unit]):.3g}"
        if colour:
            if self._big_lut_on:
                self.big_image.setLookupTable(None)
                self._big_lut_on = False
            self.big_image.setImage(big, levels=(0, 255), autoLevels=False)
        else:
            if not self._big_lut_on:
                self.big_image.setLookupTable(self._big_lut)
                self._big_lut_on = True
            self.big_image.setImage(big, levels=(-1.0, 1.0), autoLevels=False)
        if text != self._big_text:
            self._big_text = text
            self.big_label.setText(text)
        if big.shape[:2] != self._big_shape:
            self._big_shape = big.shape[:2]
            h, w = big.shape[:2]
            if layer.is_image:
                self.big_image.setRect(QRectF(0, 0, w, h))
                height = float(h)
            else:  # a strip: draw it as wide as it is, a tenth as tall
                height = max(1.0, w / 10)
                self.big_image.setRect(QRectF(0, 0, w, height))
            self.big_label.setPos(w / 2, -0.5)
            self.big_box.setRange(QRectF(0, -height * 0.25, w, height * 1.25), padding=0.02)
        self._highlight(index, unit)

    def _highlight(self, index: int, unit: int) -> None:
        if index in self._image_layers:
            band = self._image_layers.index(index)
            for t in self.tiles:
                if (t.column, t.row) == (band, unit):
                    self.highlight.setRect(QRectF(t.left - 1, t.top - 1, t.width + 2, t.height + 2))
                    self.highlight.setVisible(True)
                    return
        for i, _item, rect in self._strips:
            if i == index:
                step = rect.width() / self._units(index)
                self.highlight.setRect(QRectF(rect.left() + unit * step, rect.top(), step, rect.height()))
                self.highlight.setVisible(True)
                return
        self.highlight.setVisible(False)


# The digit flowing through the network is what an image classifier teaches: its main view.
SPEC = ViewSpec("feature_maps", "Feature maps", FeatureMapView, probes=("feature_maps",), tasks=CLASSIC_TASKS,
                data=("images",), main=True)
