"""Freezing layers and copying weights in the real window: the lock is an undoable edit drawn on the node and sent
to a running training; File > Copy weights from… previews which layers fit and copies them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox

from playground.app import attach_training
from playground.app.presenters.transfer import TransferPresenter
from playground.engine.project import save_project
from playground.engine.trainer import Trainer
from playground.graph import Lab
from playground.graph.templates import sequential, tensorflow_playground


@pytest.fixture
def app_window(qtbot, tmp_path):
    from playground.app import new_window

    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    controller = attach_training(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.load_template("tensorflow_playground")
    win.lab.training = win.lab.training.updated(epochs=1_000_000)
    presenter = win.findChild(TransferPresenter)
    assert presenter is not None
    yield win, controller, presenter
    if presenter.dialog is not None:
        presenter.dialog.reject()
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.close()
    win.deleteLater()


def _first_dense(win) -> str:
    return next(n.name for n in win.lab.network("model").graph.nodes.values() if n.kind == "Dense")


@pytest.mark.slow
def test_freezing_from_the_inspector_locks_the_node_and_undo_unlocks_it(qtbot, app_window):
    win, _c, presenter = app_window
    layer = _first_dense(win)
    action = win.findChild(QAction, "freezeLayerAction")
    assert action is presenter.freeze_action and action in win.canvas.node_actions
    win.canvas.select_nodes([layer])
    assert action.isEnabled() and not action.isChecked()
    assert presenter.freeze_action.isVisible()
    action.trigger()
    assert win.lab.frozen == {"model": [layer]}
    assert win.canvas.node_item(layer).frozen and action.isChecked()
    assert "frozen" in win.lab.to_dict()
    win.undo_stack.undo()
    assert win.lab.frozen == {} and not win.canvas.node_item(layer).frozen and not action.isChecked()
    win.undo_stack.redo()
    assert win.canvas.node_item(layer).frozen


@pytest.mark.slow
def test_a_lock_follows_its_layer_when_renamed(qtbot, app_window):
    win, _c, presenter = app_window
    layer = _first_dense(win)
    presenter.freeze("model", layer, True)
    win.lab.network("model").graph.rename_node(layer, "trunk")
    assert win.lab.frozen == {"model": ["trunk"]}
    qtbot.waitUntil(lambda: win.canvas.node_item("trunk").frozen, timeout=2000)


@pytest.mark.slow
def test_freezing_every_layer_with_weights_is_refused(qtbot, app_window):
    win, _c, presenter = app_window
    dense = [n.name for n in win.lab.network("model").graph.nodes.values() if n.kind == "Dense"]
    for name in dense[:-1]:
        assert presenter.freeze("model", name, True)
    assert not presenter.freeze("model", dense[-1], True)
    assert win.lab.frozen == {"model": dense[:-1]}


@pytest.mark.slow
def test_freezing_reaches_a_running_training(qtbot, app_window):
    win, c, presenter = app_window
    layer = _first_dense(win)
    assert c.ensure_session(run=False)
    qtbot.waitUntil(lambda: c.session.trainer is not None, timeout=20000)
    presenter.freeze("model", layer, True)
    qtbot.waitUntil(lambda: c.session.trainer.lab.frozen == {"model": [layer]}, timeout=20000)
    module = c.session.trainer.task.modules()["model"]
    qtbot.waitUntil(lambda: not any(p.requires_grad for n, p in module.named_parameters()
                                    if n.startswith(layer + ".")), timeout=20000)


@pytest.mark.slow
def test_copy_weights_from_a_project_previews_then_sets_the_starting_weights_undoably(qtbot, app_window, tmp_path):
    win, _c, presenter = app_window
    menu_actions = [a for m in win.menuBar().findChildren(QMenu) for a in m.actions()]
    assert win.findChild(QAction, "copyWeightsAction") in menu_actions
    lab = tensorflow_playground()
    lab.seed = 5
    source = Trainer(lab, device="cpu", fast_path=False)
    source.train(epochs=1)
    path = tmp_path / "trained.nnp"
    save_project(path, source.lab, source.checkpoint())
    dialog = presenter.copy_from_project(str(path))
    assert dialog is not None and dialog.table.rowCount() == 3
    assert all("copied" in dialog.table.item(i, 1).text() for i in range(3))
    dialog.into_start.setChecked(True)
    dialog.accept()
    given = win.lab.task_options["initial_weights"]["model"]
    expected = source.task.modules()["model"].state_dict()
    for key, value in expected.items():
        assert given[key] == value.double().tolist()
    win.undo_stack.undo()
    assert "initial_weights" not in win.lab.task_options


@pytest.mark.slow
def test_copy_weights_from_a_project_that_does_not_fit_names_each_mismatch_and_changes_nothing(
        qtbot, app_window, tmp_path):
    win, _c, presenter = app_window
    other = Lab(name="Other", task="classification")
    other.add_network("model", "model", sequential([("Input", {"kind": "vector", "features": 2}),
                                                    ("Dense", {"units": 2}), ("Output", {"head": "classification"})]))
    trainer = Trainer(other, device="cpu", fast_path=False)
    trainer.train(epochs=1)
    path = tmp_path / "other.nnp"
    save_project(path, trainer.lab, trainer.checkpoint())
    before = win.lab.to_json()
    assert presenter.copy_from_project(str(path)) is None
    box = win.findChild(QMessageBox, "copyWeightsMessage")
    assert box is not None
    dense = [n.name for n in win.lab.network("model").graph.nodes.values() if n.kind == "Dense"]
    assert all(f"{name}:" in box.text() for name in dense)
    box.reject()
    assert win.lab.to_json() == before


@pytest.mark.slow
def test_a_lessons_freeze_action_locks_the_layer_undoably(qtbot, app_window):
    from playground.app.presenters.lessons import LessonPresenter
    from playground.lessons import parse_actions

    win, _c, _presenter = app_window
    lessons = win.findChild(LessonPresenter)
    layer = _first_dense(win)
    lessons.perform(parse_actions(f"freeze {layer}")[0])
    assert win.lab.frozen == {"model": [layer]} and win.canvas.node_item(layer).frozen
    win.undo_stack.undo()
    assert win.lab.frozen == {}
