"""2-D target distributions for GANs, as in GAN Lab: a ring, two Gaussians, a spiral arm, a line, or points the user
draws on the plane.

Each target is a distribution of points (no labels): a generator learns to produce samples like these, and a
discriminator learns to tell them from its fakes. The targets fit well inside the square [-EXTENT, EXTENT]², the part
of the plane the GAN view draws, and are centred near the origin, where an untrained generator puts its points, so
the distance the generator has to travel is visible from the first step.

``noise`` is a percentage (0 to 50, like the 2-D classification sets): it widens each target by Gaussian jitter of
``noise / 100 * 0.5`` units (5 % gives a ring 0.025 units thick). Drawn points always get a little jitter, so a few
clicks still make a distribution rather than a handful of exact copies.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import DataError

__all__ = ["EXTENT", "MAX_DRAWN_POINTS", "MIN_DRAWN_POINTS", "RING_RADIUS", "TARGETS", "TargetInfo",
           "distance_to_ring", "drawn_points", "sample_target", "split_points"]

EXTENT = 2.0  # the plane the views draw: [-EXTENT, EXTENT]²
RING_RADIUS = 1.0
MIN_DRAWN_POINTS = 3
MAX_DRAWN_POINTS = 5000
DRAWN_JITTER = 0.04  # units: a drawn point stands for a little cloud around it
MAX_NOISE = 50.0


@dataclass(frozen=True)
class TargetInfo:
    """What the target chooser shows about one 2-D GAN target."""

    name: str
    title: str
    description: str


TARGETS: dict[str, TargetInfo] = {
    t.name: t
    for t in (
        TargetInfo("ring", "Ring", "Points on a circle of radius 1: the generator must bend its noise into a loop."),
        TargetInfo("two_gaussians", "Two Gaussians", "Two separate blobs: a generator easily covers only one of "
                   "them (mode collapse)."),
        TargetInfo("spiral_arm", "Spiral", "One spiral arm winding out from the centre: a long, curved, thin "
                   "target."),
        TargetInfo("line", "Line", "A straight segment: the generator must squeeze its 2-D noise onto a 1-D set."),
        TargetInfo("drawn", "Draw your own", "Points you draw on the plane, each widened by a little jitter."),
    )
}


def _check_samples(samples: object) -> int:
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral):
        raise DataError(f"samples must be a whole number, got {samples!r}")
    if samples < 2:
        raise DataError(f"samples must be at least 2, got {samples}")
    return int(samples)


def _check_noise(noise: object) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0.0 <= _as_float(noise) <= MAX_NOISE:
        raise DataError(f"noise must be a percentage between 0 and {MAX_NOISE:g}, got {noise!r}")
    return float(noise)


def _as_float(value: numbers.Real) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer too large for a float is out of any range
        return math.inf


def drawn_points(options: Mapping[str, Any] | None) -> np.ndarray:
    """The user's points from a dataset's ``options`` ({"points": [[x, y], ...]}) as float64 (N, 2), checked."""
    raw = (options or {}).get("points")
    if raw is None:
        raise DataError(f"Nothing drawn yet: click or drag on the plane to draw at least {MIN_DRAWN_POINTS} points "
                        f"(the dataset's options need \"points\": [[x, y], ...])")
    if isinstance(raw, (str, bytes)) or not isinstance(raw, (Sequence, np.ndarray)):
        raise DataError(f"options.points must be a list of [x, y] pairs, got {type(raw).__name__}")
    try:
        points = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond any float
        raise DataError("options.points must be a list of [x, y] pairs of numbers") from None
    if points.size == 0:
        points = points.reshape(0, 2)
    if points.ndim != 2 or points.shape[1] != 2:
        raise DataError(f"options.points must be a list of [x, y] pairs, got an array of shape {points.shape}")
    if not np.all(np.isfinite(points)):
        raise DataError("options.points holds a value that is not a finite number")
    if len(points) < MIN_DRAWN_POINTS:
        raise DataError(f"Draw at least {MIN_DRAWN_POINTS} points on the plane (drawn so far: {len(points)})")
    if len(points) > MAX_DRAWN_POINTS:
        raise DataError(f"At most {MAX_DRAWN_POINTS} drawn points, got {len(points)}: clear the drawing")
    far = float(np.abs(points).max())
    if far > 10 * EXTENT:
        raise DataError(f"A drawn point lies at {far:.3g}, far outside the plane [-{EXTENT:g}, {EXTENT:g}]²")
    return points


def _ring(rng: np.random.Generator, n: int) -> np.ndarray:
    angle = rng.uniform(0.0, 2 * math.pi, n)
    return RING_RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def _two_gaussians(rng: np.random.Generator, n: int) -> np.ndarray:
    centres = np.array([[-0.9, 0.6], [0.9, -0.6]])
    which = rng.integers(0, 2, n)
    return centres[which] + rng.normal(0.0, 0.15, (n, 2))


def _spiral_arm(rng: np.random.Generator, n: int) -> np.ndarray:
    # t's density grows like the radius, so points spread about evenly along the arm, not bunched at its centre.
    t = np.sqrt(rng.uniform(0.0, 1.0, n))
    r = 0.15 + 1.25 * t
    angle = 3.5 * math.pi * t
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)


def _line(rng: np.random.Generator, n: int) -> np.ndarray:
    t = rng.uniform(-1.0, 1.0, n)[:, None]
    points: np.ndarray = t * np.array([[1.3, 0.7]])
    return points


_SAMPLERS = {"ring": _ring, "two_gaussians": _two_gaussians, "spiral_arm": _spiral_arm, "line": _line}


def sample_target(name: str, samples: int = 1000, noise: float = 0.0, seed: int = 0,
                  options: Mapping[str, Any] | None = None) -> np.ndarray:
    """``samples`` points of the target ``name`` as float32 (samples, 2); the same arguments give the same points.

    For "drawn", ``options["points"]`` holds the user's points (at least MIN_DRAWN_POINTS): each sample is one of
    them, picked uniformly, plus jitter.
    """
    if name not in TARGETS:
        raise DataError(f"unknown 2-D GAN target {name!r}; targets: {', '.join(TARGETS)}")
    samples = _check_samples(samples)
    spread = _check_noise(noise) / 100.0 * 0.5
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise DataError(f"seed must be a whole number of at least 0, got {seed!r}")
    rng = np.random.default_rng(int(seed))
    if name == "drawn":
        drawn = drawn_points(options)
        points = drawn[rng.integers(0, len(drawn), samples)]
        spread = math.hypot(spread, DRAWN_JITTER)
    else:
        points = _SAMPLERS[name](rng, samples)
    points = points + rng.normal(0.0, 1.0, points.shape) * spread
    return points.astype(np.float32)


def split_points(points: np.ndarray, train_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Training and test points: the first round(N * train_ratio) samples (already random), at least one each."""
    points = np.asarray(points)
    if len(points) < 2:
        raise DataError(f"a split needs at least 2 samples, got {len(points)}")
    if isinstance(train_ratio, bool) or not isinstance(train_ratio, numbers.Real) or not 0 < train_ratio < 1:
        raise DataError(f"train_ratio must be between 0 and 1 (exclusive), got {train_ratio!r}")
    n_train = min(max(math.floor(len(points) * float(train_ratio) + 0.5), 1), len(points) - 1)
    return np.ascontiguousarray(points[:n_train]), np.ascontiguousarray(points[n_train:])


def distance_to_ring(points: np.ndarray, radius: float = RING_RADIUS) -> np.ndarray:
    """Each point's distance from the ring target's circle: | ‖p‖ − radius |."""
    p = np.asarray(points, dtype=np.float64)
    return np.abs(np.hypot(p[:, 0], p[:, 1]) - radius)
