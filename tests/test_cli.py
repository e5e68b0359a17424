"""The headless CLI: trains a lab to files; bad input gets one clear line, exit status 2, and nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.numpy import load_file

from playground.cli import main
from playground.graph.templates import tensorflow_playground

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "playground" / "resources" / "examples"


def write_lab(tmp_path: Path, mutate=None, text: str | None = None) -> Path:
    path = tmp_path / "lab.json"
    if text is None:
        data = tensorflow_playground().to_dict()
        if mutate:
            mutate(data)
        text = json.dumps(data)
    path.write_text(text)
    return path


def test_train_writes_weights_history_and_metrics(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", str(EXAMPLES / "tensorflow-playground-circle.json"), "--epochs", "30", "--out", str(out),
                 "--quiet", "--seed", "3"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "30 epochs" in printed and "test  loss" in printed and "accuracy" in printed
    weights = load_file(out / "model.safetensors")
    assert set(weights) == {"dense_1.weight", "dense_1.bias", "dense_2.weight", "dense_2.bias", "dense_3.weight",
                            "dense_3.bias"}
    assert weights["dense_1.weight"].shape == (4, 2)
    history = (out / "history.csv").read_text().splitlines()
    assert history[0].split(",")[:5] == ["epoch", "step", "time", "learning_rate", "train_loss"]
    assert len(history) == 31
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 30 and metrics["seed"] == 3 and metrics["state"] == "finished"
    assert metrics["test_accuracy"] > 0.9  # the circle is easy
    assert json.loads((out / "lab.json").read_text())["seed"] == 3


def _break_units(d):
    d["networks"][0]["graph"]["nodes"][1]["params"]["units"] = -3


def _unknown_kind(d):
    d["networks"][0]["graph"]["nodes"][1]["kind"] = "Dens"


def _cycle(d):
    edges = d["networks"][0]["graph"]["edges"]
    edges.pop(0)  # input_1 -> dense_1, so that dense_1's input is free for the edge that closes the loop
    edges.append({"source": "tanh_2", "target": "dense_1", "port": "in"})


def _big_kernel(d):
    g = d["networks"][0]["graph"]
    g["nodes"][0]["params"].update({"kind": "image", "channels": 1, "height": 5, "width": 5})
    g["nodes"].insert(1, {"name": "conv_1", "kind": "Conv2d", "params": {"kernel_size": 7}, "position": [0, 0]})
    g["nodes"].insert(2, {"name": "flatten_1", "kind": "Flatten", "params": {}, "position": [0, 0]})
    g["edges"][0] = {"source": "input_1", "target": "conv_1", "port": "in"}
    g["edges"].insert(1, {"source": "conv_1", "target": "flatten_1", "port": "in"})
    g["edges"].insert(2, {"source": "flatten_1", "target": "dense_1", "port": "in"})


@pytest.mark.parametrize("mutate, text, expected", [
    (None, "{not json", "not valid JSON"),
    (_unknown_kind, None, "Unknown layer kind 'Dens'"),
    (_break_units, None, "Dense 'dense_1': units must be an integer from 1 to 100000. Received: units=-3"),
    (_cycle, None, "cycle"),
    (_big_kernel, None, "Conv2d 'conv_1' has kernel 7, larger than its 5×5 input"),
    (lambda d: d.update(version=99), None, "newer"),
    (lambda d: d["training"].update(learning_rate=-1), None, "learning_rate"),
    (lambda d: d["dataset"].update(name="nosuchset"), None, "Unknown dataset 'nosuchset'"),
])
def test_bad_input_is_one_clear_line_exit_2_and_nothing_written(tmp_path, capsys, mutate, text, expected):
    lab = write_lab(tmp_path, mutate, text)
    out = tmp_path / "out"
    code = main(["train", str(lab), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_file_and_bad_arguments(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nope.json"), "--quiet"]) == 2
    assert "Cannot read" in capsys.readouterr().err
    assert main(["train", str(EXAMPLES / "spiral.json"), "--epochs", "0"]) == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["train", str(EXAMPLES / "spiral.json"), "--device", "tpu"])
    assert e.value.code == 2


@pytest.mark.slow
def test_console_command_reports_errors_without_traceback(tmp_path):
    lab = write_lab(tmp_path, _break_units)
    result = subprocess.run([sys.executable, "-m", "playground", "train", str(lab), "--quiet"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "units=-3" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_every_example_lab_is_valid_and_trains_an_epoch(tmp_path):
    examples = sorted(EXAMPLES.glob("*.json"))
    assert any("tensorflow-playground" in p.name for p in examples)
    for path in examples:
        assert main(["train", str(path), "--epochs", "1", "--quiet", "--out", str(tmp_path / path.stem)]) == 0, path


@pytest.mark.slow
def test_bench_prints_a_table(capsys):
    assert main(["bench", "--quick", "--rounds", "1", "--no-gui"]) == 0
    out = capsys.readouterr().out
    assert "| MLP 784-512-10" in out and "| Spiral" in out and "ratio" in out and "| LeNet" in out
    # The spiral with the fast path off and on (or the reason it is not available here).
    assert "| engine, fast path off |" in out and ("| engine, fast path on (torch.compile" in out or
                                                   "No fast path here:" in out)
    assert "| on / off |" in out  # the time machine and health badges on against off
