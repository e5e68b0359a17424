"""The time machine's moments saved with a project and back in the window: after reopening, the slider scrubs
the moments the run was saved with; a damaged moments part opens the rest with a message naming it."""

from __future__ import annotations

import zipfile

import pytest
from PySide6.QtWidgets import QSlider

from playground.app.presenters.time_machine import TimeMachinePresenter
from playground.engine.project import load_project
from playground.engine.project_format import MOMENTS_TENSORS
from playground.snapshots.health import Timeline


@pytest.mark.slow
def test_a_reopened_project_scrubs_the_moments_it_was_saved_with(qtbot, app_window, tmp_path):
    win, c = app_window
    presenter = win.findChild(TimeMachinePresenter)
    win.load_template("spiral")
    win.lab.training = win.lab.training.updated(epochs=1_000_000)
    slider = win.findChild(QSlider, "timeMachineSlider")
    c.set_playing(True)
    qtbot.waitUntil(lambda: slider.maximum() >= 3, timeout=120_000)
    c.set_playing(False)
    qtbot.waitUntil(lambda: c.last_snapshot is not None and c.last_snapshot.state == "paused", timeout=30_000)
    path = tmp_path / "run.nnp"
    assert win.save_as(str(path))
    qtbot.waitUntil(path.exists, timeout=30_000)
    saved = [m["step"] for m in load_project(path).checkpoint["moments"]["moments"]]
    assert len(saved) >= 3

    win.undo_stack.setClean()
    win.document.set_unsaved_training("")
    win.load_template("tensorflow_playground")  # something else first: the moments must come from the file
    assert win.open_lab(str(path))
    # The saved moments, and perhaps one more at the step it was saved at (taken when the reopened run resumes).
    qtbot.waitUntil(lambda: c.last_snapshot is not None and Timeline in c.last_snapshot.probes
                    and list(c.last_snapshot.probes[Timeline].steps)[:len(saved)] == saved, timeout=60_000)
    qtbot.waitUntil(lambda: slider.maximum() >= len(saved), timeout=10_000)  # the last position is now
    slider.setValue(1)  # as a drag would
    qtbot.waitUntil(lambda: presenter.moment is not None, timeout=60_000)
    assert presenter.moment.step == saved[1]

    with zipfile.ZipFile(path) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    entries[MOMENTS_TENSORS] = entries[MOMENTS_TENSORS][:-1] + bytes([entries[MOMENTS_TENSORS][-1] ^ 0xFF])
    damaged = tmp_path / "damaged.nnp"
    with zipfile.ZipFile(damaged, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    presenter.bar.now_button.click()
    win.undo_stack.setClean()
    win.document.set_unsaved_training("")
    assert win.open_lab(str(damaged))
    assert "moments" in win.statusBar().currentMessage() and MOMENTS_TENSORS in win.statusBar().currentMessage()
