"""Weights for imported code: safetensors or a torch state dict, matched to the lab by name or by order and shape;
a pickled whole model is refused without being run; the lab then opens trained."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from playground.compile import compile_network
from playground.engine import export as ex
from playground.engine import weights_import as wi
from playground.engine.model_import import lab_from_file
from playground.engine.weights_import import (
    WeightsImportError,
    import_weights,
    match_weights,
    trained_project,
)
from playground.graph.templates import TEMPLATES

SEQUENTIAL = '''import torch
from torch import nn

model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
'''

FORECASTER = '''import torch
from torch import nn


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 16, num_layers=2, batch_first=True)
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out)
'''


class Forecaster(nn.Module):  # the same as FORECASTER, to make its weights
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, 16, num_layers=2, batch_first=True)
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out)


def _sequential() -> nn.Module:
    torch.manual_seed(4)
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1)).eval()


def _outputs_of(lab, states, x: torch.Tensor) -> torch.Tensor:
    net = compile_network(lab.networks[0].graph, lab.networks[0].name)
    own = net.module.state_dict()
    net.module.load_state_dict({**own, **states[lab.networks[0].name]})
    with torch.no_grad():
        return net.module.eval()(x)


def test_a_sequential_state_dict_matches_by_order_and_shape(tmp_path):
    (tmp_path / "mlp.py").write_text(SEQUENTIAL)
    lab = lab_from_file(tmp_path / "mlp.py")
    original = _sequential()
    torch.save(original.state_dict(), tmp_path / "mlp.pt")
    match = import_weights(lab, tmp_path / "mlp.pt")
    assert match.complete and not match.unused and len(match.matched) == 6
    assert {how for *_rest, how in match.matched} == {"order and shape"}
    assert [f for _n, _t, f, _h in match.matched] == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight",
                                                      "4.bias"]
    assert match.summary().splitlines()[0] == "mlp.pt: 6 of 6 weight tensors matched (0 by name, 6 by order and shape)"
    x = torch.randn(9, 2)
    with torch.no_grad():
        assert torch.allclose(_outputs_of(lab, match.states, x), original(x), atol=1e-6)


def test_a_class_with_an_lstm_matches_by_name_from_safetensors(tmp_path):
    (tmp_path / "forecaster.py").write_text(FORECASTER)
    lab = lab_from_file(tmp_path / "forecaster.py")
    torch.manual_seed(1)
    original = Forecaster().eval()
    save_file(original.state_dict(), str(tmp_path / "forecaster.safetensors"))
    match = import_weights(lab, tmp_path / "forecaster.safetensors")
    assert match.complete and not match.unused
    assert {how for *_rest, how in match.matched} == {"name"}
    assert "'lstm.weight_ih_l1' → lstm.rnn.weight_ih_l1" in match.summary()
    x = torch.randn(3, 11, 1)
    with torch.no_grad():
        assert torch.allclose(_outputs_of(lab, match.states, x), original(x), atol=1e-6)


def test_the_playgrounds_own_python_export_takes_its_weights_back_by_name(tmp_path):
    source = ex.ExportSource(TEMPLATES["lenet"].build())
    nets = ex.build_networks(source)
    with torch.no_grad():
        for p in nets["model"].module.parameters():
            p.add_(0.01)
    ex.export_source(source, "py", tmp_path / "lenet.py", networks=nets)
    lab = lab_from_file(tmp_path / "lenet.py")
    match = import_weights(lab, tmp_path / "lenet.safetensors")
    assert match.complete and not match.unused and {h for *_r, h in match.matched} == {"name"}
    x = ex.example_inputs(nets["model"], 4)[0]
    (want,) = ex.run_torch(nets["model"], (x,))
    assert torch.allclose(_outputs_of(lab, match.states, x), want, atol=1e-6)


def test_a_training_checkpoint_with_wrapped_names_is_read(tmp_path):
    (tmp_path / "mlp.py").write_text(SEQUENTIAL)
    lab = lab_from_file(tmp_path / "mlp.py")
    original = _sequential()
    state = {f"module.{k}": v for k, v in original.state_dict().items()}
    torch.save({"epoch": 7, "state_dict": state, "optimizer": {"lr": 0.1}}, tmp_path / "run.ckpt")
    match = import_weights(lab, tmp_path / "run.ckpt")
    assert match.complete
    x = torch.randn(5, 2)
    with torch.no_grad():
        assert torch.allclose(_outputs_of(lab, match.states, x), original(x), atol=1e-6)


def test_what_does_not_fit_is_reported(tmp_path):
    (tmp_path / "mlp.py").write_text(SEQUENTIAL)
    lab = lab_from_file(tmp_path / "mlp.py")
    state = dict(_sequential().state_dict())
    del state["4.weight"], state["4.bias"]
    state["extra.scale"] = torch.ones(3)
    match = match_weights(lab, state, "part.pt")
    assert not match.complete
    text = match.summary()
    assert text.splitlines()[0] == "part.pt: 4 of 6 weight tensors matched (0 by name, 4 by order and shape)"
    assert "Not in the file, left at their starting values: dense_3.weight 1×8, dense_3.bias 1" in text
    assert "In the file but fitting no layer, ignored: 'extra.scale' 3" in text
    with pytest.raises(WeightsImportError, match=r"No tensor of other.pt fits the lab's layers: the lab needs "
                                                 r"dense_1.weight 8×2"):
        match_weights(lab, {"conv.weight": torch.ones(4, 1, 3, 3)}, "other.pt")


class _Payload:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (Path(self.path).touch, ())


def test_a_pickled_whole_model_is_refused_and_not_run(tmp_path):
    torch.save(_sequential(), tmp_path / "whole.pt")
    lab = TEMPLATES["regression_plane"].build()
    with pytest.raises(WeightsImportError, match=r"whole.pt holds pickled Python objects \(torch.nn.modules."
                                                 r"container.Sequential\), not only tensors"):
        import_weights(lab, tmp_path / "whole.pt")
    marker = tmp_path / "ran"
    torch.save({"weight": _Payload(str(marker))}, tmp_path / "evil.pth")
    with pytest.raises(WeightsImportError, match="save torch.save\\(model.state_dict\\(\\), path\\) instead"):
        import_weights(lab, tmp_path / "evil.pth")
    assert not marker.exists()


def test_unreadable_and_oversized_files_get_one_line(tmp_path, monkeypatch):
    lab = TEMPLATES["regression_plane"].build()
    (tmp_path / "junk.safetensors").write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00junk")
    with pytest.raises(WeightsImportError, match="^junk.safetensors is not a readable safetensors file"):
        import_weights(lab, tmp_path / "junk.safetensors")
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(WeightsImportError, match="^junk.pt is not a PyTorch weights file"):
        import_weights(lab, tmp_path / "junk.pt")
    torch.save(torch.ones(3), tmp_path / "tensor.pt")
    with pytest.raises(WeightsImportError, match="^tensor.pt holds a Tensor, not a state dict"):
        import_weights(lab, tmp_path / "tensor.pt")
    with pytest.raises(WeightsImportError, match="^Cannot read"):
        import_weights(lab, tmp_path / "absent.pt")
    monkeypatch.setattr(wi, "MAX_FILE_BYTES", 4)
    with pytest.raises(WeightsImportError, match="^tensor.pt is 0.0 GiB, more than the 0.0 GiB"):
        import_weights(lab, tmp_path / "tensor.pt")


def test_the_imported_lab_opens_trained(tmp_path):
    from playground.engine.trainer import Trainer

    (tmp_path / "plane.py").write_text(SEQUENTIAL)
    lab = lab_from_file(tmp_path / "plane.py")
    original = _sequential()
    match = match_weights(lab, original.state_dict(), "plane.pt")
    project = trained_project(lab, match.states)
    assert project.epoch == 0 and project.checkpoint is not None
    trainer = Trainer(project.training_lab, device="cpu")
    trainer.restore(project.checkpoint)
    module = trainer.task.modules()["model"].eval()
    x = torch.randn(6, 2)
    with torch.no_grad():
        assert torch.allclose(module(x), original(x), atol=1e-6)
