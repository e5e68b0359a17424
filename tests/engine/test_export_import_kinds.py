"""Every layer kind round-trips through the app's standalone Python export and the Python importer: the node
written as code by its kind's writer opens again, by its kind's import pattern, with the same params."""

from __future__ import annotations

from typing import Any

import pytest
from kind_variants import CASES, one_layer

from playground.compile import compile_network
from playground.engine.export import input_params, python_source
from playground.engine.model_import import import_source


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
