"""Your own data in the window: File > Open data… (and a dropped file) opens the table dialog, the lab learns the
table and trains; points drawn on the Output view's plane join the lab, its undo stack and a running trainer."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from playground.app import attach_training
from playground.app.own_data_window import OwnDataPresenter

CSV = "sepal,petal,width,species\n" + "".join(
    f"{k + 0.15 * (i % 4)},{2 * k + 0.1 * (i % 3)},{(i * 7) % 5},{'abc'[k]}\n" for i in range(45) for k in [i % 3])


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from playground.app import new_window

    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "cache"))
    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    controller = attach_training(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.load_template("tensorflow_playground")
    win.lab.training = win.lab.training.updated(epochs=1_000_000)
    yield win, controller
    win.undo_stack.setClean()
    win.document.discard_changes()  # nor its training: closing must not ask
    win.close()
    assert not controller.session.active
    win.deleteLater()


def _own_data(win):
    return win.findChild(OwnDataPresenter)


def table_file(tmp_path, text=CSV, name="flowers.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def snapshots(controller):
    seen = []
    controller.session.snapshot.connect(seen.append)
    return seen


@pytest.mark.slow
def test_open_data_shows_the_columns_and_the_lab_learns_the_table(qtbot, window, tmp_path):
    win, c = window
    assert win.findChild(type(_own_data(win).open_data_action), "openDataAction") is not None
    dialog = _own_data(win).open_data(table_file(tmp_path))
    assert dialog is not None and dialog.isVisible()
    assert dialog.label_combo.currentText() == "species" and dialog.task_combo.currentData() == "classification"
    assert dialog.choice().features == ["sepal", "petal", "width"]
    assert "45 rows: 23 to train, 22 to test." in dialog.summary.text()
    assert "3 classes of 'species'" in dialog.summary.text() and "mean" in dialog.summary.text()
    assert "Input 'input_1': 3 features (was 2)" in dialog.summary.text()
    # A choice that cannot train is explained, and OK waits for a better one.
    dialog.task_combo.setCurrentIndex(dialog.task_combo.findData("regression"))
    assert not dialog.ok_button.isEnabled() and "holds text" in dialog.summary.text()
    dialog.task_combo.setCurrentIndex(dialog.task_combo.findData("classification"))
    dialog.set_feature("width", False)  # two features: the plane views draw the table
    assert "Input 'input_1'" not in dialog.summary.text() and dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    lab = win.lab
    assert lab.dataset.name == "table" and lab.dataset.features == ["sepal", "petal"]
    assert lab.dataset.options["label"] == "species" and len(lab.dataset.options["sha256"]) == 64
    graph = lab.networks[0].graph
    assert graph.node("dense_3").params["units"] == 3
    assert c.docks["boundary"].isVisible()
    # Train a few steps: the Output view draws the table's points and the network over them.
    seen = snapshots(c)
    for _ in range(3):
        c.step(False)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].step >= 3 and "boundary" in seen[-1].probes, timeout=30000)
    assert seen[-1].dataset["train_points"].shape == (23, 2)
    assert np.isfinite(seen[-1].metrics["train_loss"])
    boundary = c.views["boundary"]
    assert not boundary.is_empty
    assert seen[-1].class_names == ("a", "b", "c") and "a" in boundary.legend.text()
    axis = boundary.plot.getPlotItem().getAxis("bottom")
    assert axis.labelText == "sepal"
    # One undo takes the whole change back.
    c.session.stop()
    win.undo_stack.undo()
    assert win.lab.dataset.name == "circle" and graph.node("dense_3").params["units"] == 2


@pytest.mark.slow
def test_a_table_of_many_features_trains_without_the_plane(qtbot, window, tmp_path):
    win, c = window
    dialog = _own_data(win).open_data(table_file(tmp_path))
    dialog.accept()
    assert win.lab.networks[0].graph.node("input_1").params["features"] == 3
    assert not c.docks["boundary"].isVisible() and not c.docks["feature_maps"].isVisible()
    seen = snapshots(c)
    c.step(False)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].step >= 1, timeout=30000)
    assert seen[-1].task == "classification"
    assert "Your table flowers.csv: 3 features (sepal, petal, width) → 'species'" in c.data_panel.note.text()
    # Undo goes back to the circle, and its plane views come back with it.
    c.session.stop()
    win.undo_stack.undo()
    assert win.lab.dataset.name == "circle" and c.docks["boundary"].isVisible()


@pytest.mark.slow
def test_a_bad_file_is_refused_with_one_line_and_nothing_changes(qtbot, window, tmp_path):
    win, c = window
    before = win.lab.to_dict()
    assert _own_data(win).open_data(table_file(tmp_path, "a,b\n1,2\n3,4,5\n", "ragged.csv")) is None
    assert c.message_banner.label.text() == "ragged.csv line 3: 3 values, but the header (line 1) names 2 columns"
    assert win.lab.to_dict() == before


@pytest.mark.slow
def test_a_table_dropped_on_the_window_opens_the_dialog(qtbot, window, tmp_path):
    win, _c = window
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(table_file(tmp_path))])
    pos = QPointF(win.width() / 2, win.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, drop)
    assert _own_data(win).dialog is not None and _own_data(win).dialog.isVisible()
    assert "flowers.csv" in _own_data(win).dialog.windowTitle()
    _own_data(win).dialog.reject()


def _viewport_pos(drawer, x, y):
    scene = drawer._vb.mapViewToScene(QPointF(x, y))
    return drawer.view.plot.mapFromScene(scene)


@pytest.mark.slow
def test_points_drawn_on_the_plane_join_the_lab_and_the_running_trainer(qtbot, window):
    win, c = window
    drawer = _own_data(win).drawer
    assert drawer.draw_button.isVisible() and not drawer.row.isVisible() and drawer.class_combo.count() == 2
    seen = snapshots(c)
    drawer.draw_button.setChecked(True)  # starts a paused trainer, so the plane shows before the first Play
    qtbot.waitUntil(lambda: bool(seen) and not c.views["boundary"].is_empty, timeout=30000)
    base = seen[-1].dataset["train_points"].shape[0]
    # A click with the real mouse adds one point of the chosen class where it lands.
    drawer.class_combo.setCurrentIndex(1)
    viewport = c.views["boundary"].plot.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=_viewport_pos(drawer, 2.0, -3.0))
    drawn = win.lab.dataset.options["drawn"]
    assert len(drawn) == 1 and drawn[0][2] == 1
    assert abs(drawn[0][0] - 2.0) < 0.1 and abs(drawn[0][1] + 3.0) < 0.1
    # A drag paints several, in one undoable edit.
    drawer.class_combo.setCurrentIndex(0)
    drawer.press(-4.0, 0.0)
    for k in range(1, 11):
        drawer.move(-4.0 + 0.3 * k, 0.0)
    drawer.release()
    assert len(win.lab.dataset.options["drawn"]) == 12 and drawer.count_label.text() == "12 drawn"
    assert win.undo_stack.undoText() == "Draw 11 points" and drawer.row.isVisible()
    # The running trainer took them: its training split grew by the points drawn.
    c.step(False)
    qtbot.waitUntil(lambda: seen[-1].dataset["train_points"].shape[0] == base + 12, timeout=30000)
    # Erase removes the drawn points under the stroke; undo brings them back.
    drawer.erase_button.setChecked(True)
    assert not drawer.draw_button.isChecked()
    drawer.press(-2.5, 0.0)
    drawer.release()
    remaining = len(win.lab.dataset.options["drawn"])
    assert remaining < 12
    win.undo_stack.undo()
    assert len(win.lab.dataset.options["drawn"]) == 12 and len(drawer.drawn) == 12
    drawer.clear_button.click()
    assert "drawn" not in win.lab.dataset.options and drawer.count_label.text() == ""


@pytest.mark.slow
def test_the_draw_row_offers_a_value_for_regression_and_hides_off_the_plane(qtbot, window):
    win, c = window
    c.change_settings("dataset", {"name": "plane"})  # a regression set: the task switches with it
    drawer = _own_data(win).drawer
    assert win.lab.task == "regression" and drawer.value_spin.isVisibleTo(drawer.row)
    assert not drawer.class_combo.isVisibleTo(drawer.row)
    drawer.value_spin.setValue(-0.5)
    drawer.draw_button.setChecked(True)
    drawer.press(1.0, 1.0)
    drawer.release()
    assert win.lab.dataset.options["drawn"] == [[1.0, 1.0, -0.5]]
    win.load_template("lenet")
    assert not drawer.row.isVisibleTo(c.views["boundary"]) and not drawer.draw_button.isVisibleTo(c.views["boundary"])


@pytest.mark.slow
def test_the_draw_row_offers_every_class_of_a_multi_class_set(qtbot, window):
    win, c = window
    c.change_settings("dataset", {"name": "blobs"})
    drawer = _own_data(win).drawer
    names = [drawer.class_combo.itemText(i) for i in range(drawer.class_combo.count())]
    assert names == ["orange", "blue", "green", "purple"]
    drawer.draw_button.setChecked(True)
    drawer.class_combo.setCurrentIndex(3)
    drawer.press(0.0, 0.0)
    drawer.release()
    assert win.lab.dataset.options["drawn"] == [[0.0, 0.0, 3]]
