"""The drawing pad read by the model being trained, answer by answer.

Each image the pad sends while a stroke is drawn is a small command of its own (``Classify``): one forward pass
between two training steps, answered straight back, instead of a whole snapshot with every feature map of a CNN
that waits for the next snapshot interval. Only the finished drawing goes to the feature-map view (``SetSample``).
Answers are numbered: one that arrives after a newer drawing's has been shown, or that belongs to a stroke the
release has overtaken, is dropped, so the pad settles on the released drawing's answer once, not two or three
values in a row. The answer is the network's as it was when the drawing was made: draw again to ask again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from playground.engine.commands import Classify, SetSample
from playground.snapshots import Prediction
from playground.ui.digit_pad import DigitPanel


class DrawingReader(QObject):
    """Sends the pad's drawings to the trainer through ``send`` (False when nothing can read them) and shows the
    answers that are still current. ``latencies_ms`` holds, per answer shown, the time from its drawing's
    sending to its bars."""

    # (number, Prediction or None), emitted on the training thread; Qt delivers it on the GUI thread.
    answered = Signal(int, object)
    # The number of the drawing whose answer the pad shows now (after its bars were set).
    shown = Signal(int)

    def __init__(self, panel: DigitPanel, send: Callable[[Any], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self._send = send
        self.sent = 0  # the number of the last drawing sent
        self.final = 0  # the number of the last finished drawing: no older answer may replace it
        self.showing = 0  # the number of the drawing whose answer is on the pad
        self._sent_at: dict[int, float] = {}
        self.latencies_ms: list[float] = []
        self.answered.connect(self._on_answer)

    def read(self, image: np.ndarray) -> None:
        """A drawing, perhaps still being drawn: ask for its answer alone."""
        number = self.sent + 1
        if self._send(Classify(image=np.asarray(image, np.float32).copy(), number=number, reply=self.answered.emit)):
            self.sent = number
            self._sent_at[number] = time.perf_counter()

    def finish(self, image: np.ndarray) -> None:
        """The drawing as it stays (the stroke ended): answers of earlier images are stale from now on, and the
        feature-map view shows this one."""
        self.final = self.sent
        self._send(SetSample(image=np.asarray(image, np.float32).copy()))

    def clear(self) -> None:
        """The pad was wiped: any answer on its way is for a drawing that is gone."""
        self.final = self.sent
        self._sent_at.clear()

    def _on_answer(self, number: int, prediction: Prediction | None) -> None:
        at = self._sent_at.pop(number, None)
        if prediction is None or number <= self.showing or number < self.final or self.panel.image() is None:
            return
        if len(prediction.probabilities) != 10:
            return
        self.showing = number
        self.panel.show_probabilities(prediction.probabilities)
        if at is not None:
            self.latencies_ms.append((time.perf_counter() - at) * 1000)
        for older in [n for n in self._sent_at if n < number]:
            del self._sent_at[older]  # their answers, if they still come, are dropped
        self.shown.emit(number)
