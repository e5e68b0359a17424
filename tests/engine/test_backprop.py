"""Backpropagation step by step: the trace's chain rule against autograd, the gradient check, the worked example."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.engine.datasets import load_dataset
from playground.engine.errors import EngineError
from playground.engine.insight.backprop import autograd_gradients, relative_error, trace_step
from playground.graph import Lab
from playground.graph.templates import build_template, sequential
from playground.graph.worked_example import worked_example
from playground.snapshots.learning import BackpropTrace


def _mlp_lab(task: str, hidden: list[int], activation: str, outputs: int, seed: int = 7,
             optimizer: str = "sgd") -> Lab:
    lab = build_template("tensorflow_playground" if task == "classification" else "regression_plane")
    layers: list[tuple[str, dict[str, object]]] = [("Input", {"kind": "vector", "features": 2})]
    for units in hidden:
        layers += [("Dense", {"units": units}), (activation, {})]
    layers += [("Dense", {"units": outputs}), ("Output", {"head": task})]
    lab.networks.clear()
    lab.add_network("model", "model", sequential(layers))
    lab.seed = seed
    lab.training.optimizer = optimizer
    return lab


def _assert_matches_autograd(lab: Lab, trace: BackpropTrace, batch: int) -> None:
    witness = autograd_gradients(lab, batch_size=batch)
    for units, weights in zip(trace.units[1:], trace.weights):
        np.testing.assert_allclose(units.delta, witness[f"{units.name}.delta"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(weights.grad_weight, witness[f"{weights.name}.weight"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(weights.grad_bias, witness[f"{weights.name}.bias"], rtol=0, atol=1e-6)
        # The chain-rule factors multiply to the error term.
        np.testing.assert_allclose(units.delta, units.dloss_da * units.fprime, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("task,activation,outputs", [("classification", "Tanh", 2), ("regression", "ReLU", 1),
                                                      ("classification", "Sigmoid", 2)])
def test_trace_equals_autograd_for_a_seeded_network(task: str, activation: str, outputs: int) -> None:
    lab = _mlp_lab(task, [5, 4], activation, outputs)
    trace = trace_step(lab, batch_size=4)
    assert trace.detailed and trace.batch_size == 4 and len(trace.units) == 4 and len(trace.weights) == 3
    assert trace.loss_name == ("cross_entropy" if task == "classification" else "mse")
    assert np.any(trace.weights[0].grad_weight != 0)
    _assert_matches_autograd(lab, trace, 4)


def test_the_trace_starts_from_the_trainers_initial_weights_or_the_given_state() -> None:
    lab = _mlp_lab("classification", [3], "Tanh", 2, seed=3)
    torch.manual_seed(3)
    from playground.compile import compile_network

    fresh = compile_network(lab.networks[0].graph, "model").module
    trace = trace_step(lab)
    np.testing.assert_allclose(trace.weights[0].weight, fresh.dense_1.weight.detach().double().numpy())
    state = {k: torch.full_like(v, 0.25) for k, v in fresh.state_dict().items()}
    given = trace_step(lab, state)
    assert np.all(given.weights[1].weight == 0.25)


def test_sgd_update_is_old_weight_minus_rate_times_gradient() -> None:
    lab = _mlp_lab("regression", [4], "Tanh", 1)
    lab.training.learning_rate = 0.3
    trace = trace_step(lab, batch_size=3)
    for w in trace.weights:
        np.testing.assert_allclose(w.new_weight, w.weight - 0.3 * w.grad_weight, rtol=1e-12)
        np.testing.assert_allclose(w.new_bias, w.bias - 0.3 * w.grad_bias, rtol=1e-12)
    assert trace.new_loss < trace.loss


def test_other_optimizers_take_their_real_step() -> None:
    lab = _mlp_lab("classification", [4], "Tanh", 2, optimizer="adam")
    lab.training.learning_rate = 0.01
    trace = trace_step(lab, batch_size=2)
    w = trace.weights[0]
    param = torch.nn.Parameter(torch.tensor(w.weight))
    param.grad = torch.tensor(w.grad_weight)
    torch.optim.Adam([param], lr=0.01).step()
    np.testing.assert_allclose(w.new_weight, param.detach().numpy(), rtol=1e-12)
    # Adam's first step moves every weight with a gradient by about the learning rate.
    moved = np.abs(w.new_weight - w.weight)[np.abs(w.grad_weight) > 1e-6]
    np.testing.assert_allclose(moved, 0.01, rtol=1e-3)
    assert "first step" in trace.note


def test_gradient_check_agrees_for_a_smooth_network() -> None:
    lab = _mlp_lab("classification", [6, 5], "Tanh", 2, seed=11)
    trace = trace_step(lab, batch_size=5)
    check = trace.gradient_check
    weights = sum(w.weight.size + w.bias.size for w in trace.weights)
    assert len(check.entries) == weights
    assert check.worst < 1e-4
    entry = check.find("dense_2", 1, 3)
    assert entry is not None
    assert entry.analytic == pytest.approx(trace.weights[1].grad_weight[1, 3], abs=1e-12)
    assert entry.weight == trace.weights[1].weight[1, 3]
    bias = check.find("dense_1", 0, -1)
    assert bias is not None and bias.analytic == pytest.approx(trace.weights[0].grad_bias[0], abs=1e-12)


def test_relative_error_is_scale_free_and_zero_for_two_zeros() -> None:
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1e-3, 1.001e-3) == pytest.approx(relative_error(10.0, 10.01))


def test_the_worked_example_gives_the_known_numbers() -> None:
    lab = worked_example()
    trace = trace_step(lab)
    hidden, output = trace.units[1], trace.units[2]
    assert trace.loss == pytest.approx(0.298371109, abs=3e-9)
    np.testing.assert_allclose(hidden.z[0], [0.3775, 0.3925], atol=1e-12)
    np.testing.assert_allclose(hidden.a[0], [0.593269992, 0.596884378], atol=1e-9)
    np.testing.assert_allclose(output.a[0], [0.75136507, 0.772928465], atol=1e-8)
    # ∂E/∂out_o1 = 0.74136507, ∂out_o1/∂net_o1 = 0.186815602, so δ_o1 = 0.138498562 and ∂E/∂w5 = 0.082167041.
    assert output.dloss_da[0, 0] == pytest.approx(0.74136507, abs=1e-8)
    assert output.fprime[0, 0] == pytest.approx(0.186815602, abs=1e-9)
    assert output.delta[0, 0] == pytest.approx(0.138498562, abs=1e-9)
    first, second = trace.weights
    assert second.grad_weight[0, 0] == pytest.approx(0.082167041, abs=1e-9)
    assert first.grad_weight[0, 0] == pytest.approx(0.000438568, abs=1e-9)
    np.testing.assert_allclose(second.new_weight, [[0.35891648, 0.408666186], [0.511301270, 0.561370121]],
                               atol=1e-8)
    np.testing.assert_allclose(first.new_weight, [[0.149780716, 0.19956143], [0.24975114, 0.29950229]],
                               atol=1e-8)
    assert trace.learning_rate == 0.5 and trace.optimizer == "sgd"


def test_the_worked_example_lab_round_trips_and_loads_its_one_sample() -> None:
    lab = worked_example()
    again = Lab.from_json(lab.to_json())
    assert again.to_json() == lab.to_json()
    data = load_dataset(again.dataset, again.seed)
    np.testing.assert_allclose(data.x_train, [[0.05, 0.10]], rtol=1e-6)
    np.testing.assert_allclose(data.y_train, [[0.01, 0.99]], rtol=1e-6)
    assert data.kind == "regression" and data.features == ["i1", "i2"]


def test_given_samples_are_checked() -> None:
    lab = worked_example()
    lab.dataset.options["targets"] = [[0.1, "a"]]
    with pytest.raises(EngineError, match="targets"):
        load_dataset(lab.dataset, 1)


def test_a_large_network_gets_layer_summaries() -> None:
    lab = _mlp_lab("classification", [16, 16], "Tanh", 2)
    trace = trace_step(lab, batch_size=8)
    assert not trace.detailed and trace.units == () and trace.weights == ()
    assert [s.units for s in trace.summaries] == [16, 16, 2]
    witness = autograd_gradients(lab, batch_size=8)
    for s in trace.summaries:
        assert s.grad_norm == pytest.approx(float(np.linalg.norm(witness[f"{s.name}.weight"])), rel=1e-9)
        assert s.update_norm == pytest.approx(lab.training.learning_rate * s.grad_norm, rel=1e-9)
    # The weights and the biases of each layer with the largest gradients.
    assert 0 < len(trace.gradient_check.entries) <= 2 * 3 * 8 and trace.gradient_check.worst < 1e-4


def test_a_network_that_is_not_a_dense_chain_is_refused_by_name() -> None:
    with pytest.raises(EngineError, match="Dense layers"):
        trace_step(build_template("residual_block"))
    lab = _mlp_lab("classification", [4], "Tanh", 2)
    lab.task = "gan"
    with pytest.raises(EngineError, match="classifiers and regressions"):
        trace_step(lab)


def test_training_the_worked_example_starts_from_its_given_weights_and_takes_the_known_step() -> None:
    from playground.engine.trainer import Trainer

    lab = worked_example()
    trainer = Trainer(lab, device="cpu")
    first = trainer.networks["model"].module
    assert first.dense_2.weight[0, 0].item() == pytest.approx(0.40)
    trainer.train(1)  # one sample, a batch of one: one step
    module = trainer.networks["model"].module
    np.testing.assert_allclose(module.dense_2.weight.detach().numpy(),
                               [[0.35891648, 0.408666186], [0.511301270, 0.561370121]], atol=1e-6)
    np.testing.assert_allclose(module.dense_1.weight.detach().numpy(),
                               [[0.149780716, 0.19956143], [0.24975114, 0.29950229]], atol=1e-6)


def test_given_weights_that_do_not_fit_are_refused_by_name() -> None:
    from playground.engine.trainer import Trainer

    lab = worked_example()
    lab.task_options["initial_weights"]["model"]["dense_2.weight"] = [[0.4, 0.45, 0.5]]
    with pytest.raises(EngineError, match="initial_weights.model"):
        Trainer(lab, device="cpu")


def test_a_softmax_before_the_output_is_part_of_the_loss_and_dropout_is_left_out() -> None:
    lab = _mlp_lab("classification", [3], "Tanh", 2)
    lab.networks.clear()
    lab.add_network("model", "model", sequential([
        ("Input", {"kind": "vector", "features": 2}), ("Dense", {"units": 3}), ("Tanh", {}), ("Dropout", {"p": 0.5}),
        ("Dense", {"units": 2}), ("Softmax", {}), ("Output", {"head": "classification"})]))
    trace = trace_step(lab, batch_size=3)
    assert trace.units[1].activation == "Tanh" and trace.units[2].activation == "Identity"
    assert "Dropout" in trace.note
    _assert_matches_autograd(lab, trace, 3)
    # Softmax and cross-entropy together: ∂L/∂z of the scores is (p − onehot) / B.
    p = np.exp(trace.outputs) / np.exp(trace.outputs).sum(1, keepdims=True)
    onehot = np.eye(2)[trace.targets.astype(int)]
    np.testing.assert_allclose(trace.units[2].delta, (p - onehot) / 3, atol=1e-12)


def test_a_running_trainers_checkpoint_gives_its_weights_and_its_optimizers_momentum() -> None:
    from playground.engine.insight.backprop import trace_checkpoint
    from playground.engine.trainer import Trainer

    lab = _mlp_lab("regression", [4], "Tanh", 1, optimizer="momentum")
    lab.training.learning_rate, lab.training.momentum = 0.05, 0.9
    trainer = Trainer(lab, device="cpu")
    trainer.train(1)
    checkpoint = trainer.checkpoint()
    trace = trace_checkpoint(trainer.lab, checkpoint, batch_size=2)
    w = trace.weights[0]
    np.testing.assert_allclose(w.weight, trainer.networks["model"].module.dense_1.weight.detach().numpy(), rtol=0)
    buffers = [v for k, v in checkpoint["tensors"].items()
               if k.startswith("optimizer/") and k.endswith("/0/momentum_buffer")]
    assert len(buffers) == 1
    velocity = 0.9 * buffers[0].double().numpy() + w.grad_weight
    np.testing.assert_allclose(w.new_weight, w.weight - 0.05 * velocity, rtol=1e-6, atol=1e-9)
    assert "first step" not in trace.note
