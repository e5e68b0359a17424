"""Trainer.checkpoint / restore: a run saved mid-epoch goes on exactly as if it had never stopped."""

from __future__ import annotations

import pytest
import torch

from playground.engine import commands as cmd
from playground.engine.errors import EngineError
from playground.engine.trainer import Trainer
from playground.graph import templates


def _lab(name: str, epochs: int = 3):
    lab = templates.build_template(name)
    lab.training.epochs = epochs
    return lab


def _next_loss(trainer: Trainer) -> float:
    trainer.send(cmd.Step(batches=1))
    for _ in trainer.run(interval=None):
        pass
    return float(trainer._losses[-1]) if trainer._losses else trainer.history.last("train_loss")


@pytest.mark.parametrize("name", ["spiral", "mnist_1_layer"])
def test_restored_run_takes_the_same_next_step(name: str) -> None:
    lab = _lab(name)
    first = Trainer(lab, device="cpu")
    first.send(cmd.Step(batches=7))  # stop mid-epoch
    for _ in first.run(interval=None):
        pass
    saved = first.checkpoint()
    expected = [_next_loss(first) for _ in range(3)]

    second = Trainer(lab, device="cpu")
    second.restore(saved)
    assert (second.epoch, second.step) == (saved["meta"]["epoch"], saved["meta"]["step"])
    got = [_next_loss(second) for _ in range(3)]
    assert got == pytest.approx(expected, rel=0, abs=0)


def test_restored_curves_continue() -> None:
    lab = _lab("spiral", epochs=2)
    first = Trainer(lab, device="cpu")
    first.train()
    saved = first.checkpoint()
    second = Trainer(lab, device="cpu")
    second.restore(saved)
    assert len(second.history) == 2
    assert second.history.column("test_loss").tolist() == first.history.column("test_loss").tolist()
    second.train(epochs=1)
    assert len(second.history) == 3


def test_weights_of_another_graph_are_refused_and_nothing_changes() -> None:
    saved = Trainer(_lab("spiral"), device="cpu").checkpoint()
    other = Trainer(_lab("tensorflow_playground"), device="cpu")
    before = {k: v.clone() for k, v in other.state_dicts()["model"].items()} if "model" in other.state_dicts() \
        else None
    with pytest.raises(EngineError, match="shape|lack|does not have"):
        other.restore(saved)
    if before is not None:
        after = other.state_dicts()["model"]
        assert all(torch.equal(before[k], after[k]) for k in before)


def test_take_checkpoint_command_replies_between_steps() -> None:
    trainer = Trainer(_lab("spiral"), device="cpu")
    got: list[dict] = []
    trainer.send(cmd.Step(batches=2))
    for _ in trainer.run(interval=None):
        pass
    trainer.send(cmd.TakeCheckpoint(got.append))
    for _ in trainer.run(interval=None):
        pass
    assert len(got) == 1
    assert got[0]["meta"]["step"] == 2
    assert any(k.startswith("model/") for k in got[0]["tensors"])
