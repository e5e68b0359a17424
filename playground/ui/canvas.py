"""The architecture canvas: the view the editor shows around the scene that mirrors one Graph through its events.

The scene owns no model state. Every user gesture (drop a layer, drag a connection, move, delete, paste) is
validated against the graph first and then pushed as an undo command; the graph's events then add, move or remove
the items. Shapes, parameter counts and problems are redrawn from ``Graph.infer()`` once per change.

The graphics items live in ``canvas_items`` and the scene in ``architecture_scene``; this module holds the view
(editing, drops from the palette, zoom and fit, copy and paste) and re-exports the names other modules import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPen,
    QUndoStack,
)
from PySide6.QtWidgets import QGraphicsView, QMenu, QWidget

from playground.graph import KINDS, Edge, Graph, GraphError, get_kind
from playground.graph.network_json import checked_position

from .architecture_scene import ArchitectureScene
from .canvas_items import (
    GRID,
    HEADER_H,
    LAYER_SPACING,
    MIME_LAYER,
    MIME_NODES,
    NODE_H,
    NODE_W,
    ROW_SPACING,
    WARNING_COLOR,
    EdgeItem,
    EdgeLabel,
    MessageBubble,
    NodeItem,
    PortItem,
    describe_params,
    edge_path,
    layer_mime,
    problem_color,
    snap,
)
from .commands import (
    AddNodeCommand,
    AddNodesCommand,
    ConnectCommand,
    MoveNodesCommand,
    RemoveCommand,
)

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
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setMinimumSize(300, 200)
        self.last_error = ""
        self.node_actions: list[QAction] = []
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

    def resizeEvent(self, event: Any) -> None:
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

    # A node's context menu: actions about one layer (freeze...), added by whoever owns them.

    def add_node_action(self, action: QAction) -> None:
        self.node_actions.append(action)

    def set_frozen_layers(self, names: Iterable[str]) -> None:
        """Draw a lock on exactly these layers of the network on the canvas."""
        frozen = set(names)
        try:
            for name, item in self.arch_scene.node_items.items():
                item.set_frozen(name in frozen)
        except RuntimeError:  # the scene is being torn down
            return

    def node_at(self, view_pos: QPoint) -> str | None:
        for item in self.items(view_pos):
            while item is not None and not isinstance(item, NodeItem):
                item = item.parentItem()
            if isinstance(item, NodeItem):
                return item.name
        return None

    def contextMenuEvent(self, event: Any) -> None:
        name = self.node_at(event.pos())
        if name is None or not self.node_actions:
            super().contextMenuEvent(event)
            return
        # The menu acts on the node under the pointer: it becomes the selection, so the actions read it from there.
        self.select_nodes([name])
        menu = QMenu(self)
        menu.addActions(self.node_actions)
        menu.exec(event.globalPos())

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
            data = json.loads(bytes(mime.data(MIME_NODES).data()).decode("utf-8"))
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
        self.fitInView(rect.adjusted(-40, -50, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.2:  # a tiny network should not be blown up
            self.resetTransform()
            self.centerOn(rect.center())

    def zoom(self, factor: float) -> None:
        self._fit_pending = False
        scale = self.transform().m11() * factor
        if 0.1 <= scale <= 4.0:
            self.scale(factor, factor)

    def wheelEvent(self, event: Any) -> None:
        self.zoom(1.0015 ** event.angleDelta().y())

    def mousePressEvent(self, event: Any) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: Any) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:
        if self._pan_from is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            self.viewport().unsetCursor()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: Any) -> None:
        if event.matches(QKeySequence.StandardKey.Cancel):
            self.arch_scene.clear_bubble()
            self.arch_scene.clearSelection()
            return
        super().keyPressEvent(event)

    def drawBackground(self, p: QPainter, rect: QRectF | QRect) -> None:
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

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(MIME_LAYER) and self.graph is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: Any) -> None:
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
    "ArchitectureCanvas",
    "ArchitectureScene",
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
