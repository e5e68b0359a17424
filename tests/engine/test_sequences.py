import math

import numpy as np
import pytest
import torch

from playground.engine.errors import EngineError
from playground.engine.sequences import _Stateful, gate_activations
from playground.engine.trainer import Trainer
from playground.graph import DatasetSettings, Lab, TrainingSettings
from playground.graph.templates import build_template, sequential
from playground.snapshots import Forecast, Gates, GeneratedText, SequenceStates


def _lab(dataset, layers, **training):
    lab = Lab(name="t", task="sequence", dataset=dataset,
              training=TrainingSettings(**{"optimizer": "adam", "learning_rate": 0.01, "batch_size": 32,
                                           "epochs": 5, "grad_clip": 1.0, **training}))
    lab.add_network("model", "model", sequential(layers))
    return lab


def _text_lab(steps=32, embedding=True, hidden=64, **training):
    first = [("Input", {"kind": "tokens", "steps": steps}), ("Embedding", {"vocabulary": 71, "dim": 16})] \
        if embedding else [("Input", {"kind": "sequence", "steps": steps, "features": 71})]
    return _lab(DatasetSettings("austen", train_ratio=0.9, features=[], options={"steps": steps, "stride": steps}),
                first + [("GRU", {"hidden": hidden}), ("Dense", {"units": 71}), ("Output", {"head": "classification"})],
                **{"learning_rate": 0.01, **training})


def test_sine_forecaster_beats_repeating_the_last_value():
    t = Trainer(build_template("lstm_sequence"), probes=["forecast"])
    baseline = t.task.baseline
    assert t._start_loss > baseline  # untrained, it is worse than the naive forecast
    snap = t.train(4)
    assert snap.metrics["test_loss"] < baseline / 4
    forecast = snap.probes[Forecast]
    one_step, free, base = forecast.one_step_error, forecast.free_error, forecast.baseline_error
    assert one_step < base / 4 and base == pytest.approx(baseline)
    truth, start = snap.probes[Forecast].truth, snap.probes[Forecast].start
    assert np.isnan(snap.probes[Forecast].free[:start]).all()
    assert np.isfinite(snap.probes[Forecast].free[start:]).all()
    # Running on its own for two windows, it still follows the wave better than a flat line at zero would.
    assert free < np.mean(truth[start:] ** 2)


def test_free_running_step_by_step_equals_running_the_whole_sequence():
    t = Trainer(build_template("lstm_sequence"))
    model = t.task.model
    model.eval()
    x = torch.randn(2, 30, 1)
    with torch.no_grad():
        whole = model(x)
        runner = _Stateful(model, {})
        parts = [runner.run(x[:, :10])] + [runner.run(x[:, i:i + 1]) for i in range(10, 30)]
    torch.testing.assert_close(torch.cat(parts, dim=1), whole, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_wave_classifier_beats_chance_clearly():
    t = Trainer(build_template("sequence_classifier"), probes=["hidden_states", "gates"])
    assert t.task.mode == "classify"
    snap = t.train(8)
    assert snap.metrics["test_accuracy"] > 0.6  # chance is 0.25
    probes = snap.probes
    assert probes[SequenceStates].layers["gru_1"].shape == (40, 32)
    assert {(layer, gate) for layer, gates in probes[Gates].layers.items() for gate in gates} == \
        {("gru_1", "reset"), ("gru_1", "update")}
    assert probes[SequenceStates].probabilities.sum() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_text_model_falls_below_the_uniform_baseline_and_writes():
    t = Trainer(_text_lab(), probes=["text_sample", "hidden_states"])
    vocab = t.data.classes
    assert t._start_loss == pytest.approx(math.log(vocab), abs=0.1)
    snap = t.train(2)
    assert snap.metrics["test_loss"] < math.log(vocab) - 1.0
    codes = snap.probes[GeneratedText].codes
    prompt = snap.probes[GeneratedText].prompt_length
    assert len(codes) == prompt + 240
    assert {chr(c) for c in codes} <= set(t.data.class_names)
    assert snap.probes[SequenceStates].input.dtype == np.int32  # characters, as code points
    # At a temperature near 0 the sample is the likeliest continuation: the same whatever the seed.
    t.task.settings = t.settings.updated(temperature=0.01)
    a = t.task.text_sample(60, seed=1).codes
    b = t.task.text_sample(60, seed=2).codes
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_text_reads_one_hot_characters_without_an_embedding():
    t = Trainer(_text_lab(steps=16, embedding=False, hidden=32))
    before = t._start_loss
    assert t.train(1).metrics["train_loss"] < before


def test_gradient_clipping_limits_each_step():
    def change(clip):
        lab = build_template("lstm_sequence")
        lab.training = lab.training.updated(optimizer="sgd", learning_rate=1.0, grad_clip=clip)
        t = Trainer(lab)
        before = torch.cat([p.detach().clone().reshape(-1) for p in t.task.model.parameters()])
        from playground.engine.commands import Step
        t.send(Step(1))
        for _ in t.run(start=False):
            pass
        after = torch.cat([p.detach().reshape(-1) for p in t.task.model.parameters()])
        return float((after - before).norm())

    assert change(0.01) == pytest.approx(0.01, rel=1e-3)
    assert change(0.0) > 0.05


def test_gates_recomputed_from_weights_match_the_layer():
    for cell in ("GRU", "LSTM", "RNN"):
        lab = _lab(DatasetSettings("sine", samples=50, features=[], options={"steps": 12}),
                   [("Input", {"kind": "sequence", "steps": 12, "features": 1}), (cell, {"hidden": 5}),
                    ("Dense", {"units": 1}), ("Output", {"head": "regression"})])
        t = Trainer(lab)
        layer = t.task.model.get_submodule(t.task.recurrent[0])
        x = torch.randn(3, 12, 1)
        with torch.no_grad():
            found = gate_activations(layer, x)
            torch.testing.assert_close(found["h"], layer.rnn(x)[0], rtol=1e-4, atol=1e-5)
        for gate in {"GRU": ("reset", "update"), "LSTM": ("input", "forget", "output"), "RNN": ()}[cell]:
            assert found[gate].shape == (3, 12, 5) and 0 <= float(found[gate].min()) <= float(found[gate].max()) <= 1


def test_labs_that_do_not_fit_name_the_node():
    sine = DatasetSettings("sine", samples=50, features=[], options={"steps": 20})
    many_to_one = _lab(sine, [("Input", {"kind": "sequence", "steps": 20, "features": 1}),
                              ("LSTM", {"hidden": 8, "output": "last"}), ("Dense", {"units": 1}),
                              ("Output", {"head": "regression"})])
    with pytest.raises(EngineError, match="set the output of 'lstm_1' to 'sequence'") as e:
        Trainer(many_to_one)
    assert e.value.node == "lstm_1"
    wrong_steps = _lab(sine, [("Input", {"kind": "sequence", "steps": 30, "features": 1}),
                              ("LSTM", {"hidden": 8}), ("Dense", {"units": 1}), ("Output", {"head": "regression"})])
    with pytest.raises(EngineError, match="steps to 20") as e:
        Trainer(wrong_steps)
    assert e.value.node == "input_1"
    wrong_head = _lab(sine, [("Input", {"kind": "sequence", "steps": 20, "features": 1}),
                             ("LSTM", {"hidden": 8}), ("Dense", {"units": 1}), ("Output", {"head": "classification"})])
    with pytest.raises(EngineError, match="set its head to 'regression'"):
        Trainer(wrong_head)
    small_vocabulary = _text_lab()
    graph = small_vocabulary.networks[0].graph
    graph.set_param("embedding_1", "vocabulary", 40)
    with pytest.raises(EngineError, match="vocabulary to 71") as e:
        Trainer(small_vocabulary)
    assert e.value.node == "embedding_1"
    not_a_sequence = build_template("spiral")
    not_a_sequence.task = "sequence"
    with pytest.raises(EngineError, match="not one: choose sine"):
        Trainer(not_a_sequence)
