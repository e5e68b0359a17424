"""Learning > Backpropagation step by step…: the step-through of one training step beside the gradient check.

The window only shows what it is given and asks for another trace (which samples, how many) by a signal; the
composition root computes traces off the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from playground.snapshots.learning import BackpropTrace

from .views.backprop_view import BackpropView
from .views.gradient_check import GradientCheckView

MAX_BATCH = 64


class BackpropWindow(QMainWindow):
    """Hosts a :class:`BackpropView` and a :class:`GradientCheckView` of the same trace."""

    trace_requested = Signal(int, int)  # (first sample, batch size)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("backpropWindow")
        self.setWindowTitle("Backpropagation step by step")
        self.view = BackpropView()
        self.check = GradientCheckView()
        self.view.weight_selected.connect(self.check.select_weight)
        self.check.weight_selected.connect(self.view.select_weight)
        self.first_spin = QSpinBox()
        self.first_spin.setObjectName("backpropFirstSample")
        self.first_spin.setRange(1, 1_000_000)
        self.first_spin.setPrefix("from sample ")
        self.first_spin.setToolTip("The first training sample of the traced batch")
        self.batch_spin = QSpinBox()
        self.batch_spin.setObjectName("backpropBatchSize")
        self.batch_spin.setRange(1, MAX_BATCH)
        self.batch_spin.setPrefix("batch of ")
        self.batch_spin.setToolTip("How many samples the step averages its loss over (1: one sample, as in the "
                                   "worked example)")
        self.trace_button = QPushButton("Trace again")
        self.trace_button.setObjectName("backpropTrace")
        self.trace_button.setToolTip("Trace one step with the network's weights as they are now")
        self.trace_button.clicked.connect(self.request)
        self.status = QLabel("Tracing one training step…")
        self.status.setObjectName("backpropStatus")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.first_spin)
        top.addWidget(self.batch_spin)
        top.addWidget(self.trace_button)
        top.addWidget(self.status, 1)
        splitter = QSplitter()
        splitter.addWidget(self.view)
        splitter.addWidget(self.check)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 340])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        # As large as a 1366x768 screen allows; on a 1280x720 projector, within its room.
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        self.resize(min(1280, room.width() - 16) if room else 1280, min(700, room.height() - 40) if room else 700)

    def request(self) -> None:
        self.status.setText("Tracing one training step…")
        self.trace_requested.emit(self.first_spin.value() - 1, self.batch_spin.value())

    def show_trace(self, trace: BackpropTrace, source: str) -> None:
        """Show ``trace``; ``source`` says whose weights it used (the running session, the lab's start)."""
        self.view.show_trace(trace)
        self.check.show_trace(trace)
        if self.view.selected is not None:
            self.check.select_weight(self.view.selected)
        size = "unit by unit" if trace.detailed else "as per-layer norms (too large to show unit by unit)"
        note = f" {trace.note}" if trace.note else ""
        self.status.setText(f"{source}; {trace.batch_size} sample(s), shown {size}.{note}")

    def show_error(self, text: str) -> None:
        self.status.setText(f"<span style='color:#d32f2f'>{text}</span>")
