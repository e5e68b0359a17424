"""Copying trained weights into a lab, layer by layer: what fits is copied exactly, what does not is named."""

from __future__ import annotations

import pytest
import torch

from playground.engine.commands import SetWeights
from playground.engine.project import save_project
from playground.engine.trainer import Trainer
from playground.engine.weights_copy import (
    COPY,
    MISMATCH,
    MISSING,
    WeightsCopyError,
    match_layers,
    project_states,
    with_starting_weights,
)
from playground.graph import Lab
from playground.graph.templates import sequential, tensorflow_playground


def _trained(epochs: int = 2) -> Trainer:
    lab = tensorflow_playground()
    lab.training = lab.training.updated(optimizer="adam", epochs=epochs)
    trainer = Trainer(lab, device="cpu", fast_path=False)
    trainer.train()
    return trainer


def _state(trainer: Trainer, network: str = "model") -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in trainer.task.modules()[network].state_dict().items()}


def _wider_lab() -> Lab:
    """The same layer names as the TensorFlow Playground template, the first hidden layer wider."""
    lab = tensorflow_playground()
    lab.seed = 7
    graph = lab.network("model").graph
    first = next(n.name for n in graph.nodes.values() if n.kind == "Dense")
    graph.set_param(first, "units", 6)
    return lab


def test_weights_copied_from_a_project_file_equal_the_sources(tmp_path):
    source = _trained()
    path = tmp_path / "trained.nnp"
    save_project(path, source.lab, source.checkpoint())
    source_lab, states = project_states(path)
    target = tensorflow_playground()
    target.seed = 99
    plan = match_layers(target, "model", states["model"], path.name)
    assert all(r.status == COPY for r in plan.rows) and plan.rows
    trainer = Trainer(target, device="cpu", fast_path=False)
    before = _state(trainer)
    trainer.send(SetWeights("model", plan.tensors))
    list(trainer.run(interval=None, start=False))
    after = _state(trainer)
    expected = _state(source)
    assert any(not torch.equal(before[k], expected[k]) for k in expected)
    for key, value in expected.items():
        assert torch.equal(after[key], value), key


def test_only_the_layers_that_fit_are_copied_and_the_others_are_named():
    source = _trained()
    lab = _wider_lab()
    plan = match_layers(lab, "model", _state(source), "trained.nnp")
    by_status = {r.status for r in plan.rows}
    assert by_status == {COPY, MISMATCH}
    mismatch = next(r for r in plan.rows if r.status == MISMATCH)
    assert "6×2 here, 4×2 in the source" in mismatch.detail
    assert all(k.split(".")[0] in plan.copied for k in plan.tensors)
    assert mismatch.layer not in {k.split(".")[0] for k in plan.tensors}


def test_a_source_whose_layers_do_not_fit_names_each_mismatch_and_changes_nothing(tmp_path):
    other = Lab(name="Other", task="classification")
    other.add_network("model", "model", sequential([("Input", {"kind": "vector", "features": 2}),
                                                    ("Dense", {"units": 2}), ("Output", {"head": "classification"})]))
    trainer = Trainer(other, device="cpu", fast_path=False)
    trainer.train(epochs=1)
    path = tmp_path / "other.nnp"
    save_project(path, trainer.lab, trainer.checkpoint())
    _lab, states = project_states(path)
    target = _wider_lab()
    target_trainer = Trainer(target, device="cpu", fast_path=False)
    before = _state(target_trainer)
    options_before = dict(target.task_options)
    with pytest.raises(WeightsCopyError) as err:
        match_layers(target, "model", states["model"], path.name)
    message = str(err.value)
    assert "nothing was copied" in message
    layers = [n.name for n in target.network("model").graph.nodes.values() if n.kind == "Dense"]
    for layer in layers:
        assert f"{layer}:" in message
    assert target.task_options == options_before
    assert all(torch.equal(v, _state(target_trainer)[k]) for k, v in before.items())


def test_copied_weights_become_the_labs_starting_weights_and_survive_a_reset():
    source = _trained()
    target = tensorflow_playground()
    target.seed = 42
    plan = match_layers(target, "model", _state(source), "the model network")
    target.task_options = with_starting_weights(target, "model", plan.tensors)
    again = Lab.from_json(target.to_json())
    fresh = Trainer(again, device="cpu", fast_path=False)
    for key, value in _state(source).items():
        torch.testing.assert_close(_state(fresh)[key], value)


def test_a_missing_layer_is_listed_as_missing():
    source = _trained()
    state = {k: v for k, v in _state(source).items() if not k.startswith("dense_1.")}
    lab = tensorflow_playground()
    plan = match_layers(lab, "model", state, "part")
    assert any(r.status == MISSING and r.layer == "dense_1" for r in plan.rows)
