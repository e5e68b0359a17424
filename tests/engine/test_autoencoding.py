"""Autoencoders and VAEs learn (seeded, on a slice of the built-in digits), their probes have the promised shapes,
the live settings act, and networks that do not fit give messages naming what to change."""

from __future__ import annotations

import numpy as np
import pytest

from playground.data import digits
from playground.engine.commands import SetTraining
from playground.engine.datasets import DataBundle
from playground.engine.errors import EngineError
from playground.engine.trainer import Trainer
from playground.graph import Lab
from playground.graph.templates import _DIGIT, build_template, sequential
from playground.snapshots import AutoencoderSettings, Latent, Manifold, PriorSamples, Reconstructions

AE_TEMPLATES = ("autoencoder", "conv_autoencoder", "denoising_autoencoder", "sparse_autoencoder", "vae")


def small_digits(train: int = 1500, test: int = 300) -> DataBundle:
    s = digits.digit_splits()
    return DataBundle(name="digits", kind="classification", x_train=s.x_train[:train], y_train=s.y_train[:train],
                      x_test=s.x_test[:test], y_test=s.y_test[:test], classes=10,
                      class_names=list(digits.CLASS_NAMES))


def trainer(key: str, data: DataBundle | None = None, probes=(), **settings) -> Trainer:
    lab = build_template(key)
    lab.seed = 3
    lab.training = lab.training.updated(**settings)
    return Trainer(lab, data=data or small_digits(), probes=probes, device="cpu")


@pytest.mark.parametrize("key", AE_TEMPLATES)
@pytest.mark.slow
def test_reconstruction_loss_falls(key):
    t = trainer(key)
    start = t.task.evaluate(t.x_test, t.y_test)["reconstruction"]
    snap = t.train(3)
    end = snap.metrics["test_reconstruction"]
    assert np.isfinite(end)
    # Three short epochs (72 steps) must take a clear bite out of the untrained network's error.
    assert end < 0.75 * start, (key, start, end)
    assert snap.metrics["train_reconstruction"] < start
    assert snap.state == "finished"


def _entropy(p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(np.mean(-(p * np.log(p) + (1 - p) * np.log(1 - p))))


def _nearest(images: np.ndarray, reference: np.ndarray) -> float:
    a = images.reshape(len(images), -1).astype(np.float64)
    b = reference.reshape(len(reference), -1).astype(np.float64)
    d = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * a @ b.T
    return float(np.sqrt(np.maximum(d.min(axis=1), 0)).mean())


@pytest.mark.slow
def test_vae_prior_samples_look_like_digits_not_noise():
    data = small_digits(3000, 300)
    t = trainer("vae", data=data, probes=["prior_samples:7"])
    untrained = t.compute_probes()[PriorSamples].images
    t.train(6)
    samples = t.compute_probes()[PriorSamples].images
    assert samples.shape == (64, 28, 28)
    rng = np.random.default_rng(0)
    noise = rng.random(samples.shape)
    real = data.x_test.reshape(-1, 28, 28)
    # Digits are mostly blank paper with confident ink: low pixel entropy. Uniform noise sits at 0.5 nats.
    assert _entropy(samples) < 0.6 * _entropy(noise)
    assert _entropy(samples) < 0.5 * _entropy(untrained)  # an untrained decoder gives grey mush
    # Every sample is near some real digit: much nearer than noise or the untrained decoder's output is.
    reference = data.x_train.reshape(-1, 28, 28)
    assert _nearest(samples, reference) < 0.5 * _nearest(noise, reference)
    assert _nearest(samples, reference) < 0.5 * _nearest(untrained, reference)
    # ...and they are not all one blurry average digit: they vary from sample to sample.
    spread = samples.reshape(64, -1).std(axis=0).mean()
    assert spread > 0.3 * real.reshape(len(real), -1)[:64].std(axis=0).mean()


def test_probes_have_the_promised_shapes():
    t = trainer("vae", probes=["reconstructions", "latent", "manifold:9", "prior_samples", "ae_settings"],
                input_noise=0.3)
    t.train(1)
    p = t.compute_probes()
    assert p[Reconstructions].input.shape == (12, 28, 28)
    assert p[Reconstructions].noisy.shape == (12, 28, 28)
    assert p[Reconstructions].output.shape == (12, 28, 28)
    assert sorted(p[Reconstructions].labels[:10]) == list(range(10))  # one of each digit first
    assert p[Reconstructions].output.min() >= 0.0 and p[Reconstructions].output.max() <= 1.0
    assert p[Latent].codes.shape == (300, 2) and p[Latent].labels.shape == (300,)
    assert p[Manifold].images.shape == (9, 9, 28, 28)
    lo, hi = p[Manifold].extent[:2]
    assert lo == pytest.approx(-1.645, abs=1e-3) and hi == pytest.approx(1.645, abs=1e-3)  # prior's 5%..95%
    assert not p[Manifold].principal_components
    assert p[AutoencoderSettings].input_noise == pytest.approx(0.3)
    assert p[AutoencoderSettings].beta == pytest.approx(1.0)
    # The same fixed test digits and codes at every snapshot: only the network changes them.
    again = t.compute_probes()
    np.testing.assert_array_equal(again[Reconstructions].noisy, p[Reconstructions].noisy)
    np.testing.assert_array_equal(again[PriorSamples].images, p[PriorSamples].images)


def test_wide_code_manifold_sweeps_principal_components():
    t = trainer("autoencoder", probes=["manifold", "latent"])
    t.train(1)
    p = t.compute_probes()
    assert p[Latent].codes.shape == (300, 32)
    assert p[Manifold].principal_components
    images = p[Manifold].images
    assert images.shape == (12, 12, 28, 28)
    assert images[0, 0].tolist() != images[-1, -1].tolist()  # the sweep moves through the code


def test_sparsity_weight_shrinks_the_code():
    dense = trainer("sparse_autoencoder", sparsity=0.0).train(3).metrics["test_code_l1"]
    sparse = trainer("sparse_autoencoder", sparsity=0.1).train(3).metrics["test_code_l1"]
    assert sparse < 0.5 * dense


def test_beta_changes_live():
    t = trainer("vae")
    t.train(2)
    t.send(SetTraining({"beta": 20.0}))
    snap = t.train(3)
    assert t.task.settings.beta == 20.0
    strong = snap.metrics["test_kl"]
    free = trainer("vae", beta=0.0).train(5).metrics["test_kl"]
    assert strong < 0.5 * free  # a heavy KL weight pulls the codes onto the prior
    assert snap.metrics["test_loss"] == pytest.approx(snap.metrics["test_reconstruction"] + 20.0 * strong,
                                                      rel=1e-4)


def test_denoising_learns_to_remove_noise():
    t = trainer("denoising_autoencoder", data=small_digits(4000, 300), probes=["reconstructions"])
    t.train(4)
    p = t.compute_probes()
    clean, noisy, out = p[Reconstructions].input, p[Reconstructions].noisy, p[Reconstructions].output
    # The output is much closer to the clean digit than the noisy input the network was given.
    assert ((out - clean) ** 2).mean() < 0.5 * ((noisy - clean) ** 2).mean()


def test_mse_and_bce_both_train():
    for loss in ("mse", "bce"):
        t = trainer("autoencoder", reconstruction_loss=loss)
        start = t.task.evaluate(t.x_test, t.y_test)["loss"]
        assert t.train(2).metrics["test_loss"] < 0.8 * start


# Networks that do not fit ---------------------------------------------------------------------------------------


def _decoder(code: int = 32, units: int = 784, head: str = "reconstruction"):
    return sequential([("Input", {"kind": "vector", "features": code}), ("Dense", {"units": units}),
                       ("Sigmoid", {}), ("Output", {"head": head})])


def _encoder(code: int = 32, head: str = "code"):
    return sequential([("Input", _DIGIT), ("Flatten", {}), ("Dense", {"units": code}), ("Output", {"head": head})])


def _lab(task: str = "autoencoder", encoder=None, decoder=None, model=None) -> Lab:
    lab = Lab(name="t", task=task)
    lab.dataset.name, lab.dataset.features = "digits", []
    if encoder is not None:
        lab.add_network("encoder", "encoder", encoder)
    if decoder is not None:
        lab.add_network("decoder", "decoder", decoder)
    if model is not None:
        lab.add_network("model", "model", model)
    return lab


def _error(lab: Lab) -> EngineError:
    with pytest.raises(EngineError) as e:
        Trainer(lab, data=small_digits(100, 20), device="cpu")
    return e.value


def test_a_good_hand_built_lab_trains():
    t = Trainer(_lab(encoder=_encoder(), decoder=_decoder()), data=small_digits(100, 20), device="cpu")
    assert t.task.name == "autoencoder"


def test_missing_decoder_is_named():
    err = _error(_lab(encoder=_encoder()))
    assert "role is 'decoder'" in str(err) and err.field == "role"


def test_a_model_network_is_refused():
    err = _error(_lab(encoder=_encoder(), decoder=_decoder(), model=_decoder()))
    assert "'model'" in str(err) and "encoder" in str(err)


def test_code_width_mismatch_names_the_decoder_input():
    err = _error(_lab(encoder=_encoder(16), decoder=_decoder(32)))
    assert "expects 32" in str(err) and "16" in str(err)
    assert err.node == "input_1"


def test_wrong_reconstruction_size_names_the_layer():
    err = _error(_lab(encoder=_encoder(), decoder=_decoder(units=100)))
    assert "784" in str(err) and err.node == "sigmoid_1"


def test_decoder_needs_a_reconstruction_head():
    err = _error(_lab(encoder=_encoder(), decoder=_decoder(head="regression")))
    assert "reconstruction" in str(err) and err.field == "head"


def test_encoder_needs_a_code_head():
    err = _error(_lab(encoder=_encoder(head="classification"), decoder=_decoder()))
    assert "head 'code'" in str(err)


def test_encoder_input_must_fit_the_data():
    enc = sequential([("Input", {"kind": "vector", "features": 100}), ("Dense", {"units": 32}),
                      ("Output", {"head": "code"})])
    err = _error(_lab(encoder=enc, decoder=_decoder()))
    assert "1×28×28" in str(err) and err.node == "input_1"


def test_vae_needs_mean_and_log_variance():
    err = _error(_lab("vae", encoder=_encoder(2, head="mean"), decoder=_decoder(2)))
    assert "log_variance" in str(err)
    err = _error(_lab("vae", encoder=_encoder(2, head="code"), decoder=_decoder(2)))
    assert "head 'mean'" in str(err)
