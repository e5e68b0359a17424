"""Frozen layers: their weights stay put, the others train; unfreezing resumes them; live and in the lab's JSON."""

from __future__ import annotations

import numpy as np
import pytest

from playground.engine.commands import SetFrozen, Step
from playground.engine.errors import EngineError
from playground.engine.trainer import Trainer
from playground.graph import Lab, LabFormatError
from playground.graph.templates import gan, tensorflow_playground


def _lab(frozen: list[str] | None = None) -> Lab:
    lab = tensorflow_playground()
    lab.training = lab.training.updated(optimizer="adam", epochs=5)
    if frozen:
        lab.frozen = {"model": frozen}
    return lab


def _layer_weights(trainer: Trainer, layer: str, network: str = "model") -> list[np.ndarray]:
    module = trainer.task.modules()[network]
    return [p.detach().cpu().numpy().copy() for n, p in module.named_parameters() if n.split(".")[0] == layer]


def _dense_layers(lab: Lab, network: str = "model") -> list[str]:
    return [n.name for n in lab.network(network).graph.nodes.values() if n.kind == "Dense"]


def test_frozen_layers_keep_their_weights_while_the_others_train():
    lab = _lab()
    first, *others = _dense_layers(lab)
    lab.frozen = {"model": [first]}
    trainer = Trainer(lab, device="cpu", fast_path=False)
    before = {name: _layer_weights(trainer, name) for name in (first, *others)}
    trainer.train(epochs=3)
    for a, b in zip(before[first], _layer_weights(trainer, first)):
        np.testing.assert_array_equal(a, b)
    for name in others:
        assert any(not np.array_equal(a, b) for a, b in zip(before[name], _layer_weights(trainer, name)))
    module = trainer.task.modules()["model"]
    frozen = [p for n, p in module.named_parameters() if n.startswith(first + ".")]
    assert frozen and all(not p.requires_grad and p.grad is None for p in frozen)
    held = {id(p) for group in trainer.optimizer.param_groups for p in group["params"]}
    assert not any(id(p) in held for p in frozen)


def test_freezing_live_holds_a_layer_and_unfreezing_resumes_its_training():
    lab = _lab()
    first = _dense_layers(lab)[0]
    trainer = Trainer(lab, device="cpu", fast_path=False)
    list(trainer.run(interval=None, start=False))
    trainer.send(SetFrozen({"model": [first]}))
    trainer.send(Step(batches=20))
    list(trainer.run(interval=None))
    assert trainer.step == 20
    held = _layer_weights(trainer, first)
    trainer.send(Step(batches=20))
    list(trainer.run(interval=None))
    for a, b in zip(held, _layer_weights(trainer, first)):
        np.testing.assert_array_equal(a, b)
    trainer.send(SetFrozen({}))
    trainer.send(Step(batches=20))
    list(trainer.run(interval=None))
    assert any(not np.array_equal(a, b) for a, b in zip(held, _layer_weights(trainer, first)))


def test_freezing_every_layer_with_weights_is_refused_naming_the_network():
    lab = _lab(frozen=_dense_layers(_lab()))
    with pytest.raises(EngineError, match="Every layer with weights of network 'model' is frozen"):
        Trainer(lab, device="cpu")


def test_a_frozen_gan_discriminator_layer_stays_frozen_through_generator_steps():
    lab = gan()
    d = next(n for n in lab.networks if n.role == "discriminator")
    layer = next(n.name for n in d.graph.nodes.values() if n.kind == "Dense")
    lab.frozen = {d.name: [layer]}
    trainer = Trainer(lab, device="cpu")
    before = _layer_weights(trainer, layer, d.name)
    trainer.train(epochs=1)
    for a, b in zip(before, _layer_weights(trainer, layer, d.name)):
        np.testing.assert_array_equal(a, b)
    assert trainer.task.steps_taken["generator"] > 0


def test_frozen_layers_round_trip_through_the_lab_json_and_stay_out_of_labs_without_locks():
    lab = _lab()
    assert "frozen" not in lab.to_dict()
    first = _dense_layers(lab)[0]
    lab.frozen = lab.with_frozen("model", first, True)
    again = Lab.from_json(lab.to_json())
    assert again.frozen == {"model": [first]}
    assert again.with_frozen("model", first, False) == {}


def test_a_lab_file_freezing_a_layer_it_lacks_is_refused_naming_it():
    data = _lab().to_dict()
    data["frozen"] = {"model": ["no_such_layer"]}
    with pytest.raises(LabFormatError, match="no_such_layer"):
        Lab.from_dict(data)


def test_freezing_is_a_settings_event():
    lab = _lab()
    seen = []
    lab.subscribe(seen.append)
    lab.frozen = {"model": [_dense_layers(lab)[0]]}
    assert seen and seen[0].section == "frozen"


def test_frozen_layers_are_saved_in_the_project_file(tmp_path):
    from playground.engine.project import load_project, save_project

    lab = _lab()
    first = _dense_layers(lab)[0]
    lab.frozen = {"model": [first]}
    trainer = Trainer(lab, device="cpu", fast_path=False)
    trainer.train(epochs=1)
    save_project(tmp_path / "frozen.nnp", trainer.lab, trainer.checkpoint())
    project = load_project(tmp_path / "frozen.nnp")
    assert project.lab.frozen == {"model": [first]}
    again = Trainer(project.lab, device="cpu", fast_path=False)
    again.restore(project.checkpoint)
    for a, b in zip(_layer_weights(trainer, first), _layer_weights(again, first)):
        np.testing.assert_array_equal(a, b)
