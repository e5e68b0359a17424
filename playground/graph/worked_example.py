"""The course's worked example of backpropagation (Matt Mazur, "A Step by Step Backpropagation Example", 2015): a
2-2-2 sigmoid network with given weights, one sample and squared error, whose every number is known.

The network's weights w1..w8 in the example's order are ``dense_1.weight`` [[w1, w2], [w3, w4]] and
``dense_2.weight`` [[w5, w6], [w7, w8]] (row: the unit, column: the input). The example shares one bias per layer;
here each unit has its own, both set to the layer's value. Its loss E = Σ ½(target − out)² over the two outputs is
the mean squared error of the regression task. The given weights travel in ``task_options["initial_weights"]``.
"""

from __future__ import annotations

from typing import Any

from .graph import Graph
from .lab import DatasetSettings, Lab, TrainingSettings

INPUTS = [0.05, 0.10]
TARGETS = [0.01, 0.99]
WEIGHTS: dict[str, list[list[float]] | list[float]] = {
    "dense_1.weight": [[0.15, 0.20], [0.25, 0.30]],
    "dense_1.bias": [0.35, 0.35],
    "dense_2.weight": [[0.40, 0.45], [0.50, 0.55]],
    "dense_2.bias": [0.60, 0.60],
}
LEARNING_RATE = 0.5


def worked_example() -> Lab:
    lab = Lab(name="Backpropagation worked example", task="regression",
              description="Mazur's step-by-step example: inputs 0.05 and 0.10, targets 0.01 and 0.99, weights 0.15 "
                          "to 0.55, biases 0.35 and 0.60, learning rate 0.5. Open Learning > Backpropagation step by "
                          "step… and read the total error 0.298371109 and the new w5 = 0.35891648 off the screen.",
              dataset=DatasetSettings("given", features=["i1", "i2"],
                                      options={"inputs": [INPUTS], "targets": [TARGETS]}),
              training=TrainingSettings(optimizer="sgd", learning_rate=LEARNING_RATE, batch_size=1, epochs=100),
              task_options={"initial_weights": {"model": dict(WEIGHTS)}})
    graph = Graph()
    layers: list[tuple[str, dict[str, Any]]] = [
        ("Input", {"kind": "vector", "features": 2}), ("Dense", {"units": 2}), ("Sigmoid", {}),
        ("Dense", {"units": 2}), ("Sigmoid", {}), ("Output", {"head": "regression"})]
    names = [graph.add_node(kind, params=params, position=(i * 190.0, 0.0)).name
             for i, (kind, params) in enumerate(layers)]
    graph.chain(*names)
    lab.add_network("model", "model", graph)
    return lab
