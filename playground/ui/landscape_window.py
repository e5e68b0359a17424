"""The window of Learning > Loss landscape and optimizer race: the landscape of the open lab's network (or of a
small model) beside a race of optimizers. It only hosts the two views and a status line; what they show comes
from the composition root's presenter, computed off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from .views.landscape_views import LossLandscapeView, OptimizerRaceView

REFRESH_TIP = ("Compute the network's landscape again from the weights it has now (while training, it is also "
               "redrawn every few seconds)")


class LandscapeWindow(QWidget):
    """Both views side by side; ``refresh_requested`` asks for the network's landscape again, ``closed`` says the
    window went away (so the presenter stops taking the run's weights)."""

    refresh_requested = Signal()
    shown = Signal()
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("landscapeWindow")
        self.setWindowTitle("Loss landscape and optimizer race")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.landscape_view = LossLandscapeView()
        self.race_view = OptimizerRaceView()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.landscape_view)
        self.splitter.addWidget(self.race_view)
        self.splitter.setSizes([1, 1])
        layout.addWidget(self.splitter, 1)
        row = QHBoxLayout()
        self.status = QLabel("")
        self.status.setObjectName("landscapeStatus")
        self.status.setWordWrap(True)
        self.refresh_button = QPushButton("Update from the network")
        self.refresh_button.setObjectName("landscapeRefresh")
        self.refresh_button.setToolTip(REFRESH_TIP)
        self.refresh_button.clicked.connect(self.refresh_requested)
        row.addWidget(self.status, 1)
        row.addWidget(self.refresh_button)
        layout.addLayout(row)
        for view in (self.landscape_view, self.race_view):
            view.setMinimumWidth(420)
        self.resize(1280, 680)

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.landscape_view.player.play_button.setChecked(False)
        self.race_view.player.play_button.setChecked(False)
        self.closed.emit()
        super().closeEvent(event)
