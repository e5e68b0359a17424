"""What every layer makes of one sample, CNN Explainer's way: the input on the left, then one column per layer as
the data flows, each a grid of that layer's activation maps (or a bar of a dense layer's units), the class
probabilities and the clicked map large on the right. Click a map to see it large."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QTextOption
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollBar,
    QSpinBox,
    QWidget,
)

from playground.snapshots import FeatureMaps
from playground.viz.colormaps import diverging_lut
from playground.viz.convolution import normalize_symmetric, resize_nearest
from playground.viz.tiling import Tile, tile_at

from .base import PRESS_PLAY, SnapshotView, class_names, colour_bar, probe
from .feature_map_layout import FlowPlan, fold_groups, plan_flow, shown_layer
from .feature_map_side import ProbabilityBars
from .filters import image_box
from .view_spec import CLASSIC_TASKS, ViewSpec

PAD = 3  # between the maps of one layer
GAP = 5  # between layers' columns
LABEL_POINTS = 8.0
LABEL_MAX = 90  # a longer layer name is elided (its tooltip has it whole) rather than widen its column
SIDE_WIDTH = (104, 170)  # the probabilities and the enlarged map: at least readable, at most a fifth of the view


@dataclass(frozen=True)
class Layer:
    name: str
    values: np.ndarray  # (C, H, W) maps or (F,) units, as the snapshot gave them
    is_image: bool


@dataclass(frozen=True)
class Column:
    """One drawn column: the layers folded into it (``group``, indices into the view's layers), the one it shows."""

    group: tuple[int, ...]
    shown: int


class FeatureMapView(SnapshotView):
    """The chosen test sample (or the drawing) through the network, left to right: one column per layer (its maps
    in a grid, or its units as a bar), each labelled with its name and shape; the class probabilities as bars and
    the clicked map large on the right.

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
        self.activation_box = QCheckBox("Activations")
        self.activation_box.setObjectName("featureActivationColumns")
        self.activation_box.setToolTip(
            "On: every layer has its own column, ReLU, Tanh, Flatten and the like too (a deep network scrolls).\n"
            "Off: such a layer is drawn in the column of the layer before it, which then shows its output after "
            "the activation; the column's tooltip names both.")
        self.activation_box.toggled.connect(self._on_fold_toggled)
        row.addWidget(self.activation_box)
        self.sample_label = QLabel("")
        self.sample_label.setObjectName("sampleLabel")
        row.addWidget(self.sample_label)
        row.addStretch(1)
        self.controls_layout.addLayout(row)

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setObjectName("featureMapCanvas")
        self.canvas.ci.setContentsMargins(2, 2, 2, 2)
        self.canvas.ci.layout.setSpacing(4)
        lut = diverging_lut()
        self.grid_box: pg.ViewBox = self.canvas.addViewBox(row=0, col=0, rowspan=3)
        self.grid_box.invertY(True)
        self.grid_box.setMouseEnabled(x=False, y=False)
        self.grid_box.setMenuEnabled(False)
        self.grid_image = pg.ImageItem(axisOrder="row-major")
        self.grid_image.setLookupTable(lut)
        self.grid_box.addItem(self.grid_image)
        self.highlight = QGraphicsRectItem()
        self.highlight.setPen(pg.mkPen("#222222", width=2, cosmetic=True))
        self.highlight.setVisible(False)
        self.grid_box.addItem(self.highlight)
        self.probabilities = ProbabilityBars(self.canvas, 0, 1)
        self.big_box, self.big_image = image_box(self.canvas, 1, 1, lut)
        self._big_lut, self._big_lut_on = lut, True  # off while a colour input shows as RGB
        self.big_label = pg.TextItem("", color="#333", anchor=(0.5, 1.0))
        self.big_box.addItem(self.big_label)
        # Each layer is divided by its own largest |value|: the bar reads in that share, not in raw units. Under
        # the enlarged map, on two lines: beside the flow it would take the width of two columns of maps.
        self.colour_bar = colour_bar(lut, (-1.0, 1.0), "activation ÷ layer's max", width=8, horizontal=True)
        self.colour_bar.axis.setLabel("activation<br>÷ layer's max")
        self.canvas.addItem(self.colour_bar, row=2, col=1)
        self.canvas.ci.layout.setRowStretchFactor(0, 1)
        self.canvas.ci.layout.setRowStretchFactor(1, 1)
        self.canvas.ci.layout.setRowStretchFactor(2, 0)
        self.canvas.setToolTip(
            "One sample's journey through the network, left to right. First the input, then each layer's "
            "activation maps: one small image per channel, showing where in the image that channel's filter found "
            "its pattern (blue strong, pale nothing; each layer scaled to its own largest value).\nDeeper maps are "
            "smaller and more abstract; a dense layer is a bar of its units; on the right the class probabilities."
            "\nClick a map to see it large on the right.")
        self.content_layout.addWidget(self.canvas, 1)
        # A network too deep for the view scrolls sideways rather than shrinking its maps below readable.
        self.flow_scroll = QScrollBar(Qt.Orientation.Horizontal)
        self.flow_scroll.setObjectName("featureMapScroll")
        self.flow_scroll.setVisible(False)
        # Its room stays when it hides: otherwise the maps grow, no longer fit, and the bar comes back, in a loop.
        policy = self.flow_scroll.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.flow_scroll.setSizePolicy(policy)
        self.flow_scroll.valueChanged.connect(self._apply_range)
        self.content_layout.addWidget(self.flow_scroll)
        self.canvas.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.grid_box.sigResized.connect(self._on_resized)
        self.big_box.sigResized.connect(self._fit_big_label)
        self.canvas.viewport().installEventFilter(self)

        self.label_font = QFont(self.font())
        self.label_font.setPointSizeF(LABEL_POINTS)
        self.layers: list[Layer] = []
        self.columns: list[Column] = []
        self.plan: FlowPlan | None = None
        self.tiles: list[Tile] = []  # image columns: column = index into _image_layers, row = channel
        self._image_layers: list[int] = []  # index in self.layers of each image column's shown layer
        self._image_columns: list[int] = []  # index in self.columns of each image column
        self.visible_label_count = 0
        self._strips: list[tuple[int, pg.ImageItem, QRectF]] = []  # (index in self.layers, item, rect)
        self._labels: list[pg.TextItem] = []
        self._layer_labels: list[tuple[pg.TextItem, float, Layer]] = []
        self._structure: tuple[Any, ...] = ()
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
        """The bars drawn: one per dense column, and the class probabilities."""
        return len(self._strips) + (1 if self.probabilities.count else 0)

    @property
    def _class_labels(self) -> list[pg.TextItem]:
        return self.probabilities.class_labels

    @property
    def map_size(self) -> int:
        """The side of every map on screen, in pixels (0 before anything is drawn)."""
        return self.plan.cell if self.plan is not None else 0

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
            layers.append(Layer("input", sample, True) if sample.ndim == 3 else
                          Layer("input", sample.reshape(-1), False))
        for key, value in (record.layers if record is not None else {}).items():
            a = np.asarray(value, dtype=np.float32)
            if a.ndim == 3 and a.size:
                layers.append(Layer(key, a, True))
            elif a.size:
                layers.append(Layer(key, a.reshape(-1), False))
        probabilities = record.probabilities if record is not None else None
        if probabilities is not None and probabilities.size:
            probabilities = probabilities.astype(np.float32).reshape(-1)
            layers.append(Layer("probabilities", probabilities, False))
        if not layers:
            self.layers = []
            self.show_empty(PRESS_PLAY + "\n(One test image and every layer's activations for it show here.)")
            return
        self.show_content()
        self.layers = layers
        self._draw()
        self._describe(record, probabilities, snapshot)

    def _flow_layers(self) -> list[int]:
        """The layers drawn in the flow: all but the probabilities, which have their own bars on the right."""
        return [i for i, layer in enumerate(self.layers) if layer.name != "probabilities"]

    def _draw(self) -> None:
        layers = self.layers
        structure = (tuple((layer.name, layer.values.shape) for layer in layers), self.activation_box.isChecked(),
                     self._box_size())
        if structure != self._structure:
            self._structure = structure
            self._rebuild()
        plan = self.plan
        assert plan is not None
        image = np.full((max(1, int(plan.height)), max(1, int(np.ceil(plan.width)))), np.nan, dtype=np.float32)
        cell = plan.cell
        for band, index in enumerate(self._image_layers):
            column = plan.columns[self._image_columns[band]]
            maps = normalize_symmetric(resize_nearest(layers[index].values, cell, cell))
            for k, tile in enumerate(maps):
                top, left = column.map_rect(k, cell, PAD)
                image[top:top + cell, left:left + cell] = tile
        self.grid_image.setImage(image, levels=(-1.0, 1.0), autoLevels=False)
        self.grid_image.setRect(QRectF(0, 0, image.shape[1], image.shape[0]))
        for index, item, _rect in self._strips:
            item.setImage(normalize_symmetric(layers[index].values)[:, None], levels=(-1.0, 1.0), autoLevels=False)
        last = layers[-1]
        if last.name == "probabilities":
            self.probabilities.set_values(last.values)
        if self.selected[0] >= len(layers) or self.selected[1] >= self._units(self.selected[0]):
            self.selected = (0, 0)
        self._show_big()

    def _box_size(self) -> tuple[int, int]:
        rect = self.grid_box.boundingRect()
        if rect.width() < 40 or rect.height() < 40:  # not laid out yet: a dock's usual size
            return 440, 290
        return int(rect.width()), int(rect.height())

    def _label_height(self) -> int:
        return 2 * QFontMetrics(self.label_font).height() + 6

    def _rebuild(self) -> None:
        # Only when the network, the sample's shape, the folding or the view's size change: never per snapshot.
        for item in self._labels:
            self.grid_box.removeItem(item)
        for _i, item, _r in self._strips:
            self.grid_box.removeItem(item)
        self._labels, self._strips, self._layer_labels = [], [], []
        flow = self._flow_layers()
        names = [self.layers[i].name for i in flow]
        shapes = [tuple(self.layers[i].values.shape) for i in flow]
        groups = fold_groups(names, shapes, not self.activation_box.isChecked())
        self.columns = [Column(tuple(flow[i] for i in g), flow[shown_layer(g, names)]) for g in groups]
        # The side column follows the whole canvas, not the flow's box, which it would otherwise keep resizing.
        side = int(np.clip(self.canvas.width() * 0.18, *SIDE_WIDTH))
        self.canvas.ci.layout.setColumnFixedWidth(1, side)
        width, height = self._box_size()
        shown = [self.layers[c.shown] for c in self.columns]
        counts = [(len(layer.values), layer.is_image) for layer in shown]
        metrics = QFontMetrics(self.label_font)
        # What each label needs whole (name and shape, a little air), at most what a long name may take.
        wants = [min(LABEL_MAX, max(metrics.horizontalAdvance(text) for text in
                                    (self.layers[c.group[0]].name, "×".join(str(d) for d in layer.values.shape)))
                     + 8 - GAP) for c, layer in zip(self.columns, shown)]
        plan = plan_flow(counts, width, height, top=self._label_height(), pad=PAD, gap=GAP, label_width=52,
                         label_widths=wants)
        self.plan = plan
        self._image_layers, self._image_columns = [], []
        self.tiles = []
        lut = diverging_lut()
        for c, (column, layer) in enumerate(zip(self.columns, shown)):
            spot = plan.columns[c]
            self._add_label(column, spot.left + spot.width / 2, spot.width + GAP - 4)
            if layer.is_image:
                band = len(self._image_layers)
                self._image_layers.append(column.shown)
                self._image_columns.append(c)
                for k in range(len(layer.values)):
                    top, left = spot.map_rect(k, plan.cell, PAD)
                    self.tiles.append(Tile(band, k, top, left, plan.cell, plan.cell))
                continue
            item = pg.ImageItem(axisOrder="row-major")
            item.setLookupTable(lut)
            rect = QRectF(spot.content_left, spot.content_top, spot.content_width, spot.content_height)
            item.setImage(np.zeros((len(layer.values), 1), dtype=np.float32), levels=(-1.0, 1.0), autoLevels=False)
            item.setRect(rect)
            self.grid_box.addItem(item)
            self._strips.append((column.shown, item, rect))
        self.visible_label_count = len(self._layer_labels)
        self._apply_range()

    def _add_label(self, column: Column, centre: float, room: float) -> None:
        first, layer = self.layers[column.group[0]], self.layers[column.shown]
        metrics = QFontMetrics(self.label_font)
        shape = "×".join(str(d) for d in layer.values.shape)
        name = metrics.elidedText(first.name, Qt.TextElideMode.ElideRight, int(room))
        label = pg.TextItem(f"{name}\n{metrics.elidedText(shape, Qt.TextElideMode.ElideRight, int(room))}",
                            color="#333", anchor=(0.5, 0.0))
        label.setFont(self.label_font)
        label.textItem.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
        label.textItem.document().setDocumentMargin(0)  # the elided text is exactly as wide as the room
        label.textItem.setTextWidth(room)
        label.updateTextPos()
        label.setPos(centre, 0)
        folded = [self.layers[i].name for i in column.group[1:]]
        tip = f"{first.name}: {'×'.join(str(d) for d in first.values.shape)}"
        if folded:
            tip += f"\nthen {', '.join(folded)}: the maps show {layer.name}'s output, {shape}"
        label.setToolTip(tip)
        self.grid_box.addItem(label)
        self._labels.append(label)
        self._layer_labels.append((label, 0.0, first))

    def _apply_range(self) -> None:
        width, height = self._box_size()
        total = int(np.ceil(self.plan.width)) if self.plan is not None else 0
        overflow = max(0, total - width)
        self.flow_scroll.blockSignals(True)
        self.flow_scroll.setRange(0, overflow)
        self.flow_scroll.setPageStep(width)
        self.flow_scroll.setSingleStep(max(8, width // 10))
        self.flow_scroll.blockSignals(False)
        self.flow_scroll.setVisible(overflow > 0)
        # One scene unit is one screen pixel, so a map's size in the layout is its size on screen.
        # A flow narrower than the view sits in its middle; a wider one starts where the scroll bar says.
        left = float(min(self.flow_scroll.value(), overflow)) if overflow else -float(width - total) // 2
        self.grid_box.setRange(xRange=(left, left + width), yRange=(0, height), padding=0)

    def _on_resized(self) -> None:
        # Laid out again at once (not at the next snapshot): a paused run must not keep a layout for another size.
        if self.layers and self._structure and self._structure[2] != self._box_size():
            self._draw()

    def _on_fold_toggled(self, _checked: bool) -> None:
        if self.layers:
            self._draw()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The wheel over the maps scrolls a network wider than the view (nothing here zooms).
        if (watched is self.canvas.viewport() and event.type() == QEvent.Type.Wheel
                and self.flow_scroll.isVisible()):
            QApplication.sendEvent(self.flow_scroll, event)
            return True
        return super().eventFilter(watched, event)

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
            self.probabilities.set_names([name(c) for c in range(len(p))])
        text = " · ".join(parts)
        if self.sample_label.text() != text:
            self.sample_label.setText(text)
        self.set_caption(f"{text}  ·  {len(self.layers)} layers  ·  click a map to enlarge it")

    # Clicking -------------------------------------------------------------------------------------------------

    def _on_mouse_clicked(self, event: Any) -> None:
        scene_pos = event.scenePos()
        if not self.layers:
            return
        if self.grid_box.sceneBoundingRect().contains(scene_pos):
            p = self.grid_box.mapSceneToView(scene_pos)
            self.click_at(p.y(), p.x())
            return
        unit = self.probabilities.class_at(scene_pos)
        if unit is not None and self.layers[-1].name == "probabilities":
            self.selected = (len(self.layers) - 1, unit)
            self._show_big()

    def click_at(self, y: float, x: float) -> bool:
        """Enlarge what is under flow pixel (``y`` from the top, ``x`` from the left); False over nothing."""
        tile = tile_at(self.tiles, y, x)
        if tile is not None and tile.column < len(self._image_layers):
            self.selected = (self._image_layers[tile.column], tile.row)
            self._show_big()
            return True
        for index, _item, rect in self._strips:
            if rect.contains(QPointF(x, y)):
                n = self._units(index)
                self.selected = (index, int(np.clip((y - rect.top()) / rect.height() * n, 0, n - 1)))
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
                step = rect.height() / self._units(index)
                unit: QPointF = self.grid_box.mapViewToScene(QPointF(rect.center().x(),
                                                                     rect.top() + (channel + 0.5) * step))
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
            self._fit_big_label()
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
            self.big_box.setRange(QRectF(0, -height * 0.3, w, height * 1.3), padding=0.02)
        self._highlight(index, unit)

    def _fit_big_label(self) -> None:
        """The enlarged map's title, elided to its narrow column (the tooltip has it whole)."""
        room = int(self.big_box.boundingRect().width()) - 12  # the text item's own margins too
        text = self._big_text
        if room > 20:
            text = QFontMetrics(self.big_label.textItem.font()).elidedText(text, Qt.TextElideMode.ElideRight, room)
        if self.big_label.toPlainText() != text:
            self.big_label.setText(text)
        self.big_label.setToolTip(self._big_text)

    def _highlight(self, index: int, unit: int) -> None:
        self.probabilities.mark_selected(unit if self.layers[index].name == "probabilities" else None)
        if index in self._image_layers:
            band = self._image_layers.index(index)
            for t in self.tiles:
                if (t.column, t.row) == (band, unit):
                    self.highlight.setRect(QRectF(t.left - 1, t.top - 1, t.width + 2, t.height + 2))
                    self.highlight.setVisible(True)
                    return
        for i, _item, rect in self._strips:
            if i == index:
                step = rect.height() / self._units(index)
                self.highlight.setRect(QRectF(rect.left(), rect.top() + unit * step, rect.width(), step))
                self.highlight.setVisible(True)
                return
        self.highlight.setVisible(False)


# The digit flowing through the network is what an image classifier teaches: its main view.
SPEC = ViewSpec("feature_maps", "Feature maps", FeatureMapView, probes=("feature_maps",), tasks=CLASSIC_TASKS,
                data=("images",), main=True)
