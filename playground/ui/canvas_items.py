"""The graphics items of the architecture canvas: a layer (NodeItem) with its ports, a connection (EdgeItem) with
its shape label, and the bubble that says why an edit was refused; plus the sizes and mime types they share.

Items only draw what the scene tells them; the scene (``architecture_scene``) creates and removes them in answer to
the graph's events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from playground.graph import (
    DisconnectedNodeError,
    Edge,
    GraphError,
    MissingInputError,
    Node,
    get_kind,
)

from .health_badges import Badge
from .link_drag import LinkDragScene
from .style import PROBLEM_COLOR, category_color, small_font

MIME_LAYER = "application/x-playground-layer"
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
        return _describe_input(p)
    if k == "Dense":
        return f"{p['units']} units"
    if k in ("Conv2d", "ConvTranspose2d"):
        return _describe_convolution(p)
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


def _describe_input(p: Mapping[str, Any]) -> str:
    kind = p["kind"]
    if kind == "vector":
        return f"vector of {p['features']}"
    if kind == "image":
        return f"image {p['channels']}×{p['height']}×{p['width']}"
    if kind == "sequence":
        return f"sequence {p['steps']}×{p['features']}"
    return f"{p['steps']} token ids"


def _describe_convolution(p: Mapping[str, Any]) -> str:
    text = f"{p['filters']} filters {p['kernel_size']}×{p['kernel_size']}"
    if p["stride"] != 1:
        text += f", stride {p['stride']}"
    if p["padding"]:
        text += f", pad {p['padding']}"
    if p.get("groups", 1) != 1:
        text += f", {p['groups']} groups"
    return text


def problem_color(problem: GraphError) -> str:
    """Amber for a graph still being built (an unconnected layer), red for a real mistake (a shape that fails)."""
    return WARNING_COLOR if isinstance(problem, (MissingInputError, DisconnectedNodeError)) else PROBLEM_COLOR


def _link_scene(item: QGraphicsItem) -> LinkDragScene | None:
    """The scene that holds ``item``, if connections can be dragged on it."""
    scene = item.scene()
    return scene if isinstance(scene, LinkDragScene) else None


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
            self.setCursor(Qt.CursorShape.CrossCursor)
            self.setToolTip("Output: drag from here to another layer's input to connect them")
        else:
            self.setToolTip(f"Input '{port}': drag a connection from another layer's output onto it")

    def _set_highlight(self, on: bool) -> None:
        self.setBrush(QColor("#ffd54f") if on else QColor("#ffffff"))
        self.setPen(QPen(QColor("#37474f"), 1.5))

    def hoverEnterEvent(self, event: Any) -> None:
        self._set_highlight(True)

    def hoverLeaveEvent(self, event: Any) -> None:
        self._set_highlight(False)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = _link_scene(self)
        if self.is_output and event.button() == Qt.MouseButton.LeftButton and scene is not None:
            scene.begin_link(self.node_item.name, self.node_item.port_scene_pos(None), event.scenePos())
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = _link_scene(self)
        if scene is not None:
            scene.update_link(event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = _link_scene(self)
        if scene is not None:
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
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
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
        self.health: Badge | None = None  # a live health badge (dead units, saturation, gradients, NaN)
        self.frozen = False  # a lock on the header: training leaves this layer's weights alone
        self._tip = ""
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

    def boundingRect(self) -> QRectF:
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
        self._tip = tip
        self.setToolTip(f"{self.health.tooltip}\n\n{tip}" if self.health else tip)
        self.update()
        return True

    def set_health(self, badge: Badge | None) -> None:
        if badge == self.health:
            return
        self.health = badge
        self.setToolTip(f"{badge.tooltip}\n\n{self._tip}" if badge else self._tip)
        self.update()

    def set_frozen(self, frozen: bool) -> None:
        if frozen != self.frozen:
            self.frozen = frozen
            self.update()

    def _paint_lock(self, p: QPainter) -> None:
        """A padlock in the header, left of the problem mark's place, so both can show at once."""
        x = NODE_W - (34 if self.problem is not None else 18)
        y = HEADER_H / 2
        p.setPen(QPen(QColor("white"), 1.6))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawArc(QRectF(x - 3.5, y - 7.5, 7, 8), 0, 180 * 16)
        p.drawLine(QPointF(x - 3.5, y - 3.5), QPointF(x - 3.5, y - 1))
        p.drawLine(QPointF(x + 3.5, y - 3.5), QPointF(x + 3.5, y - 1))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("white"))
        p.drawRoundedRect(QRectF(x - 5.5, y - 1.5, 11, 8), 1.5, 1.5)

    def _paint_health(self, p: QPainter) -> None:
        """The badge as a pill on the right of the header (left of a problem's mark), in the colour of its worst
        problem, outlined in white so it stands out on any category's colour."""
        assert self.health is not None
        font = small_font(7.5, bold=True)
        right = NODE_W - (22 if self.problem is not None else 4)
        width = min(right - 40, QFontMetricsF(font).horizontalAdvance(self.health.text) + 12)
        pill = QRectF(right - width, 3, width, HEADER_H - 6)
        p.setPen(QPen(QColor("white"), 1.2))
        p.setBrush(QColor(self.health.color))
        p.drawRoundedRect(pill, 7, 7)
        p.setPen(QColor("white"))
        p.setFont(font)
        p.drawText(pill, Qt.AlignmentFlag.AlignCenter, self.health.text)

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
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect)
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
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
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect, 6, 6)
        p.setPen(QColor("white"))
        p.setFont(small_font(8.5, bold=True))
        p.drawText(QRectF(8, 0, NODE_W - 16, HEADER_H), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   self.kind)
        if self.problem is not None:
            p.setBrush(QColor(problem_color(self.problem)))
            p.setPen(QPen(QColor("white"), 1.2))
            p.drawEllipse(QPointF(NODE_W - 11, HEADER_H / 2), 7, 7)
            p.setFont(small_font(8, bold=True))
            p.drawText(QRectF(NODE_W - 18, 0, 14, HEADER_H), Qt.AlignmentFlag.AlignCenter, "!")
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
            elided = QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, NODE_W - left - 8)
            p.drawText(QRectF(left, y, NODE_W - left - 6, 15),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)
            y += 15
        if len(self.in_ports) > 1:
            p.setFont(small_font(7))
            p.setPen(QColor("#78909c"))
            for port, item in self.in_ports.items():
                p.drawText(QRectF(-22, item.pos().y() - 16, 18, 12),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, port)
        if self.health is not None:
            self._paint_health(p)
        if self.frozen:
            self._paint_lock(p)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and not self._mirroring:
            return QPointF(snap(value.x()), snap(value.y()))
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)


class EdgeLabel(QGraphicsSimpleTextItem):
    """The tensor shape an edge carries, on a light background so it stays readable over lines."""

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self.text() or option.levelOfDetailFromTransform(p.worldTransform()) < 0.4:
            return
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(255, 255, 255, 220))
        p.drawRoundedRect(self.boundingRect().adjusted(-3, -1, 3, 1), 3, 3)
        super().paint(p, option, widget)  # type: ignore[arg-type]  # Qt passes no widget at times; stubs say one


def edge_path(a: QPointF, b: QPointF) -> QPainterPath:
    """A smooth curve from an output port to an input port. An edge that runs backwards (to a node further left,
    e.g. to the next row of a wrapped network) is routed around the nodes through the gap below the source."""
    path = QPainterPath(a)
    if b.x() >= a.x() + 20:
        dx = max(40.0, (b.x() - a.x()) / 2)
        path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
        return path
    # Far apart: turn halfway; close: pass below both nodes so the wire never crosses them.
    mid = (a.y() + b.y()) / 2 if abs(b.y() - a.y()) > NODE_H + 20 else max(a.y(), b.y()) + NODE_H * 0.5 + 25
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
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
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
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(color, 2.4 if self.isSelected() else 1.8))
        p.setBrush(Qt.BrushStyle.NoBrush)
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
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(PROBLEM_COLOR))
        p.drawRoundedRect(self.boundingRect(), 6, 6)
        super().paint(p, option, widget)  # type: ignore[arg-type]  # Qt passes no widget at times; stubs say one


__all__ = [
    "GRID",
    "HEADER_H",
    "LAYER_SPACING",
    "MIME_LAYER",
    "MIME_NODES",
    "NODE_H",
    "NODE_W",
    "ROW_SPACING",
    "WARNING_COLOR",
    "EdgeItem",
    "EdgeLabel",
    "MessageBubble",
    "NodeItem",
    "PortItem",
    "describe_params",
    "edge_path",
    "layer_mime",
    "problem_color",
    "snap",
]
