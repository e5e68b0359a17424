"""The lab's network in the plain words of the neuron-network view (playground/ui/views/neuron_network.py), so the
view draws it before any training: which features feed it, its Dense layers and their activations, its output."""

from __future__ import annotations

from typing import Any

import numpy as np

from playground.data import toy2d
from playground.engine.probes import ACTIVATION_KINDS, NEURON_RESOLUTION
from playground.graph import GraphError, Lab
from playground.ui.views.neuron_network import HiddenLayer, NetworkOutline

# Kinds a TF-Playground-style diagram can stand for: they change no neuron count. Anything else (convolutions,
# merges, recurrent cells) is not a network of neurons in columns.
_PASSING = {"Input", "Output", "Dropout", "BatchNorm1d", "LayerNorm"}

_FEATURE_MAPS: tuple[np.ndarray, ...] = ()


def feature_maps() -> tuple[np.ndarray, ...]:
    """Each input feature of toy2d.FEATURES over the plane, scaled into [-1, 1], row 0 at the bottom (as the
    engine's Neurons probe draws the neurons, on the same grid). Computed once: they never change."""
    global _FEATURE_MAPS
    if not _FEATURE_MAPS:
        r = NEURON_RESOLUTION
        _xs, _ys, points = toy2d.grid_2d(r, toy2d.EXTENT)
        columns = toy2d.make_features(points, list(toy2d.FEATURES))
        maps = []
        for j in range(columns.shape[1]):
            image = columns[:, j].reshape(r, r).astype(np.float32)
            maps.append(image / max(float(np.abs(image).max()), 1e-6))
        _FEATURE_MAPS = tuple(maps)
    return _FEATURE_MAPS


def network_outline(lab: Lab | None) -> NetworkOutline | None:
    """The outline of a lab whose one network is dense and reads a 2-D set's features; None for any other."""
    if lab is None or lab.task not in ("classification", "regression") or len(lab.networks) != 1 or \
            lab.dataset.name not in toy2d.DATASETS_2D:
        return None
    graph = lab.networks[0].graph
    dense: list[list[Any]] = []  # [Dense name, units, activation node or None, activation kind, skip joined]
    try:
        order = graph.topological_order()
    except GraphError:  # a graph with a cycle has no columns to draw; the editor says why
        return None
    for name in order:
        node = graph.node(name)
        if node.kind == "Dense":
            dense.append([name, int(node.params.get("units", 1)), None, "", False])
        elif node.kind == "Add" and dense and dense[-1][2] is None and dense[-1][0] in graph.incoming(name).values():
            # A residual block's skip joins a column before its activation: the neurons stay the column's (the Add
            # needs equal widths), and the column says it adds its input back.
            dense[-1][4] = True
        elif node.kind in ACTIVATION_KINDS:
            if dense and dense[-1][2] is None:
                dense[-1][2], dense[-1][3] = name, node.kind
        elif node.kind not in _PASSING:
            return None
    if not dense:
        return None
    features = tuple(toy2d.FEATURES)
    inputs = tuple(f for f in lab.dataset.features if f in toy2d.FEATURES)
    layers = tuple(HiddenLayer(neurons=act or name, weights=name, units=units,
                               label=f"{units}\n{kind or 'linear'}{' + skip' if skip else ''}")
                   for name, units, act, kind, skip in dense[:-1])
    outputs = int(dense[-1][1])
    return NetworkOutline(features=features, labels=tuple(toy2d.FEATURES.values()), maps=feature_maps(),
                          inputs=inputs, layers=layers, output_weights=str(dense[-1][0]), outputs=outputs,
                          task=lab.task, classes=max(2, outputs) if lab.task == "classification" else 0)
