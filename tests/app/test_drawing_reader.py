"""The drawing pad read answer by answer: each image of a stroke is its own small Classify, the finished drawing
alone goes to the feature maps, and an answer overtaken by a newer drawing or by the release never shows."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from playground.app.presenters.drawing import DrawingReader
from playground.engine.commands import Classify, SetSample
from playground.snapshots import Prediction
from playground.ui.digit_pad import DigitPanel


def _probabilities(digit: int) -> np.ndarray:
    p = np.full(10, 0.02, np.float32)
    p[digit] = 1 - 0.02 * 9
    return p


def _answer(command: Classify, digit: int) -> None:
    """Answer from another thread, as the trainer does."""
    prediction = Prediction(np.asarray(command.image, np.float32), _probabilities(digit))
    thread = threading.Thread(target=command.reply, args=(command.number, prediction))
    thread.start()
    thread.join()


def _reader(qtbot) -> tuple[DigitPanel, DrawingReader, list[object], list[int]]:
    panel = DigitPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    sent: list[object] = []
    reader = DrawingReader(panel, lambda command: sent.append(command) is None)
    panel.image_ready.connect(reader.read)
    panel.drawing_finished.connect(reader.finish)
    panel.cleared.connect(reader.clear)
    shown: list[int] = []
    reader.shown.connect(shown.append)
    return panel, reader, sent, shown


def test_a_stroke_is_read_on_the_way_and_its_feature_maps_asked_once_at_the_release(qtbot) -> None:
    panel, reader, sent, _shown = _reader(qtbot)
    canvas = panel.canvas
    r = canvas.pad_rect()

    def at(x: float, y: float) -> QPoint:
        return QPoint(round(r.left() + x * r.width()), round(r.top() + y * r.height()))

    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(0.5, 0.2))
    for k in range(1, 6):
        qtbot.wait(40)  # longer than the pad's throttle: each move may send an image
        QTest.mouseMove(canvas, at(0.5, 0.2 + 0.12 * k))
    qtbot.wait(40)
    during = list(sent)
    assert during and all(isinstance(c, Classify) for c in during)  # read while drawing, no feature maps yet
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(0.5, 0.8))
    after = sent[len(during):]
    assert [type(c) for c in after] == [Classify, SetSample]  # the released drawing: its answer, then its maps
    assert np.array_equal(after[0].image, after[1].image)
    assert reader.final == after[0].number == len(during) + 1


def test_answers_overtaken_by_a_newer_drawing_or_by_the_release_are_dropped(qtbot) -> None:
    panel, reader, sent, shown = _reader(qtbot)
    panel.canvas.add_stroke([(140, 40), (140, 240)])  # a whole stroke at once: read and finished
    first, _maps = sent
    _answer(first, 1)
    qtbot.waitUntil(lambda: shown == [1])
    assert panel.prediction_label.text() == "1"
    # The next drawing: two images on the way, then the release.
    reader.read(np.ones((28, 28), np.float32))
    reader.read(np.ones((28, 28), np.float32))
    reader.finish(np.ones((28, 28), np.float32))
    on_the_way, released = sent[2], sent[3]
    assert isinstance(on_the_way, Classify) and isinstance(released, Classify) and reader.final == released.number
    _answer(released, 7)
    qtbot.waitUntil(lambda: shown == [1, released.number])
    _answer(on_the_way, 4)  # late: an older image of this drawing
    _answer(first, 2)  # later still: the drawing before
    qtbot.wait(50)
    assert shown == [1, released.number] and panel.prediction_label.text() == "7"
    assert len(reader.latencies_ms) == 2


def test_an_answer_that_arrives_after_clear_shows_nothing(qtbot) -> None:
    panel, _reader_, sent, shown = _reader(qtbot)
    panel.canvas.add_stroke([(140, 40), (140, 240)])
    panel.canvas.clear()
    _answer(sent[0], 3)
    qtbot.wait(50)
    assert shown == [] and panel.prediction_label.text() == "–"


def test_while_an_answer_is_awaited_only_the_newest_image_waits_and_the_release_goes_at_once(qtbot) -> None:
    panel, reader, sent, shown = _reader(qtbot)
    panel.canvas.add_stroke([(140, 40), (140, 240)])  # ink on the pad, so that answers show
    _answer(sent[0], 1)
    qtbot.waitUntil(lambda: shown == [sent[0].number])
    del sent[:]
    images = [np.full((28, 28), k / 10, np.float32) for k in range(1, 5)]
    reader.read(images[0])
    reader.read(images[1])  # the first answer is still awaited: held
    reader.read(images[2])  # replaces the held one
    assert len(sent) == 1
    _answer(sent[0], 2)
    qtbot.waitUntil(lambda: len(sent) == 2)  # the answer let the newest held image go
    assert np.array_equal(sent[1].image, images[2])
    reader.read(images[3])  # held again, until the release sends it without waiting
    reader.finish(images[3])
    assert [type(c) for c in sent[2:]] == [Classify, SetSample] and np.array_equal(sent[2].image, images[3])
    assert reader.final == sent[2].number
    _answer(sent[2], 5)
    qtbot.waitUntil(lambda: shown[-1] == sent[2].number)
    assert panel.prediction_label.text() == "5"
