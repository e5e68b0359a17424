"""1-D regression: the fit improves with more hidden units, and the probe's unit contributions add up to it."""

import numpy as np
import pytest

from playground.engine.datasets import load_dataset
from playground.engine.errors import EngineError
from playground.engine.trainer import Trainer
from playground.graph import DatasetSettings
from playground.graph.templates import _mlp, build_template
from playground.snapshots import FunctionFit


def fit(units: int, function: str = "sawtooth", epochs: int = 120):
    lab = build_template("universal_approximation")
    lab.dataset.options = {"function": function}
    hidden = next(n for n in lab.networks[0].graph.nodes.values() if n.kind == "Dense")
    lab.networks[0].graph.set_param(hidden.name, "units", units)
    lab.training.epochs = epochs
    return Trainer(lab, device="cpu", probes=("function",)).train()


@pytest.mark.slow
def test_more_units_fit_the_sawtooth_better():
    losses = [fit(units).metrics["train_loss"] for units in (1, 4, 16)]
    # Seeded; measured 0.28, 0.21, 0.05 at 150 epochs.
    assert losses[0] > losses[1] > losses[2]
    assert losses[2] < 0.5 * losses[0]


def test_template_fits_the_sine_closely_and_the_contributions_add_up():
    snap = fit(8, "sine", epochs=100)
    assert snap.metrics["test_loss"] < 0.02  # the noise alone gives 0.0025
    p = snap.probes
    x, prediction = p[FunctionFit].x, p[FunctionFit].prediction
    assert x.shape == prediction.shape == (300,)
    assert x.min() < -3.0 and x.max() > 3.0
    contributions = p[FunctionFit].contributions
    assert contributions.shape == (8, 300)
    np.testing.assert_allclose(contributions.sum(0) + p[FunctionFit].bias, prediction, atol=1e-4)
    np.testing.assert_allclose(p[FunctionFit].target, np.sin(1.5 * x), atol=1e-5)
    assert np.abs(prediction - p[FunctionFit].target).mean() < 0.1
    assert p[FunctionFit].function_index == 0
    assert len(p[FunctionFit].train_x) == len(p[FunctionFit].train_y) == 210  # 70 % of 300


def test_a_deep_network_still_shows_its_fit_and_last_layer_units():
    lab = build_template("universal_approximation")
    lab.networks[0].graph = _mlp(1, [6, 5], "ReLU", 1, head="regression")  # two hidden layers: the last one's
    lab.training.epochs = 2
    snap = Trainer(lab, device="cpu", probes=("function",)).train()
    assert snap.probes[FunctionFit].contributions.shape == (5, 300)


def test_unknown_function_is_one_clear_message():
    with pytest.raises(EngineError, match="unknown function 'cos'"):
        load_dataset(DatasetSettings("function", features=[], options={"function": "cos"}), seed=1)
