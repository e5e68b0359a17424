"""Transfer learning on the templates: a digit CNN's trained trunk, copied into a network for another task, learns
that task in a few steps better than the same network from scratch (seeded)."""

from __future__ import annotations

import pytest
import torch

from playground.engine.commands import Step
from playground.engine.trainer import Trainer
from playground.engine.weights_copy import COPY, MISMATCH, match_layers, with_starting_weights
from playground.graph import Lab
from playground.graph.templates import transfer_digit_cnn, transfer_few_labels, transfer_parity_finetune


def _accuracy(trainer: Trainer) -> float:
    with torch.no_grad():
        trainer.task.model.eval()
        guess = trainer.task.predict(trainer.x_test).argmax(dim=1)
        trainer.task.model.train()
    return float((guess == trainer.y_test).float().mean())


def _steps(lab: Lab, batches: int) -> Trainer:
    trainer = Trainer(lab, device="cpu", fast_path=False)
    trainer.send(Step(batches=batches))
    list(trainer.run(interval=None, start=False))
    assert trainer.step == batches
    return trainer


@pytest.mark.slow
def test_fine_tuning_a_pretrained_digit_cnn_on_parity_beats_training_it_from_scratch():
    torch.manual_seed(0)
    pretrain = transfer_digit_cnn()
    source = Trainer(pretrain, device="cpu", fast_path=False)
    source.train(epochs=1)
    assert _accuracy(source) > 0.8
    state = source.task.modules()["model"].state_dict()

    scratch = _steps(transfer_parity_finetune(), 15)
    tuned_lab = transfer_parity_finetune()
    plan = match_layers(tuned_lab, "model", state, "the digit CNN")
    assert {r.layer for r in plan.rows if r.status == COPY} == {"conv_1", "conv_2", "dense_1"}
    assert [r.layer for r in plan.rows if r.status == MISMATCH] == ["dense_2"]  # the new head: 2 units, not 10
    tuned_lab.task_options = with_starting_weights(tuned_lab, "model", plan.tensors)
    tuned_lab.frozen = {"model": ["conv_1", "conv_2"]}
    tuned = _steps(tuned_lab, 15)
    assert len(tuned.y_train) == 300 and int(tuned.y_train.max()) == 1
    assert _accuracy(tuned) > _accuracy(scratch) + 0.05, (_accuracy(tuned), _accuracy(scratch))


def test_the_few_labels_classifier_takes_the_autoencoders_encoder_layer_by_layer():
    from playground.graph.templates import transfer_autoencoder

    auto = transfer_autoencoder()
    source = Trainer(auto, device="cpu", fast_path=False)
    encoder = source.task.modules()["encoder"].state_dict()
    plan = match_layers(transfer_few_labels(), "model", encoder, "the encoder")
    assert plan.copied == ["dense_1", "dense_2"]
    few = Trainer(transfer_few_labels(), device="cpu", fast_path=False)
    assert len(few.y_train) == 100
