"""``playground import``: a Python or ONNX model becomes a lab file, or a project that opens trained."""

from __future__ import annotations

import torch
from torch import nn

from playground.cli import main
from playground.engine import export as ex
from playground.engine.project import load_project
from playground.graph import Lab
from playground.graph.templates import TEMPLATES

MLP = "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))\n"


def _mlp() -> nn.Module:
    torch.manual_seed(8)
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))


def _weights_in(project_path, network: str = "model") -> dict[str, torch.Tensor]:
    project = load_project(project_path)
    assert project.checkpoint is not None and project.epoch == 0
    prefix = f"model/{network}/"
    return {k[len(prefix):]: v for k, v in project.checkpoint["tensors"].items() if k.startswith(prefix)}


def test_an_onnx_file_becomes_a_trained_project(tmp_path, capsys):
    source = ex.ExportSource(TEMPLATES["tensorflow_playground"].build())
    nets = ex.build_networks(source)
    with torch.no_grad():
        for p in nets["model"].module.parameters():
            p.mul_(3.0)
    ex.export_source(source, "onnx", tmp_path / "circle.onnx", networks=nets)
    assert main(["import", str(tmp_path / "circle.onnx"), "--out", str(tmp_path / "circle.nnp")]) == 0
    out = capsys.readouterr().out
    assert "Imported circle.onnx as the lab 'circle': 1 network(s), 7 nodes" in out
    assert "6 weight tensors from circle.onnx" in out and "(opens trained)" in out
    weights = _weights_in(tmp_path / "circle.nnp")
    for key, value in nets["model"].module.state_dict().items():
        assert torch.equal(weights[key], value), key


def test_a_python_model_and_its_state_dict_become_a_trained_project(tmp_path, capsys):
    (tmp_path / "mlp.py").write_text(MLP)
    original = _mlp()
    torch.save(original.state_dict(), tmp_path / "mlp.pt")
    code = main(["import", str(tmp_path / "mlp.py"), "--weights", str(tmp_path / "mlp.pt"), "--out",
                 str(tmp_path / "mlp.nnp")])
    assert code == 0
    assert "mlp.pt: 4 of 4 weight tensors matched (0 by name, 4 by order and shape)" in capsys.readouterr().out
    weights = _weights_in(tmp_path / "mlp.nnp")
    assert torch.equal(weights["dense_1.weight"], original[0].weight.detach())
    assert torch.equal(weights["dense_2.bias"], original[2].bias.detach())


def test_a_python_model_alone_becomes_a_lab_file(tmp_path):
    (tmp_path / "mlp.py").write_text(MLP)
    assert main(["import", str(tmp_path / "mlp.py"), "--out", str(tmp_path / "mlp.json")]) == 0
    lab = Lab.load(str(tmp_path / "mlp.json"))
    assert [n.kind for n in lab.networks[0].graph.nodes.values()] == ["Input", "Dense", "Tanh", "Dense", "Output"]


def test_bad_requests_get_one_line_and_write_nothing(tmp_path, capsys):
    (tmp_path / "mlp.py").write_text(MLP)
    torch.save(_mlp(), tmp_path / "whole.pt")  # a pickled model, not a state dict
    torch.save(_mlp().state_dict(), tmp_path / "mlp.pt")
    source = ex.ExportSource(TEMPLATES["tensorflow_playground"].build())
    ex.export_source(source, "onnx", tmp_path / "circle.onnx")
    cases = [
        (["import", str(tmp_path / "mlp.py"), "--weights", str(tmp_path / "whole.pt"), "--out",
          str(tmp_path / "a.nnp")], "whole.pt holds pickled Python objects"),
        (["import", str(tmp_path / "circle.onnx"), "--weights", str(tmp_path / "mlp.pt"), "--out",
          str(tmp_path / "b.nnp")], "'circle.onnx' is an ONNX file and holds its own weights"),
        (["import", str(tmp_path / "mlp.py"), "--weights", str(tmp_path / "mlp.pt"), "--out",
          str(tmp_path / "c.json")], "is a lab file, which holds no weights"),
        (["import", str(tmp_path / "mlp.py"), "--out", str(tmp_path / "d.txt")], "write a project file (.nnp)"),
        (["import", str(tmp_path / "junk.onnx"), "--out", str(tmp_path / "e.nnp")], "Cannot read"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["circle.onnx", "mlp.pt", "mlp.py", "whole.pt"]
