"""The 2-D toy datasets: shapes, determinism, and that each set is what it claims to be."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.data import (
    DATASETS_2D,
    FEATURES,
    DataError,
    DatasetInfo,
    Split,
    generate_2d,
    grid_2d,
    make_features,
    split,
    thumbnail,
)

# The two-class sets of Playground; the multi-class ones are tested in test_multiclass2d.py.
CLASSIFICATION = [n for n, info in DATASETS_2D.items() if info.kind == "classification" and not info.multiclass]
MULTICLASS = [n for n, info in DATASETS_2D.items() if info.multiclass]
REGRESSION = [n for n, info in DATASETS_2D.items() if info.kind == "regression"]
ALL = list(DATASETS_2D)

ORANGE = (0xF5, 0x93, 0x22)
BLUE = (0x08, 0x77, 0xBD)


def linear_accuracy(points: np.ndarray, labels: np.ndarray) -> float:
    """Training accuracy of a least-squares linear classifier on the raw coordinates."""
    design = np.c_[points.astype(np.float64), np.ones(len(points))]
    weights, *_ = np.linalg.lstsq(design, labels * 2.0 - 1.0, rcond=None)
    return float(((design @ weights > 0) == (labels == 1)).mean())


def nearest_neighbour_accuracy(points: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """Test accuracy of 1-nearest-neighbour on a half/half split: high when the classes are cleanly apart."""
    s = split(points, labels, 0.5, seed)
    d = ((s.x_test[:, None, :] - s.x_train[None, :, :]) ** 2).sum(-1)
    return float((s.y_train[d.argmin(1)] == s.y_test).mean())


# -- catalogue ----------------------------------------------------------------------------------------------------


def test_catalogue_lists_the_playground_sets_with_consistent_info():
    assert set(CLASSIFICATION) == {"circle", "xor", "gaussian", "spiral", "moons"}
    assert set(MULTICLASS) == {"blobs", "arms", "rings"}
    assert set(REGRESSION) == {"plane", "multi_gaussian"}
    for name, info in DATASETS_2D.items():
        assert isinstance(info, DatasetInfo)
        assert info.name == name
        assert info.title and info.description
        assert "\n" not in info.description
        if info.multiclass:
            assert 3 <= info.classes <= 5 and info.class_range == (3, 5)
        else:
            assert info.classes == (2 if info.kind == "classification" else 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        DATASETS_2D["circle"].title = "changed"  # type: ignore[misc]


# -- shapes, dtypes, determinism ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_shapes_and_dtypes(name):
    points, labels = generate_2d(name, samples=101, noise=10, seed=3)
    assert points.shape == (101, 2) and points.dtype == np.float32
    assert np.isfinite(points).all()
    if DATASETS_2D[name].kind == "classification":
        assert labels.shape == (101,) and labels.dtype == np.int64
        assert set(np.unique(labels)) == set(range(DATASETS_2D[name].classes))
    else:
        assert labels.shape == (101, 1) and labels.dtype == np.float32
        assert labels.min() >= -1.0 and labels.max() <= 1.0


@pytest.mark.parametrize("name", ALL)
def test_points_lie_on_the_playground_plane(name):
    points, _ = generate_2d(name, samples=500, noise=0, seed=1)
    assert np.abs(points).max() <= 6.0
    assert np.abs(points).max() > 2.0  # spans the plane, not a unit square


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_data_other_seed_other_data(name):
    a_points, a_labels = generate_2d(name, samples=200, noise=20, seed=7)
    b_points, b_labels = generate_2d(name, samples=200, noise=20, seed=7)
    np.testing.assert_array_equal(a_points, b_points)
    np.testing.assert_array_equal(a_labels, b_labels)
    c_points, _ = generate_2d(name, samples=200, noise=20, seed=8)
    assert not np.array_equal(a_points, c_points)


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_rows_are_shuffled_not_grouped_by_class(name):
    _, labels = generate_2d(name, samples=200, seed=0)
    assert 0 < labels[:100].sum() < 100


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(CLASSIFICATION), samples=st.integers(2, 400), seed=st.integers(0, 2**32 - 1))
def test_classes_are_balanced_at_noise_zero(name, samples, seed):
    _, labels = generate_2d(name, samples=samples, noise=0, seed=seed)
    ones = int(labels.sum())
    assert ones == samples - samples // 2  # an odd sample goes to class 1
    assert samples - ones == samples // 2


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(ALL), samples=st.integers(2, 300), noise=st.floats(0, 50),
       seed=st.integers(0, 2**63))
def test_any_valid_request_gives_well_formed_data(name, samples, noise, seed):
    samples = max(samples, DATASETS_2D[name].classes)  # a multi-class set needs a sample of each class
    points, labels = generate_2d(name, samples=samples, noise=noise, seed=seed)
    assert points.shape == (samples, 2) and points.dtype == np.float32
    assert np.isfinite(points).all()
    assert np.abs(points).max() < 12.0
    if DATASETS_2D[name].kind == "classification":
        assert labels.shape == (samples,) and set(np.unique(labels)) <= set(range(DATASETS_2D[name].classes))
    else:
        assert labels.shape == (samples, 1) and np.all(np.abs(labels) <= 1.0)


# -- each set is what it claims -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_circle_class_depends_only_on_radius(seed):
    points, labels = generate_2d("circle", samples=500, noise=0, seed=seed)
    radius = np.hypot(points[:, 0], points[:, 1])
    np.testing.assert_array_equal(labels, (radius < 2.5).astype(np.int64))
    # Playground leaves a gap between the disc (r < 2.5) and the ring (3.5 <= r <= 5).
    assert radius[labels == 1].max() < 2.5
    assert radius[labels == 0].min() >= 3.5 - 1e-5 and radius.max() <= 5.0 + 1e-5
    assert linear_accuracy(points, labels) < 0.7
    assert linear_accuracy(make_features(points, ["x1^2", "x2^2"]), labels) > 0.99


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_class_is_the_sign_of_x1_times_x2(seed):
    points, labels = generate_2d("xor", samples=500, noise=0, seed=seed)
    np.testing.assert_array_equal(labels, (points[:, 0] * points[:, 1] >= 0).astype(np.int64))
    assert np.abs(points).min() >= 0.3 - 1e-6  # Playground's padding away from the axes
    assert np.abs(points).max() <= 5.3 + 1e-5
    assert linear_accuracy(points, labels) < 0.7
    product = make_features(points, ["x1*x2"])
    assert linear_accuracy(product, labels) > 0.98
    np.testing.assert_array_equal(labels, (product[:, 0] >= 0).astype(np.int64))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_two_gaussians_are_linearly_separable_at_noise_zero(seed):
    points, labels = generate_2d("gaussian", samples=500, noise=0, seed=seed)
    assert linear_accuracy(points, labels) > 0.95
    # The clouds sit at (2, 2) and (-2, -2); the line x1 + x2 = 0 separates them.
    np.testing.assert_array_equal(labels, (points.sum(1) > 0).astype(np.int64))
    np.testing.assert_allclose(points[labels == 1].mean(0), [2, 2], atol=0.2)
    np.testing.assert_allclose(points[labels == 0].mean(0), [-2, -2], atol=0.2)


def test_two_gaussians_spread_grows_with_noise_like_playground():
    # Playground's variance goes linearly from 0.5 at 0 % to 4 at 50 %.
    for noise, variance in [(0, 0.5), (25, 2.25), (50, 4.0)]:
        points, labels = generate_2d("gaussian", samples=4000, noise=noise, seed=0)
        centred = points - np.where(labels[:, None] == 1, 2.0, -2.0)
        assert centred.var() == pytest.approx(variance, rel=0.08)


@pytest.mark.parametrize("seed", [0, 5])
def test_spiral_arms_interleave(seed):
    points, labels = generate_2d("spiral", samples=500, noise=0, seed=seed)
    assert linear_accuracy(points, labels) < 0.7
    assert linear_accuracy(*generate_2d("gaussian", samples=500, noise=0, seed=seed)) > 0.95
    # Still a clean shape for a non-linear model.
    assert nearest_neighbour_accuracy(points, labels) > 0.95
    # The second arm is the first turned by half a turn.
    pos = points[labels == 1]
    neg = points[labels == 0]
    np.testing.assert_allclose(np.sort(-pos, axis=0), np.sort(neg, axis=0), atol=1e-5)
    # Walking outwards along a ray crosses the arms alternately.
    angle = np.arctan2(points[:, 0], points[:, 1])
    ray = np.abs(angle - 1.0) < 0.15
    along = labels[ray][np.argsort(np.hypot(points[ray, 0], points[ray, 1]))]
    assert np.count_nonzero(np.diff(along)) >= 3


def test_spiral_radius_grows_to_five_over_one_and_three_quarter_turns():
    points, labels = generate_2d("spiral", samples=1000, noise=0, seed=0)
    radius = np.hypot(points[:, 0], points[:, 1])
    assert radius.min() == pytest.approx(0.0, abs=1e-6)
    assert 4.9 < radius.max() < 5.0


def test_moons_are_two_interlocking_half_circles():
    points, labels = generate_2d("moons", samples=500, noise=0, seed=0)
    unit = points / 3.5 + np.array([0.5, 0.25])
    upper, lower = unit[labels == 0], unit[labels == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-5)
    assert (upper[:, 1] >= -1e-6).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-5)
    assert (lower[:, 1] <= 0.5 + 1e-6).all()
    assert 0.75 < linear_accuracy(points, labels) < 0.97
    assert nearest_neighbour_accuracy(points, labels) > 0.98


def test_plane_target_follows_x1_plus_x2():
    points, targets = generate_2d("plane", samples=500, noise=0, seed=0)
    expected = np.clip((points[:, 0].astype(np.float64) + points[:, 1]) / 10.0, -1, 1)
    np.testing.assert_allclose(targets[:, 0], expected, atol=1e-6)
    assert targets.min() == -1.0 and targets.max() == 1.0  # the corners beyond |x1 + x2| = 10 are clamped


def test_multi_gaussian_has_six_signed_bumps_on_a_flat_floor():
    points, targets = generate_2d("multi_gaussian", samples=3000, noise=0, seed=0)
    t = targets[:, 0]
    centres = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
    signs = np.array([1, -1, 1, -1, 1, -1])
    distance = np.linalg.norm(points[:, None, :] - centres[None], axis=2)
    nearest = distance.argmin(1)
    near = distance.min(1) < 1.0
    # Close to a centre the target has that bump's sign and height 1 - d / 2.
    np.testing.assert_array_equal(np.sign(t[near]), signs[nearest[near]])
    np.testing.assert_allclose(np.abs(t[near]), 1 - distance.min(1)[near] / 2, atol=1e-5)
    assert np.all(t[distance.min(1) >= 2.0] == 0.0)


# -- noise ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["circle", "xor", "plane", "multi_gaussian"])
def test_label_noise_sets_keep_the_points_and_change_labels(name):
    clean_points, clean_labels = generate_2d(name, samples=500, noise=0, seed=4)
    noisy_points, noisy_labels = generate_2d(name, samples=500, noise=40, seed=4)
    np.testing.assert_array_equal(clean_points, noisy_points)
    if clean_labels.dtype == np.int64:
        assert 0.02 < np.mean(clean_labels != noisy_labels) < 0.5  # flips near the boundary, not everywhere
    else:
        assert 0.05 < np.mean(np.abs(clean_labels - noisy_labels)) < 0.5  # a blurred target, not a new one


@pytest.mark.parametrize("name", ["gaussian", "spiral", "moons"])
def test_point_noise_sets_move_the_points_and_keep_labels(name):
    clean_points, clean_labels = generate_2d(name, samples=500, noise=0, seed=4)
    noisy_points, noisy_labels = generate_2d(name, samples=500, noise=40, seed=4)
    np.testing.assert_array_equal(clean_labels, noisy_labels)
    moved = np.hypot(*(noisy_points - clean_points).T)
    assert moved.mean() > 0.1


def test_spiral_jitter_is_at_most_the_noise_fraction_like_playground():
    clean, _ = generate_2d("spiral", samples=500, noise=0, seed=0)
    noisy, _ = generate_2d("spiral", samples=500, noise=50, seed=0)
    offset = np.abs(noisy - clean)
    assert offset.max() <= 0.5 + 1e-5 and offset.max() > 0.45


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(ALL), seed=st.integers(0, 2**32 - 1))
def test_noise_changes_the_data_of_every_set(name, seed):
    points, labels = generate_2d(name, samples=300, noise=0, seed=seed)
    noisy_points, noisy_labels = generate_2d(name, samples=300, noise=50, seed=seed)
    assert not (np.array_equal(points, noisy_points) and np.array_equal(labels, noisy_labels))


# -- features -----------------------------------------------------------------------------------------------------


def test_feature_catalogue_order_and_labels():
    assert list(FEATURES) == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2"]
    assert list(FEATURES.values()) == ["x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin(x₁)", "sin(x₂)"]


def test_features_are_computed_from_the_raw_coordinates():
    points = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -math.pi / 2]], dtype=np.float32)
    out = make_features(points, list(FEATURES))
    assert out.shape == (3, 7) and out.dtype == np.float32
    x1, x2 = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    expected = np.stack([x1, x2, x1 ** 2, x2 ** 2, x1 * x2, np.sin(x1), np.sin(x2)], axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


def test_features_keep_the_requested_order_and_allow_a_subset():
    points, _ = generate_2d("circle", samples=50, seed=0)
    out = make_features(points, ["sin_x2", "x1"])
    np.testing.assert_allclose(out[:, 0], np.sin(points[:, 1]), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(out[:, 1], points[:, 0])


@settings(max_examples=30, deadline=None)
@given(features=st.lists(st.sampled_from(list(FEATURES)), min_size=1, max_size=7),
       n=st.integers(1, 40), seed=st.integers(0, 1000))
def test_feature_matrix_shape_matches_any_selection(features, n, seed):
    points = np.random.default_rng(seed).uniform(-6, 6, (n, 2)).astype(np.float32)
    out = make_features(points, features)
    assert out.shape == (n, len(features)) and out.dtype == np.float32
    for j, feature in enumerate(features):
        np.testing.assert_array_equal(out[:, j], make_features(points, [feature])[:, 0])


def test_feature_errors_are_clear():
    points = np.zeros((3, 2), np.float32)
    with pytest.raises(DataError, match="at least one feature"):
        make_features(points, [])
    with pytest.raises(DataError, match=r"unknown feature 'cos_x1'.*x1\^2"):
        make_features(points, ["x1", "cos_x1"])
    with pytest.raises(DataError, match="string"):
        make_features(points, "x1")  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"shape \(N, 2\)"):
        make_features(np.zeros((3, 3)), ["x1"])


# -- split --------------------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 500), ratio=st.floats(0.01, 0.99), seed=st.integers(0, 2**32 - 1))
def test_split_sizes_match_the_ratio_and_keep_every_sample_once(n, ratio, seed):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    s = split(x, y, ratio, seed)
    assert isinstance(s, Split)
    assert len(s.x_train) == len(s.y_train) and len(s.x_test) == len(s.y_test)
    assert len(s.x_train) + len(s.x_test) == n
    assert 1 <= len(s.x_train) <= n - 1
    assert abs(len(s.x_train) - n * ratio) <= 1
    np.testing.assert_array_equal(np.sort(np.concatenate([s.y_train, s.y_test])), y)
    np.testing.assert_array_equal(s.x_train[:, 0], s.y_train * 2)  # rows stay paired


def test_split_is_deterministic_and_shuffled():
    points, labels = generate_2d("xor", samples=500, seed=0)
    a, b = split(points, labels, 0.5, 3), split(points, labels, 0.5, 3)
    assert len(a.x_train) == 250 and len(a.x_test) == 250
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, split(points, labels, 0.5, 4).x_train)
    assert not np.array_equal(split(np.arange(100), np.arange(100), 0.5, 0).y_train, np.arange(50))


def test_split_errors_are_clear():
    with pytest.raises(DataError, match="same number of samples"):
        split(np.zeros((4, 2)), np.zeros(3), 0.5, 0)
    with pytest.raises(DataError, match="at least 2 samples, got 1"):
        split(np.zeros((1, 2)), np.zeros(1), 0.5, 0)
    for bad in (0.0, 1.0, 1.5, -0.1, float("nan")):
        with pytest.raises(DataError, match="train_ratio"):
            split(np.zeros((4, 2)), np.zeros(4), bad, 0)


# -- grid ---------------------------------------------------------------------------------------------------------


def test_grid_layout_is_row_major_over_y_then_x():
    xs, ys, points = grid_2d(resolution=5, extent=6.0)
    assert xs.dtype == ys.dtype == points.dtype == np.float32
    np.testing.assert_allclose(xs, [-6, -3, 0, 3, 6])
    np.testing.assert_allclose(ys, [-6, -3, 0, 3, 6])
    assert points.shape == (25, 2)
    cube = points.reshape(5, 5, 2)
    for i in range(5):
        for j in range(5):
            assert tuple(cube[i, j]) == (xs[j], ys[i])


@settings(max_examples=20, deadline=None)
@given(resolution=st.integers(2, 120), extent=st.floats(0.5, 20))
def test_grid_covers_the_extent(resolution, extent):
    xs, ys, points = grid_2d(resolution, extent)
    assert points.shape == (resolution * resolution, 2)
    assert xs[0] == pytest.approx(-extent, rel=1e-6) and xs[-1] == pytest.approx(extent, rel=1e-6)
    assert np.all(np.diff(xs) > 0) and np.array_equal(xs, ys)
    np.testing.assert_array_equal(points[:resolution, 0], xs)
    np.testing.assert_array_equal(points[::resolution, 1], ys)


def test_grid_defaults_and_errors():
    xs, _, points = grid_2d()
    assert len(xs) == 100 and points.shape == (10000, 2) and xs[0] == -6.0
    with pytest.raises(DataError, match="resolution must be at least 2, got 1"):
        grid_2d(1)
    with pytest.raises(DataError, match="extent must be a positive number, got 0"):
        grid_2d(10, 0)


# -- thumbnails ---------------------------------------------------------------------------------------------------


def _has_colour(image: np.ndarray, rgb: tuple[int, int, int]) -> bool:
    return bool(np.all(image[..., :3] == rgb, axis=-1).any())


@pytest.mark.parametrize("name", ALL)
def test_thumbnail_is_an_rgba_picture_on_white(name):
    image = thumbnail(name)
    assert image.shape == (48, 48, 4) and image.dtype == np.uint8
    assert np.all(image[..., 3] == 255)
    white = np.all(image[..., :3] == 255, axis=-1).mean()
    assert 0.05 < white < 0.97
    np.testing.assert_array_equal(image, thumbnail(name))
    if DATASETS_2D[name].kind == "classification":
        assert _has_colour(image, ORANGE) and _has_colour(image, BLUE)


def test_thumbnail_colours_follow_playground():
    # Two gaussians: blue cloud up and to the right, orange cloud down and to the left (y points up).
    image = thumbnail("gaussian", size=60)
    blue_rows, blue_cols = np.nonzero(np.all(image[..., :3] == BLUE, axis=-1))
    orange_rows, orange_cols = np.nonzero(np.all(image[..., :3] == ORANGE, axis=-1))
    assert blue_cols.mean() > 30 > orange_cols.mean()
    assert blue_rows.mean() < 30 < orange_rows.mean()
    # Plane: positive (blue-ish) targets where x1 + x2 is large, top right.
    plane = thumbnail("plane", size=48).astype(int)
    assert plane[:12, -12:, 2].mean() > plane[-12:, :12, 2].mean()


def test_thumbnail_size_and_errors():
    assert thumbnail("spiral", size=96).shape == (96, 96, 4)
    with pytest.raises(DataError, match="size must be at least 8, got 2"):
        thumbnail("spiral", size=2)
    with pytest.raises(DataError, match="unknown 2-D dataset 'nope'"):
        thumbnail("nope")


# -- errors -------------------------------------------------------------------------------------------------------


def test_unknown_dataset_lists_the_known_names():
    with pytest.raises(DataError) as caught:
        generate_2d("spirals")
    message = str(caught.value)
    assert "'spirals'" in message
    for name in DATASETS_2D:
        assert name in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("noise", [-1, 50.5, 100, float("nan"), float("inf")])
def test_noise_out_of_range_names_the_field_and_value(noise):
    with pytest.raises(DataError, match=rf"noise .*0 and 50.*{noise!r}"):
        generate_2d("circle", noise=noise)


@pytest.mark.parametrize("samples", [1, 0, -5])
def test_too_few_samples_names_the_field_and_value(samples):
    with pytest.raises(DataError, match=rf"samples must be at least 2, got {samples}"):
        generate_2d("xor", samples=samples)


@pytest.mark.parametrize("samples", [2.5, "100", True])
def test_samples_must_be_a_whole_number(samples):
    with pytest.raises(DataError, match="samples must be a whole number"):
        generate_2d("xor", samples=samples)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, None, 1.5])
def test_seed_must_be_a_non_negative_whole_number(seed):
    with pytest.raises(DataError, match="seed"):
        generate_2d("circle", seed=seed)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="seed"):
        split(np.zeros((4, 2)), np.zeros(4), 0.5, seed)  # type: ignore[arg-type]


def test_noise_bounds_are_inclusive():
    for samples, noise in [(2, 0), (2, 50), (10, np.float32(12.5))]:
        x, y = generate_2d("spiral", samples=samples, noise=noise)[:2]
        assert len(x) == len(y) == samples and np.isfinite(x).all()
    assert len(generate_2d("spiral", samples=np.int64(10))[0]) == 10
