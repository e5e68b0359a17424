"""Multi-class 2-D classification: training reaches a high accuracy, the boundary probe carries every class."""

import numpy as np
import pytest

from playground.engine.commands import SetDataset
from playground.engine.datasets import load_dataset
from playground.engine.trainer import Trainer
from playground.graph import DatasetSettings
from playground.graph.templates import build_template
from playground.snapshots import DecisionBoundary


@pytest.mark.slow
def test_three_arm_spiral_template_reaches_high_accuracy():
    lab = build_template("multiclass_spiral")
    lab.training.epochs = 150
    trainer = Trainer(lab, device="cpu", probes=("boundary",))
    snap = trainer.train()
    assert snap.classes == 3
    assert snap.metrics["train_accuracy"] > 0.97
    assert snap.metrics["test_accuracy"] > 0.9  # seeded: 0.95 at 200 epochs
    probs = snap.probes[DecisionBoundary].probabilities
    assert probs.shape == (100, 100, 3)
    np.testing.assert_allclose(probs.sum(axis=2), 1.0, atol=1e-5)
    np.testing.assert_array_equal(snap.probes[DecisionBoundary].values, probs.argmax(axis=2))
    # Every class owns a region of the plane.
    assert set(np.unique(probs.argmax(axis=2))) == {0, 1, 2}


@pytest.mark.parametrize("classes", [3, 5])
def test_blobs_with_a_chosen_class_count(classes):
    lab = build_template("multiclass_spiral")
    lab.dataset = DatasetSettings("blobs", noise=0.0, samples=400, options={"classes": classes})
    data = load_dataset(lab.dataset, seed=1)
    assert data.classes == classes and data.class_names[:2] == ["orange", "blue"]
    assert len(data.class_names) == classes
    graph = lab.networks[0].graph
    last = [n for n in graph.nodes.values() if n.kind == "Dense"][-1]
    graph.set_param(last.name, "units", classes)
    lab.training.epochs = 30
    snap = Trainer(lab, device="cpu").train()
    assert snap.metrics["test_accuracy"] > 0.95


def test_changing_to_a_set_of_another_class_count_is_refused_and_nothing_changes():
    lab = build_template("multiclass_spiral")
    lab.training.epochs = 1
    trainer = Trainer(lab, device="cpu")
    trainer.send(SetDataset({"name": "blobs"}))  # four classes; the network has three outputs
    snap = list(trainer.run(start=False))[-1]
    assert "has 4 classes but this network's output has 3" in snap.message
    assert trainer.data.classes == 3 and trainer.lab.dataset.name == "arms"
