"""Tiling many small images into one, so a grid of heatmaps is one image item (one upload, one paint)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tile:
    """Where one small image sits in the tiled image: ``column`` (layer), ``row`` (unit), top-left pixel, size."""

    column: int
    row: int
    top: int
    left: int
    height: int
    width: int

    def contains(self, y: float, x: float) -> bool:
        return self.top <= y < self.top + self.height and self.left <= x < self.left + self.width


def tile_columns(columns: Sequence[np.ndarray], pad: int = 2, gap: int | None = None,
                 fill: float = np.nan, flip_rows: bool = False) -> tuple[np.ndarray, list[Tile]]:
    """Lay out stacks of equal-sized images as columns: ``columns[c]`` is (n_c, h, w) and goes top to bottom.

    Returns the tiled image (row 0 at the top, float32, ``fill`` between tiles) and each tile's place. ``pad``
    separates tiles in a column, ``gap`` (default ``3 * pad``) separates columns. ``flip_rows`` flips each tile
    upside down, for images whose row 0 is the bottom of a plane (so they read right in a top-down image).
    """
    stacks = [np.asarray(c, dtype=np.float32) for c in columns if np.asarray(c).ndim == 3 and len(c)]
    if not stacks:
        return np.full((1, 1), fill, dtype=np.float32), []
    h = max(s.shape[1] for s in stacks)
    w = max(s.shape[2] for s in stacks)
    gap = 3 * pad if gap is None else gap
    rows = max(len(s) for s in stacks)
    height = rows * h + (rows - 1) * pad
    width = len(stacks) * w + (len(stacks) - 1) * gap
    image = np.full((height, width), fill, dtype=np.float32)
    tiles: list[Tile] = []
    for c, stack in enumerate(stacks):
        left = c * (w + gap)
        for r, tile in enumerate(stack):
            top = r * (h + pad)
            th, tw = tile.shape
            image[top:top + th, left:left + tw] = tile[::-1] if flip_rows else tile
            tiles.append(Tile(c, r, top, left, th, tw))
    return image, tiles


def tile_at(tiles: Sequence[Tile], y: float, x: float) -> Tile | None:
    """The tile under pixel (``y`` from the top, ``x`` from the left), or None between tiles."""
    for t in tiles:
        if t.contains(y, x):
            return t
    return None


def tile_grid(images: np.ndarray, columns: int, pad: int = 1, fill: float = np.nan) -> np.ndarray:
    """(n, h, w) images row by row into a grid ``columns`` wide (e.g. conv filters), row 0 at the top."""
    images = np.asarray(images, dtype=np.float32)
    n, h, w = images.shape
    columns = max(1, min(columns, n)) if n else 1
    rows = max(1, -(-n // columns))
    out = np.full((rows * h + (rows - 1) * pad, columns * w + (columns - 1) * pad), fill, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = images[i]
    return out


def tile_layer_rows(layers: Sequence[np.ndarray], per_row: int, pad: int = 2, gap: int | None = None,
                    fill: float = np.nan, flip_rows: bool = False) -> tuple[np.ndarray, list[Tile]]:
    """Lay out stacks of equal-sized images as bands, one per layer, top to bottom; within a band the units run
    left to right and wrap after ``per_row``. Tiles keep ``column`` = layer and ``row`` = unit, as in
    :func:`tile_columns`, so hit-testing is the same."""
    stacks = [np.asarray(s, dtype=np.float32) for s in layers if np.asarray(s).ndim == 3 and len(s)]
    if not stacks:
        return np.full((1, 1), fill, dtype=np.float32), []
    per_row = max(1, per_row)
    h = max(s.shape[1] for s in stacks)
    w = max(s.shape[2] for s in stacks)
    gap = 3 * pad if gap is None else gap
    bands = [(len(s) + per_row - 1) // per_row for s in stacks]
    height = sum(b * h + (b - 1) * pad for b in bands) + (len(stacks) - 1) * gap
    width = min(per_row, max(len(s) for s in stacks))
    width = width * w + (width - 1) * pad
    image = np.full((height, width), fill, dtype=np.float32)
    tiles: list[Tile] = []
    top0 = 0
    for layer, (stack, band) in enumerate(zip(stacks, bands)):
        for unit, tile in enumerate(stack):
            top = top0 + (unit // per_row) * (h + pad)
            left = (unit % per_row) * (w + pad)
            th, tw = tile.shape
            image[top:top + th, left:left + tw] = tile[::-1] if flip_rows else tile
            tiles.append(Tile(layer, unit, top, left, th, tw))
        top0 += band * h + (band - 1) * pad + gap
    return image, tiles


def best_units_per_row(counts: Sequence[int], width: float, height: float, label_width: float = 0.0) -> int:
    """How many units per row make the tiles of :func:`tile_layer_rows` largest in a ``width`` × ``height`` area
    (square tiles; each layer starts a new band)."""
    if not counts or width <= 0 or height <= 0:
        return max(counts, default=1)
    best, best_size = 1, 0.0
    # In a narrow view the labels would leave the tiles nothing (every layout scoring 0, one tile per row, a
    # column of specks): count them as at most half of the width.
    across = max(width - label_width, 0.5 * width)
    for per_row in range(1, max(counts) + 1):
        rows = sum((c + per_row - 1) // per_row for c in counts)
        size = min(across / per_row, height / (rows + 0.35 * (len(counts) - 1)))
        if size > best_size:
            best, best_size = per_row, size
    return best
