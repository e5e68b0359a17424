"""The drawing pad read by the model being trained, answer by answer.

Each image the pad sends while a stroke is drawn is a small command of its own (``Classify``): one forward pass,
answered straight back (while the run trains, on a copy of the weights beside the training loop, so it waits for no
step), instead of a whole snapshot with every feature map of a CNN that waits for the next snapshot interval. Only
the finished drawing goes to the feature-map view (``SetSample``). Answers are numbered: one that arrives after a
newer drawing's has been shown, or that belongs to a stroke the release has overtaken, is dropped, so the pad
settles on the released drawing's answer once, not two or three values in a row. The answer is the network's as it
was when the drawing was made: draw again to ask again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from playground.engine.commands import ANSWERING_THREAD, Classify, SetSample
from playground.snapshots import Prediction
from playground.ui.digit_pad import DigitPanel

# An answer awaited longer than this is taken as lost (its trainer was stopped or replaced).
LOST_ANSWER_S = 1.0


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
        self._in_flight: set[int] = set()  # drawings sent and not answered yet
        self._waiting: np.ndarray | None = None  # the newest image of a stroke, held while an answer is awaited
        self._dispatched_at = 0.0
        self.latencies_ms: list[float] = []
        self.answered_aside = 0  # answers made beside the training loop (see engine/drawing_answers.py)
        self.answered.connect(self._on_answer)

    def read(self, image: np.ndarray) -> None:
        """A drawing, perhaps still being drawn: ask for its answer alone. While a stroke's earlier image still
        awaits its answer, only the newest image waits to be sent (a slow step must not pile up forward passes
        that the release's answer would queue behind)."""
        self._waiting = np.asarray(image, np.float32).copy()
        # An answer that never comes (the trainer was replaced meanwhile) must not hold the next ones for good.
        if not self._in_flight or time.perf_counter() - self._dispatched_at > LOST_ANSWER_S:
            self._in_flight.clear()
            self._dispatch()

    def finish(self, image: np.ndarray) -> None:
        """The drawing as it stays (the stroke ended): it is asked for at once, answers of earlier images are
        stale from now on, and the feature-map view shows it."""
        if self._waiting is not None:
            self._dispatch()
        self.final = self.sent
        self._send(SetSample(image=np.asarray(image, np.float32).copy()))

    def clear(self) -> None:
        """The pad was wiped: any answer on its way is for a drawing that is gone."""
        self.final = self.sent
        self._waiting = None
        self._in_flight.clear()
        self._sent_at.clear()

    def _dispatch(self) -> None:
        image, self._waiting = self._waiting, None
        number = self.sent + 1
        if image is not None and self._send(Classify(image=image, number=number, reply=self._reply)):
            self.sent = number
            self._sent_at[number] = time.perf_counter()
            self._in_flight.add(number)
            self._dispatched_at = time.perf_counter()

    def _reply(self, number: int, prediction: Prediction | None) -> None:
        """On the thread that made the answer: the training loop's, or the one answering beside it."""
        if threading.current_thread().name == ANSWERING_THREAD:
            self.answered_aside += 1  # an int's increment: one writer thread at a time
        self.answered.emit(number, prediction)

    def _on_answer(self, number: int, prediction: Prediction | None) -> None:
        self._in_flight.discard(number)
        if self._waiting is not None and not self._in_flight:
            self._dispatch()
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
