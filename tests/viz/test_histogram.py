import numpy as np
import pytest

from playground.viz.boundary import discretize, normalize_layer, output_levels
from playground.viz.histogram import histogram, symmetric_levels, weight_matrix_2d


def test_histogram_counts_every_finite_weight():
    w = np.random.default_rng(0).normal(size=(8, 16)).astype(np.float32)
    w[0, 0] = np.nan
    counts, edges = histogram(w, bins=21)
    assert counts.sum() == w.size - 1
    assert len(edges) == 22
    assert edges[0] == pytest.approx(-edges[-1])  # symmetric about zero


def test_histogram_of_constant_and_empty_input():
    counts, edges = histogram(np.zeros(5), bins=4, symmetric=False)
    assert counts.sum() == 5 and edges[0] < 0 < edges[-1]
    counts, edges = histogram(np.array([]), bins=4)
    assert counts.sum() == 0 and len(edges) == 5


def test_symmetric_levels():
    assert symmetric_levels(np.array([-0.5, 2.0])) == (-2.0, 2.0)
    assert symmetric_levels(np.zeros(3)) == (-1.0, 1.0)


def test_weight_matrices():
    assert weight_matrix_2d(np.zeros((3, 2))).shape == (3, 2)
    assert weight_matrix_2d(np.zeros((4, 3, 5, 5))).shape == (4, 75)
    assert weight_matrix_2d(np.zeros(7)).shape == (1, 7)


def test_discretize_and_levels():
    assert np.array_equal(discretize(np.array([0.2, 0.5, 0.9]), "classification"), [0, 1, 1])
    assert np.array_equal(discretize(np.array([-0.3, 0.0, 0.4]), "regression"), [-1, 0, 1])
    assert output_levels("classification") == (0.0, 1.0)
    assert output_levels("regression") == (-1.0, 1.0)


def test_normalize_layer_keeps_bounded_scales_and_shrinks_unbounded_ones():
    tanh = np.array([[-0.5, 0.5]])
    assert np.array_equal(normalize_layer(tanh), tanh)
    relu = np.array([[0.0, 4.0]])
    assert np.array_equal(normalize_layer(relu), [[0.0, 1.0]])
