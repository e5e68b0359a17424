"""The problems list: every problem of the network being edited; clicking one selects its node."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from playground.graph import GraphError

from .canvas_items import problem_color

NODE_ROLE = Qt.ItemDataRole.UserRole + 1


class ProblemsPanel(QListWidget):
    node_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemsPanel")
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.itemClicked.connect(self._on_click)
        self.itemActivated.connect(self._on_click)
        self.set_problems([])

    def set_problems(self, problems: list[GraphError]) -> None:
        self.clear()
        if not problems:
            item = QListWidgetItem("✓ No problems: every layer is connected and every shape fits.")
            item.setForeground(QColor("#2e7d32"))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addItem(item)
            return
        for problem in problems:
            where = f"{problem.node}: " if problem.node else ""
            item = QListWidgetItem(f"⚠ {problem.message}")
            item.setForeground(QColor(problem_color(problem)))
            item.setData(NODE_ROLE, problem.node or "")
            item.setToolTip(f"{where}{problem.message}" + ("\nClick to select the layer." if problem.node else ""))
            self.addItem(item)

    def problem_texts(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def _on_click(self, item: QListWidgetItem) -> None:
        node = item.data(NODE_ROLE)
        if node:
            self.node_activated.emit(node)
