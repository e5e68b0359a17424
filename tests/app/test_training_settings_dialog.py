"""Train > Training settings…: every setting set in the dialog is an undoable edit of the lab that reaches the
running trainer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

from playground.app import attach_training
from playground.graph import TRAINING_FIELDS
from playground.ui.training_settings import FULL_BATCH, GROUPS, RUN_UNTIL_STOPPED


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
    yield win, controller
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.close()
    win.deleteLater()


def open_dialog(qtbot, win):
    action = next(a for a in win.findChildren(type(win.undo_action)) if a.objectName() == "trainingSettingsAction")
    action.trigger()
    dialog = win.findChild(object, "trainingSettingsDialog")
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    return dialog


def type_number(qtbot, line: QLineEdit, text: str) -> None:
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)


@pytest.mark.slow
def test_every_setting_of_the_loop_has_an_editor_with_a_tooltip(qtbot, app_window):
    win, _c = app_window
    dialog = open_dialog(qtbot, win)
    names = [n for _title, group in GROUPS for n in group]
    for name in ("epochs", "schedule", "step_size", "gamma", "early_stopping", "patience", "grad_clip", "momentum",
                 "batch_size", "init"):
        assert name in names
    for name, editor in dialog.editors.items():
        help_text = next(p.help for p in TRAINING_FIELDS if p.name == name)
        assert editor.toolTip().startswith(help_text)
    assert "2 / (fan_in + fan_out)" in dialog.editors["init"].toolTip()


@pytest.mark.slow
def test_every_setting_set_in_the_dialog_reaches_the_trainer_and_undoes(qtbot, app_window):
    win, c = app_window
    seen = []
    c.session.snapshot.connect(seen.append)
    c.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].epoch >= 1, timeout=30000)
    c.toolbar.play_action.trigger()  # paused: the trainer takes its commands between steps all the same
    qtbot.waitUntil(lambda: seen[-1].state == "paused", timeout=10000)
    dialog = open_dialog(qtbot, win)
    e = dialog.editors

    def choose(name: str, text: str) -> None:
        combo = e[name]
        assert isinstance(combo, QComboBox)
        combo.setCurrentIndex(combo.findData(text))
        assert combo.currentData() == text

    def spin(name: str, value: int) -> None:
        box = e[name]
        assert isinstance(box, QSpinBox) and box.isEnabled()
        box.setValue(value)

    def check(box: QCheckBox) -> None:
        assert box.isEnabled()
        box.click()  # as a user's click does: toggled, then the edit

    choose("optimizer", "adamw")
    type_number(qtbot, e["weight_decay"], "0.05")
    choose("optimizer", "momentum")
    type_number(qtbot, e["momentum"], "0.5")
    type_number(qtbot, e["learning_rate"], "0.0003")
    spin("epochs", 500)
    check(e["early_stopping"])
    spin("patience", 7)
    spin("batch_size", 16)
    type_number(qtbot, e["grad_clip"], "1.5")
    choose("schedule", "step")
    spin("step_size", 5)
    type_number(qtbot, e["gamma"], "0.8")
    choose("regularization", "l2")
    type_number(qtbot, e["regularization_rate"], "0.002")
    choose("init", "xavier")
    expected = dict(optimizer="momentum", weight_decay=0.05, momentum=0.5, learning_rate=0.0003, epochs=500,
                    early_stopping=True, patience=7, batch_size=16, grad_clip=1.5, schedule="step", step_size=5,
                    gamma=0.8, regularization="l2", regularization_rate=0.002, init="xavier")

    def reached() -> bool:
        settings = c.session.trainer.settings
        return all(getattr(settings, k) == v for k, v in expected.items())

    qtbot.waitUntil(reached, timeout=10000)
    assert all(getattr(win.lab.training, k) == v for k, v in expected.items())
    assert dialog.isVisible()  # Return in a number field took the number and left the dialog open

    check(dialog.until_stopped)
    check(dialog.full_batch)
    expected.update(epochs=RUN_UNTIL_STOPPED, batch_size=FULL_BATCH)
    qtbot.waitUntil(reached, timeout=10000)
    assert not e["epochs"].isEnabled() and not e["batch_size"].isEnabled()

    win.undo_stack.undo()  # full batch, taken back: the dialog and the trainer follow
    expected.update(batch_size=16)
    qtbot.waitUntil(reached, timeout=10000)
    assert not dialog.full_batch.isChecked() and e["batch_size"].value() == 16
