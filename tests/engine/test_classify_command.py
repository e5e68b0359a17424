"""Classify: the drawing pad's answer as a command of its own, answered between two steps with one forward pass;
the run, its step count and the sample the feature maps show are untouched."""

from __future__ import annotations

import numpy as np
import torch

from playground.engine.commands import Classify
from playground.engine.trainer import Trainer
from playground.graph.templates import build_template
from playground.snapshots import Prediction


def test_classify_answers_with_the_models_probabilities_and_changes_nothing_else() -> None:
    trainer = Trainer(build_template("mnist_1_layer"), probes=("feature_maps",))
    trainer.train(epochs=1)
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:16] = 1.0
    replies: list[tuple[int, object]] = []
    step = trainer.step
    trainer.send(Classify(image=image, number=7, reply=lambda n, p: replies.append((n, p))))
    list(trainer.run(start=False))  # paused: the loop applies the command and returns
    assert len(replies) == 1
    number, prediction = replies[0]
    assert number == 7 and isinstance(prediction, Prediction)
    model = trainer.task.model
    model.eval()
    with torch.no_grad():
        expected = trainer.task.predict(torch.as_tensor(image).reshape(1, 1, 28, 28))[0].numpy()
    np.testing.assert_allclose(prediction.probabilities, expected, rtol=1e-5, atol=1e-6)
    assert prediction.probabilities.shape == (10,) and abs(float(prediction.probabilities.sum()) - 1) < 1e-5
    assert trainer.step == step and trainer._probes.sample_image is None  # the feature maps keep their sample


def test_classify_of_an_image_of_the_wrong_size_answers_none() -> None:
    trainer = Trainer(build_template("mnist_1_layer"))
    replies: list[object] = []
    trainer.send(Classify(image=np.zeros((5, 5), np.float32), number=1, reply=lambda n, p: replies.append(p)))
    list(trainer.run(start=False))
    assert replies == [None]
