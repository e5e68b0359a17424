"""The preview of copying trained weights into the open lab: each layer with weights, whether it takes the
source's weights and why not, and where the copy goes (the running training or the lab's starting weights)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# status -> what the table says, and its colour
_STATUS = {"copy": ("✓ copied", "#2e7d32"), "mismatch": ("✗ other shape", "#c62828"),
           "missing": ("– not in the source", "#757575")}

RUNNING, START = "running", "start"


class CopyWeightsDialog(QDialog):
    """``rows`` are (layer, status, detail) with status "copy", "mismatch" or "missing"."""

    def __init__(self, source: str, network: str, rows: Sequence[tuple[str, str, str]], unused: Sequence[str],
                 running: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("copyWeightsDialog")
        self.setWindowTitle("Copy weights")
        copied = sum(1 for _layer, status, _detail in rows if status == "copy")
        layout = QVBoxLayout(self)
        head = QLabel(f"<b>{copied} of {len(rows)}</b> layers of network '{network}' take their weights from "
                      f"{source}. A layer is copied when the source has a layer of the same name with tensors of "
                      f"the same shapes; the others keep theirs.")
        head.setWordWrap(True)
        layout.addWidget(head)
        self.table = QTableWidget(len(rows), 3)
        self.table.setObjectName("copyWeightsTable")
        self.table.setHorizontalHeaderLabels(["Layer", "Weights", "Why"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for i, (layer, status, detail) in enumerate(rows):
            text, colour = _STATUS.get(status, (status, "#000000"))
            state = QTableWidgetItem(text)
            state.setForeground(QColor(colour))
            why = QTableWidgetItem(detail)
            why.setToolTip(detail)
            for j, item in enumerate((QTableWidgetItem(layer), state, why)):
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        if unused:
            rest = QLabel(f"Not used from the source: {', '.join(unused)}")
            rest.setWordWrap(True)
            rest.setStyleSheet("color: #616161;")
            layout.addWidget(rest)
        self.into_running = QRadioButton("Into the running training (it goes on from the copied weights)")
        self.into_running.setObjectName("copyIntoRunning")
        self.into_running.setEnabled(running)
        self.into_start = QRadioButton("As the lab's starting weights (used by the next start and by Reset; saved "
                                       "with the lab, undoable)")
        self.into_start.setObjectName("copyIntoStart")
        (self.into_running if running else self.into_start).setChecked(True)
        layout.addWidget(self.into_running)
        layout.addWidget(self.into_start)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Copy")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 360)
        self.setWindowModality(Qt.WindowModality.WindowModal)

    def target(self) -> str:
        """Where the copy goes: RUNNING or START."""
        return RUNNING if self.into_running.isChecked() else START
