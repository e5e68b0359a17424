"""The architecture canvas: a QGraphicsScene that mirrors one Graph through its events, and the view around it.

The scene owns no model state. Every user gesture (drop a layer, drag a connection, move, delete, paste) is
validated against the graph first and then pushed as an undo command; the graph's events then add, move or remove
the items. Shapes, parameter counts and problems are redrawn from ``Graph.infer()`` once per change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from playground.graph import (
    KINDS,
    DisconnectedNodeError,
    Edge,
    EdgeAdded,
    EdgeRemoved,
    Graph,
    GraphError,
    GraphEvent,
    Inference,
    MissingInputError,
    Node,
    NodeAdded,
    NodeMoved,
    NodeRemoved,
    NodeRenamed,
    get_kind,
)
from playground.graph.graph import checked_position

from .commands import AddNodeCommand, AddNodesCommand, ConnectCommand, MoveNodesCommand, RemoveCommand
from .style import PROBLEM_COLOR, category_color, format_count, small_font

MIME_LAYER = "application/x-playground-layer"
_clipboard_guarded = False


def _release_clipboard() -> None:
    """Take our layers off the clipboard before Qt shuts down.

    PySide6 frees a QMimeData left on the clipboard twice when the interpreter exits (a segmentation fault after
    an otherwise clean quit). Copied layers only make sense inside the app, so nothing of value is lost.
    """
    app = QGuiApplication.instance()
    if app is None:
        return
    clipboard = QGuiApplication.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasFormat(MIME_NODES):
        clipboard.clear()


def _release_clipboard_at_exit() -> None:
    global _clipboard_guarded
    if _clipboard_guarded:
        return
    _clipboard_guarded = True
    import atexit

    atexit.register(_release_clipboard)
    app = QGuiApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(_release_clipboard)
MIME_NODES = "application/x-playground-nodes"
GRID = 10.0
NODE_W = 140.0
NODE_H = 84.0
HEADER_H = 20.0
LAYER_SPACING = 190.0
ROW_SPACING = 130.0
WARNING_COLOR = "#e09020"


def layer_mime(kind: str) -> QMimeData:
    """The mime data the palette drags and the canvas accepts: one layer kind by name."""
    mime = QMimeData()
    mime.setData(MIME_LAYER, kind.encode("utf-8"))
    mime.setText(kind)
    return mime


def snap(value: float) -> float:
    return round(value / GRID) * GRID


def describe_params(node: Node) -> str:
    """Key parameters in words a student reads on the node: '16 units', '6 filters 5×5, pad 2'."""
    p = node.params
    k = node.kind
    if k == "Input":
        kind = p["kind"]
        if kind == "vector":
            return f"vector of {p['features']}"
        if kind == "image":
            return f"image {p['channels']}×{p['height']}×{p['width']}"
        if kind == "sequence":
            return f"sequence {p['steps']}×{p['features']}"
        return f"{p['steps']} token ids"
    if k == "Dense":
        return f"{p['units']} units"
    if k in ("Conv2d", "ConvTranspose2d"):
        text = f"{p['filters']} filters {p['kernel_size']}×{p['kernel_size']}"
        if p["stride"] != 1:
            text += f", stride {p['stride']}"
        if p["padding"]:
            text += f", pad {p['padding']}"
        if p.get("groups", 1) != 1:
            text += f", {p['groups']} groups"
        return text
    if k in ("MaxPool2d", "AvgPool2d"):
        text = f"{p['kernel_size']}×{p['kernel_size']} window"
        if p["stride"] and p["stride"] != p["kernel_size"]:
            text += f", stride {p['stride']}"
        return text
    if k in ("RNN", "GRU", "LSTM"):
        text = f"{p['hidden']} hidden, {p['output']}"
        if p["layers"] > 1:
            text += f", {p['layers']} layers"
        return text
    if k == "Output":
        return str(p["head"])
    if k == "Reshape":
        return "to " + "×".join(str(d) for d in p["shape"])
    spec = node.spec
    return ", ".join(f"{name} {p[name]}" for name in spec.key_params)


def problem_color(problem: GraphError) -> str:
    """Amber for a graph still being built (an unconnected layer), red for a real mistake (a shape that fails)."""
    return WARNING_COLOR if isinstance(problem, (MissingInputError, DisconnectedNodeError)) else PROBLEM_COLOR


# Items -------------------------------------------------------------------------------------------------------


class PortItem(QGraphicsEllipseItem):
    """An input port (left edge) or the output port (right edge) of a node."""

    RADIUS = 6.0

    def __init__(self, node_item: NodeItem, port: str | None, is_output: bool) -> None:
        r = self.RADIUS
        super().__init__(-r, -r, 2 * r, 2 * r, node_item)
        self.node_item = node_item
        self.port = port
        self.is_output = is_output
        self.setZValue(2)
        self.setAcceptHoverEvents(True)
        self._set_highlight(False)
        if is_output:
            self.setCursor(Qt.CrossCursor)
            self.setToolTip("Output: drag from here to another layer's input to connect them")
        else:
            self.setToolTip(f"Input '{port}': drag a connection from another layer's output onto it")

    def _set_highlight(self, on: bool) -> None:
        self.setBrush(QColor("#ffd54f") if on else QColor("#ffffff"))
        self.setPen(QPen(QColor("#37474f"), 1.5))

    def hoverEnterEvent(self, event: Any) -> None:  # noqa: N802
        self._set_highlight(True)

    def hoverLeaveEvent(self, event: Any) -> None:  # noqa: N802
        self._set_highlight(False)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        scene = self.scene()
        if self.is_output and event.button() == Qt.LeftButton and isinstance(scene, ArchitectureScene):
            scene.begin_link(self.node_item, event.scenePos())
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        scene = self.scene()
        if isinstance(scene, ArchitectureScene):
            scene.update_link(event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        scene = self.scene()
        if isinstance(scene, ArchitectureScene):
            scene.end_link(event.scenePos())


class NodeItem(QGraphicsItem):
    """One layer: kind, name, key parameters, output shape and parameter count; red or amber when it has a problem."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.name = node.name
        self.kind = node.kind
        spec = node.spec
        self.category = spec.category
        self.color = category_color(spec.category)
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.edges: list[EdgeItem] = []
        self.out_port = PortItem(self, None, True) if node.kind != "Output" else None
        if self.out_port:
            self.out_port.setPos(NODE_W, NODE_H / 2)
        self.in_ports: dict[str, PortItem] = {}
        n = len(spec.inputs)
        for i, port in enumerate(spec.inputs):
            item = PortItem(self, port, False)
            item.setPos(0, HEADER_H + (NODE_H - HEADER_H) * (i + 1) / (n + 1))
            self.in_ports[port] = item
        self.params_text = ""
        self.shape_text = ""
        self.count_text = ""
        self.problem: GraphError | None = None
        self._mirroring = False
        self.set_position(node.position)

    # The graph moves items through NodeMoved; the user moves them by dragging, then a command updates the graph.
    def set_position(self, position: tuple[float, float]) -> None:
        self._mirroring = True
        self.setPos(position[0], position[1])
        self._mirroring = False

    def port_scene_pos(self, port: str | None) -> QPointF:
        item = self.out_port if port is None else self.in_ports.get(port)
        if item is None:
            return self.mapToScene(QPointF(NODE_W, NODE_H / 2))
        return self.mapToScene(item.pos())

    def boundingRect(self) -> QRectF:  # noqa: N802
        # Room on the left for the port names of Add and Concat.
        return QRectF(-24, -3, NODE_W + 27, NODE_H + 6)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(QRectF(0, 0, NODE_W, NODE_H))
        return path

    def set_info(self, params_text: str, shape_text: str, count_text: str, problem: GraphError | None) -> bool:
        """Update what the node shows; return whether anything changed (so 200 untouched nodes cost nothing)."""
        message = problem.message if problem else None
        old = (self.params_text, self.shape_text, self.count_text, self.problem.message if self.problem else None)
        if old == (params_text, shape_text, count_text, message):
            return False
        self.params_text, self.shape_text, self.count_text, self.problem = params_text, shape_text, count_text, problem
        tip = get_kind(self.kind).tooltip()
        if problem:
            tip = f"⚠ {problem.message}\n\n{tip}"
        self.setToolTip(tip)
        self.update()
        return True

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        rect = QRectF(0, 0, NODE_W, NODE_H)
        border = QColor("#90a4ae")
        width = 1.2
        body = QColor("#fdfdfd")
        if self.problem is not None:
            border = QColor(problem_color(self.problem))
            width = 2.2
            body = QColor("#fff3f3") if border.name() == PROBLEM_COLOR else QColor("#fff8ec")
        if self.isSelected():
            border = QColor("#1e88e5")
            width = 2.6
        if option.levelOfDetailFromTransform(p.worldTransform()) < 0.4:
            # Zoomed far out the text would be unreadable specks: draw the box and its colour only (and fast).
            p.fillRect(rect, body)
            p.fillRect(QRectF(0, 0, NODE_W, HEADER_H), self.color)
            p.setPen(QPen(border, width * 2))
            p.setBrush(Qt.NoBrush)
            p.drawRect(rect)
            return
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(QPen(border, width))
        p.setBrush(body)
        p.drawRoundedRect(rect, 6, 6)
        outline = QPainterPath()
        outline.addRoundedRect(rect, 6, 6)
        p.save()
        p.setClipPath(outline)
        p.fillRect(QRectF(0, 0, NODE_W, HEADER_H), self.color)
        p.restore()
        p.setPen(QPen(border, width))
        p.setBrush(Qt.NoBrush)
        p.drawRoundedRect(rect, 6, 6)
        p.setPen(QColor("white"))
        p.setFont(small_font(8.5, bold=True))
        p.drawText(QRectF(8, 0, NODE_W - 16, HEADER_H), Qt.AlignVCenter | Qt.AlignLeft, self.kind)
        if self.problem is not None:
            p.setBrush(QColor(problem_color(self.problem)))
            p.setPen(QPen(QColor("white"), 1.2))
            p.drawEllipse(QPointF(NODE_W - 11, HEADER_H / 2), 7, 7)
            p.setFont(small_font(8, bold=True))
            p.drawText(QRectF(NODE_W - 18, 0, 14, HEADER_H), Qt.AlignCenter, "!")
        left = 10
        lines = [
            (self.name, small_font(8.5, bold=True), QColor("#263238")),
            (self.params_text, small_font(8), QColor("#455a64")),
            (("→ " + self.shape_text) if self.shape_text else "→ ?",
             small_font(8, bold=bool(self.shape_text)),
             QColor("#1565c0") if self.shape_text else QColor("#90a4ae")),
            (self.count_text, small_font(7.5), QColor("#78909c")),
        ]
        y = HEADER_H + 2
        for text, font, color in lines:
            if not text:
                y += 15
                continue
            p.setFont(font)
            p.setPen(color)
            elided = QFontMetricsF(font).elidedText(text, Qt.ElideRight, NODE_W - left - 8)
            p.drawText(QRectF(left, y, NODE_W - left - 6, 15), Qt.AlignVCenter | Qt.AlignLeft, elided)
            y += 15
        if len(self.in_ports) > 1:
            p.setFont(small_font(7))
            p.setPen(QColor("#78909c"))
            for port, item in self.in_ports.items():
                p.drawText(QRectF(-22, item.pos().y() - 16, 18, 12), Qt.AlignRight | Qt.AlignVCenter, port)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        if change == QGraphicsItem.ItemPositionChange and not self._mirroring:
            return QPointF(snap(value.x()), snap(value.y()))
        if change == QGraphicsItem.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)


class EdgeLabel(QGraphicsSimpleTextItem):
    """The tensor shape an edge carries, on a light background so it stays readable over lines."""

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self.text() or option.levelOfDetailFromTransform(p.worldTransform()) < 0.4:
            return
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(255, 255, 255, 220))
        p.drawRoundedRect(self.boundingRect().adjusted(-3, -1, 3, 1), 3, 3)
        super().paint(p, option, widget)


def edge_path(a: QPointF, b: QPointF) -> QPainterPath:
    """A smooth curve from an output port to an input port. An edge that runs backwards (to a node further left,
    e.g. to the next row of a wrapped network) is routed around the nodes through the gap below the source."""
    path = QPainterPath(a)
    if b.x() >= a.x() + 20:
        dx = max(40.0, (b.x() - a.x()) / 2)
        path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
        return path
    if abs(b.y() - a.y()) > NODE_H + 20:
        mid = (a.y() + b.y()) / 2
    else:
        mid = max(a.y(), b.y()) + NODE_H * 0.5 + 25
    r = 15.0
    sign = 1.0 if mid > a.y() else -1.0
    path.lineTo(a.x() + 10, a.y())
    path.quadTo(QPointF(a.x() + 10 + r, a.y()), QPointF(a.x() + 10 + r, a.y() + sign * r))
    path.lineTo(a.x() + 10 + r, mid - sign * r)
    path.quadTo(QPointF(a.x() + 10 + r, mid), QPointF(a.x() + 10, mid))
    path.lineTo(b.x() - 10, mid)
    sign2 = 1.0 if b.y() > mid else -1.0
    path.quadTo(QPointF(b.x() - 10 - r, mid), QPointF(b.x() - 10 - r, mid + sign2 * r))
    path.lineTo(b.x() - 10 - r, b.y() - sign2 * r)
    path.quadTo(QPointF(b.x() - 10 - r, b.y()), QPointF(b.x() - 10, b.y()))
    path.lineTo(b)
    return path


class EdgeItem(QGraphicsPathItem):
    def __init__(self, edge: Edge, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self.setFlags(QGraphicsItem.ItemIsSelectable)
        self.setZValue(0)
        # Not a child: the label must sit above the nodes, the line below them.
        self.label = EdgeLabel()
        self.label.setZValue(1.5)
        self.label.setFont(small_font(7.5))
        self.label.setBrush(QColor("#37474f"))
        self.setToolTip(f"{edge.source} → {edge.target} (input '{edge.port}'). Select and press Del to remove.")
        self.update_path()

    def update_path(self) -> None:
        a = self.source.port_scene_pos(None)
        b = self.target.port_scene_pos(self.edge.port)
        self.setPath(edge_path(a, b))
        self._place_label()

    def _place_label(self) -> None:
        path = self.path()
        # Label the first stretch of the edge, right after the source: always in the gap between two nodes.
        start = path.pointAtPercent(0.0)
        mid = path.pointAtPercent(0.5)
        if mid.x() < start.x():
            mid = QPointF(start.x() + 25, start.y())
        r = self.label.boundingRect()
        self.label.setPos(mid.x() - r.width() / 2, mid.y() - r.height() - 3)

    def set_shape_text(self, text: str) -> None:
        if self.label.text() != text:
            self.label.setText(text)
            self._place_label()

    def shape(self) -> QPainterPath:
        # A wider hit area than the 2-pixel line, so clicking an edge selects it.
        from PySide6.QtGui import QPainterPathStroker

        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        color = QColor("#1e88e5") if self.isSelected() else QColor("#78909c")
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(QPen(color, 2.4 if self.isSelected() else 1.8))
        p.setBrush(Qt.NoBrush)
        p.drawPath(self.path())


class MessageBubble(QGraphicsTextItem):
    """Why a connection was refused, shown next to the layer it concerns for a few seconds."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.setPlainText(text)
        self.setTextWidth(280)
        self.setDefaultTextColor(QColor("white"))
        self.setFont(small_font(8.5))
        self.setZValue(10)

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(PROBLEM_COLOR))
        p.drawRoundedRect(self.boundingRect(), 6, 6)
        super().paint(p, option, widget)


# Scene -------------------------------------------------------------------------------------------------------


class ArchitectureScene(QGraphicsScene):
    """Mirrors one Graph: items are created, moved and removed only in answer to the graph's events."""

    inference_changed = Signal(object)
    connect_requested = Signal(str, str, str)
    nodes_moved = Signal(dict)
    hint = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.graph: Graph | None = None
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self.inference: Inference | None = None
        self._dirty = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.flush)
        self._link: QGraphicsPathItem | None = None
        self._link_source: NodeItem | None = None
        self._bubble: MessageBubble | None = None
        self._bubble_timer = QTimer(self)
        self._bubble_timer.setSingleShot(True)
        self._bubble_timer.timeout.connect(self.clear_bubble)
        self.setItemIndexMethod(QGraphicsScene.BspTreeIndex)

    def set_graph(self, graph: Graph | None) -> None:
        if self.graph is not None:
            self.graph.unsubscribe(self._on_event)
        self._link = None
        self._bubble = None
        self.clear()
        self.node_items.clear()
        self.edge_items.clear()
        self.graph = graph
        if graph is None:
            return
        for node in graph.nodes.values():
            self._add_node_item(node)
        for edge in graph.edges:
            self._add_edge_item(edge)
        graph.subscribe(self._on_event)
        self.refresh()

    # Mirroring -------------------------------------------------------------------------------------------------

    def _on_event(self, event: GraphEvent) -> None:
        if isinstance(event, NodeMoved):
            item = self.node_items[event.name]
            item.set_position(event.position)
            return
        if isinstance(event, NodeAdded):
            self._add_node_item(event.node)
        elif isinstance(event, NodeRemoved):
            item = self.node_items.pop(event.node.name)
            self.removeItem(item)
        elif isinstance(event, NodeRenamed):
            item = self.node_items.pop(event.old)
            item.name = event.new
            self.node_items[event.new] = item
            self.edge_items = {self._renamed(e, event.old, event.new): it for e, it in self.edge_items.items()}
            for e, it in self.edge_items.items():
                it.edge = e
            item.update()
        elif isinstance(event, EdgeAdded):
            self._add_edge_item(event.edge)
        elif isinstance(event, EdgeRemoved):
            edge_item = self.edge_items.pop(event.edge)
            edge_item.source.edges.remove(edge_item)
            edge_item.target.edges.remove(edge_item)
            self.removeItem(edge_item.label)
            self.removeItem(edge_item)
        self._dirty = True
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    @staticmethod
    def _renamed(e: Edge, old: str, new: str) -> Edge:
        if old not in (e.source, e.target):
            return e
        return Edge(new if e.source == old else e.source, new if e.target == old else e.target, e.port)

    def _add_node_item(self, node: Node) -> None:
        item = NodeItem(node)
        self.addItem(item)
        self.node_items[node.name] = item

    def _add_edge_item(self, edge: Edge) -> None:
        source, target = self.node_items[edge.source], self.node_items[edge.target]
        item = EdgeItem(edge, source, target)
        source.edges.append(item)
        target.edges.append(item)
        self.addItem(item)
        self.addItem(item.label)
        self.edge_items[edge] = item

    def flush(self) -> None:
        """Redraw shapes and problems now if the graph changed since the last time (called after each command)."""
        if self._dirty:
            self.refresh()

    def refresh(self) -> None:
        self._dirty = False
        self._refresh_timer.stop()
        if self.graph is None:
            return
        inference = self.graph.infer()
        self.inference = inference
        problems = {p.node: p for p in inference.problems if p.node is not None}
        for name, item in self.node_items.items():
            node = self.graph.nodes[name]
            shape = inference.shapes.get(name)
            count = inference.param_counts.get(name)
            if count is None:
                count_text = ""
            elif count:
                count_text = f"{format_count(count)} parameters"
            else:
                count_text = "no parameters"
            item.set_info(describe_params(node), str(shape) if shape else "", count_text, problems.get(name))
        for edge, edge_item in self.edge_items.items():
            shape = inference.shapes.get(edge.source)
            edge_item.set_shape_text(str(shape) if shape else "")
        self.inference_changed.emit(inference)

    # Dragging a connection -------------------------------------------------------------------------------------

    def begin_link(self, source: NodeItem, pos: QPointF) -> None:
        self._link_source = source
        self._link = QGraphicsPathItem()
        self._link.setPen(QPen(QColor("#1e88e5"), 2, Qt.DashLine))
        self._link.setZValue(5)
        self.addItem(self._link)
        self.update_link(pos)

    def update_link(self, pos: QPointF) -> None:
        if self._link is None or self._link_source is None:
            return
        a = self._link_source.port_scene_pos(None)
        dx = max(30.0, abs(pos.x() - a.x()) / 2)
        path = QPainterPath(a)
        path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(pos.x() - dx, pos.y()), pos)
        self._link.setPath(path)

    def end_link(self, pos: QPointF) -> None:
        source = self._link_source
        if self._link is not None:
            self.removeItem(self._link)
        self._link = None
        self._link_source = None
        if source is None:
            return
        target, port = self.input_at(pos)
        if target is None:
            self.hint.emit("Drop the connection on another layer's input port (the dots on its left edge)")
            return
        self.connect_requested.emit(source.name, target.name, port or "")

    def input_at(self, pos: QPointF) -> tuple[NodeItem | None, str | None]:
        """The node (and input port, when the drop is on one) under ``pos``, with a few pixels of tolerance."""
        near = self.items(QRectF(pos.x() - 8, pos.y() - 8, 16, 16))
        for item in near:
            if isinstance(item, PortItem) and not item.is_output:
                return item.node_item, item.port
        for item in near:
            if isinstance(item, NodeItem):
                return item, None
            if isinstance(item, PortItem):
                return item.node_item, None
        return None, None

    # Moves -----------------------------------------------------------------------------------------------------

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        if self.graph is None:
            return
        moved = {}
        for item in self.selectedItems():
            if isinstance(item, NodeItem) and item.name in self.graph:
                pos = (item.pos().x(), item.pos().y())
                if pos != self.graph.node(item.name).position:
                    moved[item.name] = pos
        if moved:
            self.nodes_moved.emit(moved)

    # Messages --------------------------------------------------------------------------------------------------

    def show_bubble(self, text: str, near: str | None) -> None:
        self.clear_bubble()
        bubble = MessageBubble(text)
        item = self.node_items.get(near or "")
        if item is not None:
            bubble.setPos(item.pos().x() - 10, item.pos().y() - bubble.boundingRect().height() - 10)
        else:
            rect = self.itemsBoundingRect()
            bubble.setPos(rect.left(), rect.top() - bubble.boundingRect().height() - 10)
        self.addItem(bubble)
        self._bubble = bubble
        self._bubble_timer.start(6000)

    def clear_bubble(self) -> None:
        if self._bubble is not None and self._bubble.scene() is self:
            self.removeItem(self._bubble)
        self._bubble = None

    @property
    def bubble_text(self) -> str:
        return self._bubble.toPlainText() if self._bubble is not None else ""


# View --------------------------------------------------------------------------------------------------------


class ArchitectureCanvas(QGraphicsView):
    """The editor's view: drop layers, drag connections, zoom, pan, select; every edit becomes an undo command."""

    message = Signal(str, bool)  # text, is_error
    node_selected = Signal(object)  # a node name, or None

    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("architectureCanvas")
        self.undo_stack = undo_stack
        self.network = ""
        self.arch_scene = ArchitectureScene(self)
        self.setScene(self.arch_scene)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setMinimumSize(300, 200)
        self.last_error = ""
        self._pan_from: QPointF | None = None
        self._fit_pending = False
        self._fit_sizes: list[tuple[int, int]] = []  # the last two sizes fitted while a fit is pending
        self.arch_scene.connect_requested.connect(self.request_connect)
        self.arch_scene.nodes_moved.connect(self._push_moves)
        self.arch_scene.hint.connect(lambda text: self.message.emit(text, False))
        self.arch_scene.selectionChanged.connect(self._on_selection)
        # Commands change the graph synchronously; redraw shapes right after each one instead of on the next loop.
        undo_stack.indexChanged.connect(lambda _i: self.arch_scene.flush())
        self.setToolTip("")

    @property
    def graph(self) -> Graph | None:
        return self.arch_scene.graph

    def set_graph(self, graph: Graph | None, network: str = "") -> None:
        self.network = network
        self.arch_scene.set_graph(graph)
        self.node_selected.emit(None)
        self._fit_pending = True
        self.fit_view()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        # Until the user zooms, keep a freshly opened network fitted while the window and docks settle. A fit can
        # show or hide a scroll bar, which resizes the viewport again: a size that comes straight back (A, B, A) is
        # that oscillation, not the user, and is not fitted again (seen once as an endless loop of fits).
        if self._fit_pending:
            size = (event.size().width(), event.size().height())
            if len(self._fit_sizes) == 2 and size == self._fit_sizes[0] and self._fit_sizes[1] != size:
                return
            self._fit_sizes = (self._fit_sizes + [size])[-2:]
            self.fit_view()

    def node_item(self, name: str) -> NodeItem:
        return self.arch_scene.node_items[name]

    # Editing ---------------------------------------------------------------------------------------------------

    def add_node(self, kind: str, scene_pos: QPointF) -> str | None:
        """Create a layer of ``kind`` centred on ``scene_pos`` (snapped to the grid); return its name."""
        graph = self.graph
        if graph is None:
            return None
        try:
            spec = get_kind(kind)
        except GraphError as e:
            self.refuse(e)
            return None
        name = graph.unique_name(spec.prefix)
        pos = (snap(scene_pos.x() - NODE_W / 2), snap(scene_pos.y() - NODE_H / 2))
        self.undo_stack.push(AddNodeCommand(graph, kind, name, {}, pos, self.network))
        self.select_nodes([name])
        self.message.emit(f"Added {kind} '{name}': drag from its right dot to connect it", False)
        return name

    def request_connect(self, source: str, target: str, port: str = "") -> bool:
        """Connect ``source`` to ``target`` if the graph accepts it; otherwise show why and change nothing."""
        graph = self.graph
        if graph is None:
            return False
        try:
            edge = graph.check_connect(source, target, port or None)
        except GraphError as e:
            self.refuse(e)
            return False
        self.undo_stack.push(ConnectCommand(graph, edge.source, edge.target, edge.port, self.network))
        self.arch_scene.clear_bubble()
        self.message.emit(f"Connected '{source}' to '{target}'", False)
        return True

    def refuse(self, error: GraphError) -> None:
        self.last_error = error.message
        self.arch_scene.show_bubble(error.message, error.node)
        self.message.emit(error.message, True)

    def selected_node_names(self) -> list[str]:
        return [i.name for i in self.arch_scene.selectedItems() if isinstance(i, NodeItem)]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.arch_scene.selectedItems() if isinstance(i, EdgeItem)]

    def delete_selected(self) -> None:
        graph = self.graph
        names, edges = self.selected_node_names(), self.selected_edges()
        if graph is None or not (names or edges):
            return
        self.undo_stack.push(RemoveCommand(graph, names, [(e.source, e.target, e.port) for e in edges],
                                           self.network))

    def copy_selected(self) -> bool:
        data = self._selection_data()
        if data is None:
            return False
        mime = QMimeData()
        text = json.dumps(data)
        mime.setData(MIME_NODES, text.encode("utf-8"))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        _release_clipboard_at_exit()
        return True

    def _selection_data(self) -> dict[str, Any] | None:
        graph = self.graph
        names = self.selected_node_names()
        if graph is None or not names:
            return None
        chosen = set(names)
        nodes = [{"name": n, "kind": graph.node(n).kind, "params": dict(graph.node(n).params),
                  "position": list(graph.node(n).position)} for n in graph.nodes if n in chosen]
        edges = [[e.source, e.target, e.port] for e in graph.edges if e.source in chosen and e.target in chosen]
        return {"nodes": nodes, "edges": edges}

    def paste(self) -> bool:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not mime.hasFormat(MIME_NODES):
            self.message.emit("Nothing to paste: copy some layers first", False)
            return False
        try:
            data = json.loads(bytes(mime.data(MIME_NODES)).decode("utf-8"))
        except ValueError:
            return False
        return self._add_copies(data, "Paste")

    def duplicate(self) -> bool:
        data = self._selection_data()
        return data is not None and self._add_copies(data, "Duplicate")

    def _add_copies(self, data: dict[str, Any], verb: str) -> bool:
        graph = self.graph
        if graph is None:
            return False
        taken = set(graph.nodes)
        renamed: dict[str, str] = {}
        nodes = []
        try:
            for n in data["nodes"]:
                spec = get_kind(n["kind"])
                i = 1
                while f"{spec.prefix}_{i}" in taken:
                    i += 1
                new = f"{spec.prefix}_{i}"
                taken.add(new)
                renamed[n["name"]] = new
                params = spec.check_params(n["params"], new)
                x, y = n["position"]
                # Checked here: a clipboard's position of NaN or 1e400 would otherwise fail inside the undo command.
                position = checked_position((x + 40.0, y + 40.0), f"{spec.name} '{new}'", new)
                nodes.append({"name": new, "kind": n["kind"], "params": params, "position": position})
        except GraphError as e:
            self.refuse(e)
            return False
        except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond any float
            self.message.emit("The clipboard does not hold layers", True)
            return False
        edges = [(renamed[s], renamed[t], p) for s, t, p in data["edges"] if s in renamed and t in renamed]
        text = f"{verb} {len(nodes)} layer" + ("s" if len(nodes) > 1 else "")
        self.undo_stack.push(AddNodesCommand(graph, nodes, edges, text, self.network))
        self.select_nodes([n["name"] for n in nodes])
        return True

    def _push_moves(self, moves: dict[str, tuple[float, float]]) -> None:
        if self.graph is not None:
            self.undo_stack.push(MoveNodesCommand(self.graph, moves, network=self.network))

    def auto_layout(self) -> None:
        """Left to right by depth (longest path from an input); within a column keep the current top-to-bottom
        order, centred on the middle row."""
        graph = self.graph
        if graph is None or not len(graph):
            return
        depth: dict[str, int] = {}
        for name in graph.topological_order():
            sources = graph.incoming(name).values()
            depth[name] = max((depth[s] + 1 for s in sources), default=0)
        columns: dict[int, list[str]] = {}
        for name, d in depth.items():
            columns.setdefault(d, []).append(name)
        moves: dict[str, tuple[float, float]] = {}
        for d, names in columns.items():
            names.sort(key=lambda n: graph.node(n).position[1])
            top = -(len(names) - 1) * ROW_SPACING / 2
            for i, name in enumerate(names):
                pos = (d * LAYER_SPACING, snap(top + i * ROW_SPACING))
                if pos != graph.node(name).position:
                    moves[name] = pos
        if moves:
            self.undo_stack.push(MoveNodesCommand(graph, moves, "Auto layout", self.network))
        self.fit_view()

    # Selection and view ----------------------------------------------------------------------------------------

    def select_nodes(self, names: Iterable[str], center: bool = False) -> None:
        self.arch_scene.clearSelection()
        last = None
        for name in names:
            item = self.arch_scene.node_items.get(name)
            if item is not None:
                item.setSelected(True)
                last = item
        if center and last is not None:
            self.centerOn(last)

    def _on_selection(self) -> None:
        try:
            names = self.selected_node_names()
        except RuntimeError:  # the scene is being torn down
            return
        self.node_selected.emit(names[0] if len(names) == 1 else None)

    def fit_view(self) -> None:
        rect = QRectF()
        for item in self.arch_scene.node_items.values():
            rect = rect.united(item.sceneBoundingRect())
        if rect.isEmpty():
            self.resetTransform()
            self.centerOn(0, 0)
            return
        self.resetTransform()
        self.fitInView(rect.adjusted(-40, -50, 40, 40), Qt.KeepAspectRatio)
        if self.transform().m11() > 1.2:  # a tiny network should not be blown up
            self.resetTransform()
            self.centerOn(rect.center())

    def zoom(self, factor: float) -> None:
        self._fit_pending = False
        scale = self.transform().m11() * factor
        if 0.1 <= scale <= 4.0:
            self.scale(factor, factor)

    def wheelEvent(self, event: Any) -> None:  # noqa: N802
        self.zoom(1.0015 ** event.angleDelta().y())

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802
        if event.button() == Qt.MiddleButton:
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: Any) -> None:  # noqa: N802
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802
        if self._pan_from is not None and event.button() == Qt.MiddleButton:
            self._pan_from = None
            self.viewport().unsetCursor()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802
        if event.matches(QKeySequence.Cancel):
            self.arch_scene.clear_bubble()
            self.arch_scene.clearSelection()
            return
        super().keyPressEvent(event)

    def drawBackground(self, p: QPainter, rect: QRectF) -> None:  # noqa: N802
        p.fillRect(rect, QColor("#f4f6f8"))
        if self.transform().m11() < 0.4:
            return
        step = GRID * 4
        p.setPen(QPen(QColor("#dde3e8"), 0))
        x = int(rect.left() // step) * step
        while x < rect.right():
            p.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            x += step
        y = int(rect.top() // step) * step
        while y < rect.bottom():
            p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            y += step

    # Drops from the palette -----------------------------------------------------------------------------------

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802
        if event.mimeData().hasFormat(MIME_LAYER) and self.graph is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event: Any) -> None:  # noqa: N802
        mime = event.mimeData()
        if not mime.hasFormat(MIME_LAYER):
            event.ignore()
            return
        kind = bytes(mime.data(MIME_LAYER)).decode("utf-8")
        if kind not in KINDS:
            self.message.emit(f"Unknown layer kind '{kind}'", True)
            event.ignore()
            return
        self.add_node(kind, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()
        self.setFocus()


__all__ = ["ArchitectureCanvas", "ArchitectureScene", "NodeItem", "EdgeItem", "PortItem", "MIME_LAYER",
           "MIME_NODES", "layer_mime", "describe_params"]
