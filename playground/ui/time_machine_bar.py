"""The time machine's bar: a slider over the moments a run has kept, the moment shown, "Continue from here" and
"Now". It owns no run: it says which moment the user wants, and shows the timeline the presenter hands it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget


class TimeMachineBar(QWidget):
    """The slider's last position is the run as it is now; each earlier one a kept moment, oldest at the left."""

    moment_requested = Signal(int)  # the step of a kept moment
    now_requested = Signal()
    continue_requested = Signal(int)  # branch from the moment at this step

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeMachineBar")
        self.steps = np.zeros(0, np.int64)
        self.epochs = np.zeros(0, np.int64)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        title = QLabel("Time machine")
        title.setToolTip("Scrub back through the run: every view shows the network as it was at that moment.")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timeMachineSlider")
        self.slider.setMinimumWidth(220)
        self.slider.setRange(0, 0)
        self.slider.setToolTip("Drag left to go back in the run (the run pauses); the right end is now.\n"
                               "Up to 200 moments are kept; older ones thin out as the run grows.")
        self.position = QLabel("Now")
        self.position.setObjectName("timeMachinePosition")
        self.position.setMinimumWidth(170)
        self.continue_button = QPushButton("Continue from here")
        self.continue_button.setObjectName("timeMachineContinue")
        self.continue_button.setToolTip("Go on training from this moment, with the same random numbers as the "
                                        "first time. The later moments of this run are let go.")
        self.now_button = QPushButton("Now")
        self.now_button.setObjectName("timeMachineNow")
        self.now_button.setToolTip("Back to the run as it is now")
        for widget in (title, self.slider, self.position, self.continue_button, self.now_button):
            layout.addWidget(widget)
        self.slider.valueChanged.connect(self._on_value)
        self.continue_button.clicked.connect(self._on_continue)
        self.now_button.clicked.connect(self.go_now)
        self._show_position()

    @property
    def at_now(self) -> bool:
        return self.slider.value() >= self.slider.maximum()

    @property
    def step(self) -> int | None:
        """The step of the moment shown, or None for now."""
        return None if self.at_now else int(self.steps[self.slider.value()])

    def set_timeline(self, steps: np.ndarray, epochs: np.ndarray) -> None:
        """The run's kept moments; a moment being looked at stays under the slider as others are thinned."""
        shown = self.step
        self.steps, self.epochs = np.asarray(steps, np.int64), np.asarray(epochs, np.int64)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.steps))
        if shown is None:
            self.slider.setValue(len(self.steps))
        else:
            self.slider.setValue(max(0, int(np.searchsorted(self.steps, shown, side="right")) - 1))
        self.slider.blockSignals(False)
        self._show_position()

    def clear(self) -> None:
        self.set_timeline(np.zeros(0, np.int64), np.zeros(0, np.int64))

    def go_now(self) -> None:
        if not self.at_now:
            self.slider.setValue(self.slider.maximum())  # emits now_requested through _on_value

    def _on_value(self, _value: int) -> None:
        self._show_position()
        step = self.step
        if step is None:
            self.now_requested.emit()
        else:
            self.moment_requested.emit(step)

    def _on_continue(self) -> None:
        step = self.step
        if step is not None:
            self.continue_requested.emit(step)

    def _show_position(self) -> None:
        step = self.step
        if step is None:
            self.position.setText("Now" if len(self.steps) else "Now (no moments yet)")
        else:
            epoch = int(self.epochs[self.slider.value()])
            self.position.setText(f"Step {step:,} · epoch {epoch}")
        self.continue_button.setEnabled(step is not None)
        self.now_button.setEnabled(step is not None)
        self.slider.setEnabled(len(self.steps) > 0)
