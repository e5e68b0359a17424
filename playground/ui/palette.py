"""The layer palette: every kind of the catalog, grouped and searchable; drag an entry onto the canvas."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.graph import CATEGORIES, kinds_in

from .canvas_items import MIME_LAYER, layer_mime
from .style import category_icon, teaching_tooltip

KIND_ROLE = Qt.ItemDataRole.UserRole + 1


class LayerPaletteTree(QTreeWidget):
    """The tree of kinds. Drags carry the kind's name under MIME_LAYER."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerPaletteTree")
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setIndentation(14)
        self.setUniformRowHeights(True)
        self.entries: dict[str, QTreeWidgetItem] = {}
        self.groups: dict[str, QTreeWidgetItem] = {}
        for category in CATEGORIES:
            kinds = kinds_in(category)
            if not kinds:
                continue
            group = QTreeWidgetItem(self, [category])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setIcon(0, category_icon(category))
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            self.groups[category] = group
            for kind in kinds:
                entry = QTreeWidgetItem(group, [kind.name])
                entry.setData(0, KIND_ROLE, kind.name)
                entry.setIcon(0, category_icon(category))
                entry.setToolTip(0, teaching_tooltip(kind.tooltip() + "\n\nDrag onto the canvas, or double-click, "
                                                     "to add it."))
                entry.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                self.entries[kind.name] = entry
        self.expandAll()

    @staticmethod
    def kind_of(item: QTreeWidgetItem | None) -> str | None:
        return item.data(0, KIND_ROLE) if item is not None else None

    def mimeTypes(self) -> list[str]:
        return [MIME_LAYER]

    def mimeData(self, items: Any) -> QMimeData:
        for item in items:
            kind = self.kind_of(item)
            if kind:
                return layer_mime(kind)
        return QMimeData()

    def startDrag(self, supported: Any) -> None:
        item = self.currentItem()
        kind = self.kind_of(item)
        if not kind or item is None:
            return
        drag = QDrag(self)
        drag.setMimeData(layer_mime(kind))
        drag.setPixmap(item.icon(0).pixmap(20, 20))
        self.exec_drag(drag)

    def exec_drag(self, drag: QDrag) -> None:
        """Run the drag (blocks until the drop); a seam so tests can see the drag without a real drop."""
        drag.exec(Qt.DropAction.CopyAction)


class LayerPalette(QWidget):
    """Search box, grouped tree of layer kinds, and a hint on how to use them."""

    kind_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerPalette")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.search = QLineEdit()
        self.search.setObjectName("layerSearch")
        self.search.setPlaceholderText("Search layers (e.g. conv, pool, lstm)…")
        self.search.setClearButtonEnabled(True)
        self.tree = LayerPaletteTree()
        hint = QLabel("Drag a layer onto the canvas. Hover for what it computes.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #607080;")
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(hint)
        self.search.textChanged.connect(self.filter)
        self.tree.itemDoubleClicked.connect(self._on_double_click)

    def filter(self, text: str) -> None:
        needle = text.strip().lower()
        for category, group in self.groups_items():
            visible = 0
            for i in range(group.childCount()):
                entry = group.child(i)
                assert entry is not None  # i < childCount()
                kind = entry.data(0, KIND_ROLE)
                hay = f"{kind} {category} {entry.toolTip(0)}".lower()
                hidden = bool(needle) and needle not in hay
                entry.setHidden(hidden)
                visible += not hidden
            group.setHidden(visible == 0)
        self.tree.expandAll()

    def groups_items(self) -> list[tuple[str, QTreeWidgetItem]]:
        return list(self.tree.groups.items())

    def visible_kinds(self) -> list[str]:
        return [k for k, e in self.tree.entries.items()
                if not e.isHidden() and ((group := e.parent()) is None or not group.isHidden())]

    def _on_double_click(self, item: QTreeWidgetItem, _column: int) -> None:
        kind = self.tree.kind_of(item)
        if kind:
            self.kind_activated.emit(kind)
