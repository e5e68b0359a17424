"""The compiled fast path for small networks: the same results as the ordinary loop, a seamless switch, and a
quiet fallback when it cannot be built or used."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.engine import fast_path as fp
from playground.engine.commands import SetTraining
from playground.engine.datasets import DataBundle
from playground.engine.fast_path import FastPath, Program, plan_for
from playground.engine.trainer import Trainer
from playground.graph import Lab, TrainingSettings
from playground.graph.templates import sequential
from playground.snapshots import Gradients


def tiny_lab(optimizer: str = "sgd", **training: object) -> Lab:
    lab = Lab(name="tiny", task="classification",
              training=TrainingSettings(optimizer=optimizer, learning_rate=0.05, batch_size=5, epochs=100))
    lab.training = lab.training.updated(**training)
    lab.add_network("model", "model", sequential([
        ("Input", {"kind": "vector", "features": 2}), ("Dense", {"units": 4}), ("Tanh", {}),
        ("Dense", {"units": 2}), ("Output", {"head": "classification"})]))
    return lab


def tiny_data(samples: int = 12) -> DataBundle:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(samples + 6, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return DataBundle(name="tiny", kind="classification", x_train=x[:samples], y_train=y[:samples],
                      x_test=x[samples:], y_test=y[samples:], classes=2)


def weights(trainer: Trainer) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in trainer.task.model.parameters()]


def fast_trainer(lab: Lab, data: DataBundle) -> Trainer:
    """A trainer whose program is built (its first epoch runs in the ordinary loop, as in the app)."""
    trainer = Trainer(lab, data=data, fast_path=True)
    trainer.train(1)
    assert trainer.fast_path.program(trainer, True) is None  # starts the build
    assert trainer.fast_path.wait(timeout=1200), trainer.fast_path.reason
    return trainer


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"])
def test_compiled_epochs_equal_the_ordinary_loop_for_each_optimizer(optimizer):
    # 12 samples, batch 5: two full batches and a partial one. Adam's rate is the app's (0.05 drives the tiny
    # net's weights to 4, where float32's rounding alone is 5e-7 a step). RMSprop at 0.01 leaves one unit with a
    # gradient hovering at 0, where its normalized step turns rounding into steps of ±lr (1.5e-5 apart after 300
    # steps); at 0.05 it does not.
    rate = 0.01 if optimizer in ("adam", "adamw") else 0.05
    lab, data = tiny_lab(optimizer, learning_rate=rate), tiny_data()
    fast = fast_trainer(lab, data)
    program = fast.fast_path.program(fast, True)
    assert program is not None and program.plan.sizes == (5, 5, 2)
    fast.train(99)
    ordinary = Trainer(lab, data=data, fast_path=False)
    ordinary.train(100)
    assert fast.fast_path.reason == ""
    assert fast.epoch == ordinary.epoch == 100 and fast.step == ordinary.step == 300
    for a, b in zip(weights(fast), weights(ordinary)):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(fast.history.column("train_loss"), ordinary.history.column("train_loss"),
                               atol=1e-6, rtol=1e-6)
    # The optimizer's own state was updated in place: the ordinary loop can take over at any step.
    for p_fast, p_ord in zip(fast.optimizer.param_groups[0]["params"], ordinary.optimizer.param_groups[0]["params"]):
        for k, v in ordinary.optimizer.state[p_ord].items():
            if isinstance(v, torch.Tensor):
                # Accumulators (AdaGrad's sum of squares) grow: equal to float32 rounding, relative to their size.
                np.testing.assert_allclose(fast.optimizer.state[p_fast][k].numpy(), v.numpy(), atol=1e-6, rtol=1e-5)


@pytest.mark.slow
def test_switch_during_a_live_run_keeps_curves_and_per_step_metrics_continuous():
    lab = tiny_lab("sgd", regularization="l2", regularization_rate=0.01, grad_clip=1.0)
    data = tiny_data()
    trainer = Trainer(lab, data=data, fast_path=True, probes=("gradients",))
    ordinary = Trainer(lab, data=data, fast_path=False, probes=("gradients",))
    snaps = []
    for snap in trainer.run(interval=None, every_epoch=True):
        snaps.append(snap)
        if snap.epoch == 1:
            assert trainer.fast_path.wait(timeout=1200), trainer.fast_path.reason
        if snap.epoch >= 40:
            break
    assert trainer.fast_path.program(trainer, True) is not None  # it did switch
    assert [s.epoch for s in snaps[1:]] == list(range(1, 41))
    assert [s.step for s in snaps[1:]] == [3 * e for e in range(1, 41)]
    history = trainer.history.column("epoch")
    np.testing.assert_array_equal(history, np.arange(1, 41))
    ordinary.train(40)
    np.testing.assert_allclose(trainer.history.column("train_loss"), ordinary.history.column("train_loss"),
                               atol=1e-6, rtol=0)
    # The gradient probe sees the last batch's (clipped) gradients after a compiled epoch, as after an eager one.
    # (Computed fresh: a live snapshot may reuse an earlier result under the probe budget.)
    grads = trainer.compute_probes(["gradients"])
    ordinary.snapshot()  # records the gradients of its last step, as the live snapshot did for the fast one
    expected = ordinary.compute_probes(["gradients"])
    assert grads[Gradients].steps[-1] == expected[Gradients].steps[-1] == 120
    for layer, norms in expected[Gradients].layers.items():
        np.testing.assert_allclose(grads[Gradients].layers[layer][-1], norms[-1], rtol=1e-4)
    # A setting the program holds fixed (the batch size) falls back at once: the next epoch is an ordinary one.
    trainer.send(SetTraining({"batch_size": 4}))
    trainer._drain()
    assert trainer.fast_path.program(trainer, True) is None
    trainer.fast_path.wait(timeout=1200)  # the rebuild for batch 4 (not needed by the test, but not left behind)


def test_compile_failure_falls_back_to_the_ordinary_loop_and_says_why(monkeypatch):
    def no_compiler(*args, **kwargs):
        raise RuntimeError("InvalidCxxCompiler: No working C++ compiler found")

    monkeypatch.setattr(fp, "build_program", no_compiler)
    lab, data = tiny_lab("adam", epochs=5), tiny_data()
    trainer = Trainer(lab, data=data, fast_path=True)
    trainer.train(2)
    assert not trainer.fast_path.wait(timeout=60)
    assert "torch.compile failed" in trainer.fast_path.reason and "C++ compiler" in trainer.fast_path.reason
    trainer.train(3)
    ordinary = Trainer(lab, data=data, fast_path=False)
    ordinary.train(5)
    for a, b in zip(weights(trainer), weights(ordinary)):
        np.testing.assert_array_equal(a, b)


def test_no_cxx_compiler_is_reported_without_trying(monkeypatch):
    monkeypatch.setattr(fp, "compile_unavailable_reason", lambda device: "no C++ compiler for torch.compile")
    trainer = Trainer(tiny_lab(), data=tiny_data(), fast_path=True)
    trainer.train(2)
    assert trainer.fast_path.reason == "no C++ compiler for torch.compile"
    assert trainer.fast_path.program(trainer, True) is None and trainer.fast_path.builds == 0


def test_a_program_that_fails_when_called_is_dropped_and_the_step_runs_in_the_ordinary_loop():
    lab, data = tiny_lab("sgd", epochs=3), tiny_data()
    trainer = Trainer(lab, data=data, fast_path=True)
    key = trainer.fast_path.key_for(trainer)

    def guard_miss(*args: object) -> None:
        raise RuntimeError("Detected recompile when torch.compile stance is 'fail_on_recompile'")

    model = trainer.task.model
    program = Program(key, plan_for(key), guard_miss, trainer.task, list(model.parameters()), trainer.x_train,
                      trainer.y_train, trainer.optimizer, trainer._eval_x, trainer._eval_y)
    trainer.fast_path._program = program
    trainer.fast_path.enabled = True
    monkey_builds: list[object] = []
    trainer.fast_path._start_build = lambda *a: monkey_builds.append(a)  # type: ignore[method-assign]
    trainer.train()
    assert trainer.epoch == 3 and trainer.step == 9
    assert "fail_on_recompile" in trainer.fast_path.reason
    ordinary = Trainer(lab, data=data, fast_path=False)
    ordinary.train()
    for a, b in zip(weights(trainer), weights(ordinary)):
        np.testing.assert_array_equal(a, b)


def test_what_the_fast_path_does_not_take():
    from playground.engine.bench import mnist_mlp_lab, random_mnist_data

    assert FastPath().eligible(Trainer(tiny_lab(), data=tiny_data())) is None
    big = Trainer(mnist_mlp_lab(), data=random_mnist_data(64))
    assert "parameters" in (FastPath().eligible(big) or "")
    dropout = Lab(name="dropout", task="classification")
    dropout.add_network("model", "model", sequential([
        ("Input", {"kind": "vector", "features": 2}), ("Dense", {"units": 4}), ("Dropout", {"p": 0.5}),
        ("Dense", {"units": 2}), ("Output", {"head": "classification"})]))
    reason = FastPath().eligible(Trainer(dropout, data=tiny_data())) or ""
    assert "Dropout" in reason


def test_the_key_names_what_the_program_holds_fixed():
    trainer = Trainer(tiny_lab(), data=tiny_data(), fast_path=True)
    key = trainer.fast_path.key_for(trainer)
    assert key is not None and key.whole_epoch and key.batch_size == 5 and key.samples == 12
    assert plan_for(key).sizes == (5, 5, 2)
    assert FastPath(enabled=False).program(trainer, True) is None


def test_compile_cache_lives_in_the_user_cache_folder():
    assert fp.user_compile_cache().endswith("inductor")
    assert "neural-network-playground" in fp.user_compile_cache()


def test_dense_layers_compile_in_a_fusible_form_with_the_same_outputs_and_parameters():
    # A matrix product would be an external kernel call per layer and step (most of a compiled epoch's time on
    # the spiral net); the fast path traces dense layers as a product and a sum, which inductor fuses.
    import copy

    from torch import nn

    model = Trainer(tiny_lab(), data=tiny_data()).task.model
    fused = fp._fusible(copy.deepcopy(model))
    assert not any(type(m) is nn.Linear for m in fused.modules())
    assert [n for n, _ in fused.named_parameters()] == [n for n, _ in model.named_parameters()]
    x = torch.randn(7, 2)
    with torch.no_grad():
        np.testing.assert_allclose(fused(x).numpy(), model(x).numpy(), atol=1e-6, rtol=1e-6)


def test_a_program_reuses_its_settings_tensor_until_a_setting_changes():
    trainer = Trainer(tiny_lab(), data=tiny_data(), fast_path=True)
    key = trainer.fast_path.key_for(trainer)
    seen: list[torch.Tensor] = []
    params = list(trainer.task.model.parameters())

    def record(p: object, s: object, x: object, y: object, idx: object, scalars: torch.Tensor,
               *rest: object) -> tuple[torch.Tensor, None, list[torch.Tensor], None]:
        seen.append(scalars)
        return torch.zeros(3), None, [torch.zeros_like(q) for q in params], None

    program = Program(key, plan_for(key), record, trainer.task, params, trainer.x_train, trainer.y_train,
                      trainer.optimizer, trainer._eval_x, trainer._eval_y)
    idx = torch.arange(12)
    program(idx, 0.05, 0.0, 0.0)
    program(idx, 0.05, 0.0, 0.0)
    program(idx, 0.02, 0.0, 0.0)
    assert seen[0] is seen[1] and seen[2] is not seen[1]
    assert seen[2].tolist() == [0.02, 0.0, 0.0]


def test_a_large_dense_layer_stays_a_matrix_product():
    from torch import nn

    big = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, fp.FUSIBLE_WEIGHTS // 8 + 1))
    fused = fp._fusible(big)
    assert type(fused[0]) is not nn.Linear and type(fused[2]) is nn.Linear
