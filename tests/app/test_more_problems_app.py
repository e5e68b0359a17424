"""In the window: the 1-D fit lab shows its fit view (and no image or plane views), f is chosen in the view, and
choosing a set of another class count resizes a classifier's output."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from playground.app import attach_training


@pytest.fixture
def window(qtbot, tmp_path):
    from playground.app import new_window

    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    c = attach_training(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    yield win, c
    c.set_playing(False)
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.close()
    win.deleteLater()


@pytest.mark.slow
def test_function_lab_shows_the_fit_view_only_and_fills_it(qtbot, window):
    win, c = window
    win.load_template("universal_approximation")
    assert c.docks["function_fit"].isVisible()
    hidden = ("boundary", "neurons", "hidden", "feature_maps", "confusion", "templates", "filter_lab", "filters",
              "samples")
    assert not any(c.docks[k].isVisible() for k in hidden)
    assert not c.draw_dock.isVisible()
    view = c.views["function_fit"]
    c.step(False)  # one batch: the view fills in with the fit and one curve per hidden unit
    qtbot.waitUntil(lambda: not view.is_empty, timeout=20000)
    assert sum(curve.isVisible() for curve in view._unit_curves) == 8
    win.load_template("spiral")
    assert not c.docks["function_fit"].isVisible() and c.docks["boundary"].isVisible()


@pytest.mark.slow
def test_choosing_f_in_the_view_edits_the_lab_undoably(qtbot, window):
    win, c = window
    win.load_template("universal_approximation")
    view = c.views["function_fit"]
    view.function_combo.activated.emit(view.function_combo.findData("sawtooth"))
    assert win.lab.dataset.options == {"function": "sawtooth"}
    win.undo_stack.undo()
    assert win.lab.dataset.options == {"function": "sine"}


@pytest.mark.slow
def test_a_set_with_more_classes_resizes_the_output(qtbot, window):
    win, c = window
    win.load_template("spiral")
    c.change_settings("dataset", {"name": "arms"})
    graph = win.lab.networks[0].graph
    last = [n for n in graph.nodes.values() if n.kind == "Dense"][-1]
    assert win.lab.dataset.name == "arms" and last.params["units"] == 3
    c.change_settings("dataset", {"name": "blobs"})
    assert last.params["units"] == 4
    win.undo_stack.undo()
    assert win.lab.dataset.name == "arms" and graph.node(last.name).params["units"] == 3


@pytest.mark.slow
def test_the_class_count_of_a_multiclass_set_is_chosen_in_the_data_panel(qtbot, window):
    win, c = window
    win.load_template("multiclass_spiral")
    panel = c.data_panel
    assert panel.classes_row.isVisibleTo(panel) and panel.classes_spin.value() == 3
    panel.classes_spin.setValue(5)  # five arms: the output grows to five units, in one undoable step
    graph = win.lab.networks[0].graph
    last = [n for n in graph.nodes.values() if n.kind == "Dense"][-1]
    assert win.lab.dataset.options == {"classes": 5} and graph.node(last.name).params["units"] == 5
    win.undo_stack.undo()
    assert win.lab.dataset.options == {} and graph.node(last.name).params["units"] == 3
    assert panel.classes_spin.value() == 3
    win.load_template("spiral")
    assert not panel.classes_row.isVisibleTo(panel)
