"""The headless engine: it learns, obeys commands between steps, recovers from divergence, repeats itself."""

from __future__ import annotations

import threading
from dataclasses import fields

import numpy as np
import pytest
import torch

from playground.engine.commands import Pause, Reset, Resume, SetProbes, SetTraining, Step, Stop
from playground.engine.errors import EngineError
from playground.engine.trainer import Trainer, scheduled_rate
from playground.graph import Lab, LabFormatError
from playground.graph.templates import regression_plane, sequential, spiral, tensorflow_playground
from playground.snapshots import DecisionBoundary, ProbeResults, Record


def small_lab(dataset: str = "gaussian", epochs: int = 20, **training) -> Lab:
    lab = tensorflow_playground()
    lab.dataset.name = dataset
    lab.training = lab.training.updated(epochs=epochs, **training)
    return lab


def weights(trainer: Trainer) -> list[np.ndarray]:
    return [p.detach().cpu().numpy().copy() for p in trainer.task.model.parameters()]


@pytest.mark.slow
def test_spiral_small_tanh_mlp_reaches_95_percent_test_accuracy():
    lab = spiral()  # 2-16-16-16-2 tanh, Adam 0.01, batch 16, seed 1
    trainer = Trainer(lab)
    snap = trainer.train()
    assert snap.state == "finished"
    assert snap.epoch == lab.training.epochs
    assert snap.metrics["test_accuracy"] >= 0.95
    assert snap.metrics["train_loss"] < trainer.history.column("train_loss")[0] / 10


def test_same_seed_gives_the_same_run_and_another_seed_does_not():
    runs = []
    for seed in (7, 7, 8):
        lab = small_lab("circle", epochs=5)
        lab.seed = seed
        t = Trainer(lab)
        t.train()
        runs.append(t.history.column("train_loss"))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_learning_rate_change_mid_run_takes_effect_without_reset():
    lab = small_lab("circle", epochs=10, learning_rate=0.03)
    reference = Trainer(lab)
    reference.train()

    trainer = Trainer(lab)
    run = trainer.run(interval=None, every_epoch=True)
    for snap in run:
        if snap.epoch == 3:
            break
    before = weights(trainer)
    steps = trainer.step
    trainer.send(SetTraining({"learning_rate": 0.3}))
    snap = next(run)
    assert snap.epoch == 4 and snap.step > steps  # went on, no reset
    assert trainer.learning_rate == pytest.approx(0.3)
    assert snap.learning_rate == pytest.approx(0.3)
    assert any(not np.array_equal(a, b) for a, b in zip(before, weights(trainer)))
    hist = trainer.history.column("train_loss")
    ref = reference.history.column("train_loss")
    np.testing.assert_array_equal(hist[:3], ref[:3])  # identical before the change
    assert hist[3] != ref[3]  # different after it
    assert trainer.history.column("learning_rate")[3] == pytest.approx(0.3)


def test_bad_setting_is_refused_in_the_callers_thread_and_changes_nothing():
    trainer = Trainer(small_lab())
    with pytest.raises(LabFormatError, match="learning_rate"):
        trainer.send(SetTraining({"learning_rate": -1}))
    with pytest.raises(LabFormatError, match="optimizer"):
        trainer.send(SetTraining({"optimizer": "lbfgs"}))
    assert trainer.settings.learning_rate == pytest.approx(0.03)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_changing_optimizer_mid_run_keeps_the_weights(optimizer):
    trainer = Trainer(small_lab(epochs=4))
    trainer.train(2)
    before = weights(trainer)
    trainer.send(SetTraining({"optimizer": optimizer, "learning_rate": 0.01}))
    trainer._drain()
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(trainer)))
    snap = trainer.train(2)
    assert snap.epoch == 4 and np.isfinite(snap.metrics["train_loss"])


@pytest.mark.parametrize("make", [tensorflow_playground, regression_plane])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_learning_rate_1000_diverges_restores_finite_weights_and_can_resume(make, optimizer):
    lab = make()
    lab.training = lab.training.updated(learning_rate=1000, optimizer=optimizer, epochs=30)
    trainer = Trainer(lab)
    snap = trainer.train()
    assert snap.state == "diverged"
    assert "diverged" in snap.message and "learning rate 1000" in snap.message and "Lower" in snap.message
    assert all(np.isfinite(w).all() for w in weights(trainer))
    for name in trainer.history.names:
        assert np.isfinite(trainer.history.column(name)).all()
    assert len(trainer.history) == snap.epoch
    trainer.send(SetTraining({"learning_rate": 0.01}))
    trainer.send(Resume())
    snap = trainer.train(3)
    assert snap.state == "finished" and np.isfinite(snap.metrics["train_loss"])


def test_pause_step_and_resume():
    trainer = Trainer(small_lab(epochs=50))
    run = trainer.run(interval=None, every_epoch=True, stop_when_idle=True)
    next(run)
    next(run)  # one epoch
    trainer.send(Pause())
    snaps = list(run)
    assert snaps[-1].state == "paused"
    step = trainer.step
    trainer.send(Step(batches=3))
    snaps = list(trainer.run(interval=None))
    assert trainer.step == step + 3 and snaps[-1].state == "paused"
    trainer.send(Step(epoch=True))
    list(trainer.run(interval=None))
    assert trainer.snapshot().epoch_fraction == 0.0
    trainer.send(Resume())
    assert trainer.train().state == "finished"


def test_reset_with_the_same_seed_restores_the_initial_weights_and_a_new_seed_does_not():
    trainer = Trainer(small_lab())
    initial = weights(trainer)
    trainer.train(3)
    trainer.send(Reset())
    trainer._drain()
    assert trainer.epoch == 0 and trainer.step == 0 and len(trainer.history) == 0
    assert all(np.array_equal(a, b) for a, b in zip(initial, weights(trainer)))
    trainer.send(Reset(new_seed=True))
    trainer._drain()
    assert any(not np.array_equal(a, b) for a, b in zip(initial, weights(trainer)))


def test_commands_from_another_thread_reach_a_waiting_loop():
    trainer = Trainer(small_lab(epochs=100000))
    seen = []

    def worker():
        for snap in trainer.run(interval=0.01, start=False, stop_when_idle=False):
            seen.append(snap.state)

    thread = threading.Thread(target=worker)
    thread.start()
    trainer.send(Resume())
    for _ in range(200):
        if trainer.step > 50:
            break
        threading.Event().wait(0.01)
    trainer.send(Stop())
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert "running" in seen and seen[-1] == "stopped" and trainer.step > 0


def test_snapshots_hold_only_numpy_and_plain_values():
    trainer = Trainer(small_lab(epochs=3), probes=["boundary"])
    snaps = list(trainer.run(interval=0.0))
    assert len(snaps) > 3
    snap = snaps[-1]
    def inside(value):
        # Immutable tuples of plain values (the class names) are plain too, and so are the frozen probe records
        # and the read-only mappings they hold: look inside them.
        if isinstance(value, ProbeResults | tuple):
            return [x for item in value for x in inside(item)]
        if isinstance(value, Record):
            return [x for g in fields(value) for x in inside(getattr(value, g.name))]
        if hasattr(value, "values"):
            return [x for item in value.values() for x in inside(item)]
        return [] if value is None else [value]

    for f in fields(snap):
        for item in inside(getattr(snap, f.name)):
            assert not isinstance(item, torch.Tensor), f.name
            assert isinstance(item, (np.ndarray, int, float, str)), (f.name, type(item))
    boundary = snap.probes[DecisionBoundary].values
    assert boundary.shape == (100, 100) and boundary.dtype == np.float32
    assert boundary.min() >= 0.0 and boundary.max() <= 1.0
    # A copy: training on must not change what a view already holds.
    held = boundary.copy()
    trainer.send(Resume())
    trainer.train(2)
    np.testing.assert_array_equal(held, boundary)


def test_probes_run_only_when_asked():
    trainer = Trainer(small_lab(epochs=2))
    assert DecisionBoundary not in trainer.snapshot().probes
    trainer.send(SetProbes(frozenset({"boundary"})))
    trainer._drain()
    assert DecisionBoundary in trainer.snapshot().probes
    with pytest.raises(EngineError, match="Unknown probe"):
        trainer.send(SetProbes(frozenset({"mind_reader"})))


def test_early_stopping_stops_and_keeps_the_best_weights():
    lab = small_lab("circle", epochs=2000, learning_rate=0.3, early_stopping=True, patience=5)
    lab.dataset.noise = 40.0
    trainer = Trainer(lab)
    snap = trainer.train()
    assert snap.state == "finished" and snap.epoch < 2000
    assert "Early stopping" in snap.message
    best = trainer.history.column("test_loss").min()
    assert trainer.task.evaluate(trainer.x_test, trainer.y_test)["loss"] == pytest.approx(best, rel=1e-4)


def test_schedules():
    s = Lab().training.updated(learning_rate=0.1, schedule="step", step_size=10, gamma=0.5, epochs=100)
    assert scheduled_rate(s, 9) == pytest.approx(0.1) and scheduled_rate(s, 10) == pytest.approx(0.05)
    c = s.updated(schedule="cosine")
    assert scheduled_rate(c, 0) == pytest.approx(0.1) and scheduled_rate(c, 100) == pytest.approx(0.0, abs=1e-9)
    trainer = Trainer(small_lab(epochs=4, schedule="step", step_size=2, gamma=0.1))
    trainer.train()
    np.testing.assert_allclose(trainer.history.column("learning_rate"), [0.03, 0.03, 0.003, 0.003], rtol=1e-6)


@pytest.mark.parametrize("reg", ["l1", "l2"])
@pytest.mark.slow
def test_regularization_shrinks_the_weights(reg):
    plain = Trainer(small_lab("circle", epochs=30))
    plain.train()
    regd = Trainer(small_lab("circle", epochs=30, regularization=reg, regularization_rate=0.05))
    regd.train()
    norm = lambda t: sum(float(np.abs(w).sum()) for w in weights(t))  # noqa: E731
    assert norm(regd) < 0.8 * norm(plain)


@pytest.mark.slow
def test_regression_task_learns_the_plane():
    trainer = Trainer(regression_plane())
    snap = trainer.train()
    losses = trainer.history.column("test_loss")
    assert snap.state == "finished" and losses[-1] < losses[0] / 5


def test_mismatches_between_network_and_data_name_the_node_to_fix():
    lab = small_lab()
    lab.dataset.features = ["x1", "x2", "x1*x2"]
    with pytest.raises(EngineError, match=r"Input 'input_1' expects samples of shape 2 .* gives 3 \(x1, x2, x1\*x2\)"):
        Trainer(lab)
    lab = small_lab()
    lab.networks[0].graph.set_param("dense_3", "units", 3)
    with pytest.raises(EngineError, match=r"3 score\(s\) but the dataset has 2 classes: give 'dense_3'"):
        Trainer(lab)
    lab = small_lab("plane")
    with pytest.raises(EngineError, match="choose the regression task"):
        Trainer(lab)
    lab = small_lab()
    lab.networks[0].graph.set_param("output_1", "head", "regression")
    with pytest.raises(EngineError, match="set its head to 'classification'"):
        Trainer(lab)


def test_unavailable_device_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(EngineError, match="no CUDA GPU"):
        Trainer(small_lab(), device="cuda")


def test_softmax_before_the_output_trains_on_log_probabilities():
    lab = small_lab("gaussian", epochs=15, learning_rate=0.1)
    lab.networks = []
    lab.add_network("model", "model", sequential([
        ("Input", {"kind": "vector", "features": 2}), ("Dense", {"units": 2}), ("Softmax", {}),
        ("Output", {"head": "classification"})]))
    snap = Trainer(lab).train()
    assert snap.metrics["test_accuracy"] > 0.95


def test_history_is_kept_whole_but_handed_out_downsampled():
    trainer = Trainer(small_lab(epochs=3))
    for i in range(5000):
        trainer.history.append(epoch=i, step=i, time=i, learning_rate=0.1, train_loss=1.0 / (i + 1))
    small = trainer.history.downsampled(500)
    assert len(small["epoch"]) <= 500 and small["epoch"][-1] == 4999 and small["epoch"][0] == 0
    assert len(trainer.history) == 5000
    csv = trainer.history.to_csv().splitlines()
    assert csv[0].startswith("epoch,step,time,learning_rate,train_loss") and len(csv) == 5001


def test_restoring_after_divergence_keeps_the_users_learning_rate():
    trainer = Trainer(small_lab("circle", epochs=50, learning_rate=0.03))
    trainer.train(3)
    trainer.send(SetTraining({"learning_rate": 1000.0}))
    trainer.send(Resume())
    snap = trainer.train(20)
    assert snap.state == "diverged" and "learning rate 1000" in snap.message
    assert trainer.learning_rate == pytest.approx(1000.0)  # not silently back to 0.03 from the saved state
