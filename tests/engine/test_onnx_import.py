"""ONNX files open as labs with their weights: the app's own exports of every template and files torch writes
from hand-written modules give the same outputs in onnxruntime and in the imported network."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from test_export import _trained_looking, zoo_lab
from torch import nn

from playground.compile import compile_network
from playground.engine import export as ex
from playground.engine import onnx_import
from playground.engine.onnx_import import (
    OnnxImportError,
    import_onnx,
    import_onnx_bytes,
)
from playground.graph.templates import TEMPLATES


def _imported_net(result: onnx_import.OnnxImport):
    net = compile_network(result.lab.networks[0].graph, result.network)
    ex.load_weights(net, result.weights[result.network])
    return net.module.eval()


def _worst_difference(path_or_bytes, result, inputs: dict[str, torch.Tensor]) -> float:
    import onnxruntime as ort

    session = ort.InferenceSession(path_or_bytes if isinstance(path_or_bytes, bytes) else str(path_or_bytes),
                                   providers=["CPUExecutionProvider"])
    want = session.run(None, {k: v.numpy() for k, v in inputs.items()})
    module = _imported_net(result)
    graph = result.lab.networks[0].graph
    order = [n.name for n in graph.nodes_of_kind("Input")]
    by_name = {name: inputs[name] for name in inputs}
    with torch.no_grad():
        got = module(*[by_name[n] for n in order])
    got = list(got) if isinstance(got, (tuple, list)) else [got]
    assert len(got) == len(want)
    worst = 0.0
    for w, g in zip(want, got):
        assert tuple(g.shape) == w.shape
        worst = max(worst, float(np.abs(w.astype(np.float64) - g.numpy()).max()))
    return worst


LABS = {key: t.build for key, t in TEMPLATES.items()} | {"every_layer": zoo_lab}


@pytest.mark.parametrize("key", list(LABS))
@pytest.mark.slow
def test_the_apps_own_export_of_every_template_opens_with_identical_outputs(tmp_path, key):
    source = ex.ExportSource(LABS[key]())
    nets = ex.build_networks(source)
    _trained_looking(nets)
    for name, net in nets.items():
        path = tmp_path / f"{name}.onnx"
        ex.export_onnx(net, path)
        result = import_onnx(path)
        assert result.lab.networks[0].role == "model"
        for batch in (1, 5):
            x = ex.example_inputs(net, batch, seed=batch)
            worst = _worst_difference(path, result, dict(zip(net.inputs, x)))
            assert worst <= 1e-5, (key, name, batch, worst)
        # The layers keep their names, and the weights their values, where the graph maps one to one.
        original = dict(net.module.state_dict())
        imported = result.weights[result.network]
        same = [k for k in imported if k in original and torch.equal(imported[k], original[k])]
        assert same, (key, name)


def test_a_recurrent_export_opens_with_the_length_it_was_trained_with(tmp_path):
    source = ex.ExportSource(TEMPLATES["char_rnn"].build())
    ex.export_source(source, "onnx", tmp_path / "chars.onnx")
    result = import_onnx(tmp_path / "chars.onnx")
    graph = result.lab.networks[0].graph
    assert graph.node("input_1").params["kind"] == "tokens" and graph.node("input_1").params["steps"] == 64
    assert [n.kind for n in graph.nodes.values()] == ["Input", "Embedding", "LSTM", "Dense", "Output"]
    lstm = graph.node("lstm_1").params
    assert (lstm["hidden"], lstm["output"], lstm["layers"]) == (128, "sequence", 1)


# Files written by torch.onnx.export from modules written by hand ----------------------------------------------


class Mlp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(4, 8), nn.Linear(8, 3)
        self.drop = nn.Dropout(0.2)

    def forward(self, x):
        return torch.softmax(self.fc2(self.drop(torch.relu(self.fc1(x)))), dim=-1)


class Cnn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1, self.bn = nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6, eps=1e-3)
        self.c2, self.up = nn.Conv2d(6, 8, 3, stride=2), nn.Upsample(scale_factor=2, mode="bilinear")
        self.pool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(8, 5)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn(self.c1(x))), 2)
        x = nn.functional.leaky_relu(self.up(self.c2(x)), 0.2)
        return self.fc(torch.flatten(self.pool(x), 1))


class Recurrent(nn.Module):
    def __init__(self, kind: str, layers: int, bidirectional: bool, last: bool, **kw) -> None:
        super().__init__()
        self.rnn = getattr(nn, kind)(3, 6, num_layers=layers, batch_first=True, bidirectional=bidirectional, **kw)
        self.fc = nn.Linear(12 if bidirectional else 6, 2)
        self.last = last

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1] if self.last else out)


class Generator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc, self.bn = nn.Linear(4, 32), nn.BatchNorm1d(32)
        self.deconv = nn.ConvTranspose2d(2, 3, 4, 2, 1)

    def forward(self, z):
        return torch.sigmoid(self.deconv(torch.tanh(self.bn(self.fc(z))).reshape(-1, 2, 4, 4)))


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(2, 6), nn.Linear(6, 6), nn.Linear(12, 1)

    def forward(self, x):
        h = torch.tanh(self.a(x))
        return self.c(torch.cat([h, nn.functional.gelu(self.b(h)) + h], dim=1))


class StyleBlock(nn.Module):
    """pytorch/examples fast neural style: reflection padding, instance norm, grouped and depthwise convolutions."""

    def __init__(self) -> None:
        super().__init__()
        self.pad, self.conv = nn.ReflectionPad2d(1), nn.Conv2d(4, 8, 3, groups=2)
        self.norm, self.plain = nn.InstanceNorm2d(8, affine=True), nn.InstanceNorm2d(8)
        self.zero, self.edge = nn.ZeroPad2d(2), nn.ReplicationPad2d(1)
        self.depthwise = nn.Conv2d(8, 8, 3, groups=8)
        self.squeeze = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        x = self.plain(torch.relu(self.norm(self.conv(self.pad(x)))))
        x = self.depthwise(self.edge(self.zero(x)))
        return x * torch.sigmoid(self.squeeze(nn.functional.avg_pool2d(x, 8)))  # squeeze-and-excitation


def _randomize(module: nn.Module) -> nn.Module:
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if t.is_floating_point():
                t.copy_(0.5 + torch.rand(t.shape, generator=gen) if "running_var" in name
                        else torch.randn(t.shape, generator=gen) * 0.4)
    return module.eval()


def _torch_onnx(module: nn.Module, x: torch.Tensor, dynamo: bool) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            program = torch.onnx.export(module, (x,), input_names=["x"], dynamo=True, verbose=False,
                                        external_data=False)
            return program.model_proto.SerializeToString()
        buffer = io.BytesIO()
        torch.onnx.export(module, (x,), buffer, input_names=["x"], dynamic_axes={"x": {0: "batch"}}, dynamo=False)
        return buffer.getvalue()


def _group_norms() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.GroupNorm(4, 8), nn.ReLU(), nn.GroupNorm(2, 8, affine=False))


HAND_WRITTEN = {
    "mlp": (Mlp, (4,), ["Input", "Dense", "ReLU", "Dense", "Softmax", "Output"]),
    "cnn": (Cnn, (3, 12, 12), None),
    "lstm_2_layers_last": (lambda: Recurrent("LSTM", 2, False, True), (7, 3), ["Input", "LSTM", "Dense", "Output"]),
    "gru_bidirectional_sequence": (lambda: Recurrent("GRU", 1, True, False), (7, 3),
                                   ["Input", "GRU", "Dense", "Output"]),
    "rnn_relu_bidirectional_2_layers": (lambda: Recurrent("RNN", 2, True, True, nonlinearity="relu"), (7, 3),
                                        ["Input", "RNN", "Dense", "Output"]),
    "generator": (Generator, (4,), None),
    "residual_gelu": (Residual, (2,), None),
    "style_block": (StyleBlock, (4, 6, 6), ["Input", "Pad2d", "Conv2d", "InstanceNorm", "ReLU", "InstanceNorm",
                                           "Pad2d", "Pad2d", "Conv2d", "AvgPool2d", "Conv2d", "Sigmoid", "Multiply",
                                           "Output"]),
    "group_norms": (_group_norms, (3, 6, 6), ["Input", "Conv2d", "GroupNorm", "ReLU", "GroupNorm", "Output"]),
}


@pytest.mark.parametrize("key", list(HAND_WRITTEN))
def test_torch_exports_of_hand_written_modules_open_with_identical_outputs(key):
    make, sample, kinds = HAND_WRITTEN[key]
    module = _randomize(make())
    data = _torch_onnx(module, torch.randn(2, *sample), dynamo=False)
    result = import_onnx_bytes(data, f"{key}.onnx")
    if kinds is not None:
        assert [n.kind for n in result.lab.networks[0].graph.nodes.values()] == kinds
    x = torch.randn(3, *sample, generator=torch.Generator().manual_seed(5))
    assert _worst_difference(data, result, {"x": x}) <= 1e-5
    with torch.no_grad():
        assert float((_imported_net(result)(x) - module(x)).abs().max()) <= 1e-5


@pytest.mark.parametrize("key", ["cnn", "lstm_2_layers_last", "gru_bidirectional_sequence", "group_norms"])
@pytest.mark.slow
def test_the_dynamo_exporter_writes_files_that_open_too(key):
    make, sample, _kinds = HAND_WRITTEN[key]
    module = _randomize(make())
    x = torch.randn(2, *sample)
    data = _torch_onnx(module, x, dynamo=True)
    result = import_onnx_bytes(data, f"{key}.onnx")
    with torch.no_grad():
        assert float((_imported_net(result)(x) - module(x)).abs().max()) <= 1e-5


def test_the_lab_gets_data_that_fits_where_a_built_in_set_does():
    data = _torch_onnx(_randomize(nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))), torch.randn(2, 2),
                       dynamo=False)
    lab = import_onnx_bytes(data, "plane_fit.onnx").lab
    assert lab.task == "regression" and lab.dataset.name == "plane" and lab.name == "plane fit"
    lab.check()


# Refusals: one clear message ------------------------------------------------------------------------------------


def _model(nodes, inputs, outputs, initializers=()) -> bytes:
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def _vector(name: str, n: int):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", n])


def test_unsupported_operators_are_named_in_one_message():
    w = numpy_helper.from_array(np.ones((3, 2), np.float32), "w")
    reps = numpy_helper.from_array(np.array([1, 2], np.int64), "reps")
    nodes = [helper.make_node("Gemm", ["x", "w"], ["h"], name="fc", transB=1),
             helper.make_node("Elu", ["h"], ["e"], name="elu_1"),
             helper.make_node("Tile", ["e", "reps"], ["y"], name="tile 'x'")]
    data = _model(nodes, [_vector("x", 2)], [_vector("y", 6)], [w, reps])
    with pytest.raises(OnnxImportError) as e:
        import_onnx_bytes(data, "odd.onnx")
    assert str(e.value) == ("odd.onnx uses 2 operator(s) the editor has no layer for: Elu 'elu_1', "
                            "Tile \"tile 'x'\"")


def test_a_layer_the_editor_cannot_draw_names_its_node():
    w = numpy_helper.from_array(np.ones((4, 1, 3, 3), np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="wide", group=1, dilations=[2, 2])]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 9, 9])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 5, 5])
    with pytest.raises(OnnxImportError, match=r"^dilated.onnx: Conv 'wide' is dilated"):
        import_onnx_bytes(_model(nodes, [x], [y], [w]), "dilated.onnx")


def test_a_time_major_recurrent_layer_is_refused_with_the_reason():
    module = _randomize(nn.LSTM(3, 4))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.randn(5, 2, 3),), buffer, input_names=["x"], dynamo=False)
    with pytest.raises(OnnxImportError, match="steps×batch×features: the editor's recurrent layers read "
                                              "batch×steps×features"):
        import_onnx_bytes(buffer.getvalue(), "time_major.onnx")


def test_files_that_are_not_onnx_too_big_or_split_are_refused(tmp_path, monkeypatch):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00\xffnot a protobuf at all" * 10)
    with pytest.raises(OnnxImportError, match=r"^junk.onnx is not an ONNX model"):
        import_onnx(junk)
    with pytest.raises(OnnxImportError, match="Cannot read"):
        import_onnx(tmp_path / "missing.onnx")
    data = _torch_onnx(_randomize(Mlp()), torch.randn(2, 4), dynamo=False)
    (tmp_path / "mlp.onnx").write_bytes(data)
    model = onnx.load_from_string(data)
    onnx.save(model, str(tmp_path / "split.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
              location="split.data", size_threshold=0)
    with pytest.raises(OnnxImportError, match="keeps its weights in separate files"):
        import_onnx(tmp_path / "split.onnx")


def test_the_size_limit_message_is_readable(tmp_path, monkeypatch):
    path = tmp_path / "big.onnx"
    path.write_bytes(b"x" * (3 * 2**20))
    monkeypatch.setattr(onnx_import, "MAX_FILE_BYTES", 2**20)
    with pytest.raises(OnnxImportError) as e:
        import_onnx(path)
    assert str(e.value) == "big.onnx is 3 MiB, more than the 1 MiB an ONNX file may have here"


def test_an_output_that_is_the_input_is_refused():
    nodes = [helper.make_node("Identity", ["x"], ["y"], name="same")]
    with pytest.raises(OnnxImportError, match="output 'y' is the input itself"):
        import_onnx_bytes(_model(nodes, [_vector("x", 2)], [_vector("y", 2)]), "same.onnx")


def test_nothing_in_the_file_is_run(tmp_path):
    # An ONNX file is data: a node of a custom domain (which a runtime would look up in a library) is only named.
    nodes = [helper.make_node("Payload", ["x"], ["y"], name="evil", domain="com.example")]
    graph = helper.make_graph(nodes, "g", [_vector("x", 2)], [_vector("y", 2)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    with pytest.raises(OnnxImportError, match=r"com.example.Payload 'evil'"):
        import_onnx_bytes(model.SerializeToString(), "custom.onnx")
    assert Path(tmp_path).exists()


@pytest.mark.parametrize("key, dataset", [("lstm_sequence", "sine"), ("sequence_classifier", "waves")])
def test_a_recurrent_export_opens_trained_on_its_built_in_sequences(tmp_path, key, dataset):
    from playground.engine.trainer import Trainer
    from playground.engine.weights_import import trained_project

    source = ex.ExportSource(TEMPLATES[key].build())
    nets = ex.build_networks(source)
    _trained_looking(nets)
    ex.export_source(source, "onnx", tmp_path / "net.onnx", networks=nets)
    result = import_onnx(tmp_path / "net.onnx")
    assert (result.lab.task, result.lab.dataset.name, result.lab.dataset.options) == ("sequence", dataset,
                                                                                      {"steps": 40})
    project = trained_project(result.lab, result.weights)
    trainer = Trainer(project.training_lab, device="cpu")
    trainer.restore(project.checkpoint)
    x = ex.example_inputs(nets["model"], 3)
    with torch.no_grad():
        got = trainer.task.modules()["model"].eval()(*x)
    assert torch.allclose(got, ex.run_torch(nets["model"], x)[0], atol=1e-5)


def test_a_bias_written_as_an_add_after_a_layer_joins_it():
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((2, 1, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal((2, 1, 1)).astype(np.float32), "b")
    m = numpy_helper.from_array(rng.standard_normal((32, 3)).astype(np.float32), "m")
    c = numpy_helper.from_array(rng.standard_normal((1, 3)).astype(np.float32), "c")
    nodes = [helper.make_node("Conv", ["x", "w"], ["conv"], name="conv_1", pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["conv", "b"], ["biased"], name="conv_1_bias"),
             helper.make_node("Flatten", ["biased"], ["flat"], name="flat"),
             helper.make_node("MatMul", ["flat", "m"], ["mm"], name="fc"),
             helper.make_node("Add", ["c", "mm"], ["y"], name="fc_bias")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 4, 4])
    data = _model(nodes, [x], [_vector("y", 3)], [w, b, m, c])
    result = import_onnx_bytes(data, "bias.onnx")
    graph = result.lab.networks[0].graph
    assert [n.kind for n in graph.nodes.values()] == ["Input", "Conv2d", "Flatten", "Dense", "Output"]
    assert graph.node("conv_1").params["bias"] and graph.node("fc").params["bias"]
    sample = torch.randn(2, 1, 4, 4)
    assert _worst_difference(data, result, {"x": sample}) <= 1e-5
    bad = _model([helper.make_node("Add", ["x", "b"], ["y"], name="shift")], [x],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 1, 4, 4])], [b])
    with pytest.raises(OnnxImportError, match="Add 'shift' adds a stored tensor that is not the bias"):
        import_onnx_bytes(bad, "shift.onnx")
