"""The 1-D function sets: seeded, shaped and bounded as documented, each f what its formula says."""

import numpy as np
import pytest

from playground.data import functions1d
from playground.data.errors import DataError
from playground.data.functions1d import DOMAIN, FUNCTIONS, evaluate, generate_1d


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_shapes_dtypes_domain_and_seeding(name):
    x, y = generate_1d(name, 257, noise=10, seed=3)
    assert x.shape == (257, 1) and y.shape == (257, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert np.abs(x).max() <= DOMAIN and np.abs(x).max() > 2.5
    x2, y2 = generate_1d(name, 257, noise=10, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(generate_1d(name, 257, 10, seed=4)[0], x)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_without_noise_the_samples_lie_on_f_within_minus_one_to_one(name):
    x, y = generate_1d(name, 500, noise=0, seed=1)
    np.testing.assert_allclose(y, evaluate(name, x), atol=1e-6)
    grid = np.linspace(-DOMAIN, DOMAIN, 1001)
    values = evaluate(name, grid)
    assert values.min() >= -1.0 - 1e-6 and values.max() <= 1.0 + 1e-6


def test_noise_is_gaussian_with_the_documented_deviation():
    x, y = generate_1d("poly", 20000, noise=30, seed=2)
    residual = (y - evaluate("poly", x)).ravel()
    assert abs(residual.std() - 0.30) < 0.01 and abs(residual.mean()) < 0.01


def test_each_function_is_what_its_formula_says():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(evaluate("sine", x), np.sin(1.5 * x), atol=1e-6)
    np.testing.assert_array_equal(evaluate("step", x), [-1, -1, 1, 1, 1])
    np.testing.assert_allclose(evaluate("abs", x), np.abs(x) / 1.5 - 1, atol=1e-6)
    np.testing.assert_allclose(evaluate("poly", x), 0.1 * x ** 3 - 0.6 * x, atol=1e-6)
    # Three teeth: -1 at x = -1 and 1, rising with slope 1 in between.
    np.testing.assert_allclose(evaluate("sawtooth", np.array([-1.0, -0.5, 0.0, 0.5, 0.999, 1.0, 2.0])),
                               [-1, -0.5, 0, 0.5, 0.999, -1, 0], atol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "cosine"}, "unknown function 'cosine'; functions: sine, step, abs, poly, sawtooth"),
    ({"samples": 1}, "samples must be a whole number of at least 2"),
    ({"samples": 2.5}, "samples must be a whole number"),
    ({"noise": 60}, "noise must be a percentage between 0 and 50"),
    ({"noise": -1}, "noise must be a percentage"),
    ({"seed": -3}, "seed must be a whole number of at least 0"),
])
def test_bad_requests_get_one_clear_message(kwargs, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        generate_1d(**kwargs)


def test_default_function_is_sine():
    assert functions1d.function_name(None) == "sine"
    np.testing.assert_array_equal(generate_1d(seed=5)[1], generate_1d("sine", seed=5)[1])
