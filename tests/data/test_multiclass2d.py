"""The multi-class 2-D sets (blobs, arms, rings): seeded, shaped and balanced as documented, each its shape."""

import numpy as np
import pytest

from playground.data import toy2d
from playground.data.errors import DataError
from playground.data.toy2d import (
    DATASETS_2D,
    class_count,
    generate_2d,
    split,
    thumbnail,
)

MULTICLASS = ["blobs", "arms", "rings"]


def nearest_neighbour_accuracy(points: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    s = split(points, labels, 0.5, seed)
    d = ((s.x_test[:, None, :] - s.x_train[None, :, :]) ** 2).sum(-1)
    return float((s.y_train[d.argmin(1)] == s.y_test).mean())


def test_catalogue_has_three_multiclass_sets_with_defaults():
    assert [n for n, i in DATASETS_2D.items() if i.multiclass] == MULTICLASS
    assert {n: DATASETS_2D[n].classes for n in MULTICLASS} == {"blobs": 4, "arms": 3, "rings": 3}
    assert not DATASETS_2D["spiral"].multiclass and not DATASETS_2D["plane"].multiclass


@pytest.mark.parametrize("name", MULTICLASS)
@pytest.mark.parametrize("classes", [3, 4, 5])
@pytest.mark.parametrize("samples", [300, 301, 7])
def test_shapes_dtypes_and_exact_balance(name, classes, samples):
    points, labels = generate_2d(name, samples=samples, noise=0, seed=4, classes=classes)
    assert points.shape == (samples, 2) and points.dtype == np.float32
    assert labels.shape == (samples,) and labels.dtype == np.int64
    counts = np.bincount(labels, minlength=classes)
    assert len(counts) == classes
    expected = np.full(classes, samples // classes)
    expected[: samples % classes] += 1  # the first classes get the remainder
    np.testing.assert_array_equal(counts, expected)
    assert np.abs(points).max() <= 6.0


@pytest.mark.parametrize("name", MULTICLASS)
def test_seeded_and_shuffled(name):
    a = generate_2d(name, 200, 20, seed=9)
    b = generate_2d(name, 200, 20, seed=9)
    c = generate_2d(name, 200, 20, seed=10)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert len(set(a[1][:20].tolist())) > 1  # rows are not grouped by class


@pytest.mark.parametrize("name", MULTICLASS)
def test_default_count_is_the_catalogue_one(name):
    _, labels = generate_2d(name, 100, 0, 1)
    assert labels.max() + 1 == DATASETS_2D[name].classes == class_count(name)


@pytest.mark.parametrize("name", MULTICLASS)
@pytest.mark.parametrize("classes", [3, 5])
def test_classes_are_cleanly_apart_without_noise(name, classes):
    points, labels = generate_2d(name, 600, 0, 2, classes)
    # Five spiral arms crowd together near the centre, where a nearest neighbour may sit on another arm.
    assert nearest_neighbour_accuracy(points, labels) > (0.85 if (name, classes) == ("arms", 5) else 0.95)


def test_noise_mixes_the_blobs():
    clean = nearest_neighbour_accuracy(*generate_2d("blobs", 600, 0, 3, 5))
    noisy = nearest_neighbour_accuracy(*generate_2d("blobs", 600, 50, 3, 5))
    assert noisy < clean - 0.1


def test_rings_class_grows_with_the_radius():
    points, labels = generate_2d("rings", 900, 0, 5, classes=3)
    radius = np.hypot(points[:, 0], points[:, 1])
    for k in range(2):
        assert radius[labels == k].max() < radius[labels == k + 1].min()


def test_blob_centres_lie_on_a_circle_one_per_class():
    points, labels = generate_2d("blobs", 2000, 0, 6, classes=5)
    centres = np.array([points[labels == k].mean(0) for k in range(5)])
    np.testing.assert_allclose(np.hypot(centres[:, 0], centres[:, 1]), 3.5, atol=0.15)
    angles = np.sort(np.arctan2(centres[:, 1], centres[:, 0]))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 5, atol=0.1)


def test_arms_are_turned_copies_of_one_arm():
    points, labels = generate_2d("arms", 300, 0, 0, classes=3)
    radius = np.hypot(points[:, 0], points[:, 1])
    for k in range(3):  # each arm runs from the centre out to radius 5
        assert radius[labels == k].min() < 0.1 and 4.8 < radius[labels == k].max() <= 5.0


@pytest.mark.parametrize("bad", [2, 6, 0, 3.5, True, "3"])
def test_bad_class_counts_get_one_clear_message(bad):
    with pytest.raises(DataError, match="classes must be a whole number from 3 to 5 for 'arms'"):
        generate_2d("arms", 100, 0, 0, classes=bad)


def test_binary_and_regression_sets_refuse_other_counts():
    assert class_count("spiral") == 2 and class_count("spiral", 2) == 2
    with pytest.raises(DataError, match="always has 2 classes"):
        generate_2d("spiral", 100, classes=3)
    with pytest.raises(DataError, match="regression set"):
        class_count("plane", 3)


def test_too_few_samples_for_every_class():
    with pytest.raises(DataError, match="samples must be at least 5"):
        generate_2d("blobs", 4, classes=5)


def test_thumbnail_draws_each_class_in_its_colour():
    image = thumbnail("blobs", 48)
    colours = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in toy2d.CLASS_COLOURS[:4]}
    found = {tuple(int(v) for v in px[:3]) for px in image.reshape(-1, 4)}
    assert colours <= found
