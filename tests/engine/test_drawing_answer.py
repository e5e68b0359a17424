"""A drawing sent while a run trains is answered by the very next snapshot, not after a snapshot interval."""

from __future__ import annotations

import numpy as np

from playground.engine.commands import SetSample
from playground.engine.datasets import DataBundle
from playground.engine.trainer import Trainer
from playground.graph.templates import mnist_one_layer
from playground.snapshots import Confusion, FeatureMaps


def test_a_drawing_is_answered_by_the_next_snapshot_while_training():
    rng = np.random.default_rng(0)
    data = DataBundle(name="digits", kind="classification",
                      x_train=rng.random((200, 1, 28, 28), dtype=np.float32), y_train=rng.integers(0, 10, 200),
                      x_test=rng.random((20, 1, 28, 28), dtype=np.float32), y_test=rng.integers(0, 10, 20),
                      classes=10)
    lab = mnist_one_layer()
    lab.training = lab.training.updated(epochs=1_000_000)
    trainer = Trainer(lab, data=data, probes=("feature_maps", "confusion"))
    # An interval of an hour: without the prompt answer, no snapshot would come during this test.
    run = trainer.run(interval=3600, stop_when_idle=False)
    next(run)
    drawing = np.zeros((28, 28), np.float32)
    drawing[5:20, 12:15] = 1.0
    computed: list[set[str]] = []
    compute = trainer._probes.compute
    trainer._probes.compute = lambda names: computed.append(set(names)) or compute(names)  # type: ignore
    trainer.send(SetSample(image=drawing))
    snap = next(run)
    assert computed == [{"feature_maps"}]  # the answer does not wait for the confusion matrix
    assert Confusion in snap.probes
    assert snap.state == "running"
    assert snap.probes[FeatureMaps].drawing and snap.probes[FeatureMaps].label is None  # a drawing, not a test sample
    np.testing.assert_allclose(np.asarray(snap.probes[FeatureMaps].input).reshape(28, 28), drawing)
    probabilities = snap.probes[FeatureMaps].probabilities
    assert probabilities.shape == (10,) and abs(float(probabilities.sum()) - 1) < 1e-4
    run.close()
