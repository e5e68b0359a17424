"""The two banners above the editor while training: an edit awaits applying, or a run stopped or was refused."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class ApplyBanner(QFrame):
    """Shown when the network was edited during a run: apply the edit (keeping weights) or start over."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("applyBanner")
        self.setStyleSheet("#applyBanner { background: #fff4d6; border: 1px solid #e0b44a; border-radius: 4px; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel("The network changed, so training paused. Apply the edit to go on training: layers "
                            "whose shapes did not change keep their weights.")
        self.label.setWordWrap(True)
        self.apply_button = QPushButton("Apply and continue")
        self.apply_button.setObjectName("applyEditButton")
        self.restart_button = QPushButton("Start over")
        self.restart_button.setObjectName("restartButton")
        self.restart_button.setToolTip("Train the edited network from fresh weights.")
        row.addWidget(self.label, 1)
        row.addWidget(self.apply_button)
        row.addWidget(self.restart_button)
        self.hide()


class MessageBanner(QFrame):
    """A red line for a diverged run or a refused request; stays until dismissed or the run resumes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self.setStyleSheet("#messageBanner { background: #fdecea; border: 1px solid #e57373; border-radius: 4px; }"
                           "QLabel { color: #8b1c1c; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel()
        self.label.setObjectName("trainingMessage")
        self.label.setWordWrap(True)
        close = QPushButton("Dismiss")
        close.clicked.connect(self.hide)
        row.addWidget(self.label, 1)
        row.addWidget(close)
        self.hide()

    def show_text(self, text: str) -> None:
        self.label.setText(text)
        self.show()
