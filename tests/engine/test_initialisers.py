"""The weight initialiser setting: each choice sets the weights it names when the model is built or reset."""

from __future__ import annotations

import numpy as np
import pytest
from torch import nn

from playground.engine.commands import Reset, SetTraining
from playground.engine.errors import EngineError
from playground.engine.initialisers import initialise
from playground.engine.trainer import Trainer
from playground.graph import Lab
from playground.graph.templates import _mlp, tensorflow_playground


def wide_lab(init: str, epochs: int = 1) -> Lab:
    """A 2-256-128-2 network: enough weights for a sample variance within a few percent."""
    lab = Lab(name="wide", task="classification")
    lab.dataset.name = "circle"
    lab.training = lab.training.updated(init=init, epochs=epochs)
    lab.add_network("model", "model", _mlp(2, [256, 128], "ReLU", 2))
    return lab


def dense_weights(trainer: Trainer) -> list[np.ndarray]:
    return [m.weight.detach().cpu().numpy().copy() for m in trainer.task.model.modules() if isinstance(m, nn.Linear)]


def dense_biases(trainer: Trainer) -> list[np.ndarray]:
    return [m.bias.detach().cpu().numpy().copy() for m in trainer.task.model.modules() if isinstance(m, nn.Linear)]


def test_default_is_torchs_own_so_existing_labs_keep_their_weights():
    lab = tensorflow_playground()
    assert lab.training.init == "default"
    before = dense_weights(Trainer(lab))
    lab.seed = lab.seed  # the same seed, built twice, the same weights: default changes nothing
    again = dense_weights(Trainer(lab))
    for a, b in zip(before, again):
        np.testing.assert_array_equal(a, b)
    for w in before:  # torch's Kaiming-uniform with a = √5: bound √(1/fan_in)
        assert np.abs(w).max() <= np.sqrt(1 / w.shape[1]) + 1e-6


def test_xavier_sample_variance_is_close_to_2_over_fan_in_plus_fan_out():
    trainer = Trainer(wide_lab("xavier"))
    middle = dense_weights(trainer)[1]  # (128, 256)
    fan_out, fan_in = middle.shape
    assert middle.var() == pytest.approx(2 / (fan_in + fan_out), rel=0.05)
    assert np.abs(middle).max() <= np.sqrt(6 / (fan_in + fan_out))
    assert all(not b.any() for b in dense_biases(trainer))


def test_he_sample_variance_is_close_to_2_over_fan_in():
    middle = dense_weights(Trainer(wide_lab("he")))[1]
    assert middle.var() == pytest.approx(2 / middle.shape[1], rel=0.05)
    assert abs(middle.mean()) < 0.01


@pytest.mark.parametrize(("init", "variance"), [("normal", 0.01**2), ("uniform", 0.1**2 / 12)])
def test_small_random_initialisers_have_their_variance(init, variance):
    middle = dense_weights(Trainer(wide_lab(init)))[1]
    assert middle.var() == pytest.approx(variance, rel=0.05)


def test_zeros_sets_every_weight_to_0_and_the_network_never_breaks_symmetry():
    lab = tensorflow_playground()  # 2-4-2-2 tanh
    lab.dataset.name = "circle"
    lab.training = lab.training.updated(init="zeros", epochs=5)
    trainer = Trainer(lab)
    assert all(not w.any() for w in dense_weights(trainer))
    trainer.train()
    assert trainer.epoch == 5
    for w in dense_weights(trainer)[:-1]:  # each hidden layer's units: rows of its weight matrix
        np.testing.assert_array_equal(w, np.repeat(w[:1], len(w), axis=0))
    for b in dense_biases(trainer)[:-1]:
        np.testing.assert_array_equal(b, np.full_like(b, b[0]))


def test_a_changed_initialiser_applies_at_the_next_reset():
    trainer = Trainer(tensorflow_playground())
    assert any(w.any() for w in dense_weights(trainer))
    trainer.send(SetTraining({"init": "zeros"}))
    trainer.send(Reset())
    trainer.train(1)
    assert trainer.settings.init == "zeros"
    assert all(not w.any() for w in dense_weights(trainer)[:-1])


def test_an_unknown_initialiser_is_refused_by_name():
    with pytest.raises(EngineError, match="initialiser 'ones'"):
        initialise(nn.Linear(2, 2), "ones")
