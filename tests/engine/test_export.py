"""Exports: every template in every format, loaded by a separate Python that knows nothing of the playground."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from playground.compile import compile_network
from playground.engine import export as ex
from playground.engine.export import (
    ExportError,
    ExportSource,
    build_networks,
    export_source,
    read_source,
)
from playground.graph import KINDS, Graph, Lab
from playground.graph.templates import TEMPLATES, tensorflow_playground

FORMATS = ("onnx", "py", "pt2")
TOLERANCE = {"onnx": 1e-4, "py": 1e-5, "pt2": 1e-5}


def zoo_lab() -> Lab:
    """One network that uses every layer kind of the catalog, with two inputs (an image and token ids)."""
    g = Graph()
    add = g.add_node
    add("Input", "image", {"kind": "image", "channels": 1, "height": 8, "width": 8})
    add("Conv2d", "conv", {"filters": 4, "kernel_size": 3, "padding": 1})
    add("BatchNorm", "bn_image", {})
    add("LeakyReLU", "leaky", {"slope": 0.1})
    add("MaxPool2d", "pool", {"kernel_size": 2})
    add("Pad2d", "mirror", {"padding": 1, "mode": "reflect"})
    add("Conv2d", "grouped", {"filters": 4, "kernel_size": 3, "groups": 2})
    add("InstanceNorm", "in_image", {})
    add("GroupNorm", "group_norm", {"groups": 2})
    add("PixelShuffle", "shuffle", {"factor": 2})
    add("Upsample", "up", {"scale": 2, "mode": "bilinear"})
    add("ConvTranspose2d", "deconv", {"filters": 2, "kernel_size": 4, "stride": 2, "padding": 1})
    add("AvgPool2d", "avg", {"kernel_size": 4})
    add("Concat", "join_images", {})
    add("Flatten", "flat", {})
    add("Dense", "dense_a", {"units": 16})
    add("BatchNorm", "bn_vector", {"momentum": 0.2})
    add("GELU", "gelu", {})
    add("Dropout", "drop", {"p": 0.3})
    add("Reshape", "to_seq", {"shape": [4, -1]})
    add("GRU", "gru", {"hidden": 5, "output": "sequence"})
    add("LayerNorm", "norm", {})
    add("RNN", "rnn", {"hidden": 3, "layers": 2, "bidirectional": True, "output": "last", "nonlinearity": "relu"})
    add("Softplus", "softplus", {"beta": 2.0})
    add("Dense", "dense_b", {"units": 6, "bias": False})
    add("Input", "tokens", {"kind": "tokens", "steps": 5})
    add("Embedding", "embed", {"vocabulary": 10, "dim": 4})
    add("LSTM", "lstm", {"hidden": 6, "output": "last", "bidirectional": True})
    add("Dense", "dense_c", {"units": 6})
    add("ReLU", "relu", {})
    add("Add", "sum", {})
    add("Multiply", "gate", {})
    add("Sample", "sample", {})
    add("Tanh", "tanh", {})
    add("Sigmoid", "sigmoid", {})
    add("Identity", "same", {})
    add("Dense", "dense_d", {"units": 3})
    add("Softmax", "softmax", {})
    add("Output", "probabilities", {"head": "classification"})
    add("Output", "features", {"head": "code"})
    g.chain("image", "conv", "bn_image", "leaky", "pool", "mirror", "grouped", "in_image", "group_norm", "shuffle",
            "up", "deconv", "avg")
    g.connect("avg", "join_images", "a")
    g.connect("leaky", "join_images", "b")
    g.chain("join_images", "flat", "dense_a", "bn_vector", "gelu", "drop", "to_seq", "gru", "norm", "rnn",
            "softplus", "dense_b")
    g.chain("tokens", "embed", "lstm", "dense_c", "relu")
    g.connect("dense_b", "sum", "a")
    g.connect("relu", "sum", "b")
    g.connect("sum", "gate", "a")
    g.connect("relu", "gate", "b")
    g.connect("gate", "sample", "mean")
    g.connect("relu", "sample", "log_variance")
    g.chain("sample", "tanh", "sigmoid", "same", "dense_d", "softmax", "probabilities")
    g.connect("relu", "features")
    lab = Lab(name="Every layer")
    lab.add_network("model", "model", g)
    return lab


def _trained_looking(nets: dict) -> None:
    """Move every weight and running statistic off its initial value, as training would, at its own scale (so
    outputs keep the sizes of a trained network's and float32 rounding stays far below the tolerances)."""
    gen = torch.Generator().manual_seed(7)
    for net in nets.values():
        with torch.no_grad():
            for name, t in net.module.state_dict().items():
                if not t.is_floating_point():
                    continue
                if "running_var" in name:
                    t.copy_(0.5 + torch.rand(t.shape, generator=gen))
                else:
                    scale = float(t.std()) if t.numel() > 1 and float(t.std()) > 0 else 0.1
                    t.add_(torch.randn(t.shape, generator=gen) * 0.5 * scale)


# Runs in a fresh interpreter (-I: no PYTHONPATH, no user site) where the playground cannot be imported, so the
# exported files prove they need only torch, safetensors and onnxruntime.
CONSUMER = r"""
import importlib.util, json, sys

class NoPlayground:
    def find_spec(self, name, path=None, target=None):
        if name == "playground" or name.startswith("playground."):
            raise ImportError("an exported file tried to import the playground")
        return None

sys.meta_path.insert(0, NoPlayground())
import numpy as np
import onnxruntime as ort
import torch

def save(outputs, prefix):
    outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    for i, o in enumerate(outputs):
        np.save(f"{prefix}.{i}.npy", np.asarray(o.detach().numpy() if hasattr(o, "detach") else o))

for item in json.load(open(sys.argv[1])):
    arrays = [np.load(p) for p in item["inputs"]]
    tensors = [torch.from_numpy(a) for a in arrays]
    spec = importlib.util.spec_from_file_location(item["module"], item["py"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.load(item.get("weights"))
    with torch.no_grad():
        save(model(*tensors), item["out"] + ".py")
    program = torch.export.load(item["pt2"]).module()
    with torch.no_grad():
        save(program(*tensors), item["out"] + ".pt2")
    session = ort.InferenceSession(item["onnx"], providers=["CPUExecutionProvider"])
    feed = {i.name: a for i, a in zip(session.get_inputs(), arrays)}
    save(session.run(None, feed), item["out"] + ".onnx")
assert not any(m == "playground" or m.startswith("playground.") for m in sys.modules)
print("consumer ok")
"""


def _export_everything(labs: dict[str, Lab], root: Path, batches: dict[str, int]) -> tuple[list, dict, dict]:
    manifest, expected, seconds = [], {}, {f: 0.0 for f in FORMATS}
    for key, lab in labs.items():
        source = ExportSource(lab)
        nets = build_networks(source)
        _trained_looking(nets)
        for fmt in FORMATS:
            for result in export_source(source, fmt, root / key, networks=nets):
                assert result.ok, result.summary()
                seconds[fmt] += result.seconds
        for name, net in nets.items():
            inputs = ex.example_inputs(net, batches.get(key, 4), seed=11)
            paths = []
            for i, t in enumerate(inputs):
                paths.append(str(root / key / f"{name}.input{i}.npy"))
                np.save(paths[-1], t.numpy())
            out = str(root / key / f"{name}.out")
            expected[out] = [t.numpy() for t in ex.run_torch(net, inputs)]
            manifest.append({"module": f"{key}_{name}", "py": str(root / key / f"{name}.py"),
                             "pt2": str(root / key / f"{name}.pt2"), "onnx": str(root / key / f"{name}.onnx"),
                             "inputs": paths, "out": out})
    return manifest, expected, seconds


def _compare(expected: dict, root: Path) -> dict[str, float]:
    worst = {f: 0.0 for f in FORMATS}
    for prefix, outputs in expected.items():
        for fmt in FORMATS:
            for i, want in enumerate(outputs):
                got = np.load(f"{prefix}.{fmt}.{i}.npy")
                assert got.shape == want.shape, (prefix, fmt, i)
                diff = float(np.abs(got.astype(np.float64) - want).max()) if want.size else 0.0
                assert diff <= TOLERANCE[fmt], f"{prefix} {fmt} output {i} differs by {diff:.2e}"
                worst[fmt] = max(worst[fmt], diff)
    return worst


@pytest.mark.slow
def test_every_template_in_every_format_matches_the_app_in_a_separate_process(tmp_path):
    labs = {key: t.build() for key, t in TEMPLATES.items()}
    labs["every_layer"] = zoo_lab()
    start = time.perf_counter()
    manifest, expected, seconds = _export_everything(labs, tmp_path, batches={"every_layer": 1, "lenet": 2})
    exported = time.perf_counter() - start
    # Weights given explicitly, from a copy somewhere else, also load.
    copy = tmp_path / "elsewhere.safetensors"
    copy.write_bytes(Path(manifest[0]["py"]).with_suffix(".safetensors").read_bytes())
    manifest[0]["weights"] = str(copy)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-I", "-c", CONSUMER, str(tmp_path / "manifest.json")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    consumed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr[-3000:]
    assert "consumer ok" in done.stdout
    worst = _compare(expected, tmp_path)
    print(f"\nexport {exported:.1f} s ({', '.join(f'{f} {s:.1f} s' for f, s in seconds.items())}); separate process "
          f"{consumed:.1f} s; largest differences: {', '.join(f'{f} {d:.1e}' for f, d in worst.items())}")


def test_the_zoo_uses_every_layer_kind():
    # A new kind in the catalog must be taught to the exporters (and added to the zoo) before it ships.
    used = {n.kind for n in zoo_lab().networks[0].graph.nodes.values()}
    assert used == set(KINDS)


def test_the_python_export_reads_like_the_diagram(tmp_path):
    source = ExportSource(tensorflow_playground())
    (result,) = export_source(source, "py", tmp_path / "circle.py")
    text = (tmp_path / "circle.py").read_text()
    tree = ast.parse(text)
    imports = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imports |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imports == {"pathlib", "torch", "safetensors.torch"}
    assert "self.dense_1 = nn.Linear(2, 4)" in text
    assert "        dense_1 = self.dense_1(input_1)\n" in text
    assert "= None" not in text.split("class Model")[1].split("def load")[0]
    assert "def load(weights=None):" in text
    assert "INPUTS = {'input_1': {'kind': 'vector', 'features': 2}}" in text
    assert result.paths == [tmp_path / "circle.py", tmp_path / "circle.safetensors"]
    assert result.max_difference == 0.0


def test_a_multi_network_lab_writes_one_file_per_network():
    assert ex.target_paths(["encoder", "decoder"], "onnx", "out/vae.onnx") == {
        "encoder": Path("out/vae-encoder.onnx"), "decoder": Path("out/vae-decoder.onnx")}
    assert ex.target_paths(["model"], "onnx", "out/net.onnx") == {"model": Path("out/net.onnx")}
    assert ex.target_paths(["model"], "pt2", "out") == {"model": Path("out/model.pt2")}


def test_a_run_folder_is_read_with_its_weights(tmp_path):
    lab = tensorflow_playground()
    nets = build_networks(ExportSource(lab))
    _trained_looking(nets)
    state = {k: v.contiguous() for k, v in nets["model"].module.state_dict().items()}
    save_file(state, str(tmp_path / "model.safetensors"))
    (tmp_path / "lab.json").write_text(lab.to_json())
    (tmp_path / "history.csv").write_text("epoch,step\n1,10\n")
    source = read_source(tmp_path)
    assert source.history_csv == "epoch,step\n1,10\n"
    export_source(source, "onnx", tmp_path / "m.onnx")
    x = ex.example_inputs(nets["model"], 6)
    got = ex.run_onnx(tmp_path / "m.onnx", ["input_1"], x)[0]
    np.testing.assert_allclose(got, ex.run_torch(nets["model"], x)[0].numpy(), atol=1e-5)
    assert ex.write_history_csv(source, tmp_path / "h.csv").read_text() == "epoch,step\n1,10\n"


def test_a_bare_lab_exports_the_weights_training_would_start_from(tmp_path):
    from playground.engine.trainer import Trainer

    lab = tensorflow_playground()
    path = tmp_path / "lab.json"
    lab.save(str(path))
    nets = build_networks(read_source(path))
    start = Trainer(lab).state_dicts()["model"]
    for key, value in nets["model"].module.state_dict().items():
        assert torch.equal(value, start[key]), key


def test_weights_that_do_not_fit_are_refused_by_name(tmp_path):
    net = compile_network(tensorflow_playground().networks[0].graph)
    state = dict(net.module.state_dict())
    state["dense_1.weight"] = torch.zeros(5, 2)
    with pytest.raises(ExportError, match=r"dense_1.weight is \(5, 2\) in the file but \(4, 2\)"):
        ex.load_weights(net, state)
    del state["dense_1.weight"]
    with pytest.raises(ExportError, match="lacks dense_1.weight"):
        ex.load_weights(net, state)


def test_a_pickle_posing_as_weights_is_refused_and_not_run(tmp_path):
    import pickle

    lab = tensorflow_playground()
    (tmp_path / "lab.json").write_text(lab.to_json())
    marker = tmp_path / "ran"
    payload = pickle.dumps(_Evil(str(marker)))
    (tmp_path / "model.safetensors").write_bytes(payload)
    with pytest.raises(ExportError, match="not a readable safetensors file"):
        read_source(tmp_path)
    assert not marker.exists()


class _Evil:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (Path(self.path).touch, ())


def test_missing_weights_and_non_runs_get_clear_errors(tmp_path):
    with pytest.raises(ExportError, match="has no lab.json"):
        read_source(tmp_path)
    (tmp_path / "lab.json").write_text(tensorflow_playground().to_json())
    with pytest.raises(ExportError, match=r"no weights for network 'model' \(model.safetensors is missing\)"):
        read_source(tmp_path)
    with pytest.raises(ExportError, match="does not exist"):
        read_source(tmp_path / "nope.zip")


def test_the_onnx_check_reports_a_difference(tmp_path, monkeypatch):
    real = ex.run_onnx
    monkeypatch.setattr(ex, "run_onnx", lambda *a: [o + 1e-2 for o in real(*a)])
    (result,) = export_source(ExportSource(tensorflow_playground()), "onnx", tmp_path)
    assert not result.ok and result.max_difference == pytest.approx(1e-2, rel=1e-3)
    assert "more than the 1e-04 allowed" in result.summary()


def test_the_onnx_file_has_a_dynamic_batch_dimension(tmp_path):
    import onnx

    export_source(ExportSource(tensorflow_playground()), "onnx", tmp_path)
    model = onnx.load(str(tmp_path / "model.onnx"))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 2
    assert [i.name for i in model.graph.input] == ["input_1"] and [o.name for o in model.graph.output] == ["output_1"]


def test_a_project_file_is_read_with_the_weights_and_history_it_trained(tmp_path):
    from playground.engine.project import save_project
    from playground.engine.trainer import Trainer

    lab = tensorflow_playground()
    lab.training = lab.training.updated(epochs=3)
    trainer = Trainer(lab)
    for _ in trainer.run(interval=None):
        pass
    save_project(tmp_path / "circle.nnp", lab, trainer.checkpoint())
    source = read_source(tmp_path / "circle.nnp")
    trained = trainer.state_dicts()["model"]
    nets = build_networks(source)
    for key, value in nets["model"].module.state_dict().items():
        assert torch.equal(value, trained[key]), key
    assert source.history_csv is not None and len(source.history_csv.strip().splitlines()) == 4
    (result,) = export_source(source, "py", tmp_path / "circle.py")
    assert result.ok
    with pytest.raises(ExportError, match="junk.nnp is damaged or truncated"):
        (tmp_path / "junk.nnp").write_bytes(b"PK\x03\x04junk")
        read_source(tmp_path / "junk.nnp")


# Recurrent networks: the sequence length is free in ONNX and torch.export, as the batch is -----------------------

RECURRENT_TEMPLATES = ("char_rnn", "lstm_sequence", "sequence_classifier")


@pytest.mark.parametrize("key", RECURRENT_TEMPLATES)
@pytest.mark.slow
def test_recurrent_exports_read_sequences_of_any_length(tmp_path, key):
    import onnx

    lab = TEMPLATES[key].build()
    source = ExportSource(lab)
    nets = build_networks(source)
    _trained_looking(nets)
    net = nets["model"]
    trained_length = net.input_shapes["input_1"].dims[0]
    for fmt in ("onnx", "pt2"):
        (result,) = export_source(source, fmt, tmp_path / f"model.{fmt}", networks=nets)
        assert result.ok, result.summary()
    model = onnx.load(str(tmp_path / "model.onnx"))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [dims[0].dim_param, dims[1].dim_param] == ["batch", "steps"]
    program = torch.export.load(str(tmp_path / "model.pt2")).module()
    for batch in (1, 7):
        for length in (1, trained_length, 2 * trained_length + 3):
            x = ex.example_inputs(net, batch, seed=batch * 100 + length, steps=length)
            (want,) = ex.run_torch(net, x)
            (got_onnx,) = ex.run_onnx(tmp_path / "model.onnx", ["input_1"], x)
            with torch.no_grad():
                got_program = program(*x)
            assert got_onnx.shape == tuple(want.shape) == tuple(got_program.shape)
            scale = max(1.0, float(want.abs().max()))
            assert float(np.abs(got_onnx - want.numpy()).max()) <= TOLERANCE["onnx"] * scale, (batch, length)
            assert float((got_program - want).abs().max()) <= TOLERANCE["pt2"] * scale, (batch, length)


def test_the_char_rnn_export_samples_one_character_at_a_time(tmp_path):
    # What a user of the export does: feed the text so far, one step at a time, and read the next scores.
    source = ExportSource(TEMPLATES["char_rnn"].build())
    (net,) = build_networks(source).values()
    export_source(source, "onnx", tmp_path / "chars.onnx", networks={"model": net})
    text = torch.tensor([[5]])
    for _ in range(3):
        (scores,) = ex.run_onnx(tmp_path / "chars.onnx", ["input_1"], (text,))
        assert scores.shape == (1, text.shape[1], 71)
        text = torch.cat([text, torch.tensor([[int(scores[0, -1].argmax())]])], dim=1)


def test_a_sequence_network_that_flattens_keeps_its_traced_length():
    g = Graph()
    g.add_node("Input", "input_1", {"kind": "sequence", "steps": 6, "features": 2})
    g.add_node("GRU", "gru", {"hidden": 3})
    g.add_node("Flatten", "flat", {})
    g.add_node("Dense", "dense", {"units": 2})
    g.add_node("Output", "output_1", {})
    g.chain("input_1", "gru", "flat", "dense", "output_1")
    net = compile_network(g)
    assert not ex.dynamic_axes(net).steps
    lstm = compile_network(TEMPLATES["lstm_sequence"].build().networks[0].graph)
    axes = ex.dynamic_axes(lstm)
    assert axes.steps_inputs == ("input_1",) and axes.steps_outputs == {"output_1": (1,)}


@pytest.mark.slow
def test_a_recurrent_layer_of_fixed_length_beside_one_of_free_length_exports(tmp_path):
    g = Graph()
    g.add_node("Input", "vector", {"kind": "vector", "features": 8})
    g.add_node("Reshape", "to_seq", {"shape": [4, -1]})
    g.add_node("GRU", "gru", {"hidden": 3, "output": "last"})
    g.add_node("Input", "tokens", {"kind": "tokens", "steps": 5})
    g.add_node("Embedding", "embed", {"vocabulary": 10, "dim": 4})
    g.add_node("LSTM", "lstm", {"hidden": 3, "output": "last"})
    g.add_node("Concat", "join", {})
    g.add_node("Output", "output_1", {})
    g.chain("vector", "to_seq", "gru")
    g.chain("tokens", "embed", "lstm")
    g.connect("gru", "join", "a")
    g.connect("lstm", "join", "b")
    g.connect("join", "output_1")
    lab = Lab(name="Two branches")
    lab.add_network("model", "model", g)
    source = ExportSource(lab)
    nets = build_networks(source)
    (result,) = export_source(source, "pt2", tmp_path / "two.pt2", networks=nets)
    assert result.ok, result.summary()
    program = torch.export.load(str(tmp_path / "two.pt2")).module()
    for length in (1, 5, 12):
        x = ex.example_inputs(nets["model"], 2, seed=length, steps=length)
        with torch.no_grad():
            assert torch.allclose(program(*x), ex.run_torch(nets["model"], x)[0], atol=1e-5)
