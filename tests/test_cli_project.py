"""`playground train PROJECT.nnp`: the CLI reads and writes the same project files as the window."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from playground.cli import main
from playground.engine.project import load_project, save_project
from playground.engine.trainer import Trainer
from playground.graph import templates

EXAMPLES = Path(__file__).resolve().parents[1] / "playground" / "resources" / "examples"


def test_a_lab_trains_into_a_project_and_the_project_goes_on_from_there(tmp_path, capsys):
    path = tmp_path / "spiral.nnp"
    assert main(["train", str(EXAMPLES / "spiral.json"), "--epochs", "4", "--out", str(path), "--quiet"]) == 0
    assert "Saved the project to" in capsys.readouterr().out
    first = load_project(path)
    assert first.epoch == 4 and len(first.checkpoint["history"]["train_loss"]) == 4
    mask = os.umask(0o022)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not the owner-only mode of a temporary file

    # Nothing left to train: said so, and the file stays as it was.
    before = path.read_bytes()
    assert main(["train", str(path), "--quiet"]) == 0
    assert "already trained its 4 epochs" in capsys.readouterr().out
    assert path.read_bytes() == before

    assert main(["train", str(path), "--epochs", "3", "--quiet"]) == 0
    resumed = load_project(path)
    assert resumed.epoch == 7
    history = resumed.checkpoint["history"]
    assert history["train_loss"][:4] == first.checkpoint["history"]["train_loss"]  # the same curve, continued
    assert len(history["train_loss"]) == 7

    # The same 7 epochs in one go give the same curve: the resumed run is the uninterrupted one.
    straight = tmp_path / "straight.nnp"
    assert main(["train", str(EXAMPLES / "spiral.json"), "--epochs", "4", "--out", str(straight), "--quiet"]) == 0
    assert main(["train", str(straight), "--epochs", "3", "--quiet", "--out", str(tmp_path / "copy.nnp")]) == 0
    copy = load_project(tmp_path / "copy.nnp").checkpoint["history"]
    assert copy["train_loss"] == history["train_loss"] and copy["test_loss"] == history["test_loss"]


def test_resuming_matches_an_uninterrupted_run(tmp_path):
    lab = templates.build_template("spiral")
    lab.training = lab.training.updated(epochs=6)
    whole = Trainer(lab, device="cpu")
    whole.train()
    half = Trainer(lab.__class__.from_dict({**lab.to_dict(), "training": {**lab.training.to_dict(), "epochs": 3}}),
                   device="cpu")
    half.train()
    save_project(tmp_path / "half.nnp", half.lab, half.checkpoint())
    assert main(["train", str(tmp_path / "half.nnp"), "--epochs", "3", "--quiet"]) == 0
    resumed = load_project(tmp_path / "half.nnp").checkpoint["history"]
    assert resumed["train_loss"] == whole.history.column("train_loss").tolist()


@pytest.mark.parametrize("args, expected", [
    (["--seed", "4"], "--seed cannot change a saved run"),
    (["--out", "x.json"], "a project is written to a project file (.nnp)"),
])
def test_bad_project_arguments_are_one_line(tmp_path, capsys, args, expected):
    path = tmp_path / "p.nnp"
    save_project(path, templates.build_template("spiral"))
    before = path.read_bytes()
    assert main(["train", str(path), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before


@pytest.mark.parametrize("content, expected", [
    (b"garbage", "is not a project file (not a zip archive)"),
    (b"PK\x03\x04" + b"\x00" * 40, "is damaged or truncated"),
    (b'{"format": "neural-network-playground/lab"}', "looks like a lab's JSON"),
])
def test_a_broken_project_is_one_line_and_stays_untouched(tmp_path, capsys, content, expected):
    path = tmp_path / "broken.nnp"
    path.write_bytes(content)
    assert main(["train", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert expected in err and str(path) in err and "Traceback" not in err
    assert path.read_bytes() == content and os.listdir(tmp_path) == ["broken.nnp"]


def test_a_project_that_never_trained_trains_from_its_lab(tmp_path):
    path = tmp_path / "fresh.nnp"
    save_project(path, templates.build_template("tensorflow_playground"))
    assert main(["train", str(path), "--epochs", "2", "--quiet"]) == 0
    assert load_project(path).epoch == 2
