import numpy as np
import pytest

from playground.viz.projection import fit_pca, polyline_with_breaks, select_units


def test_pca_finds_the_known_axes_of_an_elongated_cloud():
    rng = np.random.default_rng(0)
    # 3-D cloud: variance 25 along a rotated axis, 4 along another, ~0 along the third.
    basis = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    latent = rng.normal(size=(5000, 3)) * np.array([5.0, 2.0, 0.01])
    x = latent @ basis.T + np.array([1.0, -2.0, 3.0])
    pca = fit_pca(x, 2)
    assert np.allclose(pca.mean, [1.0, -2.0, 3.0], atol=0.2)
    assert abs(abs(pca.components[0] @ basis[:, 0]) - 1) < 1e-3
    assert abs(abs(pca.components[1] @ basis[:, 1]) - 1) < 1e-3
    assert np.allclose(pca.components @ pca.components.T, np.eye(2), atol=1e-9)
    assert pca.explained_variance[0] == pytest.approx(25, rel=0.05)
    assert pca.explained_variance[1] == pytest.approx(4, rel=0.05)
    assert pca.explained_ratio.sum() == pytest.approx(1.0, abs=1e-3)
    projected = pca.transform(x)
    assert projected.shape == (5000, 2)
    assert np.allclose(projected.mean(axis=0), 0, atol=1e-9)
    assert projected[:, 0].var(ddof=1) == pytest.approx(pca.explained_variance[0])


def test_pca_matches_numpy_covariance_eigenvectors():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    pca = fit_pca(x, 2)
    vals, vecs = np.linalg.eigh(np.cov(x, rowvar=False))
    assert np.allclose(pca.explained_variance, vals[::-1][:2])
    for i in range(2):
        assert abs(abs(pca.components[i] @ vecs[:, -1 - i]) - 1) < 1e-8


def test_pca_transforms_lines_with_the_same_basis():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(100, 4))
    pca = fit_pca(x)
    lines = rng.normal(size=(6, 10, 4))
    out = pca.transform(lines)
    assert out.shape == (6, 10, 2)
    assert np.allclose(out[2, 3], pca.transform(lines[2, 3][None])[0])


def test_pca_signs_are_stable_across_refits():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 5)) * np.array([4, 2, 1, 0.5, 0.1])
    first = fit_pca(x)
    flipped = fit_pca(-x, previous=first)  # same axes; the SVD may return either sign
    for i in range(2):
        assert flipped.components[i] @ first.components[i] > 0.99


def test_pca_of_too_few_dimensions_or_points_does_not_fail():
    one_unit = fit_pca(np.arange(10.0)[:, None])
    assert one_unit.components.shape == (2, 1)
    assert np.allclose(one_unit.components[1], 0)
    single = fit_pca(np.ones((1, 3)))
    assert np.all(np.isfinite(single.transform(np.ones((1, 3)))))
    with pytest.raises(ValueError):
        fit_pca(np.ones(3))


def test_select_units_picks_columns_and_zero_fills_missing_ones():
    x = np.arange(12.0).reshape(4, 3)
    assert np.array_equal(select_units(x, 2, 0), x[:, [2, 0]])
    assert np.array_equal(select_units(x, 0, 7)[:, 1], np.zeros(4))
    lines = np.arange(2 * 5 * 3.0).reshape(2, 5, 3)
    assert select_units(lines, 1, 2).shape == (2, 5, 2)


def test_polylines_are_joined_with_nan_breaks():
    lines = np.arange(2 * 3 * 2.0).reshape(2, 3, 2)
    x, y = polyline_with_breaks(lines)
    assert len(x) == 7 and np.isnan(x[3]) and np.isnan(y[3])
    assert np.array_equal(x[:3], lines[0, :, 0]) and np.array_equal(y[4:], lines[1, :, 1])
    assert polyline_with_breaks(np.zeros((0, 5, 2)))[0].size == 0
