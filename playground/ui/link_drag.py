"""Dragging a connection out of a layer's output port: the scene's side, which a port item talks to while the mouse
drags. It sits below the canvas items (``canvas_items``) and the architecture scene, which builds on it and says
which layer a drop lands on, so the items never need the scene's module."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

LINK_COLOR = "#1e88e5"


class LinkDragScene(QGraphicsScene):
    """A scene on which a connection is dragged from an output port to an input: a dashed curve follows the
    pointer, and a drop on a layer becomes a request to connect (or a hint, when it lands on nothing)."""

    connect_requested = Signal(str, str, str)  # (source, target, input port or "")
    hint = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._link: QGraphicsPathItem | None = None
        self._link_source: str | None = None
        self._link_start = QPointF()

    def begin_link(self, source: str, start: QPointF, pos: QPointF) -> None:
        """Start a connection from the layer ``source``, whose output port is at ``start``."""
        self._link_source = source
        self._link_start = QPointF(start)
        self._link = QGraphicsPathItem()
        self._link.setPen(QPen(QColor(LINK_COLOR), 2, Qt.PenStyle.DashLine))
        self._link.setZValue(5)
        self.addItem(self._link)
        self.update_link(pos)

    def update_link(self, pos: QPointF) -> None:
        if self._link is None or self._link_source is None:
            return
        a = self._link_start
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
        target, port = self.drop_target(pos)
        if target is None:
            self.hint.emit("Drop the connection on another layer's input port (the dots on its left edge)")
            return
        self.connect_requested.emit(source, target, port or "")

    def drop_target(self, pos: QPointF) -> tuple[str | None, str | None]:
        """The layer a connection dropped at ``pos`` goes to, and its input port when the drop is on one."""
        raise NotImplementedError
