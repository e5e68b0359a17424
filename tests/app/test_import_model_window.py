"""File > Import model in the window: an ONNX file and a Python model with its weights open trained; a Python
model without weights opens untrained with an offer that does not block."""

from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from playground.app import attach_training
from playground.app.exporting import ExportActions
from playground.engine import export as ex
from playground.graph.templates import TEMPLATES


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    # One window for the module: each import replaces the lab, as it does for a user.
    from playground.app import new_window

    settings = tmp_path_factory.mktemp("settings") / "settings.ini"
    win = new_window(QSettings(str(settings), QSettings.IniFormat))
    controller = attach_training(win)
    win.resize(1400, 900)
    win.show()
    yield win, controller
    _nothing_to_save(win)
    win.close()
    win.deleteLater()


def _nothing_to_save(win) -> None:
    win.undo_stack.setClean()
    win.document.discard_changes()  # nor its training: opening the next model must not ask


@pytest.fixture
def app_window(qtbot, window):
    win, _controller = window
    qtbot.waitExposed(win)
    _nothing_to_save(win)
    yield window
    _nothing_to_save(win)


def _weights_arrived(controller, expected: dict[str, torch.Tensor]) -> bool:
    trainer = controller.session.trainer
    if trainer is None:
        return False
    state = trainer.state_dicts()["model"]
    return all(k in state and torch.equal(state[k], v) for k, v in expected.items())


def test_an_onnx_file_opens_trained(qtbot, app_window, tmp_path):
    win, controller = app_window
    source = ex.ExportSource(TEMPLATES["tensorflow_playground"].build())
    nets = ex.build_networks(source)
    with torch.no_grad():
        for p in nets["model"].module.parameters():
            p.mul_(-2.0)
    ex.export_source(source, "onnx", tmp_path / "circle.onnx", networks=nets)
    win.import_requested.emit(str(tmp_path / "circle.onnx"))
    assert win.lab.name == "circle"
    assert [n.kind for n in win.lab.networks[0].graph.nodes.values()].count("Dense") == 3
    expected = {k: v for k, v in nets["model"].module.state_dict().items()}
    qtbot.waitUntil(lambda: _weights_arrived(controller, expected), timeout=60000)
    assert win.findChild(QMessageBox, "importWeightsOffer") is None


def test_a_python_model_with_a_state_dict_opens_trained(qtbot, app_window, tmp_path):
    win, controller = app_window
    (tmp_path / "mlp.py").write_text("import torch.nn as nn\n"
                                     "model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))\n")
    torch.manual_seed(2)
    original = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    torch.save(original.state_dict(), tmp_path / "mlp.pt")
    win.findChild(ExportActions).import_model(str(tmp_path / "mlp.py"), str(tmp_path / "mlp.pt"))
    expected = {"dense_1.weight": original[0].weight.detach(), "dense_2.bias": original[2].bias.detach()}
    qtbot.waitUntil(lambda: _weights_arrived(controller, expected), timeout=60000)
    assert "4 of 4 weight tensors matched" in win.statusBar().currentMessage()


def test_a_python_model_without_weights_opens_untrained_with_an_offer(qtbot, app_window, tmp_path):
    win, _controller = app_window
    (tmp_path / "mlp.py").write_text("import torch.nn as nn\n"
                                     "model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))\n")
    win.import_requested.emit(str(tmp_path / "mlp.py"))  # returns at once: the offer does not block
    assert win.lab.name == "mlp"
    box = win.findChild(QMessageBox, "importWeightsOffer")
    assert box is not None and box.isVisible()
    not_now = next(b for b in box.buttons() if b.text() == "Not now")
    not_now.click()
    assert not box.isVisible()


def test_a_pickled_model_as_weights_is_refused_with_a_message(qtbot, app_window, tmp_path, monkeypatch):
    win, _controller = app_window
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, title, text: shown.append((title, text)))
    (tmp_path / "mlp.py").write_text("import torch.nn as nn\n"
                                     "model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))\n")
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 8)), tmp_path / "whole.pt")
    before = win.lab
    win.findChild(ExportActions).import_model(str(tmp_path / "mlp.py"), str(tmp_path / "whole.pt"))
    assert win.lab is before
    assert shown and shown[0][0] == "Import model" and "holds pickled Python objects" in shown[0][1]
