"""Image classifiers on the built-in digits, and the probes of the image views."""

from __future__ import annotations

import numpy as np
import pytest

from playground.data.digits import digit_splits, load_digits
from playground.engine.commands import SetSample
from playground.engine.trainer import Trainer
from playground.graph.templates import build_template, sequential
from playground.snapshots import Confusion, FeatureMaps, Filters


def test_builtin_digits_are_real_mnist_with_a_fixed_split():
    images, labels = load_digits()
    assert images.shape == (9000, 28, 28) and images.dtype == np.uint8
    assert set(np.unique(labels)) == set(range(10))
    s = digit_splits()
    assert (len(s.x_train), len(s.x_val), len(s.x_test)) == (7000, 1000, 1000)
    assert s.x_train.shape[1:] == (1, 28, 28) and s.x_train.min() >= 0.0 and s.x_train.max() <= 1.0
    again = digit_splits()
    np.testing.assert_array_equal(s.y_test, again.y_test)


@pytest.mark.slow
def test_one_layer_softmax_reads_digits():
    lab = build_template("mnist_1_layer")
    lab.training = lab.training.updated(epochs=3)
    snap = Trainer(lab).train()
    assert snap.metrics["test_accuracy"] > 0.85


def test_a_784_vector_input_takes_the_28x28_digits():
    lab = build_template("mnist_1_layer")
    lab.networks = []
    lab.add_network("model", "model", sequential([
        ("Input", {"kind": "vector", "features": 784}), ("Dense", {"units": 10}),
        ("Output", {"head": "classification"})]))
    lab.training = lab.training.updated(epochs=1)
    t = Trainer(lab)
    assert t.x_train.shape == (7000, 784)
    assert t.train().metrics["test_accuracy"] > 0.8


@pytest.mark.slow
def test_filter_feature_map_and_confusion_probes():
    lab = build_template("lenet")
    trainer = Trainer(lab, probes=["filters", "feature_maps", "confusion"])
    trainer.train(1)
    p = trainer.snapshot().probes
    assert p[Filters].layers["conv_1"].shape == (6, 1, 5, 5) and p[Filters].layers["conv_2"].shape == (16, 6, 5, 5)
    maps = p[FeatureMaps]
    assert maps.input.shape == (1, 28, 28) and maps.label == trainer.data.y_test[0]
    assert maps.layers["conv_1"].shape == (6, 28, 28) and maps.layers["maxpool_2"].shape == (16, 5, 5)
    assert maps.probabilities.shape == (10,) and maps.probabilities.sum() == pytest.approx(1, abs=1e-4)
    matrix = p[Confusion].matrix
    assert matrix.shape == (10, 10) and matrix.sum() == 1000
    accuracy = np.trace(matrix) / matrix.sum()
    assert accuracy == pytest.approx(trainer.history.last("test_accuracy"), abs=1e-6)
    m = len(p[Confusion].true)
    assert 0 < m <= 32 and p[Confusion].images.shape == (m, 28, 28)
    assert np.all(p[Confusion].true != p[Confusion].predicted)


def test_a_drawing_becomes_the_sample_the_views_show():
    trainer = Trainer(build_template("mnist_1_layer"), probes=["feature_maps"])
    trainer.train(1)
    drawing = np.zeros((28, 28), np.float32)
    drawing[4:24, 13:16] = 1.0  # a "1"
    trainer.send(SetSample(image=drawing))
    trainer._drain()
    p = trainer.snapshot().probes
    assert p[FeatureMaps].drawing and p[FeatureMaps].label is None
    np.testing.assert_array_equal(p[FeatureMaps].input[0], drawing)
    assert p[FeatureMaps].probabilities.argmax() == 1


def test_drawings_join_the_training_set():
    from playground.engine.commands import AddSamples
    from playground.engine.errors import EngineError

    trainer = Trainer(build_template("mnist_1_layer"))
    drawing = np.zeros((2, 28, 28), np.float32)
    drawing[:, 4:24, 13:16] = 1.0
    trainer.send(AddSamples(drawing, [1, 1]))
    trainer._drain()
    assert trainer.x_train.shape[0] == 7002 and int(trainer.y_train[-1]) == 1
    assert "Added 2" in trainer.snapshot().message
    assert trainer.train(1).epoch == 1
    with pytest.raises(EngineError, match="classes 0 to 9"):
        trainer.send(AddSamples(drawing[:1], [12]))
