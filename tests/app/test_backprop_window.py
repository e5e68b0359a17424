"""Learning > Backpropagation step by step… in the real window: the menu opens the step-through with a trace of the
open lab, computed off the GUI thread, from the running session's weights when one trains."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMenu

from playground.app.presenters.backprop import BackpropPresenter


@pytest.fixture
def app_window(app_window):
    """The shared window (tests/app/conftest.py) and its backpropagation presenter."""
    win, c = app_window
    presenter = win.findChild(BackpropPresenter)
    assert presenter is not None
    return win, c, presenter


def _open(qtbot, win, presenter):
    menu = win.findChild(QMenu, "learningMenu")
    assert menu is not None and win.backprop_action in menu.actions()
    win.backprop_action.trigger()
    assert presenter.window is not None and presenter.window.isVisible()
    qtbot.waitUntil(lambda: presenter.window.view.trace is not None or "color:#d32f2f" in
                    presenter.window.status.text(), timeout=60_000)
    return presenter.window


@pytest.mark.slow
def test_the_menu_opens_the_worked_example_with_its_known_numbers(qtbot, app_window):
    win, _c, presenter = app_window
    win.load_template("backprop_worked_example")
    window = _open(qtbot, win, presenter)
    trace = window.view.trace
    assert trace is not None and trace.detailed
    assert "given starting weights" in window.status.text()
    window.view.set_phase(len(window.view.phase_list) - 1)
    assert window.view.selected == (2, 0, 0)
    assert "= <b>0.35891648</b>" in window.view.chain_label.text()
    assert "0.298371111" in window.view.loss_label.text()
    assert window.check.weight_combo.currentText() == "w5 (h1 → o1)"


@pytest.mark.slow
def test_a_batch_of_another_lab_is_traced_from_its_seeds_weights(qtbot, app_window):
    win, _c, presenter = app_window
    win.load_template("tensorflow_playground")
    window = _open(qtbot, win, presenter)
    assert "seed 1" in window.status.text()
    first = window.view.trace
    window.batch_spin.setValue(5)
    window.trace_button.click()
    qtbot.waitUntil(lambda: window.view.trace is not first, timeout=60_000)
    assert window.view.trace.batch_size == 5 and window.view.sample_spin.maximum() == 5


@pytest.mark.slow
def test_a_running_session_is_traced_with_its_own_weights(qtbot, app_window):
    win, c, presenter = app_window
    win.load_template("tensorflow_playground")
    c.session.start(win.document.lab, run=False)
    qtbot.waitUntil(lambda: c.session.trainer is not None, timeout=60_000)
    window = _open(qtbot, win, presenter)
    assert "running session" in window.status.text()
    c.session.stop()


def test_a_lab_that_is_not_a_dense_chain_says_why(qtbot, app_window):
    win, _c, presenter = app_window
    win.load_template("residual_block")
    window = _open(qtbot, win, presenter)
    assert window.view.trace is None
    assert "chain of Dense layers" in window.status.text()


def test_an_open_step_through_follows_the_lab_that_opens_next(qtbot, app_window):
    win, _c, presenter = app_window
    win.load_template("tensorflow_playground")
    window = _open(qtbot, win, presenter)
    before = window.view.trace
    win.load_template("backprop_worked_example")
    qtbot.waitUntil(lambda: window.view.trace is not before, timeout=60_000)
    assert window.view.trace.layer_count == 2 and "given starting weights" in window.status.text()
