"""``playground export``: from a train --out folder (or a lab) to ONNX, PyTorch code, torch.export and CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from playground.cli import main
from playground.compile import compile_network
from playground.engine.export import run_onnx
from playground.graph import Lab
from playground.graph.templates import gan

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "playground" / "resources" / "examples" / "tensorflow-playground-circle.json"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    assert main(["train", str(EXAMPLE), "--epochs", "3", "--out", str(out), "--quiet", "--seed", "5"]) == 0
    return out


def _trained(run: Path):
    lab = Lab.load(str(run / "lab.json"))
    net = compile_network(lab.networks[0].graph, "model")
    net.module.load_state_dict(load_file(str(run / "model.safetensors")))
    return net.module.eval()


def test_onnx_from_a_run_folder_carries_the_trained_weights(run_folder, tmp_path, capsys):
    target = tmp_path / "circle.onnx"
    assert main(["export", str(run_folder), "--format", "onnx", "--to", str(target)]) == 0
    printed = capsys.readouterr().out
    assert f"model: wrote {target}" in printed and "onnxruntime differs from torch by at most" in printed
    x = torch.randn(7, 2)
    with torch.no_grad():
        want = _trained(run_folder)(x).numpy()
    np.testing.assert_allclose(run_onnx(target, ["input_1"], (x,))[0], want, atol=1e-5)


@pytest.mark.parametrize("fmt, files", [("py", {"model.py", "model.safetensors"}), ("pt2", {"model.pt2"})])
def test_code_and_programs_go_into_a_folder(run_folder, tmp_path, fmt, files):
    assert main(["export", str(run_folder), "--format", fmt, "--to", str(tmp_path / "out")]) == 0
    assert {p.name for p in (tmp_path / "out").iterdir()} == files
    if fmt == "py":  # the weights beside the code are the trained ones
        saved = load_file(str(tmp_path / "out" / "model.safetensors"))
        trained = load_file(str(run_folder / "model.safetensors"))
        assert saved.keys() == trained.keys() and all(torch.equal(saved[k], trained[k]) for k in saved)


def test_the_metric_history_as_csv(run_folder, tmp_path):
    assert main(["export", str(run_folder), "--format", "csv", "--to", str(tmp_path / "metrics.csv")]) == 0
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,step,time,learning_rate,train_loss") and len(lines) == 4


def test_a_lab_with_two_networks_writes_one_file_each(tmp_path, capsys):
    lab = tmp_path / "gan.json"
    gan().save(str(lab))
    assert main(["export", str(lab), "--format", "onnx", "--to", str(tmp_path / "gan.onnx")]) == 0
    assert (tmp_path / "gan-generator.onnx").is_file() and (tmp_path / "gan-discriminator.onnx").is_file()
    assert main(["export", str(lab), "--format", "pt2", "--to", str(tmp_path / "d"), "--network",
                 "discriminator"]) == 0
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["discriminator.pt2"]


@pytest.mark.parametrize("args, message", [
    (["export", "{tmp}/missing", "--format", "onnx", "--to", "{tmp}/x.onnx"], "does not exist"),
    (["export", "{tmp}", "--format", "onnx", "--to", "{tmp}/x.onnx"], "has no lab.json"),
    (["export", "{run}", "--format", "onnx", "--to", "{tmp}/x.onnx", "--network", "encoder"],
     "no network named 'encoder' (networks: model)"),
    (["export", "{lab}", "--format", "csv", "--to", "{tmp}/h.csv"], "no metric history"),
])
def test_bad_input_gets_one_line_and_exit_status_2(run_folder, tmp_path, capsys, args, message):
    (tmp_path / "lab.json.d").mkdir()
    lab = tmp_path / "lab.json.d" / "lab.json"
    gan().save(str(lab))
    argv = [a.format(tmp=tmp_path, run=run_folder, lab=lab) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x.onnx").exists()


def test_an_unknown_format_is_a_usage_error(run_folder, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["export", str(run_folder), "--format", "keras", "--to", "x"])
    assert stop.value.code == 2
    assert "invalid choice: 'keras'" in capsys.readouterr().err
