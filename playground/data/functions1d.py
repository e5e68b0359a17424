"""1-D regression: noisy samples of y = f(x) for a chosen f, to watch a network approximate a function.

One dataset, ``"function"``; its option ``function`` picks f (sine, step, abs, poly, sawtooth; default sine). Every
f maps the domain [-3, 3] into [-1, 1], so a tanh output could reach every target and each f fits on one plot:

- sine:     sin(1.5 x), a little over two half-waves;
- step:     -1 left of 0, +1 from 0 on: one jump, which smooth units can only approximate by steep slopes;
- abs:      |x| / 1.5 - 1, a V with its kink at 0;
- poly:     0.1 x³ - 0.6 x, a cubic with a hump and a dip;
- sawtooth: three teeth, rising from -1 to 1 over each period of 2, dropping at x = -1 and x = 1.

x is drawn uniformly over the domain; the noise is Gaussian on y with a standard deviation of noise/100 (so 0.5 at
the 50 % maximum). The same arguments always give the same arrays.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from playground.data.errors import DataError

__all__ = ["DATASET", "DEFAULT_FUNCTION", "DOMAIN", "FUNCTIONS", "evaluate", "function_name", "generate_1d"]

#: The dataset name a lab uses for these sets.
DATASET = "function"
#: x runs over [-DOMAIN, DOMAIN].
DOMAIN = 3.0
MAX_NOISE = 50.0
DEFAULT_FUNCTION = "sine"


def _sawtooth(x: np.ndarray) -> np.ndarray:
    return 2.0 * ((x + 1.0) / 2.0 - np.floor((x + 1.0) / 2.0)) - 1.0


_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sine": lambda x: np.sin(1.5 * x),
    "step": lambda x: np.where(x >= 0.0, 1.0, -1.0),
    "abs": lambda x: np.abs(x) / 1.5 - 1.0,
    "poly": lambda x: 0.1 * x ** 3 - 0.6 * x,
    "sawtooth": _sawtooth,
}

#: What the function picker shows: the formula of each f.
FUNCTIONS: dict[str, str] = {
    "sine": "sin(1.5x)",
    "step": "step (−1, then +1 from x = 0)",
    "abs": "|x| / 1.5 − 1",
    "poly": "0.1x³ − 0.6x",
    "sawtooth": "sawtooth, period 2",
}
assert FUNCTIONS.keys() == _FUNCTIONS.keys()


def function_name(value: object) -> str:
    """The function an option names (None: the default); DataError for an unknown one."""
    if value is None:
        return DEFAULT_FUNCTION
    if not isinstance(value, str) or value not in _FUNCTIONS:
        raise DataError(f"unknown function {value!r}; functions: {', '.join(_FUNCTIONS)}")
    return value


def evaluate(name: str, x: np.ndarray) -> np.ndarray:
    """f(x) without noise, float32 of x's shape."""
    f = _FUNCTIONS[function_name(name)]
    return np.asarray(f(np.asarray(x, dtype=np.float64)), dtype=np.float32)


def generate_1d(name: str = DEFAULT_FUNCTION, samples: int = 200, noise: float = 0.0,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x, y): x (samples, 1) float32 uniform over [-3, 3], y = f(x) + noise as (samples, 1) float32."""
    name = function_name(name)
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral) or samples < 2:
        raise DataError(f"samples must be a whole number of at least 2, got {samples!r}")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0.0 <= noise <= MAX_NOISE:
        raise DataError(f"noise must be a percentage between 0 and {MAX_NOISE:g}, got {noise!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise DataError(f"seed must be a whole number of at least 0, got {seed!r}")
    rng = np.random.default_rng(int(seed))
    x = rng.uniform(-DOMAIN, DOMAIN, int(samples))
    y = _FUNCTIONS[name](x) + rng.standard_normal(int(samples)) * (float(noise) / 100.0)
    if not math.isfinite(float(np.abs(y).max())):  # pragma: no cover - every f is bounded
        raise DataError(f"function {name!r} gave a value that is not finite")
    return x.astype(np.float32).reshape(-1, 1), y.astype(np.float32).reshape(-1, 1)
