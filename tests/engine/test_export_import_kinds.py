"""Every layer kind round-trips through the app's standalone Python export and the Python importer (the node
written as code by its kind's writer opens again, by its kind's import pattern, with the same params), and through
the ONNX export and importer, except the kinds that pass their input on at inference and so leave no operator."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from kind_variants import CASES, one_layer

from playground.compile import compile_network
from playground.compile.kinds import HOMES
from playground.engine.export import export_onnx, input_params, python_source
from playground.engine.model_import import ModelImportError, import_source
from playground.engine.onnx_import import OnnxImportError, import_onnx


@pytest.mark.parametrize(("kind", "source", "params"), CASES)
def test_a_node_of_every_kind_exports_as_code_and_imports_with_its_params(kind: str, source: str,
                                                                           params: dict[str, Any]) -> None:
    graph, name = one_layer(kind, source, params)
    net = compile_network(graph, "model")
    text = python_source(net, input_params(net, graph), "model.safetensors")
    (imported,) = import_source(text, "model.py")
    again = imported.graph
    assert [n.kind for n in again.nodes.values()] == [n.kind for n in graph.nodes.values()]
    expected = dict(graph.node(name).params)
    if kind == "Reshape":  # the export writes the shape with -1 worked out
        expected["shape"] = graph.infer().shapes[name].to_list()
    assert again.node(name).params == expected
    assert again.infer().shapes[name] == graph.infer().shapes[name]


@pytest.mark.parametrize(("kind", "source", "params"), CASES)
def test_a_node_of_every_kind_exports_to_onnx_and_imports_with_its_params(kind: str, source: str,
                                                                          params: dict[str, Any], tmp_path) -> None:
    graph, name = one_layer(kind, source, params)
    path = tmp_path / "model.onnx"
    export_onnx(compile_network(graph, "model"), path)
    if HOMES[kind].eval_identity:
        with pytest.raises(OnnxImportError, match="is the input itself"):
            import_onnx(path)
        return
    again = import_onnx(path).lab.networks[0].graph
    layers = [(n.kind, n.params) for n in again.nodes.values() if n.kind not in ("Input", "Output")]
    expected = dict(graph.node(name).params)
    if kind == "Reshape":
        expected["shape"] = graph.infer().shapes[name].to_list()
    assert layers == [(kind, expected)]


def _forward_calls(body: str) -> str:
    return textwrap.dedent(f"""
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 3)

            def forward(self, x):
                return {body}
    """)


def test_a_functional_activation_is_read_by_its_kinds_import_pattern() -> None:
    (net,) = import_source(_forward_calls("F.softplus(F.leaky_relu(self.fc(x), 0.2), beta=3)"), "net.py")
    layers = {n.kind: n.params for n in net.graph.nodes.values()}
    assert layers["LeakyReLU"] == {"slope": 0.2} and layers["Softplus"] == {"beta": 3.0}


def test_a_functional_activation_with_a_setting_the_editor_lacks_is_refused_like_its_nn_twin() -> None:
    # The pattern's fixed values hold for the functional form too: a tanh-approximated GELU is another function.
    with pytest.raises(ModelImportError, match=r"line 12: GELU with approximate='tanh' cannot be drawn"):
        import_source(_forward_calls("F.gelu(self.fc(x), approximate='tanh')"), "net.py")
    with pytest.raises(ModelImportError, match=r"line 12: Softplus with threshold=5"):
        import_source(_forward_calls("F.softplus(self.fc(x), 2, 5)"), "net.py")


def test_a_functional_pool_reads_its_arguments_in_the_functions_own_order() -> None:
    # F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices): the sixth is ceil_mode.
    with pytest.raises(ModelImportError, match=r"line 12: MaxPool2d with ceil_mode=True cannot be drawn"):
        import_source(_forward_calls("F.max_pool2d(x, 2, 2, 0, 1, True)"), "net.py")
