"""File > Export and File > Import model in the window: trained weights out, views as images, the boundary as a GIF."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings

from playground.app import attach_training
from playground.app.exporting import ExportActions


@pytest.fixture
def app_window(qtbot, tmp_path):
    from playground.app import new_window

    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    controller = attach_training(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.load_template("tensorflow_playground")
    yield win, controller
    win.undo_stack.setClean()
    win.document.discard_changes()  # nor its training: closing must not ask
    win.close()
    win.deleteLater()


def export(qtbot, actions, fmt, path):
    """Export as the menu does, and wait for the outcome (the export runs on a thread of its own)."""
    with qtbot.waitSignal(actions.export_finished, timeout=120000) as blocker:
        assert actions.export_to(fmt, path)
    text, ok = blocker.args
    assert ok, text
    return text


@pytest.mark.slow
def test_the_file_menu_offers_every_export_and_the_import(app_window, monkeypatch, tmp_path):
    win, _c = app_window
    offered = []

    def cancel(_parent, _title, suggested, filters):
        offered.append((suggested, filters))
        return "", ""

    monkeypatch.setattr("playground.app.exporting.QFileDialog.getSaveFileName", cancel)
    names = {a.objectName() for a in win.export_menu.actions()}
    assert names == {f"actionExport_{k}" for k in ("onnx", "py", "pt2", "csv", "gif", "view")}
    asked = []
    win.export_requested.connect(asked.append)
    next(a for a in win.export_menu.actions() if a.objectName() == "actionExport_pt2").trigger()
    assert asked == ["pt2"]
    assert offered[0][0].endswith("tensorflow_playground_default.pt2") and "*.pt2" in offered[0][1]
    assert win.import_model_action.objectName() == "actionImportModel"


@pytest.mark.slow
def test_trained_weights_history_views_and_boundary_gif_are_exported(qtbot, app_window, tmp_path):
    win, c = app_window
    seen = []
    c.session.snapshot.connect(seen.append)
    c.toolbar.play_action.trigger()
    actions = win.findChild(ExportActions)
    # Boundary probes come on a time budget, not per epoch: on a fast machine 15 epochs can pass with two of them.
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].epoch >= 15 and len(actions.frames.frames) >= 3, timeout=60000)
    c.set_playing(False)
    qtbot.waitUntil(lambda: seen[-1].state in ("paused", "finished"), timeout=10000)

    text = export(qtbot, actions, "onnx", str(tmp_path / "circle.onnx"))
    assert "onnxruntime differs from torch by at most" in text
    from playground.engine.export import run_onnx

    trained = c.session.trainer.state_dicts()["model"]
    import torch

    x = torch.randn(5, 2)
    w = [trained[f"dense_{i}.weight"] for i in (1, 2, 3)]
    b = [trained[f"dense_{i}.bias"] for i in (1, 2, 3)]
    h = torch.tanh(x @ w[0].T + b[0])
    h = torch.tanh(h @ w[1].T + b[1])
    np.testing.assert_allclose(run_onnx(tmp_path / "circle.onnx", ["input_1"], (x,))[0], (h @ w[2].T + b[2]).numpy(),
                               atol=1e-5)

    export(qtbot, actions, "csv", str(tmp_path / "h.csv"))
    assert (tmp_path / "h.csv").read_text().startswith("epoch,step,time")

    assert len(actions.frames.frames) >= 3
    export(qtbot, actions, "gif", str(tmp_path / "b.gif"))
    gif = Image.open(tmp_path / "b.gif")
    assert 3 <= gif.n_frames <= len(actions.frames.frames)  # Pillow merges frames that look the same

    from playground.app.exporting import export_view_image

    export_view_image(c.views["boundary"], tmp_path / "out.png")
    export_view_image(c.views["boundary"], tmp_path / "out.svg")
    export_view_image(c.views["loss"], tmp_path / "loss.svg")
    assert Image.open(tmp_path / "out.png").size[0] > 100
    assert (tmp_path / "out.svg").read_text().lstrip().startswith("<?xml")
    assert "<svg" in (tmp_path / "loss.svg").read_text()


def test_frames_stay_bounded_and_span_the_run():
    from playground.app.exporting import BoundaryFrames
    from playground.snapshots import DecisionBoundary, ProbeResults, Snapshot

    frames = BoundaryFrames(limit=10)
    for step in range(1, 101):
        frames.add(Snapshot("running", 0, step, 0.0, 0.0, 0.1,
                            probes=ProbeResults([DecisionBoundary(np.zeros((4, 4)))])))
    steps = [s for s, _ in frames.frames]
    assert len(steps) <= 10 and steps[0] == 1 and steps[-1] > 60
    frames.add(Snapshot("running", 0, 1, 0.0, 0.0, 0.1, probes=ProbeResults([DecisionBoundary(np.zeros((4, 4)))])))
    assert [s for s, _ in frames.frames] == [1]  # a reset starts a new film


@pytest.mark.slow
def test_import_model_opens_a_python_file_as_a_new_lab(app_window, tmp_path):
    win, _c = app_window
    path = tmp_path / "course_mlp.py"
    path.write_text("import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))\n")
    win.import_requested.emit(str(path))
    assert win.lab.name == "course mlp"
    assert [n.kind for n in win.lab.networks[0].graph.nodes.values()] == ["Input", "Dense", "Tanh", "Dense",
                                                                          "Output"]
