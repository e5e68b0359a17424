"""The autoencoder and VAE views draw synthetic snapshots, follow the run's settings and emit the user's changes."""

from __future__ import annotations

from types import MappingProxyType, SimpleNamespace

import numpy as np
import pytest

from playground.snapshots import AutoencoderSettings, Latent, Manifold, PriorSamples, ProbeResults, Reconstructions
from playground.ui.views import autoencoder_views as av
from playground.ui.views.families import family_views


def _digits(n: int, rng: np.random.Generator) -> np.ndarray:
    img = np.zeros((n, 28, 28), np.float32)
    for i in range(n):
        r = 6 + i % 5
        yy, xx = np.mgrid[:28, :28]
        img[i] = (np.abs(np.hypot(yy - 14, xx - 14) - r) < 1.5).astype(np.float32)
    return np.clip(img + 0.05 * rng.random(img.shape, dtype=np.float32), 0, 1)


def snapshot(task: str = "vae", code: int = 2, noise: float = 0.0, epochs: int = 3, beta: float = 1.0,
             seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    x = _digits(12, rng)
    output = np.clip(x * 0.8 + 0.1, 0, 1)
    latent = Latent(rng.normal(size=(300, code)).astype(np.float32), rng.integers(0, 10, 300))
    manifold = Manifold(_digits(36, rng).reshape(6, 6, 28, 28), (-1.6, 1.6, -1.6, 1.6), principal_components=code > 2)
    prior = PriorSamples(_digits(16, rng))
    settings = AutoencoderSettings(input_noise=noise, sparsity=0.0, beta=beta, bce=True)
    noisy = np.clip(x + noise * rng.normal(size=x.shape), 0, 1).astype(np.float32) if noise > 0 else None
    probes = ProbeResults([Reconstructions(x, output, np.arange(12) % 10, noisy), latent, manifold, prior, settings])
    e = np.arange(1, epochs + 1, dtype=np.float64)
    history = {"epoch": e, "train_loss": 200 / e, "test_loss": 190 / e, "train_reconstruction": 195 / e,
               "test_reconstruction": 185 / e, "train_kl": 5 + e, "test_kl": 4 + e}
    metrics = {k: float(v[-1]) for k, v in history.items() if k != "epoch"}
    return SimpleNamespace(task=task, epoch=epochs, state="running", probes=probes,
                           history=MappingProxyType(history), metrics=MappingProxyType(metrics), classes=10)


def empty() -> SimpleNamespace:
    return SimpleNamespace(task="vae", epoch=0, state="ready", probes=ProbeResults(),
                           history=MappingProxyType({}), metrics=MappingProxyType({}), classes=10)


def test_the_family_registry_lists_the_views():
    keys = {v.key: v for v in family_views()}
    for key in ("ae_reconstructions", "ae_latent", "ae_manifold", "vae_samples", "vae_loss"):
        assert key in keys
    assert keys["vae_samples"].tasks == ("vae",)
    assert "autoencoder" in keys["ae_latent"].tasks


@pytest.mark.parametrize("cls", [av.ReconstructionView, av.LatentSpaceView, av.ManifoldView, av.PriorSamplesView,
                                 av.VAELossView])
def test_views_draw_and_empty(qtbot, cls):
    view = cls()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show_snapshot(empty())
    assert view.is_empty
    view.show_snapshot(snapshot())
    assert not view.is_empty
    items = view.graphics_item_count()
    view.show_snapshot(snapshot(epochs=4, seed=1))
    assert view.graphics_item_count() == items  # redraws update items, never add them
    assert view.grab().width() > 0


def test_reconstruction_rows_follow_the_noise(qtbot):
    view = av.ReconstructionView()
    qtbot.addWidget(view)
    view.show_snapshot(snapshot(task="autoencoder"))
    assert view.rows == ["input", "output"]
    h, w = view.image.image.shape
    assert h == 2 * 28 + av.PAD and w == 12 * 28 + 11 * av.PAD
    view.show_snapshot(snapshot(task="autoencoder", noise=0.4))
    assert view.rows == ["input", "noisy", "output"]
    assert view.image.image.shape[0] == 3 * 28 + 2 * av.PAD
    assert view.noise_control.value == pytest.approx(0.4)  # follows the run's setting


def test_noise_and_sparsity_controls_emit_training_changes(qtbot):
    view = av.ReconstructionView()
    qtbot.addWidget(view)
    view.show()
    view.show_snapshot(snapshot(task="autoencoder"))
    with qtbot.waitSignal(view.training_changed) as sig:
        view.noise_control.spin.setValue(0.3)
    assert sig.args == [{"input_noise": pytest.approx(0.3)}]
    with qtbot.waitSignal(view.training_changed) as sig:
        view.sparsity_control.spin.setValue(0.05)
    assert sig.args == [{"sparsity": pytest.approx(0.05)}]
    # A snapshot taken before the change reached the run does not undo what the user just set.
    view.show_snapshot(snapshot(task="autoencoder", noise=0.0))
    assert view.noise_control.value == pytest.approx(0.3)
    view.show_snapshot(snapshot(task="vae"))
    assert view.sparsity_control.isHidden()  # a VAE has no sparsity weight


def test_beta_control_and_separate_curves(qtbot):
    view = av.VAELossView()
    qtbot.addWidget(view)
    view.show_snapshot(snapshot(beta=2.5, epochs=5))
    assert view.beta_control.value == pytest.approx(2.5)
    x, y = view.curves["test_kl"].getData()
    assert list(x) == [1, 2, 3, 4, 5] and y[-1] == pytest.approx(9.0)
    x, y = view.curves["train_reconstruction"].getData()
    assert y[0] == pytest.approx(195.0)
    assert "β = 2.5" in view.caption.text()
    with qtbot.waitSignal(view.training_changed) as sig:
        view.beta_control.spin.setValue(4.0)
    assert sig.args == [{"beta": pytest.approx(4.0)}]


def test_latent_view_projects_wide_codes(qtbot):
    view = av.LatentSpaceView()
    qtbot.addWidget(view)
    view.show_snapshot(snapshot(code=2))
    assert view.projection == "code"
    assert view.points.shape == (300, 2)
    view.show_snapshot(snapshot(code=32))
    assert view.projection == "pca"
    assert "principal components" in view.caption.text()
    # PCA of centred codes: the first component holds the most variance.
    assert view.points[:, 0].var() >= view.points[:, 1].var()


def test_manifold_and_samples_grids(qtbot):
    view = av.ManifoldView()
    qtbot.addWidget(view)
    view.show_snapshot(snapshot(code=32))
    assert view.grid_size == 6 and "PC 1" in view.caption.text()
    assert view.image.image.shape == (6 * 28 + 5, 6 * 28 + 5)
    samples = av.PriorSamplesView()
    qtbot.addWidget(samples)
    assert samples.probes == ("prior_samples:0",)
    with qtbot.waitSignal(samples.probes_changed):
        samples.new_button.click()
    assert samples.probes == ("prior_samples:1",)
    samples.show_snapshot(snapshot())
    assert samples.sample_count == 16 and samples.image.image.shape == (4 * 28 + 6, 4 * 28 + 6)


def test_reconstructions_wrap_into_bands_that_fill_their_view(qtbot):
    view = av.ReconstructionView()
    qtbot.addWidget(view)
    view.resize(600, 560)
    view.show()
    qtbot.waitExposed(view)
    view.show_snapshot(snapshot(task="autoencoder"))
    assert view.bands > 1  # one strip of 12 digits would fill a third of this view's height
    assert view.rows == ["input", "output"] and len(view._row_labels) == 2 * view.bands
    image = view.image.image
    canvas = view.canvas
    # The digits' area, as shown, is close to the canvas's shape: no large band left empty.
    shown_w = image.shape[1] + av.LABEL_COLUMN * 28
    ratio = (shown_w / image.shape[0]) / (canvas.width() / canvas.height())
    assert 0.5 < ratio < 2.0
    items = view.graphics_item_count()
    view.resize(1200, 260)  # a wide, short view goes back to fewer bands
    qtbot.wait(20)
    assert view.bands == 1
    view.resize(600, 560)
    qtbot.wait(20)
    assert view.graphics_item_count() == items  # relayouts replace the labels, never add more
