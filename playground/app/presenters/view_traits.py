"""What a lab's networks leave some views with nothing to draw (the ``unless`` traits of playground/ui/views/
view_spec.py): read from the graph, so a view's dock goes away with the layer it needed and comes back with it."""

from __future__ import annotations

import math

from playground.engine.probes import ACTIVATION_KINDS
from playground.graph import Graph, GraphError, Lab

from .neuron_network import network_outline

# Layers between the image and a template layer that keep each pixel where it was.
_PIXEL_KEEPING = {"Flatten", "Dropout"}


def _has_template_layer(graph: Graph) -> bool:
    """A Dense that reads a square image's pixels directly and scores the network's outputs (784 -> 10): each of
    its rows folds back into a picture (the class templates view's ``template_layer``)."""
    try:
        shapes = graph.infer().shapes
        order = graph.topological_order()
    except GraphError:
        return False
    outputs = [n for n in order if graph.node(n).kind == "Output"]
    out_shape = shapes.get(outputs[-1]) if outputs else None
    classes = int(math.prod(out_shape.dims)) if out_shape is not None else 0
    for name in order:
        node = graph.node(name)
        if node.kind != "Dense" or int(node.params.get("units", 0)) != classes:
            continue
        source = next(iter(graph.incoming(name).values()), None)
        while source is not None and graph.node(source).kind in _PIXEL_KEEPING:
            source = next(iter(graph.incoming(source).values()), None)
        shape = shapes.get(source) if source is not None else None
        if source is None or graph.node(source).kind != "Input" or shape is None:
            continue
        pixels = int(math.prod(shape.dims))
        side = math.isqrt(pixels)
        if side * side == pixels and side >= 4:
            return True
    return False


def network_traits(lab: Lab) -> set[str]:
    """The traits of ``lab``'s networks that leave views without anything to draw."""
    traits = set()
    graph = lab.networks[0].graph if lab.networks else None
    if graph is None or not any(node.kind in ACTIVATION_KINDS for node in graph.nodes.values()):
        traits.add("no_hidden_layer")
    if graph is None or not _has_template_layer(graph):
        traits.add("no_template_layer")
    if network_outline(lab) is None:
        traits.add("no_neuron_columns")
    return traits
