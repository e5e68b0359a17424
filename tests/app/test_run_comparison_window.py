"""Learning > Compare runs… in the real window: duplicates of the open lab with one change train together on the
comparison's own thread; their curves overlaid, their boundaries side by side, their settings in a table with the
differences highlighted; runs renamed, hidden, removed, and saved with the project."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMenu, QToolButton

from playground.app import attach_training
from playground.app.presenters.comparison import ComparisonPresenter
from playground.engine.project import load_project
from playground.engine.run_group import RunChange


@pytest.fixture
def app_window(qtbot, tmp_path):
    from playground.app import new_window

    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    c = attach_training(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.load_template("tensorflow_playground")
    win.lab.dataset.samples = 200
    win.lab.training = win.lab.training.updated(epochs=4, optimizer="adam", learning_rate=0.03)
    presenter = win.findChild(ComparisonPresenter)
    assert presenter is not None
    yield win, c, presenter
    presenter.play(False)
    presenter.wait(30)
    if presenter.window is not None:
        presenter.window.close()
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.close()
    win.deleteLater()


def _open(win, presenter):
    menu = win.findChild(QMenu, "learningMenu")
    assert menu is not None and win.compare_runs_action in menu.actions()
    assert win.compare_runs_action.objectName() == "compareRunsAction"
    win.compare_runs_action.trigger()
    window = presenter.window
    assert window is not None and window.isVisible()
    assert window.findChild(type(window.view), "runComparisonView") is window.view
    return window


def _train(qtbot, presenter, window):
    window.view.play_button.click()
    assert presenter.wait(240)
    qtbot.waitUntil(lambda: all(r.state == "finished" for r in presenter.runs.values()), timeout=20_000)


@pytest.mark.slow
def test_duplicates_train_together_and_the_table_highlights_the_one_change(qtbot, app_window):
    win, _c, presenter = app_window
    window = _open(win, presenter)
    view = window.view
    assert [r.name for r in presenter.rows()] == ["Original"]
    first = next(iter(presenter.runs))
    # The window's own controls: a copy with no change, one with another learning rate, two more.
    view.from_combo.setCurrentIndex(view.from_combo.findData(first))
    view.change_combo.setCurrentIndex(view.change_combo.findData("none"))
    view.add_button.click()
    view.change_combo.setCurrentIndex(view.change_combo.findData("learning_rate"))
    view.float_value.setValue(0.3)
    view.add_button.click()
    presenter.duplicate_run(first, RunChange("optimizer", "sgd"))
    ids = list(presenter.runs)
    assert len(ids) == 4
    assert presenter.runs[ids[2]].change == "learning rate 0.3"
    _train(qtbot, presenter, window)
    runs = [presenter.runs[i] for i in ids]
    assert all(r.history["epoch"][-1] == 4 for r in runs)
    # The same seed, data and starting weights with no change: the very same curves.
    for name in ("train_loss", "test_loss", "test_accuracy"):
        assert np.array_equal(runs[0].history[name], runs[1].history[name])
    assert not np.array_equal(runs[0].history["test_loss"], runs[2].history["test_loss"])
    x, y = view.curve_data(ids[2])
    assert list(x) == [1, 2, 3, 4] and np.allclose(y, runs[2].history["test_loss"])
    # Each run's boundary beside the others' (built one per redraw, so the window never stalls for all four).
    qtbot.waitUntil(lambda: all(view.panel(i).view is not None for i in ids), timeout=20_000)
    for run_id in ids:
        panel = view.panel(run_id)
        assert panel is not None and panel.view is not None and panel.view.objectName() == "decisionBoundaryView"
    assert set(view.highlighted_settings()) == {"Learning rate", "Optimizer"}
    presenter.remove(ids[3])
    assert view.highlighted_settings() == ["Learning rate"]
    assert view.settings_table.verticalHeaderItem(0).text() == "● Learning rate"  # what differs comes first


@pytest.mark.slow
def test_runs_are_renamed_hidden_removed_and_saved_with_the_project(qtbot, app_window, tmp_path):
    win, _c, presenter = app_window
    window = _open(win, presenter)
    view = window.view
    first = next(iter(presenter.runs))
    fast = presenter.duplicate_run(first, RunChange("learning_rate", 0.3))
    slow = presenter.duplicate_run(first, RunChange("batch_size", 50))
    assert fast is not None and slow is not None
    assert win.document.modified  # the runs are not in any file yet: closing asks to save them
    # Rename by editing the name cell, hide by its checkbox, remove by its button.
    row = [r.id for r in presenter.rows()].index(fast.id)
    view.runs_table.item(row, 1).setText("Fast learner")
    assert presenter.runs[fast.id].name == "Fast learner"
    assert view.from_combo.itemText(row) == "Fast learner"
    view.runs_table.item(row, 2).setCheckState(Qt.CheckState.Unchecked)
    assert presenter.runs[fast.id].hidden and not view.curve_visible(fast.id)
    assert not view.panel(fast.id).isVisibleTo(view)
    remove = view.runs_table.findChild(QToolButton, f"removeRun{slow.id}")
    assert remove is not None
    remove.click()
    assert slow.id not in presenter.runs and view.runs_table.rowCount() == 2
    _train(qtbot, presenter, window)
    saved_curve = presenter.runs[fast.id].history["test_loss"].copy()

    path = tmp_path / "compared.nnp"
    assert win.save_as(str(path))
    qtbot.waitUntil(path.exists, timeout=10_000)
    qtbot.waitUntil(lambda: not win.document.edited, timeout=10_000)  # saved: the runs are in the file now
    assert [r.name for r in load_project(path).runs] == ["Original", "Fast learner"]
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.load_template("spiral")
    assert not presenter.runs  # another lab: its runs went with the old one
    assert win.open_lab(str(path))
    back = {r.name: r for r in presenter.runs.values()}
    assert set(back) == {"Original", "Fast learner"}
    assert back["Fast learner"].hidden and back["Fast learner"].lab.training.learning_rate == 0.3
    assert np.array_equal(back["Fast learner"].history["test_loss"], saved_curve)
    assert back["Fast learner"].state == "saved"
    window = _open(win, presenter)
    x, _y = window.view.curve_data(back["Original"].id)
    assert list(x) == [1, 2, 3, 4]


@pytest.mark.slow
def test_the_editors_network_joins_as_a_run_with_its_edit_highlighted(qtbot, app_window):
    win, _c, presenter = app_window
    window = _open(win, presenter)
    view = window.view
    win.lab.networks[0].graph.set_param("dense_1", "units", 8)  # an edit in the editor after the comparison began
    view.change_combo.setCurrentIndex(view.change_combo.findData("editor"))
    view.add_button.click()
    runs = list(presenter.runs.values())
    assert len(runs) == 2 and runs[1].lab.networks[0].graph.node("dense_1").params["units"] == 8
    assert runs[1].change == "edited: hidden units, parameters"
    assert set(view.highlighted_settings()) == {"Hidden units", "Parameters"}


@pytest.mark.slow
def test_training_the_runs_pauses_the_main_windows_run(qtbot, app_window):
    win, c, presenter = app_window
    win.lab.training = win.lab.training.updated(epochs=1_000_000)
    c.toolbar.play_action.trigger()
    assert c.playing
    window = _open(win, presenter)
    window.view.play_button.click()
    assert not c.playing and "paused" in window.view.status.text()
    presenter.play(False)
    c.session.stop()
