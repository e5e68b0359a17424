"""Built-in lab templates, each valid out of the box, each with one line saying what it teaches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .graph import Graph
from .lab import DatasetSettings, Lab, TrainingSettings

LayerSpec = tuple[str, dict[str, Any]]


def sequential(layers: Sequence[LayerSpec], *, spacing: float = 190.0) -> Graph:
    """A chain of layers, laid out left to right, each connected to the next."""
    graph = Graph()
    names: list[str] = []
    for i, (kind, params) in enumerate(layers):
        names.append(graph.add_node(kind, params=params, position=(i * spacing, 0.0)).name)
    graph.chain(*names)
    return graph


def _mlp(features: int, hidden: Sequence[int], activation: str, classes: int, head: str = "classification",
         extra: Sequence[LayerSpec] = ()) -> Graph:
    layers: list[LayerSpec] = [("Input", {"kind": "vector", "features": features})]
    for units in hidden:
        layers += [("Dense", {"units": units}), (activation, {})]
    layers += [("Dense", {"units": classes}), *extra, ("Output", {"head": head})]
    return sequential(layers)


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    teaches: str
    build: Callable[[], Lab]


def logistic_regression() -> Lab:
    lab = Lab(name="Logistic regression", task="classification",
              description="One linear layer and a softmax: a straight decision boundary.",
              dataset=DatasetSettings("gaussian", noise=10.0),
              training=TrainingSettings(optimizer="sgd", learning_rate=0.1, batch_size=10, epochs=50))
    lab.add_network("model", "model", _mlp(2, [], "Tanh", 2))
    return lab


def tensorflow_playground() -> Lab:
    lab = Lab(name="TensorFlow Playground default", task="classification",
              description="Two tanh hidden layers of 4 and 2 neurons on the circle, as TensorFlow Playground "
                          "opens.",
              dataset=DatasetSettings("circle", noise=0.0, train_ratio=0.5),
              training=TrainingSettings(optimizer="sgd", learning_rate=0.03, batch_size=10, epochs=200))
    lab.add_network("model", "model", _mlp(2, [4, 2], "Tanh", 2))
    return lab


def spiral() -> Lab:
    lab = Lab(name="Spiral", task="classification",
              description="The two-arm spiral needs several tanh layers to bend the boundary around.",
              dataset=DatasetSettings("spiral", noise=0.0, train_ratio=0.5),
              training=TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=16, epochs=300))
    lab.add_network("model", "model", _mlp(2, [16, 16, 16], "Tanh", 2))
    return lab


def regression_plane() -> Lab:
    lab = Lab(name="Regression plane", task="regression",
              description="Fit a tilted plane with a small MLP and mean squared error.",
              dataset=DatasetSettings("plane", noise=5.0),
              training=TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=10, epochs=100))
    lab.add_network("model", "model", _mlp(2, [8], "Tanh", 1, head="regression"))
    return lab


def mnist_one_layer() -> Lab:
    lab = Lab(name="MNIST 1 layer", task="classification",
              description="784 pixels straight to 10 softmax outputs: one weight template per digit.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="sgd", learning_rate=0.5, batch_size=100, epochs=20))
    g = sequential([("Input", {"kind": "image", "channels": 1, "height": 28, "width": 28}), ("Flatten", {}),
                    ("Dense", {"units": 10}), ("Softmax", {}), ("Output", {"head": "classification"})])
    lab.add_network("model", "model", g)
    return lab


def mnist_two_layers() -> Lab:
    lab = Lab(name="MNIST 2 layers", task="classification",
              description="784 to 512 ReLU to 10: the classic first digit classifier with a hidden layer.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.001, batch_size=64, epochs=20))
    g = sequential([("Input", {"kind": "image", "channels": 1, "height": 28, "width": 28}), ("Flatten", {}),
                    ("Dense", {"units": 512}), ("ReLU", {}), ("Dense", {"units": 10}),
                    ("Output", {"head": "classification"})])
    lab.add_network("model", "model", g)
    return lab


def lenet() -> Lab:
    lab = Lab(name="LeNet-style CNN", task="classification",
              description="Two conv-pool stages learn edge and stroke detectors, then dense layers classify.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.001, batch_size=64, epochs=15))
    g = sequential([
        ("Input", {"kind": "image", "channels": 1, "height": 28, "width": 28}),
        ("Conv2d", {"filters": 6, "kernel_size": 5, "padding": 2}), ("ReLU", {}), ("MaxPool2d", {"kernel_size": 2}),
        ("Conv2d", {"filters": 16, "kernel_size": 5}), ("ReLU", {}), ("MaxPool2d", {"kernel_size": 2}),
        ("Flatten", {}), ("Dense", {"units": 120}), ("ReLU", {}), ("Dense", {"units": 84}), ("ReLU", {}),
        ("Dense", {"units": 10}), ("Output", {"head": "classification"}),
    ], spacing=170.0)
    lab.add_network("model", "model", g)
    return lab


def residual_block() -> Lab:
    lab = Lab(name="Residual block", task="classification",
              description="y = x + F(x): the skip connection lets gradients flow straight through the block.",
              dataset=DatasetSettings("spiral", noise=0.0),
              training=TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=16, epochs=200))
    g = Graph()
    g.add_node("Input", "input_1", {"kind": "vector", "features": 2}, (0, 0))
    g.add_node("Dense", "dense_1", {"units": 16}, (190, 0))
    g.add_node("Tanh", "tanh_1", {}, (380, 0))
    g.add_node("Dense", "dense_2", {"units": 16}, (570, 120))
    g.add_node("Tanh", "tanh_2", {}, (760, 120))
    g.add_node("Dense", "dense_3", {"units": 16}, (950, 120))
    g.add_node("Add", "add_1", {}, (1140, 0))
    g.add_node("Tanh", "tanh_3", {}, (1330, 0))
    g.add_node("Dense", "dense_4", {"units": 2}, (1520, 0))
    g.add_node("Output", "output_1", {"head": "classification"}, (1710, 0))
    g.chain("input_1", "dense_1", "tanh_1", "dense_2", "tanh_2", "dense_3")
    g.connect("tanh_1", "add_1", "a")
    g.connect("dense_3", "add_1", "b")
    g.chain("add_1", "tanh_3", "dense_4", "output_1")
    lab.add_network("model", "model", g)
    return lab


TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template("logistic_regression", "Logistic regression",
                 "A single linear layer draws a straight decision boundary.", logistic_regression),
        Template("tensorflow_playground", "TensorFlow Playground MLP",
                 "Hidden neurons combine simple features into curved boundaries.", tensorflow_playground),
        Template("spiral", "Spiral MLP", "Depth lets a network bend its boundary around a spiral.", spiral),
        Template("regression_plane", "Regression", "Fitting numbers with mean squared error.", regression_plane),
        Template("mnist_1_layer", "MNIST 1 layer", "784 pixels to 10 classes: each class learns a weight template.",
                 mnist_one_layer),
        Template("mnist_2_layers", "MNIST 2 layers", "A hidden ReLU layer of 512 lifts digits to about 98%.",
                 mnist_two_layers),
        Template("lenet", "LeNet-style CNN", "Convolutions and pooling learn local strokes, shared over the image.",
                 lenet),
        Template("residual_block", "Residual block", "A skip connection adds a block's input to its output.",
                 residual_block),
    )
}


def build_template(key: str) -> Lab:
    return TEMPLATES[key].build()
