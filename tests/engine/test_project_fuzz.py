"""Hostile and damaged project files: truncated, bit-flipped and hand-made ones. Each must give a ProjectError that
names the file and the problem; none may crash, run code, write anything or change the file it read."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save as save_tensors

from playground.engine import commands as cmd
from playground.engine import project as proj
from playground.engine.project import ProjectError, load_project, read_project, save_project
from playground.engine.trainer import Trainer
from playground.graph import templates

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


@pytest.fixture(scope="module")
def good() -> dict:
    """A real project of a run stopped mid-epoch: its bytes, its entries and what it loads to."""
    lab = templates.build_template("tensorflow_playground")
    trainer = Trainer(lab, device="cpu")
    trainer.send(cmd.Step(batches=30))
    for _ in trainer.run(interval=None):
        pass
    entries = proj.project_entries(trainer.lab, trainer.checkpoint(), thumbnail=PNG)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_STORED if name.endswith(".safetensors")
                        else zipfile.ZIP_DEFLATED)
    blob = buf.getvalue()
    return {"bytes": blob, "entries": entries, "project": read_project(blob, "good.nnp")}


def _same(a: proj.Project, b: proj.Project) -> bool:
    ta, tb = a.checkpoint["tensors"], b.checkpoint["tensors"]
    return (a.lab.to_dict() == b.lab.to_dict() and set(ta) == set(tb) and all(torch.equal(ta[k], tb[k]) for k in ta)
            and a.thumbnail == b.thumbnail and json.dumps(a.checkpoint["meta"]) == json.dumps(b.checkpoint["meta"]))


def _expect_refused(blob: bytes, tmp_path: Path, match: str | None = None) -> str:
    """Load ``blob`` from a file: it must be refused with a ProjectError naming the file, and nothing written."""
    path = tmp_path / "hostile.nnp"
    path.write_bytes(blob)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ProjectError) as info:
        load_project(path)
    message = str(info.value)
    assert str(path) in message, message
    if match is not None:
        assert match in message, message
    assert path.read_bytes() == blob and sorted(os.listdir(tmp_path)) == before
    return message


def _zip(entries: dict[str, bytes], manifest_fix: bool = True, **manifest_changes) -> bytes:
    """A zip of ``entries`` whose manifest lists them with the right checksums (so only the hostile part is
    wrong), after ``manifest_changes``."""
    entries = dict(entries)
    manifest = json.loads(entries["manifest.json"])
    if manifest_fix:
        manifest["files"] = {n: {"size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                             for n, d in entries.items() if n != "manifest.json"}
    manifest.update(manifest_changes)
    entries["manifest.json"] = json.dumps(manifest).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


# Damage ---------------------------------------------------------------------------------------------------------

def test_every_truncation_is_refused_clearly(good, tmp_path):
    blob = good["bytes"]
    cuts = sorted(set(range(0, len(blob), max(1, len(blob) // 400))) | set(range(len(blob) - 200, len(blob))))
    for cut in cuts:
        with pytest.raises(ProjectError) as info:
            read_project(blob[:cut], "cut.nnp")
        assert "cut.nnp" in str(info.value)
    assert len(cuts) > 500


@pytest.mark.slow
def test_seeded_bit_flips_are_refused_or_harmless(good):
    rng = random.Random(7)
    blob = good["bytes"]
    refused = 0
    for _ in range(1500):
        damaged = bytearray(blob)
        offset = rng.randrange(len(damaged))
        damaged[offset] ^= 1 << rng.randrange(8)
        try:
            loaded = read_project(bytes(damaged), "flipped.nnp")
        except ProjectError as e:
            assert "flipped.nnp" in str(e)
            refused += 1
            continue
        # A flip in a part no reader uses (a timestamp, an attribute byte) changes nothing that is loaded.
        assert _same(loaded, good["project"]), offset
    assert refused > 1000


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_overwrites_never_crash(good, data):
    blob = bytearray(good["bytes"])
    for _ in range(data.draw(st.integers(1, 4))):
        offset = data.draw(st.integers(0, len(blob) - 1))
        chunk = data.draw(st.binary(min_size=1, max_size=16))
        blob[offset:offset + len(chunk)] = chunk
    try:
        loaded = read_project(bytes(blob), "fuzzed.nnp")
    except ProjectError as e:
        assert "fuzzed.nnp" in str(e)
    else:
        assert _same(loaded, good["project"])


@pytest.mark.parametrize("name", ["lab.json", "state.json", "history.csv", "state.safetensors",
                                  "weights/model.safetensors", "thumbnail.png"])
def test_a_damaged_entry_with_a_correct_crc_fails_its_checksum(good, tmp_path, name):
    entries = dict(good["entries"])
    data = bytearray(entries[name])
    data[len(data) // 2] ^= 0x10
    entries[name] = bytes(data)
    _expect_refused(_zip(entries, manifest_fix=False), tmp_path, f"the entry '{name}' does not match its checksum")


# Hostile zips ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("evil", ["../evil.json", "../../etc/passwd", "/etc/passwd", "weights/../../x.safetensors",
                                  "C:\\windows\\evil.dll", "..\\evil", "weights/../lab.json"])
def test_paths_outside_the_project_are_refused(good, tmp_path, evil):
    entries = {**good["entries"], evil: b"x"}
    message = _expect_refused(_zip(entries), tmp_path)
    assert evil in message and ("outside the project" in message or "unexpected entry" in message)


@pytest.mark.parametrize("name", ["weights/model.py", "script.sh", "weights/a/b.safetensors", "weights/.safetensors",
                                  "lab.json/", "__init__.py", "state.pkl", "weights/" + "a" * 65 + ".safetensors"])
def test_unknown_entries_are_refused(good, tmp_path, name):
    _expect_refused(_zip({**good["entries"], name: b"x"}), tmp_path, f"unexpected entry '{name}'")


def test_a_zip_bomb_is_refused_before_it_inflates(good, tmp_path):
    entries = {**good["entries"], "history.csv": b"0" * (64 * 1024**2)}
    blob = _zip(entries)
    assert len(blob) < 1024**2
    _expect_refused(blob, tmp_path, "would inflate")


def test_an_entry_over_its_size_limit_is_refused(good, tmp_path, monkeypatch):
    monkeypatch.setattr(proj, "MAX_JSON_BYTES", 1000)
    _expect_refused(good["bytes"], tmp_path, "claims")
    monkeypatch.undo()
    monkeypatch.setattr(proj, "MAX_TOTAL_BYTES", 1000)
    _expect_refused(good["bytes"], tmp_path, "the limit is 1,000")


def test_a_file_over_the_size_limit_is_refused_unread(good, tmp_path, monkeypatch):
    monkeypatch.setattr(proj, "MAX_FILE_BYTES", 100)
    _expect_refused(good["bytes"], tmp_path, "may have at most 100")


def test_an_entry_that_inflates_past_its_declared_size_is_refused(good, tmp_path):
    """The zip's headers say 'small'; the deflated data says 'big'. Only the declared size is ever read."""
    blob = bytearray(_zip(good["entries"]))
    with zipfile.ZipFile(io.BytesIO(bytes(blob))) as zf:
        info = zf.getinfo("history.csv")
    record = blob.rfind(b"PK\x01\x02", 0, blob.rfind(b"history.csv"))
    struct.pack_into("<I", blob, record + 24, 10)  # uncompressed size in the central directory
    struct.pack_into("<I", blob, info.header_offset + 22, 10)  # and in the local header
    _expect_refused(bytes(blob), tmp_path)


def test_too_many_entries_are_refused(good, tmp_path):
    entries = dict(good["entries"])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for i in range(100):
            zf.writestr(f"weights/w{i}.safetensors", b"")
    _expect_refused(buf.getvalue(), tmp_path, "at most 80")


def test_a_duplicated_entry_is_refused(good, tmp_path):
    buf = io.BytesIO()
    with pytest.warns(UserWarning), zipfile.ZipFile(buf, "w") as zf:
        for name, data in good["entries"].items():
            zf.writestr(name, data)
        zf.writestr("lab.json", templates.build_template("spiral").to_json())
    _expect_refused(buf.getvalue(), tmp_path, "appears twice")


def test_an_encrypted_entry_is_refused(good, tmp_path):
    blob = bytearray(good["bytes"])
    with zipfile.ZipFile(io.BytesIO(bytes(blob))) as zf:
        info = zf.getinfo("lab.json")
    idx = blob.find(b"lab.json", blob.find(b"PK\x01\x02"))
    record = blob.rfind(b"PK\x01\x02", 0, idx)
    flags = struct.unpack_from("<H", blob, record + 8)[0]
    struct.pack_into("<H", blob, record + 8, flags | 1)
    struct.pack_into("<H", blob, info.header_offset + 6, flags | 1)
    _expect_refused(bytes(blob), tmp_path, "encrypted")


def test_an_unsupported_compression_is_refused(good, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in good["entries"].items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_BZIP2 if name == "lab.json" else zipfile.ZIP_STORED)
    _expect_refused(buf.getvalue(), tmp_path, "unsupported compression")


@pytest.mark.parametrize("changes, match", [
    ({"version": 2}, "written by a newer Neural Network Playground (project format version 2"),
    ({"version": 999999}, "update the app"),
    ({"version": "1"}, "must be a positive integer. Received: '1'"),
    ({"version": 0}, "must be a positive integer"),
    ({"version": True}, "must be a positive integer"),
    ({"version": None}, "must be a positive integer"),
    ({"format": "something/else"}, "not a Neural Network Playground project"),
    ({"files": []}, "no valid 'files'"),
    ({"networks": "model"}, "no valid 'networks'"),
    ({"networks": [{"name": "model", "file": "weights/other.safetensors"}]}, "weight files do not match"),
    ({"networks": []}, "the manifest lists the networks"),
])
def test_wrong_versions_and_manifests_are_refused(good, tmp_path, changes, match):
    _expect_refused(_zip(good["entries"], **changes), tmp_path, match)


@pytest.mark.parametrize("manifest", [b"", b"not json", b"[1, 2]", b"\xff\xfe", b"[" * 100000, b'"text"'])
def test_a_broken_manifest_is_refused(good, tmp_path, manifest):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("manifest.json", manifest)
        zf.writestr("lab.json", good["entries"]["lab.json"])
    _expect_refused(buf.getvalue(), tmp_path)


def test_no_manifest_is_not_a_project(good, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lab.json", good["entries"]["lab.json"])
    _expect_refused(buf.getvalue(), tmp_path, "no manifest.json")


def test_an_entry_missing_from_the_zip_is_named(good, tmp_path):
    entries = {k: v for k, v in good["entries"].items() if k != "state.safetensors"}
    _expect_refused(_zip(entries, manifest_fix=False), tmp_path, "missing state.safetensors")


def test_a_training_state_without_its_parts_is_refused(good, tmp_path):
    entries = {k: v for k, v in good["entries"].items() if k != "state.json"}
    _expect_refused(_zip(entries), tmp_path, "the training state is incomplete (no state.json)")


@pytest.mark.parametrize("entry, data, match", [
    ("lab.json", b"\xff\xfe\x00", "lab.json is not UTF-8"),
    ("lab.json", b'{"format": "neural-network-playground/lab", "version": 99}', "newer Neural Network Playground"),
    ("lab.json", b'{"format": "neural-network-playground/lab", "version": 1, "networks": [{"name": "model", '
                 b'"graph": {"nodes": [{"kind": "Eval", "name": "x"}]}}]}', "lab.json"),
    ("state.json", b"[]", "needs a 'meta' object"),
    ("state.json", b'{"meta": {"epoch": "many"}}', "'epoch' must be a non-negative integer"),
    ("state.json", b'{"meta": {"step": -4}}', "'step' must be a non-negative integer"),
    ("state.json", b'{"meta": {"pos": 1e400}}', "'pos' must be a non-negative integer"),
    ("state.json", b'{"meta": {"elapsed": "soon"}}', "'elapsed' must be a number"),
    ("state.json", b'{"meta": {"optimizers": {"model": {"param_groups": 3}}}}', "not a valid optimizer state"),
    ("state.json", b'{"meta": {}, "trained_lab": {"format": "x"}}', "the lab the weights were trained with"),
    ("history.csv", b"epoch,loss\n1,2,3\n", "line 2 has 3 values for 2 columns"),
    ("history.csv", b"epoch,epoch\n1,2\n", "repeated column"),
    ("history.csv", b"epoch\n__import__('os')\n", "is not a number"),
    ("history.csv", b"", "history.csv is empty"),
    ("thumbnail.png", b"GIF89a", "thumbnail.png is not a PNG"),
    ("weights/model.safetensors", b"\x00" * 7, "weights/model.safetensors is not a valid safetensors file"),
    ("weights/model.safetensors", struct.pack("<Q", 2**62) + b"{}", "not a valid safetensors file"),
    ("weights/model.safetensors", struct.pack("<Q", 60) + b'{"w": {"dtype": "F32", "shape": [1000000000], '
                                                          b'"data_offsets": [0, 4]}}  ', "not a valid safetensors"),
    ("state.safetensors", b"PK\x03\x04 not tensors", "state.safetensors is not a valid safetensors file"),
])
def test_hostile_entry_contents_are_refused(good, tmp_path, entry, data, match):
    _expect_refused(_zip({**good["entries"], entry: data}), tmp_path, match)


@pytest.mark.parametrize("tensors, match", [
    ({"rng/torch": torch.zeros(3, dtype=torch.uint8)}, "'rng/torch' is not a random generator state"),
    ({"rng/generator": torch.zeros(5056, dtype=torch.float32)}, "'rng/generator' is not a random generator state"),
    ({"perm": torch.tensor([0, 0, 1])}, "'perm' is not a permutation"),
    ({"perm": torch.tensor([5, 10**12])}, "'perm' is not a permutation"),
    ({"running/losses": torch.zeros(2, 2)}, "must be a list of numbers"),
    ({"model/model/dense_1.weight": torch.zeros(4, 2)}, "holds model weights"),
    ({"anything_else": torch.zeros(1)}, "unexpected tensor 'anything_else'"),
])
def test_hostile_state_tensors_are_refused(good, tmp_path, tensors, match):
    from safetensors.torch import load

    state = load(good["entries"]["state.safetensors"])
    state.update(tensors)
    _expect_refused(_zip({**good["entries"], "state.safetensors": save_tensors(state)}), tmp_path, match)


def test_weights_with_a_wrong_dtype_are_refused(good, tmp_path):
    from safetensors.torch import load

    weights = {k: v.double() for k, v in load(good["entries"]["weights/model.safetensors"]).items()}
    _expect_refused(_zip({**good["entries"], "weights/model.safetensors": save_tensors(weights)}), tmp_path,
                    "is torch.float64, the graph needs torch.float32")


def test_a_pickle_is_never_unpickled(good, tmp_path):
    """A file that a careless reader would unpickle: the payload would create a file. Nothing may run."""
    import pickle

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = pickle.dumps(Payload())
    for entry in ("weights/model.safetensors", "state.safetensors", "state.json", "history.csv"):
        with pytest.raises(ProjectError):
            read_project(_zip({**good["entries"], entry: evil}), "pickle.nnp")
    assert not marker.exists()


def test_a_valid_file_still_loads_after_all_that(good, tmp_path):
    path = tmp_path / "ok.nnp"
    path.write_bytes(good["bytes"])
    assert _same(load_project(path), good["project"])


# Killing a save -------------------------------------------------------------------------------------------------

_SAVER = r"""
import sys, torch
from playground.compile import compile_network
from playground.engine.project import save_project
from playground.graph import templates

lab = templates.build_template("mnist_2_layers")
net = lab.networks[0]
module = compile_network(net.graph, net.name).module
tensors = {f"model/model/{k}": v.detach().clone() for k, v in module.state_dict().items()}
params = list(module.parameters())
tensors.update({f"optimizer/model/{i}/momentum_buffer": p.detach().clone() for i, p in enumerate(params)})
groups = [{"lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": False, "maximize": False,
           "foreach": None, "differentiable": False, "fused": None, "params": list(range(len(params)))}]
optimizers = {"model": {"param_groups": groups, "state": {str(i): {} for i in range(len(params))}}}
i = 0
while True:
    i += 1
    for t in tensors.values():
        t.fill_(float(i))
    ckpt = {"tensors": tensors, "meta": {"epoch": i, "step": i, "optimizers": optimizers},
            "history": {"epoch": [float(i)]}}
    print("start", i, flush=True)
    save_project(sys.argv[1], lab, ckpt)
    print("saved", i, flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.slow
def test_killing_a_save_leaves_the_last_good_file(tmp_path):
    path = tmp_path / "run.nnp"
    script = tmp_path / "saver.py"
    script.write_text(_SAVER)
    rng = random.Random(3)
    mid_save = 0
    for _ in range(6):
        child = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True,
                                 cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        lines = []
        assert child.stdout is not None
        while not any(line.startswith("saved") for line in lines):
            line = child.stdout.readline()
            assert line, "the saver died before its first save"
            lines.append(line)
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        lines += rest.splitlines()
        saved = [int(line.split()[1]) for line in lines if line.startswith("saved")]
        mid_save += lines[-1].startswith("start")
        project = load_project(path)  # the last good file, whole
        assert project.step in (saved[-1], saved[-1] + 1)
        # Every tensor of the file comes from the same save: none half old, half new.
        assert all(torch.all(t == project.step) for t in project.checkpoint["tensors"].values())
    assert mid_save >= 1  # at least one kill landed inside save_project


@pytest.mark.parametrize("key, value, match", [
    ("exp_avg", torch.zeros(3, 3), "does not fit parameter 0 ((3, 3) torch.float32"),
    ("exp_avg", torch.zeros(()), "does not fit parameter 0 (() torch.float32"),
    ("exp_avg_sq", None, "torch.float64"),
    ("step", torch.tensor([1, 2]), "'step'"),
])
@pytest.mark.slow
def test_optimizer_state_that_does_not_fit_its_parameter_is_refused_not_crashed(tmp_path, key, value, match):
    """torch does not check optimizer buffers against their parameters, and the fused Adam kernel given a buffer
    of another size reads out of bounds and crashes the process. Run in a child, so a crash shows as one."""
    lab = templates.build_template("spiral")
    trainer = Trainer(lab, device="cpu")
    trainer.send(cmd.Step(batches=3))
    for _ in trainer.run(interval=None):
        pass
    ckpt = trainer.checkpoint()
    name = f"optimizer/model/0/{key}"
    assert name in ckpt["tensors"]
    ckpt["tensors"][name] = ckpt["tensors"][name].double() if value is None else value
    path = tmp_path / "evil.nnp"
    save_project(path, trainer.lab, ckpt)
    before = path.read_bytes()
    result = subprocess.run([sys.executable, "-m", "playground", "train", str(path), "--epochs", "1", "--quiet"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert result.stderr.startswith("error: ") and match in result.stderr and "Traceback" not in result.stderr
    assert path.read_bytes() == before
