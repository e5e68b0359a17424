"""The drawing pad in the real window: drawn with the mouse while a network trains, read by that network."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from playground.app import attach_training
from playground.ui.digit_canvas import PAD_SIZE


@pytest.fixture
def trained_window(qtbot, tmp_path):
    from playground.app import new_window

    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    controller = attach_training(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.load_template("mnist_1_layer")
    win.lab.training = win.lab.training.updated(epochs=1_000_000)
    seen = []
    controller.session.snapshot.connect(seen.append)
    controller.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].epoch >= 1, timeout=60000)
    controller.draw_dock.show()
    controller.draw_dock.raise_()
    qtbot.wait(50)
    yield win, controller
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.close()


@pytest.mark.slow
def test_a_zero_drawn_while_training_is_read_and_the_pad_never_moves(qtbot, trained_window):
    win, c = trained_window
    panel = c.digit_panel
    canvas = panel.canvas
    assert canvas.pad_rect().width() >= 280
    r = canvas.pad_rect()
    s = r.width() / PAD_SIZE

    def at(x, y):
        return QPoint(round(r.left() + x * s), round(r.top() + y * s))

    def places():
        return (canvas.mapTo(win, QPoint(0, 0)), canvas.size(), panel.clear_button.mapTo(win, QPoint(0, 0)))

    before = places()
    # Nine positions round an oval, as a busy window receives a quickly drawn 0.
    ring = [(140 + 70 * math.sin(2 * math.pi * k / 8), 140 - 105 * math.cos(2 * math.pi * k / 8)) for k in range(9)]
    qtbot.mousePress(canvas, Qt.LeftButton, pos=at(*ring[0]))
    qtbot.wait(30)
    assert places() == before
    for x, y in ring[1:]:
        qtbot.mouseMove(canvas, at(x, y))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=at(*ring[-1]))
    qtbot.waitUntil(lambda: panel.prediction_label.text().isdigit(), timeout=20000)
    qtbot.wait(30)
    assert places() == before
    image = panel.image()
    assert image is not None
    # The curve through the nine positions is an oval, not an octagon: its middle stays empty and its ring closed.
    assert image[11:17, 12:16].max() < 0.2
    assert (image > 0.5).sum() > 80
