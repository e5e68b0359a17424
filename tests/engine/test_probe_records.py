"""Every probe family comes out of the engine as its typed, frozen record, with the promised shapes and dtypes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from playground.data import digits
from playground.engine.commands import SetSample
from playground.engine.datasets import DataBundle
from playground.engine.trainer import Trainer
from playground.graph.templates import build_template
from playground.snapshots import (
    AugmentedSamples,
    AutoencoderSettings,
    Confusion,
    DecisionBoundary,
    FeatureMaps,
    Filters,
    Forecast,
    FunctionFit,
    GanPlane,
    GanSamples,
    GanSettings,
    Gates,
    GeneratedText,
    Gradients,
    HiddenSpace,
    Latent,
    Manifold,
    Neurons,
    Prediction,
    PriorSamples,
    ProbeResults,
    Reconstructions,
    SequenceStates,
    Weights,
)


def _digits(train: int = 200, test: int = 50) -> DataBundle:
    s = digits.digit_splits()
    return DataBundle(name="digits", kind="classification", x_train=s.x_train[:train], y_train=s.y_train[:train],
                      x_test=s.x_test[:test], y_test=s.y_test[:test], classes=10,
                      class_names=list(digits.CLASS_NAMES))


def _frozen(record: object) -> None:
    assert dataclasses.is_dataclass(record)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.probe_extra = 1  # type: ignore[attr-defined]
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, np.ndarray):
            assert not value.flags.writeable, f.name


def test_plane_records():
    trainer = Trainer(build_template("spiral"), device="cpu",
                      probes=("boundary", "neurons", "hidden:tanh_1", "weights", "gradients"))
    snap = trainer.train(1)
    probes = snap.probes
    assert isinstance(probes, ProbeResults)
    boundary = probes[DecisionBoundary]
    assert boundary.values.shape == (100, 100) and boundary.values.dtype == np.float32
    assert boundary.probabilities is None  # two classes: P(class 1) alone
    neurons = probes[Neurons]
    assert list(neurons.layers)[:2] == ["tanh_1", "tanh_2"]  # every hidden activation, in network order
    assert all(a.ndim == 3 and a.dtype == np.float32 for a in neurons.layers.values())
    hidden = probes[HiddenSpace].layers["tanh_1"]
    assert hidden.points.ndim == 2 and hidden.lines.ndim == 3 and hidden.points.dtype == np.float32
    weights = probes[Weights]
    assert all(w.dtype == np.float32 for w in weights.layers.values()) and "dense_1" in weights.layers
    gradients = probes[Gradients]
    assert gradients.steps.dtype == np.float64 and set(gradients.layers) == set(weights.layers)
    assert all(g.shape == gradients.steps.shape for g in gradients.layers.values())
    for record in probes:
        _frozen(record)
    with pytest.raises(ValueError):
        boundary.values[0, 0] = 2.0  # a view cannot change what the engine sent


def test_multiclass_boundary_record_carries_the_probabilities():
    trainer = Trainer(build_template("multiclass_spiral"), device="cpu", probes=("boundary",))
    boundary = trainer.compute_probes()[DecisionBoundary]
    assert boundary.probabilities is not None and boundary.probabilities.shape[:2] == boundary.values.shape
    assert boundary.probabilities.shape[2] > 2 and boundary.probabilities.dtype == np.float32


def test_function_record():
    trainer = Trainer(build_template("universal_approximation"), device="cpu", probes=("function",))
    fit = trainer.compute_probes()[FunctionFit]
    assert fit.x.shape == fit.prediction.shape == fit.target.shape and fit.x.dtype == np.float32
    assert isinstance(fit.function_index, int) and fit.train_x.shape == fit.train_y.shape
    assert fit.contributions is not None and fit.contributions.shape[1] == fit.x.shape[0]
    assert isinstance(fit.bias, float)
    _frozen(fit)


def test_image_records_and_the_drawing_pads_own_answer():
    trainer = Trainer(build_template("lenet"), device="cpu", data=_digits(),
                      probes=("filters", "feature_maps", "confusion", "augmented", "prediction"))
    probes = trainer.compute_probes()
    assert all(k.ndim == 4 and k.dtype == np.float32 for k in probes[Filters].layers.values())
    maps = probes[FeatureMaps]
    assert maps.input.shape == (1, 28, 28) and isinstance(maps.label, int) and not maps.drawing
    assert maps.probabilities is not None and maps.probabilities.shape == (10,)
    confusion = probes[Confusion]
    assert confusion.matrix.shape == (10, 10) and confusion.matrix.dtype == np.int64
    assert confusion.true.dtype == confusion.predicted.dtype == np.int64
    assert len(confusion.images) == len(confusion.true)
    augmented = probes[AugmentedSamples]
    assert augmented.images.ndim == 4 and augmented.labels.dtype == np.int64
    assert Prediction not in probes  # a test sample is not the drawing pad's drawing
    drawing = np.zeros((28, 28), np.float32)
    drawing[4:24, 13:15] = 1.0
    trainer.send(SetSample(image=drawing))
    trainer._drain()
    probes = trainer.compute_probes()
    prediction = probes[Prediction]
    assert prediction.probabilities.shape == (10,) and abs(float(prediction.probabilities.sum()) - 1) < 1e-4
    np.testing.assert_allclose(prediction.input.reshape(28, 28), drawing)
    assert probes[FeatureMaps].drawing and probes[FeatureMaps].label is None
    for record in probes:
        _frozen(record)


def test_autoencoder_records():
    trainer = Trainer(build_template("vae"), device="cpu", data=_digits(),
                      probes=("reconstructions", "latent", "manifold:5", "prior_samples", "ae_settings"))
    probes = trainer.compute_probes()
    rec = probes[Reconstructions]
    assert rec.input.shape == rec.output.shape and rec.input.ndim == 3 and rec.labels.dtype == np.int64
    latent = probes[Latent]
    assert latent.codes.shape == (50, 2) and latent.codes.dtype == np.float32 and latent.labels.shape == (50,)
    manifold = probes[Manifold]
    assert manifold.images.shape[:2] == (5, 5) and len(manifold.extent) == 4 and not manifold.principal_components
    assert probes[PriorSamples].images.ndim == 3
    settings = probes[AutoencoderSettings]
    assert isinstance(settings.beta, float) and isinstance(settings.bce, bool)
    for record in probes:
        _frozen(record)


def test_gan_records():
    plane = Trainer(build_template("gan"), device="cpu", probes=("gan_plane", "gan_settings")).compute_probes()
    record = plane[GanPlane]
    assert record.real.shape[1] == 2 and record.fake.dtype == np.float32 and record.discriminator.ndim == 2
    assert isinstance(record.target, str) and isinstance(record.extent, float)
    settings = plane[GanSettings]
    assert isinstance(settings.d_steps, int) and settings.freeze in ("none", "generator", "discriminator")
    samples = Trainer(build_template("gan_digits"), device="cpu", probes=("gan_samples",)).compute_probes()
    assert samples[GanSamples].images.shape == (64, 28, 28)
    for r in (record, settings, samples[GanSamples]):
        _frozen(r)


def test_sequence_records():
    forecast = Trainer(build_template("lstm_sequence"), device="cpu", probes=("forecast",)).compute_probes()
    f = forecast[Forecast]
    assert f.truth.shape == f.one_step.shape == f.free.shape and f.truth.dtype == np.float32
    assert isinstance(f.start, int) and np.isnan(f.free[: f.start]).all()
    states = Trainer(build_template("sequence_classifier"), device="cpu",
                     probes=("hidden_states", "gates")).compute_probes()
    s = states[SequenceStates]
    assert all(a.ndim == 2 for a in s.layers.values()) and isinstance(s.label, int) and not s.text
    assert s.probabilities is not None and abs(float(s.probabilities.sum()) - 1) < 1e-5
    assert all(g.ndim == 2 for gates in states[Gates].layers.values() for g in gates.values())
    text = Trainer(build_template("char_rnn"), device="cpu", probes=("text_sample",)).compute_probes()
    t = text[GeneratedText]
    assert t.codes.dtype == np.int32 and 0 < t.prompt_length < len(t.codes) and isinstance(t.temperature, float)
    assert len(t.text) == len(t.codes)
    for r in (f, s, states[Gates], t):
        _frozen(r)
