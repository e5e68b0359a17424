"""Convolution as the views need it: a small numpy cross-correlation for the filter lab, the classic 3x3 kernels of
the lecture slides, and the reshaping that turns conv weights and feature maps into tiles."""

from __future__ import annotations

import math

import numpy as np

# The classic kernels, written as cross-correlation (what torch.nn.functional.conv2d computes): the kernel is laid
# over the image as printed, not flipped.
EDGE_TOP = np.array([[-1, -1, -1], [1, 1, 1], [0, 0, 0]], dtype=np.float32)
KERNEL_PRESETS: dict[str, np.ndarray] = {
    "horizontal edge (dark above)": EDGE_TOP,
    "horizontal edge (dark below)": EDGE_TOP[::-1].copy(),
    "vertical edge (dark left)": EDGE_TOP.T.copy(),
    "vertical edge (dark right)": EDGE_TOP[::-1].T.copy(),
    "Laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32),
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32),
    "box blur": np.full((3, 3), 1.0 / 9.0, dtype=np.float32),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32),
}


def convolve2d(image: np.ndarray, kernel: np.ndarray, padding: str = "same") -> np.ndarray:
    """2-D cross-correlation of ``image`` (h, w) with ``kernel`` (kh, kw), as ``torch.nn.functional.conv2d`` does.

    ``padding="same"`` pads with zeros so the output has the image's size (odd kernels: centred; even kernels put
    the extra row and column after, as torch does); ``"valid"`` keeps only the places where the kernel fits.
    """
    img = np.asarray(image, dtype=np.float64)
    k = np.asarray(kernel, dtype=np.float64)
    if img.ndim != 2 or k.ndim != 2:
        raise ValueError(f"convolve2d takes a 2-D image and a 2-D kernel, got {img.shape} and {k.shape}")
    kh, kw = k.shape
    if padding == "same":
        top, left = (kh - 1) // 2, (kw - 1) // 2
        img = np.pad(img, ((top, kh - 1 - top), (left, kw - 1 - left)))
    elif padding != "valid":
        raise ValueError(f"padding must be 'same' or 'valid', got '{padding}'")
    if img.shape[0] < kh or img.shape[1] < kw:
        raise ValueError(f"kernel {k.shape} is larger than the image {img.shape}")
    windows = np.lib.stride_tricks.sliding_window_view(img, (kh, kw))
    out: np.ndarray = np.einsum("ijkl,kl->ij", windows, k).astype(np.float32)
    return out


def grid_columns(count: int, aspect: float = 1.0) -> int:
    """Columns for ``count`` square tiles in a roughly ``aspect`` (width / height) wide grid."""
    if count <= 0:
        return 1
    return max(1, min(count, math.ceil(math.sqrt(count * aspect))))


def filter_tiles(weight: np.ndarray, max_tiles: int = 256) -> tuple[np.ndarray, int, str]:
    """Conv weights (out, in, k, k) as (n, k, k) tiles, a column count, and how they were chosen.

    One tile per (out, in) kernel, a row per output channel, while that fits in ``max_tiles``; first layers (one
    input channel) wrap their kernels into a square grid. Beyond ``max_tiles`` each output channel shows its kernels
    averaged over the input channels.
    """
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim == 2:
        w = w[:, None, None, :]
    elif w.ndim == 3:
        w = w[:, None]
    if w.ndim != 4 or not w.size:
        return np.zeros((0, 1, 1), dtype=np.float32), 1, ""
    out_c, in_c = w.shape[:2]
    if in_c == 1:
        return w[:, 0], grid_columns(out_c, 2.0), "one tile per kernel"
    if out_c * in_c <= max_tiles:
        return w.reshape(out_c * in_c, *w.shape[2:]), in_c, "rows: output channels, columns: input channels"
    return w.mean(axis=1), grid_columns(out_c, 2.0), f"each output channel averaged over its {in_c} input channels"


def resize_nearest(stack: np.ndarray, height: int, width: int) -> np.ndarray:
    """(n, h, w) images scaled to (n, ``height``, ``width``) by repeating pixels, so small maps stay readable."""
    s = np.asarray(stack, dtype=np.float32)
    h, w = s.shape[-2:]
    rows = np.minimum((np.arange(height) * h) // max(height, 1), h - 1)
    cols = np.minimum((np.arange(width) * w) // max(width, 1), w - 1)
    return s[..., rows[:, None], cols[None, :]]


def normalize_symmetric(values: np.ndarray) -> np.ndarray:
    """Values divided by their largest finite magnitude (into [-1, 1]); all zeros stay zeros."""
    v = np.asarray(values, dtype=np.float32)
    finite = v[np.isfinite(v)]
    m = float(np.abs(finite).max()) if finite.size else 0.0
    return v / m if m > 0 else v


def rgb_filter_tiles(weight: np.ndarray) -> np.ndarray:
    """A first layer's colour kernels (out, 3, k, k) as (out, k, k, 3) RGB tiles in [0, 1]: grey (0.5) is a zero
    weight, and each filter is scaled by its own largest weight, so every filter shows the colour and pattern it
    looks for (a red-green edge, a blue blob), as in the AlexNet paper's figure."""
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim != 4 or w.shape[1] != 3:
        raise ValueError(f"rgb_filter_tiles needs (out, 3, k, k) weights, got shape {w.shape}")
    scale = np.abs(w).reshape(len(w), -1).max(axis=1)
    scale = np.where(scale > 0, scale, 1.0)[:, None, None, None]
    rgb: np.ndarray = np.clip(0.5 + 0.5 * w / scale, 0.0, 1.0).transpose(0, 2, 3, 1)
    return rgb
