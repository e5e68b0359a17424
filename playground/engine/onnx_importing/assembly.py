"""The editor's graph from the layers read, a built-in dataset that fits its input, and the converted weights
checked by compiling the network and loading them."""

from __future__ import annotations

import torch

from playground.graph import DatasetSettings, Graph, GraphError, Lab

from .values import OnnxImportError, _Layer


def _guess_data(lab: Lab, graph: Graph) -> None:
    """A dataset that fits the network's input, where a built-in one does (as the Python importer does)."""
    inputs = graph.nodes_of_kind("Input")
    outputs = graph.nodes_of_kind("Output")
    if outputs and outputs[0].params["head"] == "regression":
        lab.task = "regression"
    if len(inputs) != 1:
        return
    p = inputs[0].params
    if p["kind"] == "image" and (p["channels"], p["height"], p["width"]) == (1, 28, 28):
        lab.dataset = DatasetSettings("digits", train_ratio=0.8, features=[])
    elif p["kind"] == "vector" and p["features"] == 2:
        lab.dataset = DatasetSettings("plane" if lab.task == "regression" else "circle")
    elif p["kind"] in ("sequence", "tokens") and len(outputs) == 1:
        # The built-in sequence sets, as the templates use them: a wave to forecast step by step, wave shapes to
        # tell apart from the last step, a text to continue one character at a time.
        steps = {"steps": p["steps"]}
        per_step = outputs[0].params["head"] == "regression"
        if p["kind"] == "tokens":
            lab.task, lab.dataset = "sequence", DatasetSettings("austen", samples=1000, train_ratio=0.9,
                                                                features=[], options=steps)
        elif p["features"] == 1 and per_step:
            lab.task, lab.dataset = "sequence", DatasetSettings("sine", noise=2.0, samples=1000, train_ratio=0.8,
                                                                features=[], options=steps)
        elif p["features"] == 1:
            lab.task, lab.dataset = "sequence", DatasetSettings("waves", noise=5.0, samples=1000, train_ratio=0.8,
                                                                features=[], options=steps)


def _check_weights(lab: Lab, state: dict[str, torch.Tensor], filename: str) -> None:
    """Compile the network and load the converted weights: what does not fit is a bug of this reader, said so."""
    from playground.compile import compile_network

    from ..export import ExportError, load_weights

    net = lab.networks[0]
    try:
        compiled = compile_network(net.graph, net.name)
        load_weights(compiled, state)
    except (GraphError, ExportError) as e:
        raise OnnxImportError(f"{filename}: {e}") from None


def _build_graph(layers: list[_Layer], filename: str) -> Graph:
    """The editor's graph of the layers read, laid out by depth (sources to the left)."""
    g = Graph()
    depth: dict[str, int] = {}
    rows: dict[int, int] = {}
    try:
        for layer in layers:
            d = max((depth[s] + 1 for s in layer.sources), default=0)
            depth[layer.name] = d
            row = rows.get(d, 0)
            rows[d] = row + 1
            g.add_node(layer.kind, layer.name, layer.params, (190.0 * d, 150.0 * row))
            ports = g.node(layer.name).spec.inputs
            for port, source in zip(ports, layer.sources):
                g.connect(source, layer.name, port, check_shapes=False)
    except GraphError as e:
        raise OnnxImportError(f"{filename}: {e.message}") from None
    inference = g.infer()
    if inference.problems:
        raise OnnxImportError(f"{filename}: {inference.problems[0].message}")
    return g
