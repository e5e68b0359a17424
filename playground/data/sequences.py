"""Sequence datasets for recurrent networks, as numpy arrays (no torch).

- ``sine``: forecasting a sum of sines, many to many. Each sample is a window of the signal; the target at every
  step is the signal one step later, so a network that returns every step's output learns from every step.
  Phases differ from sample to sample, so the network must read the window to know where in the wave it is.
- ``waves``: classifying a sequence by its shape (sine, square, triangle, sawtooth), many to one. Frequency, phase
  and amplitude are random: only the shape over time tells the classes apart, so the network must carry what it
  has seen to the last step.

Noise is in percent of the main amplitude (0–50), as for the 2-D sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.data.errors import DataError

__all__ = [
    "SINE_COMPONENTS",
    "WAVE_SHAPES",
    "SequenceSplit",
    "forecast_windows",
    "last_value_mse",
    "sine_forecasting",
    "split_sequences",
    "sum_of_sines",
    "waves",
]

#: (period in steps, amplitude) of the components of the forecasting signal: a slow wave and a faster, smaller one.
SINE_COMPONENTS: tuple[tuple[float, float], ...] = ((25.0, 0.8), (8.0, 0.4))
WAVE_SHAPES = ("sine", "square", "triangle", "sawtooth")
MAX_NOISE = 50.0


@dataclass(frozen=True, eq=False)
class SequenceSplit:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def _check(samples: int, steps: int, noise: float) -> None:
    if samples < 2:
        raise DataError(f"samples must be at least 2 (received {samples})")
    if steps < 2:
        raise DataError(f"steps must be at least 2 (received {steps})")
    if not 0.0 <= noise <= MAX_NOISE:
        raise DataError(f"noise must be between 0 and {MAX_NOISE:g} percent (received {noise:g})")


def sum_of_sines(n: int, length: int, seed: int, noise: float = 0.0,
                 components: tuple[tuple[float, float], ...] = SINE_COMPONENTS) -> np.ndarray:
    """``n`` series of ``length`` steps, float32 (n, length): Σ a·sin(2πt/period + φ), one random phase per
    component and series, plus gaussian noise of ``noise`` percent of the first amplitude."""
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=np.float64)
    phases = rng.uniform(0.0, 2 * np.pi, size=(n, len(components)))
    series = np.zeros((n, length))
    for k, (period, amplitude) in enumerate(components):
        series += amplitude * np.sin(2 * np.pi * t[None, :] / period + phases[:, k:k + 1])
    if noise > 0:
        series += rng.normal(0.0, noise / 100.0 * components[0][1], size=series.shape)
    return series.astype(np.float32)


def forecast_windows(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-step targets of series (n, steps+1): x = s[:, :-1], y = s[:, 1:], each (n, steps, 1)."""
    s = np.asarray(series, dtype=np.float32)
    return np.ascontiguousarray(s[:, :-1, None]), np.ascontiguousarray(s[:, 1:, None])


def last_value_mse(x: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of the naive forecast "the next value equals this one": the bar to beat."""
    return float(np.mean((np.asarray(y, np.float64) - np.asarray(x, np.float64)) ** 2))


def sine_forecasting(samples: int, steps: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The forecasting set: x, y float32 (samples, steps, 1), y one step ahead of x."""
    _check(samples, steps, noise)
    return forecast_windows(sum_of_sines(samples, steps + 1, seed, noise))


def _shape(kind: str, phase: np.ndarray) -> np.ndarray:
    """One period of each shape, for phases in cycles (any real number), in [-1, 1]."""
    u = np.mod(phase, 1.0)
    if kind == "sine":
        return np.asarray(np.sin(2 * np.pi * u))
    if kind == "square":
        return np.where(u < 0.5, 1.0, -1.0)
    if kind == "triangle":
        return np.asarray(1.0 - 4.0 * np.abs(u - 0.5))
    if kind == "sawtooth":
        return np.asarray(2.0 * u - 1.0)
    raise DataError(f"Unknown wave shape '{kind}' (shapes: {', '.join(WAVE_SHAPES)})")


def waves(samples: int, steps: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The shape-classification set: x float32 (samples, steps, 1), y int64 (samples,) indexing WAVE_SHAPES.

    Classes come in equal numbers (shuffled); periods are 6–16 steps, amplitudes 0.5–1, phases uniform."""
    _check(samples, steps, noise)
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(samples) % len(WAVE_SHAPES)).astype(np.int64)
    periods = rng.uniform(6.0, 16.0, size=samples)
    phases = rng.uniform(0.0, 1.0, size=samples)
    amplitudes = rng.uniform(0.5, 1.0, size=samples)
    t = np.arange(steps, dtype=np.float64)
    x = np.empty((samples, steps))
    for k, kind in enumerate(WAVE_SHAPES):
        rows = labels == k
        x[rows] = _shape(kind, t[None, :] / periods[rows, None] + phases[rows, None])
    x *= amplitudes[:, None]
    if noise > 0:
        x += rng.normal(0.0, noise / 100.0, size=x.shape)
    return x[:, :, None].astype(np.float32), labels


def split_sequences(x: np.ndarray, y: np.ndarray, train_ratio: float) -> SequenceSplit:
    """The first ``train_ratio`` of the samples for training, the rest for testing (samples are independent and
    already in random order, so no shuffle is needed; the split stays the same when the seed changes the data)."""
    if not 0.0 < train_ratio < 1.0:
        raise DataError(f"train_ratio must be between 0 and 1 (received {train_ratio:g})")
    n = len(x)
    cut = min(n - 1, max(1, round(n * train_ratio)))
    return SequenceSplit(x[:cut], y[:cut], x[cut:], y[cut:])
