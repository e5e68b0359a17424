"""The window while it trains: toolbar controls never move under the pointer (counters, the Undo text, the
learning-rate field), the status bar says what to press and what the run is doing (ready, preparing, stopped by
itself and how to go on), a GAN speaks of its two players instead of a test loss, and selecting a node brings the
inspector forward."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QLabel, QToolBar, QWidget

from playground.app.presenters.playback import PREPARING_HINT, READY_HINT, status_metrics, stop_hint
from playground.ui.training_toolbar import rate_text


@pytest.fixture
def app_window(screen_1366x768, app_window):
    """The shared window (tests/app/conftest.py) on a 1366x768 screen."""
    return app_window


def toolbar_geometry(win) -> dict[tuple[str, int], tuple[int, int, int, int]]:
    """Where every control of the toolbars sits in the window."""
    bars = [b for b in win.findChildren(QToolBar) if b.isVisible()]
    places = {}
    for bar in bars:
        for i, widget in enumerate(bar.findChildren(QWidget)):
            if widget.isVisible() and widget.parent() is bar:
                top_left = widget.mapTo(win, QPoint(0, 0))
                places[(bar.objectName(), i)] = (top_left.x(), top_left.y(), widget.width(), widget.height())
    return places


@pytest.mark.slow
def test_toolbar_controls_never_move_while_training_and_a_finished_run_says_how_to_go_on(qtbot, app_window):
    win, c = app_window
    win.load_template("spiral")
    c.change_settings("training", {"epochs": 4})
    win.undo_stack.clear()  # Undo without a command's name, as a lab opens
    hint = win.findChild(QLabel, "trainingHint")
    assert hint.isVisible() and hint.text() == READY_HINT
    qtbot.wait(50)
    before = toolbar_geometry(win)
    assert len(before) >= 10
    snapshots = []
    c.session.snapshot.connect(snapshots.append)
    c.set_playing(True)
    assert hint.text() == PREPARING_HINT
    # Four epochs of the spiral may end in fewer than three snapshots on a fast machine.
    qtbot.waitUntil(lambda: len(snapshots) >= 3 or (bool(snapshots) and snapshots[-1].state == "finished"),
                    timeout=60_000)
    c.change_settings("training", {"learning_rate": 0.000912345})  # Undo now names the change
    assert "learning rate" in win.undo_action.text().lower() or win.undo_action.text() != "&Undo"
    qtbot.waitUntil(lambda: snapshots[-1].state == "finished", timeout=120_000)
    qtbot.wait(20)
    assert toolbar_geometry(win) == before
    assert "Finished" in hint.text() and "Press Space" in hint.text()
    line = c.toolbar.lr_combo.lineEdit()
    assert line.text() == "0.0009123"
    assert line.fontMetrics().horizontalAdvance(line.text()) <= line.width()


@pytest.mark.slow
def test_the_learning_rate_field_fits_any_rate_it_shows(qtbot, app_window):
    win, c = app_window
    win.load_template("spiral")
    line = c.toolbar.lr_combo.lineEdit()
    width = c.toolbar.lr_combo.width()
    for value in (0.000123456, 0.0009999, 12.5, 1e-5, 0.03):
        c.toolbar._set_lr_text(value)
        qtbot.wait(5)
        assert line.text() == rate_text(value)
        assert line.fontMetrics().horizontalAdvance(line.text()) <= line.width()
        assert c.toolbar.lr_combo.width() == width


@pytest.mark.slow
def test_the_undo_button_keeps_its_width_whatever_the_command(qtbot, app_window):
    win, c = app_window
    win.load_template("spiral")
    qtbot.wait(20)
    before = toolbar_geometry(win)
    c.change_settings("training", {"regularization": "l2"})
    qtbot.wait(20)
    assert win.undo_action.text() != "&Undo"  # the menu names the command...
    assert toolbar_geometry(win) == before  # ...the toolbar does not grow for it
    button = next(a for a in win.findChild(QToolBar, "mainToolbar").actions() if a.objectName() == "actionUndoButton")
    assert button.text() == "Undo" and button.isEnabled()
    assert win.undo_action.text().replace("&", "") in button.toolTip()
    button.trigger()
    assert win.lab.training.regularization != "l2"


def test_a_run_that_stops_by_itself_says_why_and_how_to_go_on():
    finished = SimpleNamespace(state="finished", epoch=50, message="Finished 50 epochs.")
    assert stop_hint(finished).startswith("Finished 50 epochs.") and "Space" in stop_hint(finished)
    early = SimpleNamespace(state="finished", epoch=12,
                            message="Early stopping: the test loss has not improved for 5 epochs; restored ...")
    assert stop_hint(early).startswith("Early stopping") and "Space" in stop_hint(early)


def test_a_gan_shows_its_players_losses_not_a_test_loss():
    metrics = {"train_loss": 1.4, "test_loss": 1.5, "train_d_loss": 0.7, "train_g_loss": 0.8, "train_d_real": 0.6,
               "train_d_fake": 0.4, "test_d_loss": 0.7}
    gan = status_metrics(SimpleNamespace(task="gan", metrics=metrics))
    assert "test loss" not in gan and "D loss 0.700" in gan and "G loss 0.800" in gan and "D(fake) 0.40" in gan
    classifier = status_metrics(SimpleNamespace(task="classification", metrics={"train_loss": 0.5,
                                                                                 "test_loss": 0.6}))
    assert "test loss 0.600" in classifier


@pytest.mark.slow
def test_selecting_a_node_brings_the_inspector_forward(qtbot, app_window):
    win, c = app_window
    win.load_template("spiral")
    c._show_training_views()  # the curves now in front of the inspector
    qtbot.wait(50)
    assert win.inspector_dock.visibleRegion().isEmpty()
    win.canvas.select_nodes([next(iter(win.canvas.arch_scene.node_items))])
    qtbot.wait(20)
    assert not win.inspector_dock.visibleRegion().isEmpty()
