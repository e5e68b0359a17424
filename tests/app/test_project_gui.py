"""Project files in the window: save while training (nothing pauses), open where it was, refuse bad files without
touching the open work, autosave and recovery after a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest
from PySide6.QtCore import QSettings

from playground.app import attach_training
from playground.app import projects as projects_module
from playground.app.projects import ProjectFiles
from playground.app.recovery import RecoveryManager
from playground.engine import commands as cmd
from playground.engine.project import load_project, save_project
from playground.engine.trainer import Trainer
from playground.graph import templates


@pytest.fixture
def warnings(monkeypatch):
    """QMessageBox.warning is modal: record what it would say instead."""
    said: list[str] = []
    monkeypatch.setattr(projects_module.QMessageBox, "warning", lambda _parent, _title, text: said.append(text))
    return said


def _window(qtbot, tmp_path, name="settings.ini"):
    from playground.app import new_window

    win = new_window(QSettings(str(tmp_path / name), QSettings.IniFormat))
    controller = attach_training(win)
    win.resize(1300, 850)
    win.show()
    qtbot.waitExposed(win)
    return win, controller


def _close(win, controller):
    win.undo_stack.setClean()
    win.document.discard_changes()  # nor its training: closing must not ask
    win.close()
    assert not controller.session.active
    win.deleteLater()


@pytest.fixture
def app_window(qtbot, tmp_path):
    win, controller = _window(qtbot, tmp_path)
    win.load_template("tensorflow_playground")
    endless(win)
    yield win, controller
    _close(win, controller)


def endless(win):
    """The template stops after 200 epochs, which a loaded machine's worker can reach before the GUI thread acts; a
    test that pauses or waits for a state needs a run that does not end by itself."""
    win.lab.training = win.lab.training.updated(epochs=1_000_000)


def _snapshots(controller):
    seen = []
    controller.session.snapshot.connect(seen.append)
    return seen


@pytest.mark.slow
def test_saving_while_training_pauses_nothing_and_reopening_goes_on_from_there(qtbot, app_window, tmp_path):
    win, c = app_window
    seen = _snapshots(c)
    c.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].epoch >= 3, timeout=30000)
    path = tmp_path / "run.nnp"
    assert win.save_as(str(path))
    qtbot.waitUntil(path.exists, timeout=10000)
    step_at_save = load_project(path).step
    qtbot.waitUntil(lambda: seen[-1].step > step_at_save + 50, timeout=10000)  # training went on
    assert seen[-1].state == "running"
    assert win.path == str(path) and win.undo_stack.isClean()
    assert win.isWindowModified()  # it trained on since the save: unsaved work, as an edit would be
    project = load_project(path)
    assert project.thumbnail is not None and project.thumbnail.startswith(b"\x89PNG")
    assert project.epoch >= 3 and project.trained_lab is None
    c.toolbar.play_action.trigger()  # pause
    qtbot.waitUntil(lambda: seen[-1].state == "paused", timeout=5000)

    # Open it again: the run is back as saved, paused, with its curves.
    win.undo_stack.setClean()
    win.document.set_unsaved_training("")  # it trained on after the save: drop that, as Discard would
    assert win.open_lab(str(path))
    seen = _snapshots(c)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].step == project.step, timeout=20000)
    snap = seen[-1]
    assert snap.state in ("ready", "paused") and snap.epoch == project.epoch
    assert list(snap.history["train_loss"]) == project.checkpoint["history"]["train_loss"]
    assert not c.views["loss"].is_empty

    # One step in the window gives the same loss as the same step of a headless run restored from the file.
    headless = Trainer(project.training_lab)
    headless.restore(project.checkpoint)
    headless.send(cmd.Step(batches=1))
    for _ in headless.run(interval=None):
        pass
    c.step(False)
    qtbot.waitUntil(lambda: seen[-1].step == project.step + 1, timeout=10000)
    # The loss of that step: the epoch's running loss, or, when the step ended the saved epoch, its row.
    ours, theirs = seen[-1].metrics, headless.snapshot().metrics
    key = "running_loss" if "running_loss" in theirs else "train_loss"
    assert ours[key] == theirs[key]


@pytest.mark.slow
def test_a_bad_project_leaves_the_open_work_untouched(qtbot, app_window, tmp_path, warnings):
    win, c = app_window
    lab, path_before = win.lab, win.path
    before = lab.to_json()
    c.step(False)  # a session with state of its own
    qtbot.waitUntil(lambda: c.session.trainer is not None and c.session.trainer.step == 1, timeout=20000)

    good = tmp_path / "good.nnp"
    trainer = Trainer(templates.build_template("spiral"), device="cpu")
    save_project(good, trainer.lab, trainer.checkpoint())
    blob = good.read_bytes()
    cases = {
        "truncated.nnp": blob[: len(blob) // 2],
        "flipped.nnp": blob[:300] + bytes([blob[300] ^ 0x40]) + blob[301:],
        "text.nnp": b"hello",
    }
    with zipfile.ZipFile(good) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    traversal = tmp_path / "traversal.nnp"
    with zipfile.ZipFile(traversal, "w") as zf:
        for n, d in entries.items():
            zf.writestr(n, d)
        zf.writestr("../../evil.py", b"print('hi')")
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    for name in [*cases, "traversal.nnp"]:
        assert not win.open_lab(str(tmp_path / name))
        assert name in warnings[-1], warnings[-1]
        assert win.lab is lab and win.path == path_before and lab.to_json() == before
        assert c.session.active and c.session.trainer.step == 1  # the run was not stopped or replaced
    assert "points outside the project" in warnings[-1]
    assert not (tmp_path.parent / "evil.py").exists()


@pytest.mark.slow
def test_weights_that_do_not_fit_are_refused_before_anything_changes(qtbot, app_window, tmp_path, warnings):
    win, c = app_window
    lab = win.lab
    trainer = Trainer(templates.build_template("spiral"), device="cpu")
    import hashlib
    import json

    from playground.engine.project import project_entries

    entries = project_entries(trainer.lab, trainer.checkpoint())
    entries["lab.json"] = templates.build_template("tensorflow_playground").to_json().encode()
    manifest = json.loads(entries["manifest.json"])
    manifest["files"]["lab.json"] = {"size": len(entries["lab.json"]),
                                     "sha256": hashlib.sha256(entries["lab.json"]).hexdigest()}
    entries["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(tmp_path / "mismatch.nnp", "w") as zf:
        for n, d in entries.items():
            zf.writestr(n, d)
    assert not win.open_lab(str(tmp_path / "mismatch.nnp"))
    assert "do not fit its graph" in warnings[-1] and win.lab is lab


@pytest.mark.slow
def test_a_lab_json_still_saves_as_a_lab(qtbot, app_window, tmp_path):
    win, _c = app_window
    assert win.save_as(str(tmp_path / "lab.json"))
    assert (tmp_path / "lab.json").read_text().lstrip().startswith("{")


@pytest.mark.slow
def test_a_save_requested_just_before_closing_is_written(qtbot, tmp_path):
    win, c = _window(qtbot, tmp_path)
    win.load_template("tensorflow_playground")
    seen = _snapshots(c)
    c.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].epoch >= 1, timeout=30000)
    path = tmp_path / "closing.nnp"
    assert win.save_as(str(path))
    _close(win, c)  # the worker answers before it stops; the answer is written on the way out
    assert load_project(path).step > 0


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.slow
def test_autosave_then_a_crash_is_offered_for_recovery(qtbot, tmp_path):
    folder = tmp_path / "recovery"
    win, c = _window(qtbot, tmp_path)
    win.load_template("tensorflow_playground")
    endless(win)
    manager = RecoveryManager(win, win.findChild(ProjectFiles), folder, interval_ms=200)
    assert not manager.needed()  # a fresh template: nothing to lose
    seen = _snapshots(c)
    c.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].epoch >= 2, timeout=30000)
    qtbot.waitUntil(lambda: manager.autosaves >= 1 and manager.path.exists(), timeout=10000)
    autosaved = load_project(manager.path)
    assert autosaved.step > 0 and autosaved.manifest["extra"]["pid"] == os.getpid()
    assert win.path is None  # an autosave is not the user's file
    c.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: seen[-1].state == "paused", timeout=5000)

    # "Crash": the file stays behind under a process that no longer runs.
    manager.timer.stop()
    crashed = folder / f"autosave-{_dead_pid()}.nnp"
    os.replace(manager.path, crashed)
    _close(win, c)
    assert crashed.exists()
    autosaved = load_project(crashed)  # the last autosave before the "crash"

    win2, c2 = _window(qtbot, tmp_path, "settings2.ini")
    manager2 = RecoveryManager(win2, win2.findChild(ProjectFiles), folder)
    questions = []
    assert manager2.offer(ask=lambda q: questions.append(q) or True)
    assert "did not close properly" in questions[0] and "TensorFlow Playground" in questions[0]
    assert not crashed.exists()
    assert win2.lab.name == autosaved.lab.name and win2.isWindowModified()
    seen2 = _snapshots(c2)
    qtbot.waitUntil(lambda: bool(seen2) and seen2[-1].step == autosaved.step, timeout=20000)
    _close(win2, c2)
    assert not manager2.path.exists()  # a clean close leaves nothing to recover


@pytest.mark.slow
def test_declining_recovery_deletes_the_file_and_a_clean_save_removes_the_autosave(qtbot, tmp_path):
    folder = tmp_path / "recovery"
    folder.mkdir()
    crashed = folder / f"autosave-{_dead_pid()}.nnp"
    save_project(crashed, templates.build_template("spiral"))
    win, c = _window(qtbot, tmp_path)
    manager = RecoveryManager(win, win.findChild(ProjectFiles), folder)
    assert not manager.offer(ask=lambda q: False)
    assert not crashed.exists() and win.lab is None

    win.load_template("spiral")
    win.lab.name = "Edited"
    win.document.mark_unsaved()
    assert manager.autosave() and manager.path.exists()
    assert win.save_as(str(tmp_path / "mine.nnp"))
    assert not manager.path.exists()
    _close(win, c)


@pytest.mark.slow
def test_a_broken_recovery_file_is_set_aside_with_a_message(qtbot, tmp_path):
    folder = tmp_path / "recovery"
    folder.mkdir()
    crashed = folder / f"autosave-{_dead_pid()}.nnp"
    crashed.write_bytes(b"PK\x03\x04broken")
    win, c = _window(qtbot, tmp_path)
    manager = RecoveryManager(win, win.findChild(ProjectFiles), folder)
    assert not manager.offer(ask=lambda q: pytest.fail("must not ask about a broken file"))
    assert not crashed.exists() and crashed.with_suffix(".broken").exists()
    _close(win, c)


@pytest.mark.slow
def test_a_state_the_trainer_refuses_is_reported(qtbot, app_window, tmp_path):
    win, c = app_window
    trainer = Trainer(templates.build_template("spiral"), device="cpu")
    trainer.send(cmd.Step(batches=3))
    for _ in trainer.run(interval=None):
        pass
    ckpt = trainer.checkpoint()
    import torch

    ckpt["tensors"]["optimizer/model/0/exp_avg"] = torch.zeros(3, 3)
    save_project(tmp_path / "odd.nnp", trainer.lab, ckpt)
    assert win.open_lab(str(tmp_path / "odd.nnp"))  # the file itself is sound; the trainer refuses its state
    qtbot.waitUntil(lambda: c.message_banner.isVisible(), timeout=20000)
    text = c.message_banner.label.text()
    assert "Could not go on from" in text and "does not fit parameter 0" in text
