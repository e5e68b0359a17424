"""Turn a hand-drawn canvas into the 28x28 image an MNIST network expects, the way MNIST itself was made.

LeCun, Cortes and Burges fitted each digit's bounding box into 20x20 pixels (keeping its aspect ratio, with
anti-aliasing), then placed it in a 28x28 field so that the centre of mass of the ink sits at the centre. A network
trained on MNIST has only ever seen digits of that size and position, so a drawing must go through the same steps
or the network reads it badly. Pure numpy: no Qt, no torch.
"""

from __future__ import annotations

import numpy as np

MNIST_SIZE = 28
DIGIT_BOX = 20
# (row, column) the centre of mass is moved to: the convention of MNIST's own preprocessing (size // 2).
MNIST_CENTER = (MNIST_SIZE / 2, MNIST_SIZE / 2)
# Ink fainter than this (anti-aliased fringe, stray specks) does not count when finding the digit's box.
INK_THRESHOLD = 0.02


def ink_bbox(img: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """The box ``(top, left, bottom, right)`` around pixels brighter than ``threshold``, bottom/right exclusive.

    None when there is no ink at all.
    """
    ink = np.asarray(img) > threshold
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def center_of_mass(img: np.ndarray) -> tuple[float, float]:
    """The intensity-weighted mean ``(row, column)`` in pixel-index coordinates (pixel i's centre is at i).

    An image without ink has no centre of mass; its geometric centre is returned instead.
    """
    a = np.asarray(img, dtype=np.float64)
    total = a.sum()
    if not np.isfinite(total) or total <= 0:
        return (a.shape[0] - 1) / 2, (a.shape[1] - 1) / 2
    rows = np.arange(a.shape[0], dtype=np.float64)
    cols = np.arange(a.shape[1], dtype=np.float64)
    return float(a.sum(axis=1) @ rows / total), float(a.sum(axis=0) @ cols / total)


def _area_weights(n_in: int, n_out: int, step: float) -> np.ndarray:
    """(n_out, n_in) matrix: output pixel i averages the input span [i*step, (i+1)*step) by overlapping area.

    This is a box filter at any (non-integer) scale, so shrinking a 280-pixel drawing to 20 pixels averages every
    source pixel instead of skipping most of them (skipping would make thin strokes vanish or look jagged).
    """
    starts = np.arange(n_out, dtype=np.float64)[:, None] * step
    ends = np.minimum(starts + step, n_in)
    pix = np.arange(n_in, dtype=np.float64)[None, :]
    overlap = np.clip(np.minimum(ends, pix + 1) - np.maximum(starts, pix), 0.0, None)
    weights: np.ndarray = overlap / overlap.sum(axis=1, keepdims=True)
    return weights


def resize_area(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize by area averaging (anti-aliased), scaling rows and columns by the same factor."""
    a = np.asarray(img, dtype=np.float64)
    step_r = a.shape[0] / height
    step_c = a.shape[1] / width
    resized: np.ndarray = _area_weights(a.shape[0], height, step_r) @ a @ _area_weights(a.shape[1], width, step_c).T
    return resized


def fit_box(img: np.ndarray, box: int = DIGIT_BOX) -> np.ndarray:
    """Scale ``img`` so its longer side is ``box`` pixels, keeping the aspect ratio (anti-aliased)."""
    h, w = img.shape
    scale = box / max(h, w)
    out_h = max(1, min(box, round(h * scale)))
    out_w = max(1, min(box, round(w * scale)))
    # One step for both axes keeps the aspect ratio exact; the last row or column may cover a partial span.
    step = max(h, w) / box
    wr = _area_weights(h, out_h, step)
    wc = _area_weights(w, out_w, step)
    fitted: np.ndarray = wr @ np.asarray(img, dtype=np.float64) @ wc.T
    return fitted


def shift_bilinear(img: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Move the image content by (dy, dx) pixels, sub-pixel shifts by bilinear interpolation; zeros come in.

    Ink is conserved unless it is pushed off the edge, so the centre of mass moves by exactly (dy, dx).
    """
    a = np.asarray(img, dtype=np.float64)
    iy, ix = int(np.floor(dy)), int(np.floor(dx))
    fy, fx = dy - iy, dx - ix
    out = np.zeros_like(a)
    for oy, wy in ((iy, 1.0 - fy), (iy + 1, fy)):
        for ox, wx in ((ix, 1.0 - fx), (ix + 1, fx)):
            weight = wy * wx
            if weight == 0.0:
                continue
            out += weight * _shift_int(a, oy, ox)
    return out


def _shift_int(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    out = np.zeros_like(a)
    h, w = a.shape
    if abs(dy) >= h or abs(dx) >= w:
        return out
    src = a[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


def preprocess_strokes(image: np.ndarray, normalize: bool = True, centre: bool = True) -> np.ndarray:
    """A grayscale canvas (H, W), ink 1 on 0, as MNIST would have it: (28, 28) float32 in [0, 1], ink bright.

    Crop to the ink, fit it into 20x20 keeping its aspect ratio (area averaging), put it into 28x28 and shift it
    so its centre of mass is at (14, 14). ``normalize`` stretches the brightest pixel to 1: a thin stroke shrunk
    14 times averages out grey, while MNIST strokes are mostly saturated. An empty canvas gives all zeros.

    With ``centre`` off (the translation experiment) the whole canvas is only shrunk to 28x28: the digit keeps the
    size and the place it was drawn at, so a digit drawn in a corner reaches the network in that corner.
    """
    a = np.asarray(image, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"expected a (height, width) grayscale image, got shape {a.shape}")
    a = np.clip(np.nan_to_num(a, nan=0.0), 0.0, 1.0)
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    box = ink_bbox(a)
    if box is None:
        return out
    if not centre:
        side = max(a.shape)
        square = np.zeros((side, side))
        square[:a.shape[0], :a.shape[1]] = a
        raw = resize_area(square, MNIST_SIZE, MNIST_SIZE)
        if normalize and raw.max() > 0:
            raw /= raw.max()
        out[:] = np.clip(raw, 0.0, 1.0)
        return out
    top, left, bottom, right = box
    digit = fit_box(a[top:bottom, left:right])
    # Put the digit's centre of mass on the field's centre: whole pixels by placement, the rest bilinearly.
    cy, cx = center_of_mass(digit)
    dy, dx = MNIST_CENTER[0] - cy, MNIST_CENTER[1] - cx
    # Place the fitted box in the middle first (pure placement), then shift by what is left.
    y0 = (MNIST_SIZE - digit.shape[0]) // 2
    x0 = (MNIST_SIZE - digit.shape[1]) // 2
    field = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float64)
    field[y0:y0 + digit.shape[0], x0:x0 + digit.shape[1]] = digit
    field = shift_bilinear(field, dy - y0, dx - x0)
    # Scaling after the shift: the bilinear shift greys the peak a little too, and scaling moves no mass.
    if normalize and field.max() > 0:
        field /= field.max()
    np.clip(field, 0.0, 1.0, out=field)
    out[:] = field
    return out
