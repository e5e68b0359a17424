"""Issue 11, robustness of the shell: trained weights count as unsaved work, the offer to recover after a crash
does not block the window, and File > Export reads a running trainer only through a command, on a thread of its
own. (Quitting fast is tested with a real process in test_quit.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from playground.app import attach_app, attach_training
from playground.app.exporting import ExportActions
from playground.app.projects import ProjectFiles
from playground.app.recovery import RecoveryManager
from playground.engine import commands as cmd
from playground.engine.project import load_project, save_project
from playground.graph import templates
from playground.runtime import TrainingSession


def _window(qtbot, tmp_path, setup=attach_training):
    from playground.app import new_window

    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    controller = setup(win)
    win.resize(1300, 850)
    win.show()
    qtbot.waitExposed(win)
    return win, controller


def _close(win):
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.close()
    win.deleteLater()


def _snapshots(controller):
    seen = []
    controller.session.snapshot.connect(seen.append)
    return seen


def _step(qtbot, controller, seen, batches=3):
    """Train ``batches`` batches with Step (no timing involved) and wait until the window has seen them."""
    before = seen[-1].step if seen else 0
    for _ in range(batches):
        controller.step(False)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].step >= before + batches and seen[-1].state == "paused",
                    timeout=20000)


class Asked(list):
    answer = QMessageBox.StandardButton.Cancel


@pytest.fixture
def questions(monkeypatch):
    """Answer the window's Save/Discard/Cancel question with ``questions.answer``; record what it asked."""
    asked = Asked()

    def question(_parent, _title, text, *_args):
        asked.append(text)
        return asked.answer

    monkeypatch.setattr("playground.ui.main_window.QMessageBox.question", question)
    return asked


# 1. Training since the last save is unsaved work ------------------------------------------------------------------

@pytest.mark.slow
def test_trained_weights_not_saved_are_unsaved_work(qtbot, tmp_path, questions):
    win, c = _window(qtbot, tmp_path)
    win.load_template("tensorflow_playground")
    assert not win.isWindowModified()  # a fresh template: nothing to lose
    seen = _snapshots(c)
    _step(qtbot, c, seen)
    assert win.undo_stack.isClean() and win.isWindowModified()  # no edit, but trained weights

    win.close()  # Ctrl+Q: asks, and Cancel keeps the window and its run
    assert len(questions) == 1 and "unsaved training" in questions[0] and "step 3" in questions[0]
    assert win.isVisible() and c.session.active

    path = tmp_path / "trained.nnp"
    assert win.save_as(str(path))
    qtbot.waitUntil(path.exists, timeout=10000)
    assert load_project(path).step == 3
    qtbot.waitUntil(lambda: not win.isWindowModified(), timeout=5000)  # the file holds the run
    _step(qtbot, c, seen, batches=1)
    assert win.isWindowModified()  # it trained on: unsaved again

    questions.answer = QMessageBox.StandardButton.Save
    win.close()  # Save on the way out writes the run as it is now, then closes
    assert not win.isVisible() and load_project(path).step == 4
    win.deleteLater()


@pytest.mark.slow
def test_saving_training_of_a_lab_file_asks_for_a_project_file(qtbot, tmp_path, questions, monkeypatch):
    win, c = _window(qtbot, tmp_path)
    win.load_template("tensorflow_playground")
    assert win.save_as(str(tmp_path / "lab.json"))  # a lab file holds no weights
    seen = _snapshots(c)
    _step(qtbot, c, seen)
    assert win.isWindowModified()
    project = tmp_path / "with_weights.nnp"
    offered = []

    def save_dialog(_parent, _title, suggested, _filters):
        offered.append(suggested)
        return str(project), ""

    monkeypatch.setattr("playground.ui.main_window.QFileDialog.getSaveFileName", save_dialog)
    questions.answer = QMessageBox.StandardButton.Save
    win.close()
    assert offered and offered[0].endswith(".nnp")
    assert not win.isVisible() and load_project(project).step == 3
    win.deleteLater()


# 3. The offer to recover after a crash does not block the window ------------------------------------------------

def _crashed_file(folder):
    folder.mkdir(exist_ok=True)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid is no longer running: its autosave is an orphan
    path = folder / f"autosave-{child.pid}.nnp"
    lab = templates.build_template("spiral")
    lab.name = "Crashed spiral"
    save_project(path, lab, extra={"autosaved": "2026-01-01 10:00:00"})
    return path


@pytest.fixture
def modal():
    """Every modal dialog that opens (closed at once: it would hold everything up, the test included)."""
    opened: list[str] = []

    def close_modal_dialogs():
        box = QApplication.activeModalWidget()
        if box is not None:
            opened.append(box.windowTitle())
            box.close()

    watcher = QTimer()
    watcher.timeout.connect(close_modal_dialogs)
    watcher.start(20)
    yield opened
    watcher.stop()


def test_recovery_is_offered_in_a_banner_while_the_command_line_start_trains(qtbot, tmp_path, monkeypatch,
                                                                              questions, modal):
    folder = tmp_path / "recovery"
    crashed = _crashed_file(folder)
    monkeypatch.setenv("PLAYGROUND_RECOVERY_DIR", str(folder))
    # What `playground open --template tensorflow_playground --play` does (see ui.main_window.launch).
    win, c = _window(qtbot, tmp_path, setup=attach_app)
    win.load_template("tensorflow_playground")
    seen = _snapshots(c)
    win.train_requested.emit()
    banner = win.findChild(RecoveryManager).banner
    qtbot.waitUntil(lambda: banner.isVisible() and bool(seen) and seen[-1].step > 0, timeout=20000)
    assert "Crashed spiral" in banner.label.text() and "did not close properly" in banner.label.text()
    assert win.lab.name != "Crashed spiral" and crashed.exists()
    assert not modal

    questions.answer = QMessageBox.StandardButton.Discard  # the template's run may go
    banner.recover_button.click()
    assert questions and "unsaved training" in questions[-1]
    assert win.lab.name == "Crashed spiral" and win.isWindowModified()
    assert not banner.isVisible() and not crashed.exists()
    _close(win)


def test_discarding_the_offered_recovery_deletes_it(qtbot, tmp_path, modal):
    folder = tmp_path / "recovery"
    crashed = _crashed_file(folder)
    win, _c = _window(qtbot, tmp_path)

    manager = RecoveryManager(win, win.findChild(ProjectFiles), folder)
    assert not manager.offer()  # returns at once: the banner asks
    assert not modal and manager.banner.isVisible() and crashed.exists()
    manager.banner.discard_button.click()
    assert not manager.banner.isVisible() and not crashed.exists() and win.lab is None
    _close(win)


# 4. Export reads the trainer through a command and runs off the GUI thread ----------------------------------------

@pytest.fixture
def trainer_reads(monkeypatch):
    """Every read of ``session.trainer`` from the GUI thread (the export used to copy the live weights from there)."""
    reads: list[str] = []
    original = TrainingSession.trainer

    def trainer(self):
        if threading.current_thread() is threading.main_thread():
            reads.append("gui")
        return original.fget(self)

    monkeypatch.setattr(TrainingSession, "trainer", property(trainer))
    return reads


@pytest.mark.slow
def test_export_while_training_takes_the_state_by_command_and_writes_on_another_thread(
        qtbot, tmp_path, monkeypatch, trainer_reads):
    import playground.engine.export as export_module

    win, c = _window(qtbot, tmp_path)
    win.load_template("tensorflow_playground")
    # The template stops after 200 epochs, which a loaded machine reaches before the export's thread is seen.
    win.lab.training = win.lab.training.updated(epochs=1_000_000)
    seen = _snapshots(c)
    c.set_playing(True)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].state == "running" and seen[-1].step > 5, timeout=20000)
    real_export = export_module.export_source
    release = threading.Event()
    calls = []

    def slow_export(source, fmt, to, *args, **kwargs):  # a .pt2 export takes seconds: stand in for that
        calls.append((threading.current_thread() is threading.main_thread(), source))
        release.wait(10)
        return real_export(source, fmt, to, *args, **kwargs)

    monkeypatch.setattr(export_module, "export_source", slow_export)
    actions = win.findChild(ExportActions)
    assert actions.export_to("py", str(tmp_path / "model.py"))  # returns at once
    bar = win.findChild(type(actions._busy_bar), "exportBusyBar")
    qtbot.waitUntil(lambda: bool(calls) and bar.isVisible(), timeout=20000)  # the window goes on meanwhile
    assert seen[-1].state == "running"
    on_gui_thread, source = calls[0]
    assert not on_gui_thread and source.origin == "training"
    with qtbot.waitSignal(actions.export_finished, timeout=60000) as done:
        release.set()
    text, ok = done.args
    assert ok, text
    assert (tmp_path / "model.py").exists() and not bar.isVisible()
    assert not trainer_reads  # the GUI thread never touched the trainer
    c.set_playing(False)
    _close(win)


@pytest.mark.slow
def test_a_failing_export_is_one_message(qtbot, tmp_path, monkeypatch):
    import playground.engine.export as export_module

    warned = []
    monkeypatch.setattr("playground.app.exporting.QMessageBox.warning", lambda *args: warned.append(args[2]))

    def broken(*_args, **_kwargs):
        raise export_module.ExportError("the disk is full")

    monkeypatch.setattr(export_module, "export_source", broken)
    win, c = _window(qtbot, tmp_path)
    win.load_template("tensorflow_playground")
    seen = _snapshots(c)
    _step(qtbot, c, seen)
    actions = win.findChild(ExportActions)
    with qtbot.waitSignal(actions.export_finished, timeout=60000) as done:
        actions.export_to("onnx", str(tmp_path / "m.onnx"))
    assert done.args == ["Export failed: the disk is full", False]
    assert warned == ["Export failed: the disk is full"]
    _close(win)


def test_the_stop_snapshot_computes_no_probes():
    """Stopping used to compute every probe once more for a snapshot nobody draws (seconds for a GAN's or a text
    model's views), and each stop, each quit, waited for it."""
    from playground.engine.trainer import Trainer

    trainer = Trainer(templates.build_template("spiral"), device="cpu", probes={"boundary"})
    computed = []
    compute = trainer._probes.compute
    trainer._probes.compute = lambda names: computed.append(tuple(names)) or compute(names)
    trainer.send(cmd.Step(batches=2))
    run = trainer.run(interval=None, stop_when_idle=False)
    snap = next(run)
    while snap.state != "paused":
        snap = next(run)
    assert computed  # the views' probes, for the snapshots that are drawn
    count = len(computed)
    trainer.send(cmd.Stop())
    last = next(run)
    assert last.state == "stopped" and last.step == 2
    assert len(computed) == count and "boundary" in last.probes  # the last results again, none computed


def test_app_modules_never_read_the_trainer_from_the_gui_thread():
    """The composition root reads a running trainer only through commands (session.take_state)."""
    import playground

    root = os.path.join(os.path.dirname(playground.__file__), "app")
    names = [os.path.join(folder, name) for folder, _dirs, files in os.walk(root) for name in files
             if name.endswith(".py")]
    assert len(names) >= 10  # the package, not an empty folder
    for name in names:
        with open(name, encoding="utf-8") as f:
            assert "session.trainer" not in f.read(), name
