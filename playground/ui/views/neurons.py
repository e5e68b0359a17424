"""Every hidden unit's output over the input plane as a small heatmap, one band per layer (as TF Playground's
columns, turned to fit a wide panel)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QGraphicsRectItem, QWidget

from playground.snapshots import Neurons
from playground.viz.boundary import normalize_layer
from playground.viz.colormaps import diverging_lut
from playground.viz.tiling import Tile, best_units_per_row, tile_at, tile_layer_rows

from .base import NEEDS_PLANE, PRESS_PLAY, SnapshotView, attr, colour_bar, mapping, probe
from .view_spec import CLASSIC_TASKS, ViewSpec

PAD = 3
GAP = 14
LABEL_COLUMN = 120  # image pixels kept left of the tiles for the layer names


class NeuronGridView(SnapshotView):
    """All hidden units at once as ONE tiled image; hovering a tile shows it large on the right.

    Reads: ``dataset`` (train_points, to know the data is 2-D), the ``Neurons`` record's layers (units, r, r) with
    row 0 = bottom of the plane, one key per hidden layer in network order.
    """

    probes: tuple[str, ...] = ("neurons",)
    title = "Neurons"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("neuronGridView")
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setObjectName("neuronCanvas")
        self.grid_box: pg.ViewBox = self.canvas.addViewBox(row=0, col=0)
        self.grid_box.setAspectLocked(True)
        self.grid_box.invertY(True)
        self.grid_box.setMouseEnabled(x=False, y=False)
        self.grid_box.setMenuEnabled(False)
        self.grid_image = pg.ImageItem(axisOrder="row-major")
        self.grid_image.setLookupTable(diverging_lut())
        self.grid_box.addItem(self.grid_image)
        self.highlight = QGraphicsRectItem()
        self.highlight.setPen(pg.mkPen("#222222", width=2, cosmetic=True))
        self.highlight.setVisible(False)
        self.grid_box.addItem(self.highlight)

        self.big_box: pg.ViewBox = self.canvas.addViewBox(row=0, col=1)
        self.big_box.setAspectLocked(True)
        self.big_box.setMouseEnabled(x=False, y=False)
        self.big_box.setMenuEnabled(False)
        self.big_image = pg.ImageItem(axisOrder="row-major")
        self.big_image.setLookupTable(diverging_lut())
        self.big_box.addItem(self.big_image)
        # The title sits inside the enlarged view, just above the image, so the two stay together at any size.
        self.big_label = pg.TextItem("", color="#333", anchor=(0.5, 1.0))
        self.big_box.addItem(self.big_label)
        # Its text keeps its size in pixels: in a narrow dock it ends in "…" rather than run past the view's edges.
        self._big_text = ""
        self._big_shape: tuple[int, ...] = ()
        self.big_box.sigResized.connect(self._fit_big_label)
        # Bounded units (tanh) show their own values; unbounded ones (ReLU) are divided by the layer's largest.
        # Under the tiles, not beside them: the neurons dock is narrow, and a bar at the side took a quarter of it.
        self.colour_bar = colour_bar(diverging_lut(), (-1.0, 1.0), "unit output (scaled)", width=8, horizontal=True)
        self.canvas.addItem(self.colour_bar, row=1, col=0, colspan=2)
        self.canvas.ci.layout.setColumnStretchFactor(0, 3)
        self.canvas.ci.layout.setColumnStretchFactor(1, 2)
        self.canvas.setToolTip(
            "Each square is one hidden unit: its output at every point of the input plane (orange negative, "
            "blue positive). One band per layer, first layer on top; its units run left to right.\n"
            "First-layer units can only draw straight edges; later layers combine them into curves. "
            "Hover a unit to see it large.\n"
            "A square that stays one flat colour is a dead or saturated unit.")
        self.content_layout.addWidget(self.canvas)
        self.canvas.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self._labels: list[pg.TextItem] = []
        self._structure: tuple[tuple[str, int], ...] = ()
        self._per_row = 0
        self._layers: list[tuple[str, np.ndarray]] = []
        self.tiles: list[Tile] = []
        self.selected: tuple[int, int] = (0, 0)  # (layer index, unit index) shown large

    @property
    def enlarged_title(self) -> str:
        return self._big_text

    @property
    def layer_names(self) -> list[str]:
        return [name for name, _ in self._layers]

    def show_snapshot(self, snapshot: Any) -> None:
        dataset = mapping(snapshot, "dataset")
        record = probe(snapshot, Neurons)
        if not dataset or dataset.get("train_points") is None:
            self.show_empty(NEEDS_PLANE)
            return
        layers = []
        for name, a in (record.layers if record is not None else {}).items():
            if a.ndim == 3 and a.shape[0] > 0:
                layers.append((name, normalize_layer(a)))
        if not layers:
            self.show_empty("This view shows the hidden units of a network with hidden layers.\n" + PRESS_PLAY
                            if attr(snapshot, "state", "ready") == "ready" else
                            "No hidden layer to show: add a Dense layer with an activation between input and "
                            "output.")
            return
        self.show_content()
        self._layers = layers
        structure = tuple((name, len(a)) for name, a in layers)
        per_row = self._units_per_row(structure, layers[0][1].shape[-1])
        image, self.tiles = tile_layer_rows([a for _, a in layers], per_row, pad=PAD, gap=GAP, flip_rows=True)
        self.grid_image.setImage(image, levels=(-1.0, 1.0), autoLevels=False)
        if (structure, per_row) != (self._structure, self._per_row):
            self._structure, self._per_row = structure, per_row
            self._rebuild_labels(image.shape)
            li, ui = self.selected
            if li >= len(layers) or ui >= len(layers[li][1]):
                self.selected = (0, 0)
        self._show_big()
        self.set_caption(f"{sum(n for _, n in structure)} hidden units in {len(structure)} layer"
                         f"{'s' if len(structure) != 1 else ''}  ·  hover one to enlarge")

    def _units_per_row(self, structure: tuple[tuple[str, int], ...], tile: int) -> int:
        """Wrap each layer's units so the tiles come out as large as the grid's share of the view allows, each
        layer's band at least as tall as its name (six bands of one thin row put six names on top of each
        other)."""
        counts = [n for _, n in structure]
        rect = self.grid_box.sceneBoundingRect()
        width, height = rect.width(), rect.height()
        if width < 20 or height < 20:  # not laid out yet: assume the dock's usual wide, short shape
            width, height = 300.0, 160.0
        scale = tile + PAD
        best = best_units_per_row(counts, width / scale * tile, height / scale * tile,
                                  label_width=LABEL_COLUMN / scale * tile)
        metrics = QFontMetrics(self.big_label.textItem.font())
        label = min(max(metrics.horizontalAdvance(name) for name, _ in structure) + 12.0, 0.4 * width)
        fitting = []
        for per_row in range(1, max(counts) + 1):
            rows = [-(-c // per_row) for c in counts]
            across = min(per_row, max(counts))
            # The image tile_layer_rows makes, and the scale the view shows it at (less the range's padding).
            image_w = across * tile + (across - 1) * PAD
            image_h = sum(r * tile + (r - 1) * PAD for r in rows) + (len(rows) - 1) * GAP
            px = min((width / 1.04 - label) / image_w, height / 1.04 / image_h)
            if (min(rows) * (tile + PAD) - PAD + GAP) * px >= metrics.height():
                fitting.append((px, per_row))
        return max(fitting)[1] if fitting else best

    def resizeEvent(self, event: Any) -> None:  # Qt's name
        super().resizeEvent(event)
        self._structure = ()  # lay the tiles out again for the new shape on the next snapshot

    def _rebuild_labels(self, shape: tuple[int, ...]) -> None:
        # Only when the network's layers or the layout change, never per snapshot.
        for label in self._labels:
            self.grid_box.removeItem(label)
        self._labels = []
        firsts: dict[int, Tile] = {}
        for t in self.tiles:
            firsts.setdefault(t.column, t)
        metrics = QFontMetrics(self.big_label.textItem.font())  # the font of every TextItem
        box = self.grid_box.sceneBoundingRect()
        # The names keep their size in pixels while the tiles scale: the column left of the tiles is as wide as
        # the longest name needs (at most two fifths of the view), in image pixels at the scale that leaves.
        needed = min(max(metrics.horizontalAdvance(name) for name, _ in self._structure) + 12.0, 0.4 * box.width())
        column, every, below = float(LABEL_COLUMN), 1, 0.0
        tops = [firsts[c].top for c in sorted(firsts)]
        if box.width() > 20 and box.height() > 20:
            line = float(metrics.height())
            scale = max(1e-3, min((box.width() / 1.04 - needed) / shape[1], box.height() / 1.04 / shape[0]))
            column = needed / scale
            # Bands thinner than a name (a short dock, many layers): every other band named, or every third;
            # hovering a tile names its layer above the enlarged unit.
            pitch = min((b - a for a, b in zip(tops, tops[1:])), default=shape[0]) * scale
            every = max(1, math.ceil(line / max(pitch, 1.0)))
            below = max(0.0, line - (shape[0] - tops[-1]) * scale) / scale  # the last name may reach lower
        self.grid_box.setRange(QRectF(-column, 0, shape[1] + column, shape[0] + below), padding=0.02)
        # A name wider than the room left of the tiles loses its middle ("ta…_3": the layer's number stays; whole
        # in its tooltip), never cut at the edge.
        room = self.grid_box.mapViewToScene(QPointF(-3, 0)).x() - box.left() - 8
        for i, ((name, n), col) in enumerate(zip(self._structure, sorted(firsts))):
            t = firsts[col]
            shown = metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, max(1, int(room)))
            label = pg.TextItem(shown, color="#333", anchor=(1.0, 0.0))
            label.setToolTip(f"{name}: {n} units")
            label.setPos(-3, t.top)
            label.setVisible(i % every == 0)
            self.grid_box.addItem(label)
            self._labels.append(label)

    def _fit_big_label(self) -> None:
        room = int(self.big_box.width()) - 4
        metrics = QFontMetrics(self.big_label.textItem.font())
        shown = self._big_text
        if room > 0 and metrics.horizontalAdvance(shown) > room:
            # The unit's number matters most: the layer is also marked by the highlighted tile.
            name, unit = self._big_text.rsplit(" · unit ", 1)
            shown = f"{name} #{unit}"
            if metrics.horizontalAdvance(shown) > room:
                shown = metrics.elidedText(name, Qt.TextElideMode.ElideRight,
                                           max(1, room - metrics.horizontalAdvance(f" #{unit}"))) + f" #{unit}"
        if shown != self.big_label.toPlainText():
            self.big_label.setText(shown)
        self.big_label.setToolTip(self._big_text)
        if not self._big_shape:
            return
        # Room above the image for the title's height in pixels, at the scale that room leaves the image.
        h, w = self._big_shape
        text = float(self.big_label.textItem.boundingRect().height())
        box_w, box_h = float(self.big_box.width()) / 1.04, float(self.big_box.height()) / 1.04
        scale = min(box_w / w, (box_h - text) / (h + 1)) if box_w > 20 and box_h > text + 20 else 1.0
        self.big_label.setPos(w / 2, h + 1)
        self.big_box.setRange(QRectF(0, 0, w, h + 1 + text / max(scale, 0.05)), padding=0.02)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if not self.tiles or not self.grid_box.sceneBoundingRect().contains(scene_pos):
            return
        p = self.grid_box.mapSceneToView(scene_pos)
        self.hover_at(p.y(), p.x())

    def hover_at(self, y: float, x: float) -> None:
        """Enlarge the tile under image pixel (``y`` from the top, ``x`` from the left), if any."""
        tile = tile_at(self.tiles, y, x)
        if tile is None:
            return
        if (tile.column, tile.row) != self.selected:
            self.selected = (tile.column, tile.row)
            self._show_big()

    def tile_center(self, layer: int, unit: int) -> QPointF:
        """Scene position of a tile's centre (for tests and tooltips)."""
        for t in self.tiles:
            if (t.column, t.row) == (layer, unit):
                centre: QPointF = self.grid_box.mapViewToScene(QPointF(t.left + t.width / 2, t.top + t.height / 2))
                return centre
        raise KeyError((layer, unit))

    def _show_big(self) -> None:
        li, ui = self.selected
        if li >= len(self._layers) or ui >= len(self._layers[li][1]):
            return
        name, stack = self._layers[li]
        self.big_image.setImage(stack[ui], levels=(-1.0, 1.0), autoLevels=False)
        text = f"{name} · unit {ui}"
        if text != self._big_text or stack[ui].shape != self._big_shape:  # a TextItem re-lays out on setText
            self._big_text = text
            self._big_shape = stack[ui].shape
            self._fit_big_label()
        for t in self.tiles:
            if (t.column, t.row) == (li, ui):
                self.highlight.setRect(QRectF(t.left - 1, t.top - 1, t.width + 2, t.height + 2))
                self.highlight.setVisible(True)
                break


SPEC = ViewSpec("neurons", "Neurons", NeuronGridView, probes=("neurons",), tasks=CLASSIC_TASKS, data=("plane",),
                unless=("no_hidden_layer",))
