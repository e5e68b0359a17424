import numpy as np
import pytest

from playground.viz.mnist_preprocess import (
    center_of_mass,
    fit_box,
    ink_bbox,
    preprocess_strokes,
    resize_area,
    shift_bilinear,
)


def canvas(size: int = 280) -> np.ndarray:
    return np.zeros((size, size), dtype=np.float32)


def rectangle(top, left, bottom, right, size=280):
    c = canvas(size)
    c[top:bottom, left:right] = 1.0
    return c


def ellipse(cy, cx, ry, rx, size=280, ring=False):
    y, x = np.mgrid[0:size, 0:size]
    r = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2
    c = canvas(size)
    c[(r <= 1.0) & ((r >= 0.6) if ring else True)] = 1.0
    return c


def line(p0, p1, width=18, size=280):
    """A thick stroke like the pad draws (distance to a segment below width / 2)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    d = p1 - p0
    t = np.clip(((y - p0[0]) * d[0] + (x - p0[1]) * d[1]) / (d @ d), 0, 1)
    dist = np.hypot(y - (p0[0] + t * d[0]), x - (p0[1] + t * d[1]))
    return (dist <= width / 2).astype(np.float32)


def check_mnist_like(img):
    assert img.shape == (28, 28)
    assert img.dtype == np.float32
    assert img.min() >= 0.0 and img.max() <= 1.0
    assert img.max() == pytest.approx(1.0)
    cy, cx = center_of_mass(img)
    assert cy == pytest.approx(14.0, abs=0.5)
    assert cx == pytest.approx(14.0, abs=0.5)
    top, left, bottom, right = ink_bbox(img, threshold=0.05)
    return bottom - top, right - left


def test_helpers_on_small_images():
    img = np.zeros((10, 12))
    assert ink_bbox(img) is None
    assert center_of_mass(img) == (4.5, 5.5)
    img[2:5, 3:9] = 1.0
    assert ink_bbox(img) == (2, 3, 5, 9)
    assert center_of_mass(img) == pytest.approx((3.0, 5.5))


def test_area_resize_averages_and_keeps_mass_density():
    img = np.zeros((4, 4))
    img[:2, :2] = 1.0
    assert np.allclose(resize_area(img, 2, 2), [[1, 0], [0, 0]])
    # A non-integer factor: every output pixel is a weighted mean, so a constant image stays constant.
    assert np.allclose(resize_area(np.full((7, 9), 0.3), 3, 4), 0.3)


def test_fit_box_keeps_aspect_ratio():
    assert fit_box(np.ones((100, 50))).shape == (20, 10)
    assert fit_box(np.ones((30, 300))).shape == (2, 20)
    assert fit_box(np.ones((5, 5))).shape == (20, 20)  # small drawings are scaled up


def test_bilinear_shift_moves_centre_of_mass_exactly():
    img = np.zeros((28, 28))
    img[10:15, 8:12] = np.arange(20).reshape(5, 4)
    cy, cx = center_of_mass(img)
    moved = shift_bilinear(img, 2.3, -1.6)
    assert moved.sum() == pytest.approx(img.sum())
    assert center_of_mass(moved) == pytest.approx((cy + 2.3, cx - 1.6))


def test_empty_canvas_stays_empty():
    out = preprocess_strokes(canvas())
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert not out.any()


@pytest.mark.parametrize("where", [(10, 10), (150, 20), (40, 200), (200, 190)])
def test_a_rectangle_anywhere_is_scaled_to_20_and_centred(where):
    top, left = where
    out = preprocess_strokes(rectangle(top, left, top + 60, left + 30))
    h, w = check_mnist_like(out)
    assert h in (20, 21)  # 20 rows of ink, plus at most one row of sub-pixel-shift fringe
    assert w in (10, 11)  # aspect ratio 2:1 kept


def test_a_thick_diagonal_line_keeps_its_shape():
    out = preprocess_strokes(line((30, 40), (250, 150)))
    h, w = check_mnist_like(out)
    assert 19 <= h <= 21
    assert 9 <= w <= 13  # 238 x 128 of ink (with the brush) -> about 20 x 11
    # the stroke still runs from top-left to bottom-right
    assert out[:14, :14].sum() > out[:14, 14:].sum()
    assert out[14:, 14:].sum() > out[14:, :14].sum()


def test_an_ellipse_small_in_a_corner():
    out = preprocess_strokes(ellipse(240, 40, 20, 30, ring=True))
    h, w = check_mnist_like(out)
    assert 13 <= h <= 15  # 41 x 61 -> about 13.4 x 20
    assert 20 <= w <= 21


def test_centre_of_mass_not_box_centre_decides_the_position():
    # A '7'-like shape: heavy top bar, thin stem. Its box centre and centre of mass differ.
    c = canvas()
    c[40:70, 60:220] = 1.0
    c += line((60, 215), (250, 120), width=14)
    out = preprocess_strokes(np.clip(c, 0, 1))
    check_mnist_like(out)
    top, _, bottom, _ = ink_bbox(out, threshold=0.05)
    assert (top + bottom) / 2 > 14.5  # the box sits lower so the heavy bar's mass comes to the centre


def test_input_is_not_modified_and_values_are_clipped():
    c = line((50, 50), (200, 200)) * 1.5
    before = c.copy()
    out = preprocess_strokes(c)
    assert np.array_equal(c, before)
    assert out.max() <= 1.0


def test_rejects_colour_images():
    with pytest.raises(ValueError):
        preprocess_strokes(np.zeros((28, 28, 3)))
