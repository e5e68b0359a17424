"""Project files that pass the zip checks but hold a training state the optimizer cannot take, or entries bigger
than their lab can need: each is refused at open time with one line naming the file, the entry and the value."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import torch

from playground.engine import commands as cmd
from playground.engine import project as proj
from playground.engine.project import ProjectError, load_project, save_project
from playground.engine.trainer import Trainer
from playground.graph import templates

ROOT = Path(__file__).resolve().parents[2]


def _trained(template: str = "spiral", **training) -> Trainer:
    lab = templates.build_template(template)
    if training:
        lab.training = lab.training.updated(**training)
    trainer = Trainer(lab, device="cpu")
    trainer.send(cmd.Step(batches=3))
    for _ in trainer.run(interval=None):
        pass
    return trainer


@pytest.fixture(scope="module")
def adam():
    """A spiral run (Adam, fused) stopped after three steps: its lab and checkpoint."""
    trainer = _trained()
    return trainer.lab, trainer.checkpoint()


def _with_group(ckpt: dict, key: str, value) -> dict:
    ckpt = copy.deepcopy(ckpt)
    group = ckpt["meta"]["optimizers"]["model"]["param_groups"][0]
    if value is _DELETE:
        del group[key]
    else:
        group[key] = value
    return ckpt


_DELETE = object()


def _refused(tmp_path: Path, lab, ckpt, match: str) -> str:
    path = tmp_path / "hostile.nnp"
    save_project(path, lab, ckpt)
    with pytest.raises(ProjectError) as info:
        load_project(path)
    message = str(info.value)
    assert str(path) in message and match in message and "\n" not in message, message
    return message


@pytest.mark.parametrize("key, value, match", [
    ("eps", "x", "'eps' must be a finite number. Received: 'x'"),
    ("eps", None, "'eps' must be a finite number. Received: None"),
    ("eps", float("inf"), "'eps' must be a finite number"),
    ("eps", -1.0, "Invalid epsilon value: -1.0"),
    ("weight_decay", "1", "'weight_decay' must be a finite number. Received: '1'"),
    ("weight_decay", 10**400, "'weight_decay' must be a finite number"),
    ("betas", [0.9], "'betas' must be a list of 2 numbers. Received: [0.9]"),
    ("betas", [0.9, "0.99"], "'betas' must be a list of 2 numbers"),
    ("betas", [1.5, 0.99], "Invalid beta parameter at index 0"),
    ("lr", True, "'lr' must be a finite number. Received: True"),
    ("lr", _DELETE, "has no 'lr', which the lab's Adam optimizer needs"),
    ("params", None, "'params' must be a list of parameter numbers. Received: None"),
    ("params", [0, 0, 1, 2, 3, 4, 5, 6], "'params' must number the lab's 8 parameters 0, 1, 2... in order"),
    ("params", list(range(9)), "must number the lab's 8 parameters"),
    ("params", ["0"], "'params' must be a list of parameter numbers"),
    ("amsgrad", "yes", "'amsgrad' must be false for the lab's Adam optimizer. Received: 'yes'"),
    ("amsgrad", True, "'amsgrad' must be false"),
    ("capturable", True, "'capturable' must be false"),
    ("differentiable", True, "'differentiable' must be false"),
    ("foreach", True, "'foreach' and 'fused' cannot both be true"),
    ("fused", "yes", "'fused' must be true, false or null"),
    ("initial_lr", 0.1, "'initial_lr' is no setting of the lab's Adam optimizer"),
    ("momentum", 0.9, "'momentum' is no setting of the lab's Adam optimizer"),
])
def test_optimizer_settings_are_checked_at_open_time(adam, tmp_path, key, value, match):
    lab, ckpt = adam
    _refused(tmp_path, lab, _with_group(ckpt, key, value), match)


def test_a_missing_flag_is_filled_by_torch_and_opens(adam, tmp_path):
    """An older torch wrote no 'decoupled_weight_decay': torch fills flags it lacks, so the file opens."""
    lab, ckpt = adam
    path = tmp_path / "old.nnp"
    save_project(path, lab, _with_group(ckpt, "decoupled_weight_decay", _DELETE))
    trainer = Trainer(lab, device="cpu")
    trainer.restore(load_project(path).checkpoint)
    trainer.train(1)


def test_optimizer_state_entries_are_checked(adam, tmp_path):
    lab, ckpt = adam
    plain = copy.deepcopy(ckpt)
    plain["meta"]["optimizers"]["model"]["state"]["0"]["exp_avg"] = [1, 2]
    _refused(tmp_path, lab, plain, "the state of parameter 0 has 'exp_avg' = [1, 2]")
    ghost = copy.deepcopy(ckpt)
    ghost["meta"]["optimizers"]["model"]["state"]["99"] = {}
    _refused(tmp_path, lab, ghost, "a state for parameter '99', which its groups do not have")
    foreign = copy.deepcopy(ckpt)
    foreign["tensors"]["optimizer/model/0/momentum_buffer"] = torch.zeros(2)
    _refused(tmp_path, lab, foreign, "the lab's Adam optimizer keeps no 'momentum_buffer'")
    orphan = copy.deepcopy(ckpt)
    orphan["tensors"]["optimizer/ghost/0/exp_avg"] = torch.zeros(2)
    _refused(tmp_path, lab, orphan, "'optimizer/ghost/0/exp_avg' belongs to no saved optimizer state")


def test_other_saved_state_is_checked(adam, tmp_path):
    lab, ckpt = adam
    bad = copy.deepcopy(ckpt)
    bad["tensors"]["running/losses"] = torch.tensor([1, 2])  # integers: the running mean fails in the step
    _refused(tmp_path, lab, bad, "'running/losses' must be a list of numbers")
    bad = copy.deepcopy(ckpt)
    bad["meta"]["elapsed"] = float("nan")
    _refused(tmp_path, lab, bad, "'elapsed' must be a number")
    bad = copy.deepcopy(ckpt)
    bad["tensors"]["rng/cuda"] = torch.zeros(5, dtype=torch.uint8)
    _refused(tmp_path, lab, bad, "'rng/cuda' is not a random generator state")


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"])
def test_every_optimizer_of_the_app_saves_and_opens(tmp_path, optimizer):
    trainer = _trained(optimizer=optimizer)
    path = tmp_path / f"{optimizer}.nnp"
    save_project(path, trainer.lab, trainer.checkpoint())
    again = Trainer(trainer.lab, device="cpu")
    again.restore(load_project(path).checkpoint)
    again.train(1)


def test_two_optimizers_of_a_gan_open(tmp_path):
    trainer = _trained("gan")
    assert len(trainer.optimizers) == 2
    path = tmp_path / "gan.nnp"
    save_project(path, trainer.lab, trainer.checkpoint())
    Trainer(trainer.lab, device="cpu").restore(load_project(path).checkpoint)


def test_a_gpu_runs_generator_state_opens_on_a_cpu(adam, tmp_path):
    """A GPU run keeps its training generator on the GPU (a 16-byte Philox state): such a project was refused as
    'not a random generator state', and the CPU generator's set_state would have failed on it."""
    lab, ckpt = adam
    ckpt = copy.deepcopy(ckpt)
    ckpt["tensors"]["rng/generator"] = torch.arange(16, dtype=torch.uint8)
    path = tmp_path / "gpu.nnp"
    save_project(path, lab, ckpt)
    trainer = Trainer(lab, device="cpu")
    trainer.restore(load_project(path).checkpoint)
    trainer.train(1)


@pytest.mark.slow
def test_the_cli_exits_2_with_one_line_on_a_bad_optimizer_state(adam, tmp_path):
    lab, ckpt = adam
    for command, (key, value) in ((["train", "--epochs", "1", "--quiet"], ("params", None)),
                                  (["export", "--format", "py", "--to", str(tmp_path / "out")], ("eps", "x"))):
        path = tmp_path / f"{command[0]}.nnp"
        save_project(path, lab, _with_group(ckpt, key, value))
        before = path.read_bytes()
        result = subprocess.run([sys.executable, "-m", "playground", command[0], str(path), *command[1:]],
                                check=False, capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert result.returncode == 2, (command, result.returncode, result.stderr[-2000:])
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and f"'{key}'" in lines[0], result.stderr
        assert path.read_bytes() == before


# Entries bigger than the lab can need --------------------------------------------------------------------------

def _write_zip(path: Path, entries: dict[str, bytes], big_name: str, big_size: int) -> None:
    """A project whose ``big_name`` entry is ``big_size`` zero bytes, written and hashed in chunks (never whole in
    memory), listed in the manifest with its true size and checksum: only its size is wrong."""
    chunk = bytes(1024**2)
    digest = hashlib.sha256()
    for _ in range(big_size // len(chunk)):
        digest.update(chunk)
    manifest = json.loads(entries["manifest.json"])
    manifest["files"][big_name] = {"size": big_size, "sha256": digest.hexdigest()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in entries.items():
            if name not in ("manifest.json", big_name):
                zf.writestr(name, data)
        with zf.open(big_name, "w", force_zip64=True) as out:
            for _ in range(big_size // len(chunk)):
                out.write(chunk)


def test_a_weights_entry_far_bigger_than_its_network_is_refused_unread(adam, tmp_path, monkeypatch):
    """A 200 MB weights entry for a network of a few hundred bytes: refused from the zip's directory, before a
    byte of it is inflated (the ratio limit is lifted, as for an entry that deflates only 100 times)."""
    lab, ckpt = adam
    entries = proj.project_entries(lab, ckpt)
    path = tmp_path / "bomb.nnp"
    size = 200 * 1024**2
    _write_zip(path, entries, "weights/model.safetensors", size)
    assert path.stat().st_size < size // 100
    monkeypatch.setattr(proj, "MAX_RATIO", 10**6)
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    tracemalloc.start()
    try:
        with pytest.raises(ProjectError) as info:
            load_project(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert "'weights/model.safetensors' claims 209,715,200 bytes; the lab it belongs to needs at most" in message
    assert "weights/model.safetensors" not in opened and "lab.json" in opened
    assert peak < 20 * 1024**2, peak


@pytest.mark.parametrize("entry, size", [("state.safetensors", 16 * 1024**2), ("history.csv", 4 * 1024**2)])
def test_training_state_and_history_are_bounded_by_the_lab(adam, tmp_path, monkeypatch, entry, size):
    lab, ckpt = adam
    monkeypatch.setattr(proj, "MAX_RATIO", 10**6)
    monkeypatch.setattr(proj, "MAX_TRAINING_SAMPLES", 100_000)  # 2 MB of permutation and running sums
    path = tmp_path / "big.nnp"
    _write_zip(path, proj.project_entries(lab, ckpt), entry, size)
    with pytest.raises(ProjectError, match=f"'{entry}' claims {size:,} bytes; the lab it belongs to needs at most"):
        load_project(path)


def test_an_entry_whose_size_differs_from_its_manifest_is_refused_before_reading(adam, tmp_path):
    lab, ckpt = adam
    entries = proj.project_entries(lab, ckpt)
    manifest = json.loads(entries["manifest.json"])
    manifest["files"]["history.csv"]["size"] += 1
    entries["manifest.json"] = json.dumps(manifest).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    path = tmp_path / "altered.nnp"
    path.write_bytes(buf.getvalue())
    with pytest.raises(ProjectError, match="'history.csv' holds .* bytes, its manifest says"):
        load_project(path)


@pytest.mark.slow
def test_real_projects_stay_within_their_bounds(tmp_path):
    """The bounds refuse no real file, and a weights entry's is within a header margin of its true size."""
    trainer = _trained("lenet", optimizer="adam")
    path = tmp_path / "lenet.nnp"
    save_project(path, trainer.lab, trainer.checkpoint())
    project = load_project(path)
    assert project.checkpoint is not None
    entries = proj.project_entries(trainer.lab, trainer.checkpoint())
    files = {n["name"]: n["file"] for n in json.loads(entries["manifest.json"])["networks"]}
    bounds = proj._entry_bounds(proj.network_shapes(trainer.lab, "lenet"), files, project.checkpoint["meta"])
    for entry in files.values():
        assert len(entries[entry]) <= bounds[entry] <= len(entries[entry]) + 128 * 1024
    assert len(entries["state.safetensors"]) <= bounds["state.safetensors"]
    assert len(entries["history.csv"]) <= bounds["history.csv"]
