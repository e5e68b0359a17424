"""Health on the network: dead ReLUs, saturated units, vanishing or exploding gradients and NaN, per layer."""

from __future__ import annotations

import torch

from playground.engine import commands as cmd
from playground.engine.health import DEAD_FLAG, EXPLODING_GRADIENT, network_health
from playground.engine.trainer import Trainer
from playground.graph import DatasetSettings, Lab, TrainingSettings
from playground.graph.templates import sequential
from playground.snapshots.health import NetworkHealth


def _relu_lab(activation: str = "ReLU") -> Lab:
    lab = Lab(name="relu", task="classification", dataset=DatasetSettings("circle", noise=0.0),
              training=TrainingSettings(optimizer="sgd", learning_rate=0.03, batch_size=10, epochs=5))
    graph = sequential([("Input", {"kind": "vector", "features": 2}), ("Dense", {"units": 8}), (activation, {}),
                        ("Dense", {"units": 8}), (activation, {}), ("Dense", {"units": 2}),
                        ("Output", {"head": "classification"})])
    lab.add_network("model", "model", graph)
    return lab


def _health(trainer: Trainer) -> NetworkHealth:
    for _ in trainer.run(interval=None, start=False):
        pass
    return trainer.snapshot().probes[NetworkHealth]


def test_badges_turn_on_for_dead_relus_and_stay_off_for_a_healthy_network() -> None:
    healthy = Trainer(_relu_lab(), device="cpu", health=True, fast_path=False)
    healthy.train(2)
    report = healthy.snapshot().probes[NetworkHealth]
    assert set(report.layers) == {"dense_1", "relu_1", "dense_2", "relu_2", "dense_3"}
    assert report.flagged() == {}, report.flagged()

    dead = Trainer(_relu_lab(), device="cpu", health=True, fast_path=False)
    with torch.no_grad():
        dead.networks["model"].module.get_submodule("dense_1").bias.fill_(-100.0)  # no unit is ever positive
    dead.train(1)
    report = dead.snapshot().probes[NetworkHealth]
    assert report.layers["relu_1"].dead == 1.0 >= DEAD_FLAG
    assert "dead" in report.layers["relu_1"].problems
    assert "vanishing" in report.layers["dense_1"].problems  # nothing flows back through dead units


def test_saturation_exploding_gradients_and_nan() -> None:
    trainer = Trainer(_relu_lab("Tanh"), device="cpu", health=True, fast_path=False)
    with torch.no_grad():
        trainer.networks["model"].module.get_submodule("dense_1").weight.mul_(1000.0)  # tanh pinned at ±1
    report = _health(trainer)
    assert report.layers["tanh_1"].saturated == 1.0 and "saturated" in report.layers["tanh_1"].problems
    assert "saturated" not in report.layers["tanh_2"].problems

    trainer.send(cmd.Step(batches=1))
    _health(trainer)
    trainer._probes.gradient_norms["dense_2"][-1] = EXPLODING_GRADIENT * 10  # as a blown-up step would leave it
    with torch.no_grad():
        trainer.networks["model"].module.get_submodule("dense_3").bias.fill_(float("nan"))
    report = network_health(trainer._probes)
    assert "exploding" in report.layers["dense_2"].problems
    assert "nan" in report.layers["dense_3"].problems and "nan" not in report.layers["dense_1"].problems


def test_health_is_off_unless_asked_and_a_command_turns_it_on() -> None:
    trainer = Trainer(_relu_lab(), device="cpu", fast_path=False)
    assert trainer.snapshot().probes.get(NetworkHealth) is None
    trainer.send(cmd.WatchHealth(True))
    assert _health(trainer).layers


def test_an_outputs_sigmoid_near_0_or_1_is_no_saturation_badge() -> None:
    lab = Lab(name="sigmoid out", task="regression", dataset=DatasetSettings("plane", noise=5.0),
              training=TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=10, epochs=5))
    lab.add_network("model", "model", sequential([
        ("Input", {"kind": "vector", "features": 2}), ("Dense", {"units": 8}), ("Sigmoid", {}),
        ("Dense", {"units": 1}), ("Sigmoid", {}), ("Output", {"head": "regression"})]))
    trainer = Trainer(lab, device="cpu", health=True, fast_path=False)
    with torch.no_grad():
        for layer in ("dense_1", "dense_2"):
            trainer.networks["model"].module.get_submodule(layer).weight.mul_(1000.0)
    report = _health(trainer)
    assert "saturated" in report.layers["sigmoid_1"].problems  # a hidden layer: its gradient is lost
    assert report.layers["sigmoid_2"].saturated is None and "saturated" not in report.layers["sigmoid_2"].problems
