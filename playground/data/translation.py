"""The translation experiment: test images moved off-centre, to see what a network trained on centred images makes
of a moved one (a dense network loses its way; convolutions and pooling cope with small moves)."""

from __future__ import annotations

import numbers

import numpy as np

from playground.data.errors import DataError

#: The largest move, in pixels, the test-shift option allows (a third of a 28-pixel digit).
MAX_SHIFT = 10


def check_shift(value: object) -> int:
    """A test-shift option as a whole number of pixels from 0 to MAX_SHIFT; DataError otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= int(value) <= MAX_SHIFT:
        raise DataError(f"test_shift must be a whole number of pixels from 0 to {MAX_SHIFT}, got {value!r}")
    return int(value)


def shift_images(images: np.ndarray, pixels: int, seed: int = 0) -> np.ndarray:
    """Each image (N, ..., H, W) moved by exactly ``pixels`` in a random direction: whole-pixel offsets (dy, dx)
    with max(|dy|, |dx|) == pixels, drawn uniformly from that square ring (seeded); the empty side fills with 0.
    A copy; ``pixels`` 0 returns the images unchanged (a copy too)."""
    pixels = check_shift(pixels)
    a = np.asarray(images)
    out = np.zeros_like(a)
    if pixels == 0:
        out[...] = a
        return out
    ring = [(dy, dx) for dy in range(-pixels, pixels + 1) for dx in range(-pixels, pixels + 1)
            if max(abs(dy), abs(dx)) == pixels]
    choice = np.random.default_rng(seed).integers(0, len(ring), len(a))
    h, w = a.shape[-2:]
    for k, (dy, dx) in enumerate(ring):  # one slice assignment per direction, for all images going that way
        pick = np.flatnonzero(choice == k)
        if not len(pick):
            continue
        src = a[pick][..., max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
        out[pick, ..., max(0, dy):max(0, dy) + src.shape[-2], max(0, dx):max(0, dx) + src.shape[-1]] = src
    return out
