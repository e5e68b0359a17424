"""Test images moved for the translation experiment: exact, seeded, checked."""

import numpy as np
import pytest

from playground.data.errors import DataError
from playground.data.translation import MAX_SHIFT, check_shift, shift_images


def dots(n=200):
    a = np.zeros((n, 1, 28, 28), np.float32)
    a[:, 0, 14, 14] = 1.0
    return a


@pytest.mark.parametrize("pixels", [1, 3, 6])
def test_every_image_moves_by_exactly_the_shift_in_some_direction(pixels):
    moved = shift_images(dots(), pixels, seed=2)
    where = np.array([np.argwhere(m[0])[0] for m in moved]) - 14
    assert (np.abs(where).max(axis=1) == pixels).all()
    assert len({tuple(w) for w in where}) > 4  # many directions
    assert moved.dtype == np.float32 and moved.sum() == 200


def test_seeded_copy_and_zero_fill():
    images = np.random.default_rng(0).random((10, 1, 28, 28)).astype(np.float32)
    a, b = shift_images(images, 4, seed=1), shift_images(images, 4, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, shift_images(images, 4, seed=2))
    same = shift_images(images, 0)
    np.testing.assert_array_equal(same, images)
    assert same is not images
    # Four whole rows or columns of each image come in empty.
    assert all((m[0][:4] == 0).all() or (m[0][-4:] == 0).all() or (m[0][:, :4] == 0).all() or
               (m[0][:, -4:] == 0).all() for m in a)


@pytest.mark.parametrize("bad", [-1, MAX_SHIFT + 1, 2.5, True, "3", None])
def test_bad_shift_is_one_clear_message(bad):
    with pytest.raises(DataError, match=f"test_shift must be a whole number of pixels from 0 to {MAX_SHIFT}"):
        check_shift(bad)
