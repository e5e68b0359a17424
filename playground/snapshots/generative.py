"""Records of the generative families: autoencoders, VAEs and GANs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .records import Record


@dataclass(frozen=True)
class AutoencoderSettings(Record):
    """The run's own autoencoder settings, so a view's controls show them."""

    probe = "ae_settings"
    input_noise: float
    sparsity: float
    beta: float
    bce: bool  # the reconstruction loss is binary cross-entropy (else mean squared error)


@dataclass(frozen=True)
class Reconstructions(Record):
    """Fixed test images (N, H, W), their decoded reconstructions and labels (N,) int64; with input noise on, also
    the corrupted images the encoder saw."""

    probe = "reconstructions"
    input: np.ndarray
    output: np.ndarray
    labels: np.ndarray
    noisy: np.ndarray | None = None


@dataclass(frozen=True)
class Latent(Record):
    """Test samples' codes (n, d) float32 (a VAE's means) and their labels (n,) int64."""

    probe = "latent"
    codes: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class Manifold(Record):
    """Decoded images of an n×n sweep, (n, n, h, w), row 0 at the top; ``extent`` is (first axis from, to, second
    axis from, to); ``principal_components``: the axes are the first two principal components of a wider code."""

    probe = "manifold"
    images: np.ndarray
    extent: tuple[float, float, float, float]
    principal_components: bool


@dataclass(frozen=True)
class PriorSamples(Record):
    """A VAE's images decoded from a fixed draw of the prior, (N, H, W)."""

    probe = "prior_samples"
    images: np.ndarray


@dataclass(frozen=True)
class GanSettings(Record):
    """The run's own GAN settings, so a view's controls show them."""

    probe = "gan_settings"
    d_steps: int
    discriminator_learning_rate: float
    learning_rate: float
    freeze: str  # "none", "generator" or "discriminator"


@dataclass(frozen=True)
class GanPlane(Record):
    """A GAN on the plane: real points (N, 2), fakes (M, 2), D(x) over the plane (R, R) row 0 at the bottom,
    within ±``extent``; the generator's image of a grid of noise lines (L, P, 2); the push that training gives the
    first fakes (A, 2); the target's name; and the user's own drawn points when the target is a drawing."""

    probe = "gan_plane"
    real: np.ndarray
    fake: np.ndarray
    discriminator: np.ndarray
    extent: float
    noise_grid: np.ndarray
    gradients: np.ndarray
    target: str
    drawn: np.ndarray | None = None


@dataclass(frozen=True)
class GanSamples(Record):
    """A GAN's images from a fixed noise grid, (N, H, W)."""

    probe = "gan_samples"
    images: np.ndarray
