"""Project files: a saved run opens where it was, with the same curves, and goes on with the same next loss."""

from __future__ import annotations

import json
import math
import os
import zipfile

import pytest
import torch

from playground.engine import commands as cmd
from playground.engine import project as proj
from playground.engine.project import ProjectError, load_project, save_project
from playground.engine.trainer import Trainer
from playground.graph import Lab, templates

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _lab(name: str, epochs: int = 3) -> Lab:
    lab = templates.build_template(name)
    lab.training = lab.training.updated(epochs=epochs)
    return lab


def _steps(trainer: Trainer, batches: int) -> None:
    trainer.send(cmd.Step(batches=batches))
    for _ in trainer.run(interval=None):
        pass


def _next_losses(trainer: Trainer, n: int = 3) -> list[float]:
    out = []
    for _ in range(n):
        _steps(trainer, 1)
        out.append(float(trainer._losses[-1]))
    return out


@pytest.mark.parametrize("name", ["spiral", "lenet", "regression_plane"])
@pytest.mark.slow
def test_saving_mid_training_and_reopening_gives_the_same_next_losses(tmp_path, name):
    lab = _lab(name)
    first = Trainer(lab, device="cpu")
    _steps(first, 7)  # mid-epoch: the permutation, its position and the running means must survive
    path = tmp_path / f"{name}.nnp"
    size = save_project(path, first.lab, first.checkpoint(), thumbnail=PNG)
    assert size == path.stat().st_size > 0
    expected = _next_losses(first)

    project = load_project(path)
    assert project.lab.to_dict() == lab.to_dict()
    assert project.thumbnail == PNG
    assert project.step == 7 and project.trained_lab is None
    second = Trainer(project.training_lab, device="cpu")
    second.restore(project.checkpoint)
    assert second.step == 7
    assert _next_losses(second) == expected  # exactly, not approximately


def test_curves_continue_after_reopening_a_finished_epoch(tmp_path):
    first = Trainer(_lab("spiral", epochs=2), device="cpu")
    first.train()
    save_project(tmp_path / "p.nnp", first.lab, first.checkpoint())
    first.train(epochs=1)

    project = load_project(tmp_path / "p.nnp")
    second = Trainer(project.lab, device="cpu")
    second.restore(project.checkpoint)
    assert len(second.history) == 2
    second.train(epochs=1)
    for column in first.history.names:
        if column == "time":
            continue
        a, b = first.history.column(column), second.history.column(column)
        assert a.tolist() == b.tolist() or all(math.isnan(x) and math.isnan(y) for x, y in zip(a, b)), column


def test_history_round_trips_exactly_with_nan_and_inf():
    history = {"epoch": [1.0, 2.0], "train_loss": [0.1 + 0.2, float("inf")], "test_accuracy": [float("nan"), 0.5]}
    parsed = proj.parse_history(proj.history_csv(history), "x")
    assert parsed["train_loss"] == [0.1 + 0.2, float("inf")]
    assert math.isnan(parsed["test_accuracy"][0]) and parsed["test_accuracy"][1] == 0.5


def test_a_lab_that_never_trained_is_a_project_too(tmp_path):
    lab = _lab("tensorflow_playground")
    save_project(tmp_path / "fresh.nnp", lab)
    project = load_project(tmp_path / "fresh.nnp")
    assert project.checkpoint is None and project.lab.to_dict() == lab.to_dict()
    with zipfile.ZipFile(tmp_path / "fresh.nnp") as zf:
        assert zf.namelist() == ["manifest.json", "lab.json"]


def _untrained_checkpoint(lab: Lab, step: int = 0) -> dict:
    """A checkpoint of freshly compiled networks (for labs whose task does not train in this version yet)."""
    from playground.compile import compile_network

    tensors = {f"model/{net.name}/{k}": v.detach().clone() for net in lab.networks
               for k, v in compile_network(net.graph, net.name).module.state_dict().items()}
    return {"tensors": tensors, "meta": {"epoch": 0, "step": step}, "history": {"epoch": [], "train_loss": []}}


def test_entries_manifest_and_weights_are_plain_safetensors(tmp_path):
    lab = _lab("autoencoder")
    ckpt = _untrained_checkpoint(lab, step=2)
    save_project(tmp_path / "ae.nnp", lab, ckpt, thumbnail=PNG)
    with zipfile.ZipFile(tmp_path / "ae.nnp") as zf:
        names = zf.namelist()
        assert names[0] == "manifest.json"
        assert {"lab.json", "weights/encoder.safetensors", "weights/decoder.safetensors", "state.safetensors",
                "state.json", "history.csv", "thumbnail.png"} == set(names[1:])
        manifest = json.loads(zf.read("manifest.json"))
        from safetensors.torch import load

        enc = load(zf.read("weights/encoder.safetensors"))
    assert manifest["format"] == proj.FORMAT and manifest["version"] == proj.VERSION
    assert manifest["networks"] == [{"name": "encoder", "file": "weights/encoder.safetensors"},
                                    {"name": "decoder", "file": "weights/decoder.safetensors"}]
    assert manifest["training"]["step"] == 2
    saved = {k[len("model/encoder/"):]: v for k, v in ckpt["tensors"].items() if k.startswith("model/encoder/")}
    assert set(enc) == set(saved) and all(torch.equal(enc[k], v) for k, v in saved.items())
    project = load_project(tmp_path / "ae.nnp")
    assert set(project.checkpoint["tensors"]) == set(ckpt["tensors"])


def test_a_network_name_that_is_no_file_name_gets_a_safe_entry(tmp_path):
    lab = _lab("tensorflow_playground")
    lab.networks[0].name = "../../my net"
    trainer = Trainer(lab, device="cpu")
    save_project(tmp_path / "odd.nnp", trainer.lab, trainer.checkpoint())
    with zipfile.ZipFile(tmp_path / "odd.nnp") as zf:
        assert "weights/network1.safetensors" in zf.namelist()
    project = load_project(tmp_path / "odd.nnp")
    assert project.lab.networks[0].name == "../../my net"
    Trainer(project.lab, device="cpu").restore(project.checkpoint)


def test_an_edit_not_yet_applied_keeps_the_trained_lab_beside_the_edited_one(tmp_path):
    trainer = Trainer(_lab("tensorflow_playground"), device="cpu")
    _steps(trainer, 3)
    edited = Lab.from_dict(trainer.lab.to_dict())
    dense = next(n for n in edited.networks[0].graph.nodes.values() if n.kind == "Dense")
    edited.networks[0].graph.set_param(dense.name, "units", 7)
    save_project(tmp_path / "e.nnp", edited, trainer.checkpoint(), trained_lab=trainer.lab)
    project = load_project(tmp_path / "e.nnp")
    assert project.lab.to_dict() == edited.to_dict()
    assert project.trained_lab is not None and project.trained_lab.to_dict() == trainer.lab.to_dict()
    Trainer(project.training_lab, device="cpu").restore(project.checkpoint)


def test_weights_that_do_not_fit_the_graph_are_refused_with_the_layer_named(tmp_path):
    trainer = Trainer(_lab("spiral"), device="cpu")
    ckpt = trainer.checkpoint()
    other = _lab("tensorflow_playground")
    with pytest.raises(ProjectError, match="belongs to no network|do not fit"):
        save_project(tmp_path / "bad.nnp", other, {**ckpt, "tensors": {
            k.replace("model/model/", "model/nope/"): v for k, v in ckpt["tensors"].items()}})
    # Written by hand around the check, as a hostile or damaged file would be:
    entries = proj.project_entries(_lab("spiral"), ckpt)
    entries["lab.json"] = other.to_json().encode()
    _write_raw(tmp_path / "bad.nnp", entries)
    with pytest.raises(ProjectError, match=r"bad\.nnp: the weights of 'model' do not fit its graph \(unexpected "
                                           r"dense_4\.bias, dense_4\.weight\)"):
        load_project(tmp_path / "bad.nnp")
    narrower = _lab("spiral")
    narrower.networks[0].graph.set_param("dense_1", "units", 5)
    entries["lab.json"] = narrower.to_json().encode()
    _write_raw(tmp_path / "bad.nnp", entries)
    with pytest.raises(ProjectError, match=r"bad\.nnp: the weights of 'model' do not fit its graph: 'dense_1\.weight' "
                                           r"has shape \(16, 2\), the graph needs \(5, 2\)"):
        load_project(tmp_path / "bad.nnp")


def _write_raw(path, entries):
    """A zip with a consistent manifest around whatever entries the test wants."""
    import hashlib

    manifest = json.loads(entries["manifest.json"])
    manifest["files"] = {n: {"size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in entries.items()
                         if n != "manifest.json"}
    entries = {**entries, "manifest.json": json.dumps(manifest).encode()}
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def test_saving_over_a_file_replaces_it_whole_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "p.nnp"
    trainer = Trainer(_lab("spiral"), device="cpu")
    save_project(path, trainer.lab, trainer.checkpoint())
    _steps(trainer, 5)
    save_project(path, trainer.lab, trainer.checkpoint())
    assert load_project(path).step == 5
    assert os.listdir(tmp_path) == ["p.nnp"]


def test_a_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "p.nnp"
    trainer = Trainer(_lab("spiral"), device="cpu")
    save_project(path, trainer.lab, trainer.checkpoint())
    before = path.read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    _steps(trainer, 2)
    with pytest.raises(ProjectError, match=r"Cannot save .*p\.nnp: No space left on device"):
        save_project(path, trainer.lab, trainer.checkpoint())
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["p.nnp"]


def test_a_lab_json_is_told_apart_from_a_project(tmp_path):
    lab_path = tmp_path / "lab.json"
    _lab("spiral").save(str(lab_path))
    assert not proj.is_project_file(lab_path)
    with pytest.raises(ProjectError, match="looks like a lab's JSON"):
        load_project(lab_path)
    save_project(tmp_path / "p.nnp", _lab("spiral"))
    assert proj.is_project_file(tmp_path / "p.nnp")


def test_a_missing_file_is_a_clear_message(tmp_path):
    with pytest.raises(ProjectError, match=r"Cannot read .*nothing\.nnp: No such file"):
        load_project(tmp_path / "nothing.nnp")


def test_the_thumbnail_must_be_a_png(tmp_path):
    with pytest.raises(ProjectError, match="PNG"):
        save_project(tmp_path / "p.nnp", _lab("spiral"), thumbnail=b"GIF89a")
    assert not (tmp_path / "p.nnp").exists()


def test_temporaries_of_killed_saves_are_cleaned_up_once_stale(tmp_path):
    old = tmp_path / ".p.nnp-killed.tmp"
    young = tmp_path / ".p.nnp-running.tmp"
    other = tmp_path / ".q.nnp-killed.tmp"
    for f in (old, young, other):
        f.write_bytes(b"half a zip")
    hours_ago = os.path.getmtime(old) - 2 * proj.STALE_TEMPORARY_S
    os.utime(old, (hours_ago, hours_ago))
    os.utime(other, (hours_ago, hours_ago))
    save_project(tmp_path / "p.nnp", _lab("spiral"))
    assert not old.exists() and young.exists() and other.exists()
