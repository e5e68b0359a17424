"""The network drawn as neurons, as TensorFlow Playground draws it: input features, hidden layers and the output
left to right, each neuron a small square holding its own output over the input plane, each link coloured by the
sign of its weight and as thick as its magnitude.

The network's shape comes from the lab (``set_outline``, by the presenter), so it shows before any training; the
heatmaps and weights fill in from the snapshots (``Neurons``, ``Weights`` and ``DecisionBoundary`` records).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsRectItem, QToolTip, QWidget

from playground.snapshots import DecisionBoundary, Neurons, Weights
from playground.viz.boundary import class_regions, normalize_layer
from playground.viz.colormaps import class_color, diverging_lut, hex_to_rgba

from .base import NEEDS_PLANE, SnapshotView, probe
from .network_links import Link, distance_to_segment, link_pen
from .network_texts import ColumnHeader, header_rooms, text_box
from .view_spec import CLASSIC_TASKS, ViewSpec

UNIT = 1.0  # a neuron's side, in the scene's units
GAP = 0.4  # between two neurons of a column
COLUMN = 2.4  # from one column's left edge to the next
LEFT = 3.4  # room left of the inputs for their names before the view knows its size in pixels
OUTPUT = 3.2  # the output's side: the largest square, as in TF Playground
LEGEND_WIDTH = 0.3
HOVER_PIXELS = 5.0  # how near the pointer must come to a link, on screen, to show its weight


@dataclass(frozen=True)
class HiddenLayer:
    """One column of neurons: ``neurons`` names its record in ``Neurons`` (the activation, or the Dense without
    one), ``weights`` its Dense in ``Weights`` (the links coming in), ``units`` how many neurons it has, ``label``
    what it says above its column."""

    neurons: str
    weights: str
    units: int
    label: str


@dataclass(frozen=True, eq=False)
class NetworkOutline:
    """A 2-D dense network in plain words, from the lab: every input feature it could use (``features``, with
    ``labels`` and ``maps``: (r, r) images of each over the plane, row 0 at the bottom), the ones it uses now in the
    order of the input's columns (``inputs``), its hidden layers, the Dense that makes its output
    (``output_weights``, ``outputs`` units), the task and class count."""

    features: tuple[str, ...]
    labels: tuple[str, ...]
    maps: tuple[np.ndarray, ...]
    inputs: tuple[str, ...]
    layers: tuple[HiddenLayer, ...]
    output_weights: str
    outputs: int
    task: str = "classification"
    classes: int = 2
    class_names: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[Any, ...]:
        """Everything that decides what is drawn but the feature images (which follow from the features)."""
        return (self.features, self.labels, self.inputs, self.layers, self.output_weights, self.outputs, self.task,
                self.classes, self.class_names)


class NeuronNetworkView(SnapshotView):
    """TF Playground's network diagram. Click an input feature to switch it on or off (``dataset_changed`` with
    the new ``features``); hover a link for its weight, a neuron for its name."""

    dataset_changed = Signal(dict)
    probes: tuple[str, ...] = ("neurons", "weights", "boundary")
    title = "Network"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("neuronNetworkView")
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setObjectName("neuronNetworkCanvas")
        self.box: pg.ViewBox = self.canvas.addViewBox(row=0, col=0)
        self.box.setAspectLocked(True)
        self.box.invertY(True)
        self.box.setMouseEnabled(x=False, y=False)
        self.box.setMenuEnabled(False)
        self.canvas.setToolTip(
            "The network as neurons, data flowing left to right. Each square shows what that neuron outputs at "
            "every point of the input plane (blue positive, orange negative).\n"
            "Links: blue weights add, orange weights subtract; thicker is larger. Hover a link for its value.\n"
            "Click an input feature (x₁, x₂, x₁², ...) to feed it to the network or take it away.")
        self.content_layout.addWidget(self.canvas)
        self.canvas.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.canvas.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        # Texts keep their size in pixels while the neurons scale with the view: room for them is made anew.
        self.box.sigResized.connect(self._fit)
        self.outline: NetworkOutline | None = None
        self.inputs: list[pg.ImageItem] = []  # one per feature of the outline
        self.input_frames: list[QGraphicsRectItem] = []
        self.neurons: list[list[pg.ImageItem]] = []  # per hidden layer, one per neuron
        self.output = pg.ImageItem(axisOrder="row-major")
        self.legend = pg.ImageItem(axisOrder="row-major")
        self.links: list[Link] = []
        self.hover_text = ""
        self._rects: list[list[QRectF]] = []  # per column (inputs, hidden layers, output)
        self._labels: list[pg.TextItem] = []  # the input features' names
        self.headers: list[ColumnHeader] = []
        self.kind_header: ColumnHeader | None = None  # the hidden layers' one activation, when headers are short
        self._height = 0.0  # the tallest column's, in scene units
        self._legend_labels: list[pg.TextItem] = []
        self._items: list[Any] = []
        self._placed: dict[int, tuple[QRectF, tuple[int, ...]]] = {}  # image item -> its square, its image's shape

    # The network's shape, from the lab ---------------------------------------------------------------------

    def set_outline(self, outline: NetworkOutline | None) -> None:
        """Draw this network (or, with None, say the view needs a 2-D dense network); heatmaps and weights come
        with the snapshots."""
        if outline is not None and self.outline is not None and outline.key == self.outline.key:
            return
        self.outline = outline
        self._clear_scene()
        if outline is None:
            self.show_empty(NEEDS_PLANE + "\nIt draws a network of Dense layers from the input to the output.")
            return
        self._build(outline)
        self.show_content()
        self.set_caption(self._summary())

    def _summary(self) -> str:
        outline = self.outline
        if outline is None:
            return ""
        hidden = sum(layer.units for layer in outline.layers)
        return (f"{len(outline.inputs)} input features · {hidden} hidden neurons in {len(outline.layers)} "
                f"layer{'s' if len(outline.layers) != 1 else ''} · click an input to switch it on or off")

    def show_empty(self, message: str) -> None:
        # The network's shape is known before any run: keep it drawn, the message goes to the caption.
        if getattr(self, "outline", None) is not None:  # the base class shows its first message before __init__ ends
            self.show_content()
            self.set_caption(message)
            return
        super().show_empty(message)

    def _clear_scene(self) -> None:
        for item in self._items:
            self.box.removeItem(item)
        self._items, self.inputs, self.input_frames, self.neurons, self.links = [], [], [], [], []
        self._rects, self._labels, self._legend_labels, self.headers = [], [], [], []
        self.kind_header = None
        self._placed = {}
        self.hover_text = ""

    def _add(self, item: Any) -> Any:
        self.box.addItem(item)
        self._items.append(item)
        return item

    def _column_rects(self, x: float, count: int, height: float) -> list[QRectF]:
        # A tall layer's neurons shrink to the height of the inputs' column rather than shrink the whole drawing.
        side = min(UNIT, height / (count * (1 + GAP / UNIT) - GAP / UNIT))
        gap = side * GAP / UNIT
        top = (height - (count * side + (count - 1) * gap)) / 2
        return [QRectF(x + (UNIT - side) / 2, top + i * (side + gap), side, side) for i in range(count)]

    def _build(self, outline: NetworkOutline) -> None:
        counts = [len(outline.features), *(layer.units for layer in outline.layers)]
        height = max(OUTPUT + 2.0, counts[0] * UNIT + (counts[0] - 1) * GAP)
        columns = [self._column_rects(i * COLUMN, n, height) for i, n in enumerate(counts)]
        out_x = len(counts) * COLUMN + 0.4
        columns.append([QRectF(out_x, (height - OUTPUT) / 2, OUTPUT, OUTPUT)])
        self._rects = columns
        self._build_links(outline, columns)
        lut = diverging_lut()
        for i, (name, label, image) in enumerate(zip(outline.features, outline.labels, outline.maps)):
            item = self._image(np.flipud(np.asarray(image, dtype=np.float32)), columns[0][i], lut)
            frame = self._add(QGraphicsRectItem(columns[0][i]))
            active = name in outline.inputs
            item.setOpacity(1.0 if active else 0.25)
            frame.setPen(self._frame_pen(active))
            self.inputs.append(item)
            self.input_frames.append(frame)
            text = self._add(pg.TextItem(label, color="#222" if active else "#999", anchor=(1.0, 0.5)))
            text.setToolTip(label)
            text.setPos(columns[0][i].left() - 0.1, columns[0][i].center().y())
            self._labels.append(text)
        for c in range(1, len(outline.layers) + 1):
            row = []
            for rect in columns[c]:
                row.append(self._image(np.zeros((2, 2), np.float32), rect, lut))
                self._add(QGraphicsRectItem(rect)).setPen(self._frame_pen(True))
            self.neurons.append(row)
        out_rect = columns[-1][0]
        self.output = self._image(np.zeros((2, 2), np.float32), out_rect, lut)
        self._add(QGraphicsRectItem(out_rect)).setPen(self._frame_pen(True))
        self._column_label("Input", columns[0][0], "The input features: click one to switch it on or off")
        for c, layer in enumerate(outline.layers, start=1):
            kind = layer.label.split("\n", 1)[-1]
            self._column_label(layer.label, columns[c][0], f"{layer.neurons}: {layer.units} neurons, {kind}")
        self._column_label("Output", out_rect, "The output over the plane")
        kinds = {layer.label.split("\n", 1)[-1] for layer in outline.layers}
        self.kind_header = None
        if len(kinds) == 1 and outline.layers:
            kind = kinds.pop()
            self.kind_header = ColumnHeader(self._add(pg.TextItem(kind, color="#333", anchor=(0.5, 1.0))),
                                            float(np.mean([h.x for h in self.headers[1:-1]])), (kind,))
            self.kind_header.item.setToolTip(f"Every hidden layer: {kind}")
            self.kind_header.item.setVisible(False)
        self._build_legend(outline, out_rect)
        self._height = height
        self._fit()

    def _build_links(self, outline: NetworkOutline, columns: list[list[QRectF]]) -> None:
        sources = [columns[0][outline.features.index(f)] for f in outline.inputs if f in outline.features]
        for c in range(1, len(columns)):
            targets = columns[c]
            for t, target in enumerate(targets):
                for s, source in enumerate(sources):
                    line = QGraphicsLineItem(source.right(), source.center().y(), target.left(),
                                             target.center().y())
                    line.setPen(link_pen(float("nan")))
                    line.setZValue(-5)
                    self._add(line)
                    self.links.append(Link(c, s, t, line))
            sources = targets

    def _build_legend(self, outline: NetworkOutline, out_rect: QRectF) -> None:
        # Under the output, within its width, as TF Playground's: a narrow panel has no room beside it.
        y = out_rect.bottom() + 0.25
        if outline.task == "classification" and outline.classes > 2:
            names = outline.class_names or tuple(str(i) for i in range(outline.classes))
            # Side by side under the output: the names alone, each on its colour (the Output view names them).
            width = out_rect.width() / outline.classes
            for i, name in enumerate(names[: outline.classes]):
                swatch = self._add(QGraphicsRectItem(QRectF(out_rect.left() + i * width, y, width, LEGEND_WIDTH)))
                swatch.setBrush(QColor(class_color(i)))
                swatch.setPen(pg.mkPen(None))
                self._legend_text(name, out_rect.left() + (i + 0.5) * width, y + LEGEND_WIDTH, (0.5, 0.0))
            return
        ramp = np.linspace(-1.0, 1.0, 64, dtype=np.float32).reshape(1, -1)  # left: negative (orange)
        self.legend = self._image(ramp, QRectF(out_rect.left(), y, out_rect.width(), LEGEND_WIDTH),
                                  diverging_lut())
        if outline.task == "classification":
            names = outline.class_names or ("0", "1")
            left, right = names[0], names[1]
        else:
            left, right = "−1", "+1"
        # Short words at the ends only: the output may be only 60 px wide.
        self._legend_text(left, out_rect.left(), y + LEGEND_WIDTH, (0.0, 0.0))
        self._legend_text(right, out_rect.right(), y + LEGEND_WIDTH, (1.0, 0.0))

    def _legend_text(self, text: str, x: float, y: float, anchor: tuple[float, float]) -> None:
        label = self._add(pg.TextItem(text, color="#333", anchor=anchor))
        label.setPos(x, y)
        label.setToolTip(text)
        self._legend_labels.append(label)

    def _column_label(self, text: str, first: QRectF, tip: str) -> None:
        # All above the tallest column, clear of the links; _fit staggers or shortens them to the room they have.
        label = self._add(pg.TextItem(text, color="#333", anchor=(0.5, 1.0)))
        label.setPos(first.center().x(), -0.1)
        label.setToolTip(tip)
        self.headers.append(ColumnHeader(label, first.center().x(), tuple(text.split("\n"))))

    # Room for the texts ---------------------------------------------------------------------------------------

    def _fit(self) -> None:
        """Frame the drawing so that every text, whose size is in pixels, fits the view whole or shortened with
        "…" (its tooltip whole), and no two column headers overprint: staggered in two rows when one row has no
        room for them."""
        if self.outline is None or not self._rects:
            return
        width, height = float(self.box.width()), float(self.box.height())
        out_rect = self._rects[-1][0]
        if width < 20 or height < 20:  # not laid out yet
            self.box.setRange(QRectF(-LEFT, -2.5, out_rect.right() + 0.3 + LEFT, self._height + 2.6),
                              padding=0.02)
            return
        metrics = QFontMetricsF(self.headers[0].item.textItem.font())
        # A text item's box is its text plus the document's margin all round: the margin counts as taken room.
        margin = 2 * float(self.headers[0].item.textItem.document().documentMargin())
        line = float(metrics.lineSpacing())
        left_px = max((text_box(label).width() for label in self._labels), default=0.0) + 2.0
        right_px = metrics.horizontalAdvance("Output") / 2 + margin
        legend_px = max((text_box(label).height() for label in self._legend_labels), default=0.0)
        legend_top = out_rect.bottom() + 0.25 + LEGEND_WIDTH
        last_input = self._rects[0][-1].center().y()  # its name, centred on it, may reach below the drawing
        name_px = max((text_box(label).height() for label in self._labels), default=0.0) / 2 + 1.0
        best: tuple[float, int, Any] | None = None
        for n, plan in enumerate(self._header_plans()):
            # Rows of headers overlap only in their empty margins; the top one keeps its own.
            row_px = [max((len(texts) for _, texts, r in plan if r == row), default=0) * line + 2.0
                      for row in range(1 + max(r for _, _, r in plan))]
            top_px = sum(row_px) + margin + 2.0
            scale = 20.0
            for _ in range(12):  # the texts' share of the view depends on the scale, and the scale on it
                x0, x1 = -left_px / scale, max(out_rect.right() + 0.1, out_rect.center().x() + right_px / scale)
                y0 = -0.1 - top_px / scale
                legend_rows = self._legend_rows(metrics, scale, margin)
                y1 = max(self._height + 0.1, legend_top + (legend_rows * legend_px + 2.0) / scale,
                         last_input + name_px / scale)
                scale = max(1e-3, min(width / (x1 - x0), height / (y1 - y0)))
            widths = [max(metrics.horizontalAdvance(t) for t in texts) for _, texts, _ in plan]
            rooms = header_rooms([h.x for h, _, _ in plan], [r for _, _, r in plan], widths, scale, x0, x1)
            # When no way fits, the one that shortens its headers least.
            # Each shortened header counts most; half a pixel over is rounding, not a cut.
            cut = sum(1000.0 + w - room for w, room in zip(widths, rooms) if w > room + 0.5)
            if best is None or cut < best[0]:
                best = (cut, n, (plan, row_px, scale, x0, x1, y0, y1, legend_rows, rooms))
            if cut == 0:
                break
        assert best is not None
        plan, row_px, scale, x0, x1, y0, y1, legend_rows, rooms = best[2]
        if self.kind_header is not None:
            self.kind_header.item.setVisible(any(h is self.kind_header for h, _, _ in plan))
        for (header, texts, row), room in zip(plan, rooms):
            header.row = row
            shown = "\n".join(t if metrics.horizontalAdvance(t) <= room + 0.5 else
                              metrics.elidedText(t, Qt.TextElideMode.ElideRight, max(1.0, room)) for t in texts)
            if shown != header.item.toPlainText():
                header.item.setText(shown)
            header.item.setPos(header.x, -0.1 - sum(row_px[:row]) / scale)
        self._fit_legend(metrics, scale, margin, legend_rows, legend_top, legend_px)
        # Names taller than the inputs' spacing would run into each other: then only those fed to the network are
        # named (a switched-off input says its name on hover).
        inputs = self._rects[0]
        crowded = len(inputs) > 1 and (inputs[1].top() - inputs[0].top()) * scale < metrics.height() - 1
        outline = self.outline
        for name, label in zip(outline.features, self._labels):
            label.setVisible(not crowded or name in outline.inputs)
        self.box.setRange(QRectF(x0, y0, x1 - x0, y1 - y0), padding=0.0)

    def _header_plans(self) -> list[list[tuple[ColumnHeader, tuple[str, ...], int]]]:
        """The ways to set the column headers, best first, as (header, its lines, its row from the bottom): all in
        one row; then, when every hidden layer has the same activation, the unit counts in one row under "Input",
        the activation (once, over the hidden columns) and "Output", the counts staggered in two rows if need be;
        or all staggered in two rows (one hidden column has its activation right under "Input")."""
        full = [(h, h.lines, 0) for h in self.headers]
        staggered = [(h, h.lines, i % 2) for i, h in enumerate(self.headers)]
        if self.kind_header is not None:
            hidden = self.headers[1:-1]
            words = (self.headers[0], self.kind_header, self.headers[-1])
            return [full, [(h, h.lines[:1], 0) for h in hidden] + [(h, h.lines, 1) for h in words],
                    [(h, h.lines[:1], i % 2) for i, h in enumerate(hidden)] + [(h, h.lines, 2) for h in words],
                    staggered]
        return [full, staggered]

    def _legend_rows(self, metrics: QFontMetricsF, scale: float, margin: float) -> int:
        """In how many staggered rows the names under the output fit side by side: the two ends of its colour ramp
        (left-aligned and right-aligned); the classes' names always in one, centred on their swatches."""
        outline = self.outline
        if outline is None or not self._legend_labels:
            return 1
        width = self._rects[-1][0].width() * scale
        names = [str(label.toolTip()) for label in self._legend_labels]
        if not (outline.task == "classification" and outline.classes > 2):
            return 1 if sum(metrics.horizontalAdvance(n) for n in names) + 6 <= width else 2
        # One row, each name within its swatch: more rows took height, shrank the drawing and with it the
        # swatches, which then wanted more rows still (a three-class network drawn in a few pixels).
        return 1

    def _fit_legend(self, metrics: QFontMetricsF, scale: float, margin: float, rows: int, top: float,
                    row_px: float) -> None:
        outline = self.outline
        if outline is None:
            return
        out_rect = self._rects[-1][0]
        ramp = not (outline.task == "classification" and outline.classes > 2)
        room = out_rect.width() * scale * (1 if ramp else rows / outline.classes) - (0 if ramp else 2)
        for i, label in enumerate(self._legend_labels):
            full = str(label.toolTip())
            shown = metrics.elidedText(full, Qt.TextElideMode.ElideRight, max(1.0, room))
            if shown != label.toPlainText():
                label.setText(shown)
            x = label.pos().x()
            if ramp:  # the letters, not their empty margin, start and end with the ramp
                x = out_rect.left() - margin / 2 / scale if i == 0 else out_rect.right() + margin / 2 / scale
            label.setPos(x, top + (i % rows) * row_px / scale)

    def _image(self, data: np.ndarray, rect: QRectF, lut: np.ndarray | None) -> pg.ImageItem:
        item = self._add(pg.ImageItem(axisOrder="row-major"))
        if lut is not None:
            item.setLookupTable(lut)
        item.setImage(data, levels=(-1.0, 1.0), autoLevels=False)
        item.setRect(rect)
        self._placed[id(item)] = (rect, data.shape[:2])
        return item

    @staticmethod
    def _frame_pen(active: bool) -> QPen:
        pen = QPen(QColor("#333333" if active else "#bbbbbb"))
        pen.setWidthF(1.5 if active else 1.0)
        pen.setCosmetic(True)
        if not active:
            pen.setStyle(Qt.PenStyle.DashLine)
        return pen

    # Snapshots ------------------------------------------------------------------------------------------------

    def show_snapshot(self, snapshot: Any) -> None:
        outline = self.outline
        if outline is None:
            return
        self.show_content()
        self.set_caption(self._summary())  # the run has started: no "Press Play" any more
        neurons = probe(snapshot, Neurons)
        if neurons is not None:
            for layer, row in zip(outline.layers, self.neurons):
                stack = neurons.layers.get(layer.neurons)
                if stack is None or stack.ndim != 3 or len(stack) != len(row):
                    continue
                scaled = normalize_layer(stack)
                for item, image in zip(row, scaled):
                    self._set(item, np.flipud(image))
        weights = probe(snapshot, Weights)
        if weights is not None:
            self._show_weights(outline, weights.layers)
        boundary = probe(snapshot, DecisionBoundary)
        if boundary is not None:
            self._show_output(outline, boundary)

    def _set(self, item: pg.ImageItem, image: np.ndarray, levels: tuple[float, float] = (-1.0, 1.0)) -> None:
        rect, shape = self._placed[id(item)]
        item.setImage(image, levels=levels, autoLevels=False)
        if image.shape[:2] != shape:  # setRect scales by the pixel count: the same square at any resolution
            self._placed[id(item)] = (rect, image.shape[:2])
            item.setRect(rect)

    def _show_weights(self, outline: NetworkOutline, layers: Mapping[str, np.ndarray]) -> None:
        names = [layer.weights for layer in outline.layers] + [outline.output_weights]
        matrices = [layers.get(n) for n in names]
        widths = [len(outline.inputs), *(layer.units for layer in outline.layers), 1]
        scales = [min(1.0, 4.0 / max(a, b)) for a, b in zip(widths, widths[1:])]
        for link in self.links:
            w = matrices[link.column - 1]
            if w is None or w.ndim != 2 or link.source >= w.shape[1]:
                continue
            column = w[:, link.source]
            last = link.column == len(names)
            if last and outline.task == "classification" and len(column) == 2:
                # Two softmax outputs: what moves P(class 1) is the difference of their weights.
                value = float(column[1] - column[0])
                text = f"weight to class 1 minus weight to class 0: {value:.4g}"
            elif last and len(column) > 2:
                value = float(column[np.abs(column).argmax()])
                text = "weights to the classes: " + ", ".join(f"{v:.3g}" for v in column)
            else:
                if link.target >= len(column):
                    continue
                value = float(column[link.target])
                text = f"weight {value:.4g}"
            if value != link.weight:
                link.weight = value
                link.line.setPen(link_pen(value, scales[link.column - 1]))
            link.text = text

    def _show_output(self, outline: NetworkOutline, boundary: DecisionBoundary) -> None:
        values = np.asarray(boundary.values, dtype=np.float32)
        if outline.task == "classification" and outline.classes > 2:
            probs = boundary.probabilities
            if probs is None:
                return
            colors = np.array([hex_to_rgba(class_color(i))[:3] for i in range(probs.shape[2])], dtype=np.float64)
            self.output.setLookupTable(None)  # a lookup table would recolour the RGBA image
            self._set(self.output, np.flipud(class_regions(probs, colors)), (0.0, 255.0))
            return
        scaled = values * 2.0 - 1.0 if outline.task == "classification" else np.clip(values, -1.0, 1.0)
        self._set(self.output, np.flipud(scaled))

    # Pointer --------------------------------------------------------------------------------------------------

    def _view_point(self, scene_pos: QPointF) -> np.ndarray:
        p = self.box.mapSceneToView(scene_pos)
        return np.array([p.x(), p.y()])

    def link_at(self, point: np.ndarray, tolerance: float) -> Link | None:
        best, nearest = None, tolerance
        for link in self.links:
            line = link.line.line()
            d = distance_to_segment(point, np.array([line.x1(), line.y1()]), np.array([line.x2(), line.y2()]))
            if d <= nearest:
                best, nearest = link, d
        return best

    def feature_at(self, point: np.ndarray) -> str | None:
        if self.outline is None or not self._rects:
            return None
        for name, rect in zip(self.outline.features, self._rects[0]):
            if rect.contains(QPointF(float(point[0]), float(point[1]))):
                return name
        return None

    def feature_position(self, name: str) -> QPoint:
        """Where feature ``name``'s input neuron is in the canvas's viewport (for tests and tours)."""
        assert self.outline is not None
        rect = self._rects[0][self.outline.features.index(name)]
        scene = self.box.mapViewToScene(rect.center())
        return QPoint(self.canvas.mapFromScene(scene))

    def link_position(self, link: Link) -> QPoint:
        """A point of ``link`` in the canvas's viewport, a fifth of the way along: nearer the middle, links into
        the same column cross."""
        line = link.line.line()
        return QPoint(self.canvas.mapFromScene(self.box.mapViewToScene(line.pointAt(0.2))))

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if self.outline is None or not self.box.sceneBoundingRect().contains(scene_pos):
            return
        point = self._view_point(scene_pos)
        pixel = self.box.viewPixelSize()[0]
        feature = self.feature_at(point)
        link = None if feature is not None else self.link_at(point, HOVER_PIXELS * pixel)
        if feature is not None:
            i = self.outline.features.index(feature)
            state = "on" if feature in self.outline.inputs else "off"
            text = f"{self.outline.labels[i]}: {state}, click to switch it {'off' if state == 'on' else 'on'}"
        elif link is not None:
            text = link.text or "weight: shown after the first step"
        else:
            text = self._neuron_text(point)
        if text != self.hover_text:
            self.hover_text = text
            view_pos = self.canvas.mapFromScene(scene_pos)
            if text:
                QToolTip.showText(self.canvas.mapToGlobal(view_pos), text, self.canvas)
            else:
                QToolTip.hideText()

    def _neuron_text(self, point: np.ndarray) -> str:
        """What the neuron under ``point`` is, or "" when there is none."""
        outline = self.outline
        if outline is None:
            return ""
        where = QPointF(float(point[0]), float(point[1]))
        for layer, rects in zip(outline.layers, self._rects[1:]):
            for i, rect in enumerate(rects):
                if rect.contains(where):
                    return (f"{layer.neurons}, neuron {i + 1} of {layer.units}: its output at every point of the "
                            f"plane")
        if len(self._rects) > 1 and self._rects[-1][0].contains(where):
            return "The output over the plane: what the network predicts at every point"
        return ""

    def _on_mouse_clicked(self, event: Any) -> None:
        if self.outline is None:
            return
        feature = self.feature_at(self._view_point(event.scenePos()))
        if feature is not None:
            event.accept()
            self.toggle_feature(feature)

    def toggle_feature(self, name: str) -> None:
        """Ask for the input features with ``name`` switched (never none: the last one stays)."""
        outline = self.outline
        if outline is None:
            return
        on = [f for f in outline.inputs if f != name]
        if name not in outline.inputs:
            on = [f for f in outline.features if f in outline.inputs or f == name]
        if not on:
            self.set_caption("A network needs at least one input feature.")
            return
        self.dataset_changed.emit({"features": on})


SPEC = ViewSpec("neuron_network", "Network", NeuronNetworkView, probes=("neurons", "weights", "boundary"),
                tasks=CLASSIC_TASKS, data=("plane",), unless=("no_neuron_columns",), min_size=(240, 160))
