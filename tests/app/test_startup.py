"""Start-up: the window is built and painted without PyTorch, which a background thread imports after the first
paint; a request that needs the engine before then waits, says so, and goes on by itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from playground.app import attach_app, new_window
from playground.app.startup import LOADING_TEXT, DeferredStart, EngineLoader

# Runs the app's own start (run_app, as `playground open --template lenet` does) in a fresh interpreter and
# records, on the import graph itself, which thread first imports torch and whether the window had painted by then.
SCRIPT = """
import os, sys, threading
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

seen = {"painted": False}

class TorchWatch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and "torch_thread" not in seen:
            seen["torch_thread"] = threading.current_thread().name
            seen["painted_before_torch"] = seen["painted"]
        return None

sys.meta_path.insert(0, TorchWatch())

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and type(obj).__name__ == "MainWindow" and not seen["painted"]:
            seen["painted"] = True
            seen["torch_at_paint"] = any(m == "torch" or m.startswith("torch.") for m in sys.modules)
            seen["engine_at_paint"] = sorted(m for m in sys.modules if m.startswith(("playground.engine",
                                             "playground.runtime", "playground.compile")))
            from playground.app.startup import DeferredStart
            start = obj.findChild(DeferredStart)
            start.ready.connect(lambda: done(obj))
        return False

def done(window):
    from playground.app.presenters.training import TrainingPresenter
    seen["attached"] = window.findChild(TrainingPresenter) is not None
    print("SEEN", seen, flush=True)
    os._exit(0)

app = QApplication(sys.argv[:1])
watch = FirstPaint()
app.installEventFilter(watch)
from playground.app import run_app
run_app(["--template", "lenet"])
"""


@pytest.mark.slow
def test_the_window_paints_before_torch_is_imported_and_torch_loads_off_the_gui_thread(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PLAYGROUND_RECOVERY_DIR=str(tmp_path / "recovery"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=240, env=env,
                         check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("SEEN ")), None)
    assert line is not None, out.stdout[-2000:] + out.stderr[-3000:]
    seen = eval(line[5:])  # a dict literal printed by the child
    assert seen["painted"] and not seen["torch_at_paint"], seen
    assert seen["engine_at_paint"] == [], seen
    assert seen["painted_before_torch"], seen
    assert seen["torch_thread"] == "import-engine", seen  # never the GUI thread
    assert seen["attached"], seen


@pytest.mark.slow
def test_play_pressed_while_pytorch_loads_waits_says_so_and_starts_by_itself(qtbot, tmp_path: Path) -> None:
    window = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    presenters: list[object] = []
    start = DeferredStart(window, lambda: presenters.append(attach_app(window)), loader=EngineLoader(("torch",)))
    window.show()
    window.load_template("mnist_1_layer")
    assert window.play_action.isEnabled()  # not greyed out while the engine loads
    window.play_action.trigger()  # Space or Train > Play before the engine is there
    assert start.pending == [("train_requested", ())]
    assert start.indicator is not None and start.indicator.label.text() == LOADING_TEXT
    assert start.indicator.bar.maximum() == 0  # a busy bar, not a progress the app cannot know
    assert "as soon as PyTorch is loaded" in window.statusBar().currentMessage()
    with qtbot.waitSignal(start.ready, timeout=120_000):
        pass  # the request itself started the loader
    training = presenters[0]
    try:
        assert start.attached and start.indicator is None and start.pending == []
        qtbot.waitUntil(lambda: training.last_snapshot is not None and training.last_snapshot.state == "running",
                        timeout=60_000)
    finally:
        training.session.stop()
        window.undo_stack.setClean()
        window.document.discard_changes()


def test_a_failed_import_leaves_the_editor_and_says_why(qtbot, tmp_path: Path) -> None:
    window = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    attached: list[bool] = []
    start = DeferredStart(window, lambda: attached.append(True), loader=EngineLoader(("playground.no_such_engine",)))
    window.show()
    with qtbot.waitSignal(start.loader.failed, timeout=10_000):
        start.start()
    assert not attached and not start.attached
    assert "could not be loaded" in window.statusBar().currentMessage()


@pytest.mark.slow
def test_a_lesson_chosen_on_the_start_page_while_pytorch_loads_opens_when_it_is_in(qtbot, tmp_path: Path) -> None:
    window = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    presenters: list[object] = []
    start = DeferredStart(window, lambda: presenters.append(attach_app(window)), loader=EngineLoader(("torch",)))
    window.show()
    window.start_page.first_lesson.click()  # the newcomer's button, before the engine is there
    assert start.pending and start.pending[0][0] == "start_page.lesson_chosen"
    assert start.indicator is not None
    with qtbot.waitSignal(start.ready, timeout=120_000):
        pass
    qtbot.waitUntil(lambda: window.lab is not None, timeout=30_000)  # the lesson opened its lab
    window.undo_stack.setClean()
    window.document.discard_changes()
