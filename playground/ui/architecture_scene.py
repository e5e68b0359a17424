"""The architecture scene: a QGraphicsScene that mirrors one Graph through its events.

It owns no model state: items are added, moved and removed only when the graph says so. Shapes, parameter counts
and problems are redrawn from ``Graph.infer()`` once per change. A connection dragged from an output port, or nodes
dragged to a new place, become requests (signals) that the canvas validates and pushes as undo commands.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, QTimer, Signal
from PySide6.QtWidgets import (
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
)

from playground.graph import (
    Edge,
    EdgeAdded,
    EdgeRemoved,
    Graph,
    GraphEvent,
    Inference,
    Node,
    NodeAdded,
    NodeMoved,
    NodeRemoved,
    NodeRenamed,
)

from .canvas_items import EdgeItem, MessageBubble, NodeItem, PortItem, describe_params
from .link_drag import LinkDragScene
from .style import format_count


class ArchitectureScene(LinkDragScene):
    """Mirrors one Graph: items are created, moved and removed only in answer to the graph's events."""

    inference_changed = Signal(object)
    nodes_moved = Signal(dict)

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
        self._bubble: MessageBubble | None = None
        self._bubble_timer = QTimer(self)
        self._bubble_timer.setSingleShot(True)
        self._bubble_timer.timeout.connect(self.clear_bubble)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)

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

    def drop_target(self, pos: QPointF) -> tuple[str | None, str | None]:
        target, port = self.input_at(pos)
        return (target.name if target is not None else None), port

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

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
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



__all__ = ["ArchitectureScene"]
