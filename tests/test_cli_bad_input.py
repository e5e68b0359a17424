"""The CLI refuses input that used to crash (OverflowError, ValueError) or to print a message over several lines:
one line that names the field, exit status 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from playground.cli import main
from playground.graph.templates import tensorflow_playground

BIG = "1" + "0" * 400


def lab_file(tmp_path: Path, name: str = "lab.json", edit: Any = None, raw: str | None = None) -> Path:
    """A lab file; ``edit`` changes its dict, ``raw`` replaces the string "@@" (quotes included) by raw JSON."""
    data = tensorflow_playground().to_dict()
    if edit:
        edit(data)
    text = json.dumps(data)
    if raw is not None:
        text = text.replace('"@@"', raw)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], expected: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert all(c.isprintable() for c in err.rstrip("\n")), repr(err)
    assert expected in err, err
    return err


def _set(*path: Any) -> Any:
    def edit(d: dict[str, Any]) -> None:
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = "@@"
    return edit


NODE = ("networks", 0, "graph", "nodes", 1)


@pytest.mark.parametrize(("edit", "raw", "expected"), [
    (_set("training", "learning_rate"), BIG, ("training: learning_rate must be a number from 1e-07 to 10000. "
                                              "Received: learning_rate=1e+400")),
    (_set("training", "momentum"), "NaN", "Received: momentum=nan"),
    (_set("training", "grad_clip"), "Infinity", "Received: grad_clip=inf"),
    (_set("dataset", "noise"), BIG, "Received: noise=1e+400"),
    (_set(*NODE, "position"), f"[{BIG}, 0]", "node 'dense_1' has a position that is not [x, y]"),
    (_set(*NODE, "params", "units"), BIG, "Received: units=1e+400"),
    (_set("dataset", "options", "classes"), "-Infinity", "dataset.options.classes must be a finite number"),
    (_set(*NODE, "name"), '"dense\\n1"', "'dense\\n1' is not a valid node name"),
    (_set("dataset", "name"), '"circle\\n"', "Unknown dataset 'circle\\n'"),
])
def test_bad_lab_values_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, raw: str,
                                     expected: str) -> None:
    out = tmp_path / "out"
    refused(["train", str(lab_file(tmp_path, edit=edit, raw=raw)), "--quiet", "--out", str(out)], capsys, expected)
    assert not out.exists()


def test_image_folder_options_are_checked_before_int(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def folder(d: dict[str, Any]) -> None:
        d["dataset"].update(name="folder", options={"path": str(tmp_path), "size": ["a", 28]})
    refused(["train", str(lab_file(tmp_path, edit=folder)), "--quiet", "--out", str(tmp_path / "o")], capsys,
            "dataset.options.size must be [height, width], two whole numbers from 1 to 1024. Received: size=['a', 28]")


def test_paths_with_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "two\nlines.json"
    broken.write_text("{", encoding="utf-8")
    refused(["train", str(broken), "--quiet"], capsys, "two\\nlines.json': The lab file is not valid JSON")
    refused(["train", str(tmp_path / "no\nsuch.json"), "--quiet"], capsys, "Cannot read '")
    a_file = tmp_path / "a\nfile"
    a_file.write_text("x")
    refused(["train", str(lab_file(tmp_path)), "--quiet", "--out", str(a_file)], capsys, "is a file, not a folder")
    refused(["export", str(tmp_path / "no\nrun"), "--format", "onnx", "--to", str(tmp_path / "x")], capsys,
            "no\\nrun' does not exist")
    refused(["export", str(lab_file(tmp_path)), "--format", "onnx", "--to", str(tmp_path / "x"), "--network",
             "model\n"], capsys, "The lab has no network named 'model\\n'")


@pytest.mark.parametrize("flag", ["lab", "--out", "--to", "model", "--weights"])
def test_paths_with_a_nul_character(tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str) -> None:
    lab, bad = str(lab_file(tmp_path)), str(tmp_path / "a\x00b")
    model = tmp_path / "net.py"
    model.write_text("import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(2, 2))\n")
    argv = {"lab": ["train", bad, "--quiet"], "--out": ["train", lab, "--quiet", "--out", bad],
            "--to": ["export", lab, "--format", "py", "--to", bad],
            "model": ["import", bad + ".py", "--out", str(tmp_path / "x.json")],
            "--weights": ["import", str(model), "--weights", bad, "--out", str(tmp_path / "x.nnp")]}[flag]
    refused(argv, capsys, "a file name cannot hold a NUL character. Received: '")


@pytest.mark.parametrize(("argv", "expected"), [
    (["--epochs", BIG], "--epochs must be at least 1 and at most 10000000. Received: 1e+400"),
    (["--epochs", "-" + BIG], "Received: -1e+400"),
    (["--epochs", "0"], "--epochs must be at least 1"),
    (["--seed", BIG], "--seed must be from 0 to 4294967295. Received: 1e+400"),
])
def test_numeric_options(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> None:
    refused(["train", str(lab_file(tmp_path)), "--quiet", *argv], capsys, expected)


def test_epochs_are_checked_for_a_project_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A project adds --epochs to what it has trained, past the lab's own check: the option's range holds anyway.
    refused(["train", str(tmp_path / "run.nnp"), "--quiet", "--epochs", "10000001"], capsys,
            "--epochs must be at least 1 and at most 10000000")


@pytest.mark.parametrize("rounds", ["0", "-3", "1001", BIG])
def test_bench_rounds(capsys: pytest.CaptureFixture[str], rounds: str) -> None:
    refused(["bench", "--quick", "--no-gui", "--rounds", rounds], capsys, "--rounds must be from 1 to 1000")


def test_a_network_name_that_is_no_file_name_stays_inside_the_run_folder(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    def rename(d: dict[str, Any]) -> None:
        d["networks"][0]["name"] = "../../escaped"
        d["training"]["epochs"] = 1
    out = tmp_path / "deep" / "run"
    assert main(["train", str(lab_file(tmp_path, edit=rename)), "--quiet", "--out", str(out)]) == 0
    assert (out / "network1.safetensors").is_file()
    assert not list(tmp_path.rglob("escaped*"))
    capsys.readouterr()
    assert main(["export", str(out), "--format", "py", "--to", str(tmp_path / "code")]) == 0
    assert (tmp_path / "code" / "network1.py").is_file() and not list(tmp_path.rglob("escaped*"))
