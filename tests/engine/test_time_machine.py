"""The time machine: moments kept while a run trains, in bounded memory; a past moment's views; branching."""

from __future__ import annotations

import os

import numpy as np
import torch

from playground.engine import commands as cmd
from playground.engine.time_machine import MAX_MOMENTS, MomentStore
from playground.engine.trainer import Trainer
from playground.graph import templates
from playground.snapshots import Weights
from playground.snapshots.health import Timeline


def _trainer(epochs: int = 20) -> Trainer:
    lab = templates.build_template("spiral")
    lab.training.epochs = epochs
    trainer = Trainer(lab, device="cpu", probes=("weights",), fast_path=False, moments=True)
    assert trainer.moments is not None
    trainer.moments.budget = None  # every due moment, so the test knows which steps are kept
    return trainer


def _weights(trainer: Trainer) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in trainer.networks["model"].module.state_dict().items()}


def test_scrubbing_shows_the_weights_saved_at_that_step() -> None:
    trainer = _trainer()
    seen: dict[int, dict[str, np.ndarray]] = {}
    for snap in trainer.run(interval=None, every_epoch=True):
        seen[snap.step] = dict(snap.probes[Weights].layers)
        if trainer.epoch >= 6:
            break
    now = _weights(trainer)
    timeline = trainer.snapshot().probes[Timeline]
    assert list(timeline.steps) == sorted(seen)  # one moment per snapshot here: every epoch's end, and step 0
    for step in (int(timeline.steps[1]), int(timeline.steps[3])):
        past = trainer.moment_snapshot(step)
        assert past.step == step and past.probes[Timeline].showing == step
        for layer, weight in seen[step].items():
            np.testing.assert_array_equal(past.probes[Weights].layers[layer], weight)
        assert len(past.history["step"]) == past.epoch and past.history["step"][-1] == step  # curves up to there
    for key, value in _weights(trainer).items():  # looking back changed nothing of the run
        np.testing.assert_array_equal(value, now[key])


def test_continuing_from_a_past_moment_equals_a_run_restored_there() -> None:
    trainer = _trainer()
    trainer.train(2)
    saved = trainer.checkpoint()
    branch_step = trainer.step
    trainer.train(2)
    straight_on = _weights(trainer)  # the first branch at epoch 4
    trainer.train(2)
    trainer.continue_from(branch_step)
    assert (trainer.step, trainer.epoch, len(trainer.history)) == (branch_step, 2, 2)
    assert trainer.moments is not None and trainer.moments.moments[-1].step == branch_step  # later ones gone
    assert "Continued from step" in trainer.snapshot().message
    trainer.train(2)

    restored = _trainer()
    restored.restore(saved)
    restored.train(2)
    for key, value in _weights(restored).items():
        np.testing.assert_array_equal(_weights(trainer)[key], value)
        np.testing.assert_array_equal(straight_on[key], value)  # same seed for what follows: the same steps
    np.testing.assert_array_equal(trainer.history.column("train_loss"), restored.history.column("train_loss"))


def test_commands_show_a_moment_and_branch_through_the_loop() -> None:
    trainer = _trainer()
    trainer.train(3)
    first_step = int(trainer.snapshot().probes[Timeline].steps[1])
    answers: list[object] = []
    trainer.send(cmd.ShowMoment(first_step, answers.append))
    trainer.send(cmd.ContinueFrom(first_step))
    for _ in trainer.run(interval=None, start=False):
        pass
    assert len(answers) == 1 and getattr(answers[0], "step", None) == first_step
    assert trainer.step == first_step


def test_memory_stays_bounded_and_spread_over_the_whole_run(tmp_path: os.PathLike[str]) -> None:
    store = MomentStore(budget=None, spill_bytes=0)  # every moment on disk
    for step in range(5000):
        if store.due(step, 0.0):
            store.add(step, 0, 0, {"w": torch.full((3,), float(step))}, {})
    assert len(store) <= MAX_MOMENTS
    steps = [m.step for m in store.moments]
    assert steps[0] == 0 and steps[-1] >= 5000 - store.gap
    assert max(np.diff(steps)) <= 2 * min(np.diff(steps))  # evenly spread, not just the newest
    folder = os.path.dirname(store.moments[1].path or "")
    assert len(os.listdir(folder)) == len(store)  # thinned moments' files are deleted
    assert float(store.find(steps[10] + 1).load()["w"][0]) == steps[10]


def test_a_reset_starts_a_new_timeline() -> None:
    trainer = _trainer()
    trainer.train(3)
    trainer.send(cmd.Reset())
    for _ in trainer.run(interval=None, start=False):
        pass
    assert list(trainer.snapshot().probes[Timeline].steps) == [0]


def test_a_long_run_keeps_its_moments_within_the_limit_from_start_to_now() -> None:
    trainer = _trainer(epochs=40)
    assert trainer.moments is not None
    trainer.moments.limit = 10  # the same thinning as at 200, sooner
    for _ in trainer.run(interval=None, every_epoch=True):
        pass
    steps = [m.step for m in trainer.moments.moments]
    assert len(steps) <= 10 and steps[0] == 0 and steps[-1] >= trainer.step - trainer.moments.gap
    assert trainer.moments.gap > 1 and steps == sorted(steps)
