"""The 2-D toy datasets of TensorFlow Playground, as numpy arrays.

The generators follow TensorFlow Playground's ``src/dataset.ts`` (circle, xor, two gaussians, spiral, plane, multiple
gaussians), rewritten vectorised for numpy, plus "moons". Where Playground differs from what one might guess, we keep
Playground's behaviour, because learners compare the two apps side by side:

- For circle, xor, plane and multi_gaussian the noise does not move the points: Playground computes each label at a
  randomly displaced copy of the point, so noise flips labels near the boundary (or blurs the regression target)
  while the points stay where they are.
- For two gaussians the noise widens the blobs (variance 0.5 at 0 % up to 4 at 50 %); for spiral the points are
  jittered by at most +-noise (so at most +-0.5 units at 50 %, a small wobble).
- Every random draw happens whatever the noise level, so moving the noise slider with a fixed seed changes only what
  the noise touches.

Labels are 0/1 class indices (Playground uses -1/+1: its -1, drawn orange, is our class 0; its +1, drawn blue, is our
class 1). Regression targets are float32 in [-1, 1] with shape (N, 1).

Beyond Playground, three sets have more than two classes (3 to 5; each has a default count, and ``classes`` picks
another): "blobs" (one Gaussian blob per class on a circle of radius 3.5), "arms" (a spiral of one arm per class)
and "rings" (concentric rings, class 0 innermost). Their classes are exactly balanced (the first classes get one
more sample when the count does not divide) and their labels run 0..classes-1.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from playground.data.errors import DataError

__all__ = [
    "CLASS_COLOURS",
    "DATASETS_2D",
    "FEATURES",
    "DatasetInfo",
    "Split",
    "class_count",
    "generate_2d",
    "grid_2d",
    "make_features",
    "split",
    "thumbnail",
]

#: Half the side of the square that Playground draws and samples its regression sets on.
EXTENT = 6.0
MAX_NOISE = 50.0


@dataclass(frozen=True)
class DatasetInfo:
    """What the dataset picker shows about one 2-D dataset."""

    name: str
    title: str
    kind: Literal["classification", "regression"]
    classes: int  # the default number of classes (0 for regression)
    description: str
    class_range: tuple[int, int] = (0, 0)  # the class counts ``classes`` may choose; (2, 2) for a binary set

    @property
    def multiclass(self) -> bool:
        return self.class_range[1] > 2


def _info(name: str, title: str, kind: Literal["classification", "regression"], description: str) -> DatasetInfo:
    binary = kind == "classification"
    return DatasetInfo(name=name, title=title, kind=kind, classes=2 if binary else 0, description=description,
                       class_range=(2, 2) if binary else (0, 0))


#: The class counts a multi-class set may have.
MIN_CLASSES, MAX_CLASSES = 3, 5


def _multi(name: str, title: str, classes: int, description: str) -> DatasetInfo:
    return DatasetInfo(name=name, title=title, kind="classification", classes=classes, description=description,
                       class_range=(MIN_CLASSES, MAX_CLASSES))


DATASETS_2D: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        _info("circle", "Circle", "classification",
              "A blue disc inside an orange ring: no straight line separates them, but x₁² and x₂² do."),
        _info("xor", "Exclusive or", "classification",
              "Blue where x₁ and x₂ share a sign, orange where they differ: one line fails, x₁x₂ or a hidden layer "
              "succeeds."),
        _info("gaussian", "Two Gaussians", "classification",
              "Two clouds on a diagonal: a single neuron on x₁ and x₂ draws the line between them."),
        _info("spiral", "Spiral", "classification",
              "Two interleaved spiral arms: the hardest set, it needs several hidden layers or sin features."),
        _info("moons", "Two moons", "classification",
              "Two interlocking half circles: nearly split by a line, cleanly split only by a curve."),
        _multi("blobs", "Four blobs", 4,
               "One round cloud per class around a circle: softmax over several outputs splits the plane into "
               "wedges, one per class."),
        _multi("arms", "Three-arm spiral", 3,
               "Three interleaved spiral arms, one class each: deep tanh layers must bend three boundaries."),
        _multi("rings", "Three rings", 3,
               "Concentric rings, one class each: the classes depend on the distance from the centre only."),
        _info("plane", "Plane", "regression",
              "The target rises steadily along x₁ + x₂: a single linear neuron fits it."),
        _info("multi_gaussian", "Multiple Gaussians", "regression",
              "Six bumps of alternating sign on a flat floor: the output must rise and fall in patches."),
    )
}

FEATURES: dict[str, str] = {
    "x1": "x₁",
    "x2": "x₂",
    "x1^2": "x₁²",
    "x2^2": "x₂²",
    "x1*x2": "x₁x₂",
    "sin_x1": "sin(x₁)",
    "sin_x2": "sin(x₂)",
}

_FloatArray = np.ndarray
_Generator = Callable[[np.random.Generator, int, float], tuple[_FloatArray, _FloatArray]]


# -- generators: (rng, samples, noise as a fraction 0..0.5) -> (points float64 (N, 2), labels) ---------------------
# Classification generators return int64 labels, class 1 first then class 0 (generate_2d shuffles afterwards);
# regression generators return float64 targets of shape (N,).


def _split_counts(samples: int) -> tuple[int, int]:
    """(class 1, class 0) sizes; Playground makes samples/2 of each, we give an odd sample to class 1."""
    return samples - samples // 2, samples // 2


def _polar(r: _FloatArray, angle: _FloatArray) -> _FloatArray:
    # Playground puts sin on x and cos on y; kept so that seeds of the spiral start in the same place.
    return np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)


def _circle(rng: np.random.Generator, samples: int, noise: float) -> tuple[_FloatArray, _FloatArray]:
    radius = 5.0
    n_in, n_out = _split_counts(samples)
    # Radius is uniform (not area-uniform), so the disc is denser at its centre, as in Playground.
    r = np.concatenate([rng.uniform(0.0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)])
    angle = rng.uniform(0.0, 2 * math.pi, samples)
    points = _polar(r, angle)
    shifted = points + rng.uniform(-radius, radius, (samples, 2)) * noise
    labels = (np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5).astype(np.int64)
    return points, labels


def _xor(rng: np.random.Generator, samples: int, noise: float) -> tuple[_FloatArray, _FloatArray]:
    padding = 0.3
    # Playground draws each coordinate uniformly in [-5, 5] and pushes it 0.3 away from the axis. We draw the
    # magnitudes the same way but choose the quadrants so both classes get exactly half the points.
    magnitude = rng.uniform(0.0, 5.0, (samples, 2)) + padding
    n_same, n_diff = _split_counts(samples)
    sign_x = rng.choice(np.array([-1.0, 1.0]), samples)
    sign_y = sign_x * np.concatenate([np.ones(n_same), -np.ones(n_diff)])
    points = magnitude * np.stack([sign_x, sign_y], axis=1)
    shifted = points + rng.uniform(-5.0, 5.0, (samples, 2)) * noise
    labels = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return points, labels


def _two_gaussians(rng: np.random.Generator, samples: int, noise: float) -> tuple[_FloatArray, _FloatArray]:
    # Playground maps noise 0..0.5 linearly onto a variance of 0.5..4 (a standard deviation of 0.71..2).
    variance = 0.5 + noise / 0.5 * (4.0 - 0.5)
    n_pos, n_neg = _split_counts(samples)
    centres = np.concatenate([np.full((n_pos, 2), 2.0), np.full((n_neg, 2), -2.0)])
    points = centres + math.sqrt(variance) * rng.standard_normal((samples, 2))
    labels = np.concatenate([np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)])
    return points, labels


def _spiral(rng: np.random.Generator, samples: int, noise: float) -> tuple[_FloatArray, _FloatArray]:
    def arm(count: int, phase: float) -> _FloatArray:
        progress = np.arange(count) / count
        # 1.75 turns while the radius grows from 0 to 5; the second arm is the first turned by half a turn.
        return _polar(progress * 5.0, 1.75 * progress * 2 * math.pi + phase)

    n_pos, n_neg = _split_counts(samples)
    points = np.concatenate([arm(n_pos, 0.0), arm(n_neg, math.pi)])
    # Playground's jitter is not scaled by the domain: +-noise units, so at most +-0.5 at the 50 % setting.
    points = points + rng.uniform(-1.0, 1.0, (samples, 2)) * noise
    labels = np.concatenate([np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)])
    return points, labels


def _moons(rng: np.random.Generator, samples: int, noise: float) -> tuple[_FloatArray, _FloatArray]:
    # Not in Playground. The classic two-moons shape (as in scikit-learn's make_moons) with random angles,
    # centred and scaled by 3.5 so it spans about [-5.25, 5.25] x [-2.6, 2.6]; Gaussian noise of standard
    # deviation 0.6 * noise in moon units (0.3, a hard setting, at 50 %).
    scale = 3.5
    n_lower, n_upper = _split_counts(samples)
    t_upper = rng.uniform(0.0, math.pi, n_upper)
    t_lower = rng.uniform(0.0, math.pi, n_lower)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    unit = np.concatenate([lower, upper]) - np.array([0.5, 0.25])
    unit = unit + rng.standard_normal((samples, 2)) * (0.6 * noise)
    labels = np.concatenate([np.ones(n_lower, np.int64), np.zeros(n_upper, np.int64)])
    return unit * scale, labels


def _plane(rng: np.random.Generator, samples: int, noise: float) -> tuple[_FloatArray, _FloatArray]:
    points = rng.uniform(-EXTENT, EXTENT, (samples, 2))
    shifted = points + rng.uniform(-EXTENT, EXTENT, (samples, 2)) * noise
    # Playground maps x + y from [-10, 10] onto [-1, 1] without clamping, so its corners (|x + y| up to 12, more
    # with noise) exceed 1; we clamp to keep every target in a tanh output's range.
    target = np.clip((shifted[:, 0] + shifted[:, 1]) / 10.0, -1.0, 1.0)
    return points, target


_BUMPS = np.array([[-4.0, 2.5], [0.0, 2.5], [4.0, 2.5], [-4.0, -2.5], [0.0, -2.5], [4.0, -2.5]])
_BUMP_SIGNS = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])


def _multi_gaussian(rng: np.random.Generator, samples: int, noise: float) -> tuple[_FloatArray, _FloatArray]:
    points = rng.uniform(-EXTENT, EXTENT, (samples, 2))
    shifted = points + rng.uniform(-EXTENT, EXTENT, (samples, 2)) * noise
    distance = np.linalg.norm(shifted[:, None, :] - _BUMPS[None, :, :], axis=2)
    # Despite the name, each bump is a cone: 1 at its centre, falling linearly to 0 at distance 2.
    height = np.clip(1.0 - distance / 2.0, 0.0, 1.0) * _BUMP_SIGNS
    strongest = np.argmax(np.abs(height), axis=1)
    target = height[np.arange(samples), strongest]
    return points, target


# -- multi-class generators: (rng, samples, noise fraction, classes) -> (points, int64 labels grouped by class) ----


def _class_counts(samples: int, classes: int) -> np.ndarray:
    """Exactly balanced class sizes; the first ``samples % classes`` classes get one more."""
    counts = np.full(classes, samples // classes, dtype=np.int64)
    counts[: samples % classes] += 1
    return counts


def _grouped_labels(counts: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def _blobs(rng: np.random.Generator, samples: int, noise: float, classes: int) -> tuple[_FloatArray, _FloatArray]:
    # Centres evenly on a circle of radius 3.5, the first one straight up. The standard deviation grows with the
    # noise as for two gaussians (0.71 at 0 % to 2 at 50 %), so neighbours overlap at high noise.
    variance = 0.5 + noise / 0.5 * (4.0 - 0.5)
    labels = _grouped_labels(_class_counts(samples, classes))
    angles = 2 * math.pi * np.arange(classes) / classes
    centres = _polar(np.full(classes, 3.5), angles)
    points = centres[labels] + math.sqrt(variance) * rng.standard_normal((samples, 2))
    return points, labels


def _arms(rng: np.random.Generator, samples: int, noise: float, classes: int) -> tuple[_FloatArray, _FloatArray]:
    # The two-arm spiral's arm (1.75 turns while the radius grows from 0 to 5), one per class, each turned by
    # 1/classes of a turn; the same +-noise units of jitter.
    counts = _class_counts(samples, classes)
    parts = []
    for k, count in enumerate(counts):
        progress = np.arange(count) / max(1, count)
        parts.append(_polar(progress * 5.0, 1.75 * progress * 2 * math.pi + 2 * math.pi * k / classes))
    points = np.concatenate(parts) + rng.uniform(-1.0, 1.0, (samples, 2)) * noise
    return points, _grouped_labels(counts)


def _rings(rng: np.random.Generator, samples: int, noise: float, classes: int) -> tuple[_FloatArray, _FloatArray]:
    # Class k fills the ring between radii 5k/classes + gap and 5(k+1)/classes (class 0 a disc), uniform in area
    # so the outer rings are not sparse; the gap is a fifth of a ring's width. Noise moves each point radially by
    # up to +-noise rings' widths (half a ring at 50 %), so rings touch and mix.
    counts = _class_counts(samples, classes)
    labels = _grouped_labels(counts)
    width = 5.0 / classes
    inner = np.where(labels == 0, 0.0, labels * width + 0.2 * width)
    outer = (labels + 1) * width
    r = np.sqrt(rng.uniform(inner ** 2, outer ** 2))
    r = np.abs(r + rng.uniform(-1.0, 1.0, samples) * noise * width)
    angle = rng.uniform(0.0, 2 * math.pi, samples)
    return _polar(r, angle), labels


_MultiGenerator = Callable[[np.random.Generator, int, float, int], tuple[_FloatArray, _FloatArray]]
_MULTI_GENERATORS: dict[str, _MultiGenerator] = {"blobs": _blobs, "arms": _arms, "rings": _rings}


_GENERATORS: dict[str, _Generator] = {
    "circle": _circle,
    "xor": _xor,
    "gaussian": _two_gaussians,
    "spiral": _spiral,
    "moons": _moons,
    "plane": _plane,
    "multi_gaussian": _multi_gaussian,
}
assert _GENERATORS.keys() | _MULTI_GENERATORS.keys() == DATASETS_2D.keys()


# -- public API ---------------------------------------------------------------------------------------------------


def _info_for(name: object) -> DatasetInfo:
    if not isinstance(name, str) or name not in DATASETS_2D:
        known = ", ".join(DATASETS_2D)
        raise DataError(f"unknown 2-D dataset {name!r}; known datasets: {known}")
    return DATASETS_2D[name]


def _check_int(field: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise DataError(f"{field} must be a whole number, got {value!r}")
    if value < minimum:
        raise DataError(f"{field} must be at least {minimum}, got {value}")
    return int(value)


def class_count(name: str, classes: object = None) -> int:
    """The number of classes of set ``name`` when asked for ``classes`` (None: its default); 0 for regression.
    Raises DataError for a count the set cannot make."""
    info = _info_for(name)
    if classes is None:
        return info.classes
    low, high = info.class_range
    if isinstance(classes, bool) or not isinstance(classes, numbers.Integral) or not low <= int(classes) <= high:
        if info.kind == "regression":
            raise DataError(f"'{name}' is a regression set: it has no classes to choose")
        if low == high:
            raise DataError(f"'{name}' always has {low} classes, got classes={classes!r}")
        raise DataError(f"classes must be a whole number from {low} to {high} for '{name}', got {classes!r}")
    return int(classes)


def generate_2d(name: str, samples: int = 500, noise: float = 0.0,
                seed: int = 0, classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Generate a 2-D dataset: points (samples, 2) float32 and labels.

    Classification sets give int64 class indices of shape (samples,), exactly balanced (an odd sample goes to
    class 1; for the multi-class sets the first classes get the remainder) except where noise flips labels;
    regression sets give float32 targets in [-1, 1] of shape (samples, 1). ``noise`` is a percentage, 0 to 50, like
    Playground's slider. ``classes`` picks the number of classes of a multi-class set (3 to 5; None: its
    default). The rows are shuffled; the same arguments always give the same arrays.
    """
    info = _info_for(name)
    count = class_count(name, classes)
    samples = _check_int("samples", samples, max(2, count))
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0.0 <= noise <= MAX_NOISE:
        raise DataError(f"noise must be a percentage between 0 and {MAX_NOISE:g}, got {noise!r}")
    rng = np.random.default_rng(_check_int("seed", seed, 0))
    if info.name in _MULTI_GENERATORS:
        points, labels = _MULTI_GENERATORS[info.name](rng, samples, float(noise) / 100.0, count)
    else:
        points, labels = _GENERATORS[info.name](rng, samples, float(noise) / 100.0)
    order = rng.permutation(samples)
    points = points[order].astype(np.float32)
    if info.kind == "classification":
        return points, labels[order].astype(np.int64)
    return points, labels[order].astype(np.float32).reshape(samples, 1)


def make_features(points: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """The input columns Playground offers, computed from raw (N, 2) points: (N, len(features)) float32."""
    if isinstance(features, str):
        raise DataError(f"features must be a list of feature names, got the string {features!r}")
    features = list(features)
    if not features:
        raise DataError(f"features must name at least one feature; known features: {', '.join(FEATURES)}")
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise DataError(f"unknown feature {unknown[0]!r}; known features: {', '.join(FEATURES)}")
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise DataError(f"points must have shape (N, 2), got {pts.shape}")
    x1, x2 = pts[:, 0], pts[:, 1]
    columns: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(features):  # each distinct feature once, in order
        if name == "x1":
            columns[name] = x1
        elif name == "x2":
            columns[name] = x2
        elif name == "x1^2":
            columns[name] = x1 * x1
        elif name == "x2^2":
            columns[name] = x2 * x2
        elif name == "x1*x2":
            columns[name] = x1 * x2
        elif name == "sin_x1":
            columns[name] = np.sin(x1)
        else:
            columns[name] = np.sin(x2)
    out = np.empty((len(pts), len(features)), dtype=np.float32)
    for j, feature in enumerate(features):
        out[:, j] = columns[feature]
    return out


@dataclass(frozen=True, eq=False)
class Split:
    """A dataset cut into a training part and a test part."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def split(x: np.ndarray, y: np.ndarray, train_ratio: float, seed: int) -> Split:
    """Shuffle (deterministically by ``seed``) and cut: round(N * train_ratio) samples for training.

    Both sides always keep at least one sample.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise DataError(f"x and y must have the same number of samples, got {x.shape} and {y.shape}")
    if len(x) < 2:
        raise DataError(f"split needs at least 2 samples, got {len(x)}")
    if isinstance(train_ratio, bool) or not isinstance(train_ratio, numbers.Real) \
            or not 0.0 < train_ratio < 1.0:
        raise DataError(f"train_ratio must be between 0 and 1 (exclusive), got {train_ratio!r}")
    seed = _check_int("seed", seed, 0)
    n = len(x)
    n_train = min(max(int(math.floor(n * float(train_ratio) + 0.5)), 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    train, test = order[:n_train], order[n_train:]
    return Split(x_train=x[train], y_train=y[train], x_test=x[test], y_test=y[test])


def grid_2d(resolution: int = 100, extent: float = EXTENT) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A square probe grid over [-extent, extent]^2 for decision boundaries.

    Returns (xs, ys, points): xs and ys are the (resolution,) float32 axes, both increasing; points is
    (resolution * resolution, 2) float32 in row-major order over ys then xs, so
    ``points.reshape(resolution, resolution, 2)[i, j] == (xs[j], ys[i])`` and a model's outputs reshape to an
    image whose row i is y = ys[i] (row 0 at the bottom of the plane).
    """
    resolution = _check_int("resolution", resolution, 2)
    if isinstance(extent, bool) or not isinstance(extent, numbers.Real) or not 0.0 < extent <= sys.float_info.max:
        raise DataError(f"extent must be a positive number, got {extent!r}")
    xs = np.linspace(-extent, extent, resolution, dtype=np.float64).astype(np.float32)
    ys = xs.copy()
    gx, gy = np.meshgrid(xs, ys)  # gx[i, j] = xs[j], gy[i, j] = ys[i]
    points = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    return xs, ys, points


# Playground's colours: orange for negative / class 0, blue for positive / class 1, a light grey in between.
_NEGATIVE = np.array([0xF5, 0x93, 0x22], dtype=np.float64)
_NEUTRAL = np.array([0xE8, 0xEA, 0xEB], dtype=np.float64)
_POSITIVE = np.array([0x08, 0x77, 0xBD], dtype=np.float64)
#: Class colours of the multi-class sets, the same as the views' (playground.viz.colormaps.class_color): orange and
#: blue as in Playground, then green, purple and red.
CLASS_COLOURS = ("#f59322", "#0877bd", "#2ca02c", "#8e44ad", "#d62728")


def _colours(values: np.ndarray) -> np.ndarray:
    """Map values in [-1, 1] to RGB like Playground's diverging scale (orange, grey, blue)."""
    v = np.clip(values, -1.0, 1.0)[:, None]
    rgb = np.where(v < 0, _NEUTRAL + (_NEUTRAL - _NEGATIVE) * v, _NEUTRAL + (_POSITIVE - _NEUTRAL) * v)
    rgb_bytes: np.ndarray = np.rint(rgb).astype(np.uint8)
    return rgb_bytes


def thumbnail(name: str, size: int = 48, seed: int = 0) -> np.ndarray:
    """A (size, size, 4) RGBA uint8 picture of the dataset's points on white, y pointing up, for the picker."""
    info = _info_for(name)
    size = _check_int("size", size, 8)
    samples = 200 if info.kind == "classification" else 500
    points, labels = generate_2d(name, samples=samples, noise=0.0, seed=seed)
    if info.multiclass:
        palette = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in CLASS_COLOURS], dtype=np.uint8)
        colours = palette[labels % len(palette)]
    else:
        values = labels * 2.0 - 1.0 if info.kind == "classification" else labels[:, 0]
        colours = _colours(np.asarray(values, dtype=np.float64))

    image = np.full((size, size, 4), 255, dtype=np.uint8)
    cols = np.floor((points[:, 0] + EXTENT) / (2 * EXTENT) * size).astype(np.int64)
    rows = np.floor((EXTENT - points[:, 1]) / (2 * EXTENT) * size).astype(np.int64)
    inside = (cols >= 0) & (cols < size) & (rows >= 0) & (rows < size)
    rows, cols, colours = rows[inside], cols[inside], colours[inside]
    dot = max(2, size // 24)
    for dr in range(dot):
        for dc in range(dot):
            r = np.clip(rows + dr - dot // 2, 0, size - 1)
            c = np.clip(cols + dc - dot // 2, 0, size - 1)
            image[r, c, :3] = colours
    return image
