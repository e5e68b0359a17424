"""The 2-D GAN targets: shapes, determinism, that each is the shape it claims, and clear errors for drawings."""

import numpy as np
import pytest

from playground.data import gan2d
from playground.data.errors import DataError

DRAWN = {"points": [[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, -1.0]]}


@pytest.mark.parametrize("name", list(gan2d.TARGETS))
def test_every_target_is_deterministic_float32_and_inside_the_plane(name):
    a = gan2d.sample_target(name, 800, 5.0, 3, DRAWN)
    b = gan2d.sample_target(name, 800, 5.0, 3, DRAWN)
    assert a.shape == (800, 2) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert not np.array_equal(a, gan2d.sample_target(name, 800, 5.0, 4, DRAWN))
    assert np.abs(a).max() < gan2d.EXTENT


def test_ring_lies_on_its_circle_and_noise_thickens_it():
    thin = gan2d.distance_to_ring(gan2d.sample_target("ring", 2000, 0.0, 1))
    thick = gan2d.distance_to_ring(gan2d.sample_target("ring", 2000, 20.0, 1))
    assert thin.max() < 1e-5
    assert 0.05 < thick.mean() < 0.15  # noise 20 % is jitter of 0.1 units: mean |N(0, 0.1)| ≈ 0.08
    angles = np.arctan2(*gan2d.sample_target("ring", 2000, 0.0, 1).T[::-1])
    counts, _ = np.histogram(angles, bins=8, range=(-np.pi, np.pi))
    assert counts.min() > 150  # all the way round


def test_two_gaussians_are_two_blobs_and_the_line_is_straight():
    blobs = gan2d.sample_target("two_gaussians", 2000, 0.0, 1)
    left = blobs[:, 0] < 0
    assert 0.4 < left.mean() < 0.6
    assert np.allclose(blobs[left].mean(0), [-0.9, 0.6], atol=0.05)
    line = gan2d.sample_target("line", 500, 0.0, 1)
    assert np.allclose(line[:, 1], line[:, 0] * 0.7 / 1.3, atol=1e-5)


def test_spiral_arm_winds_outwards():
    pts = gan2d.sample_target("spiral_arm", 2000, 0.0, 1).astype(np.float64)
    r = np.hypot(pts[:, 0], pts[:, 1])
    assert r.min() > 0.1 and r.max() < 1.45
    t = (r - 0.15) / 1.25  # without noise each point sits on the arm at angle 3.5π·t
    angle = 3.5 * np.pi * t
    assert np.allclose(pts, np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1), atol=1e-4)


def test_drawn_points_are_picked_with_a_little_jitter():
    pts = gan2d.sample_target("drawn", 1000, 0.0, 1, DRAWN)
    drawn = np.asarray(DRAWN["points"])
    nearest = np.min(np.linalg.norm(pts[:, None, :] - drawn[None], axis=2), axis=1)
    assert 0.01 < nearest.mean() < 0.1  # jittered, but close to what was drawn
    assert len({tuple(np.round(p)) for p in pts}) == 4  # every drawn point is used


@pytest.mark.parametrize("options, message", [
    ({}, "Nothing drawn yet"),
    ({"points": []}, "at least 3 points"),
    ({"points": [[0, 0], [1, 1]]}, r"at least 3 points on the plane \(drawn so far: 2\)"),
    ({"points": "0,0"}, "list of \\[x, y\\] pairs"),
    ({"points": [[0, 0, 0]] * 3}, "shape"),
    ({"points": [[0, 0], [1, float("nan")], [2, 2]]}, "finite"),
    ({"points": [[0, 0], [1, 1], [100, 0]]}, "outside the plane"),
])
def test_bad_drawings_are_refused_clearly(options, message):
    with pytest.raises(DataError, match=message):
        gan2d.sample_target("drawn", 100, 0.0, 1, options)


def test_bad_arguments_are_refused():
    with pytest.raises(DataError, match="unknown 2-D GAN target 'circle'"):
        gan2d.sample_target("circle")
    with pytest.raises(DataError, match="noise"):
        gan2d.sample_target("ring", 10, 80.0)
    with pytest.raises(DataError, match="samples"):
        gan2d.sample_target("ring", 1)


def test_split_keeps_at_least_one_point_each_side():
    pts = gan2d.sample_target("ring", 10, 0.0, 1)
    train, test = gan2d.split_points(pts, 0.8)
    assert (len(train), len(test)) == (8, 2)
    train, test = gan2d.split_points(pts[:2], 0.9)
    assert (len(train), len(test)) == (1, 1)
