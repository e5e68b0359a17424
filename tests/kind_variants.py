"""Every layer kind of the catalog with a home on the torch side, as a small checked graph: the inputs it reads and
settings that differ from its defaults, shared by the tests of the homes and of the export/import round trip."""

from __future__ import annotations

from typing import Any

from playground.graph import Graph

INPUTS: dict[str, dict[str, Any]] = {
    "vector": {"kind": "vector", "features": 784},
    "image": {"kind": "image", "channels": 4, "height": 8, "width": 8},
    "sequence": {"kind": "sequence", "steps": 5, "features": 6},
    "tokens": {"kind": "tokens", "steps": 5},
}

# For each kind: the input it reads and the parameter sets to round-trip (defaults first, then settings that differ
# from them wherever the kind has any).
VARIANTS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "Dense": ("vector", [{}, {"units": 3, "bias": False}]),
    "Conv2d": ("image", [{}, {"filters": 6, "kernel_size": 5, "stride": 2, "padding": 2, "bias": False},
                         {"groups": 2, "filters": 4}]),
    "ConvTranspose2d": ("image", [{}, {"filters": 3, "kernel_size": 3, "stride": 2, "padding": 0,
                                       "output_padding": 1, "bias": False}]),
    "Pad2d": ("image", [{}, {"padding": 2, "mode": "reflect"}, {"mode": "replicate"}]),
    "MaxPool2d": ("image", [{}, {"kernel_size": 3, "stride": 1, "padding": 1}]),
    "AvgPool2d": ("image", [{}, {"kernel_size": 4, "stride": 2, "padding": 1}]),
    "Upsample": ("image", [{}, {"scale": 3, "mode": "bilinear"}]),
    "PixelShuffle": ("image", [{}]),
    "Flatten": ("image", [{}]),
    "Reshape": ("vector", [{}, {"shape": [4, -1]}, {"shape": [16, 49]}]),
    "Dropout": ("vector", [{}, {"p": 0.25}]),
    "BatchNorm": ("vector", [{}, {"momentum": 0.3}]),
    "InstanceNorm": ("image", [{}, {"affine": False}]),
    "GroupNorm": ("image", [{}, {"groups": 4, "affine": False}, {"groups": 1}]),
    "LayerNorm": ("sequence", [{}]),
    "ReLU": ("vector", [{}]),
    "LeakyReLU": ("vector", [{}, {"slope": 0.2}]),
    "Sigmoid": ("vector", [{}]),
    "Tanh": ("vector", [{}]),
    "GELU": ("vector", [{}]),
    "Softplus": ("vector", [{}, {"beta": 2.5}]),
    "Identity": ("vector", [{}]),
    "Softmax": ("vector", [{}]),
    "Embedding": ("tokens", [{}, {"vocabulary": 10, "dim": 3}]),
    "RNN": ("sequence", [{}, {"hidden": 7, "layers": 2, "bidirectional": True, "output": "last",
                              "nonlinearity": "relu"}]),
    "GRU": ("sequence", [{}, {"hidden": 5, "layers": 3, "output": "last"}]),
    "LSTM": ("sequence", [{}, {"hidden": 4, "bidirectional": True}]),
    "Add": ("vector", [{}]),
    "Multiply": ("image", [{}]),
    "Sample": ("vector", [{}]),
    "Concat": ("image", [{}]),
}
# Image-only kinds also meet a vector or a sequence where their torch class or setting depends on the shape.
EXTRA_INPUTS = {"BatchNorm": ["image"], "LayerNorm": ["vector", "image"], "Concat": ["vector"]}

CASES = [(kind, source, params) for kind, (source, variants) in VARIANTS.items()
         for source in (source, *EXTRA_INPUTS.get(kind, [])) for params in variants]


def one_layer(kind: str, source: str, params: dict[str, Any]) -> tuple[Graph, str]:
    """A checked graph Input -> node -> Output, every port of the node fed by the one input."""
    g = Graph()
    g.add_node("Input", "x", INPUTS[source])
    node = g.add_node(kind, "layer", params)
    for port in node.spec.inputs:
        g.connect("x", "layer", port)
    g.add_node("Output", "out", {"head": "regression"})
    g.connect("layer", "out")
    g.check()
    return g, "layer"
