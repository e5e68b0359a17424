"""Where the feature-map view puts each layer: one column per layer, left to right as the data flows, each column a
grid of that layer's maps (or a bar of its units), every map as large as the view allows and never under a size a
student can read (CNN Explainer's layout). Pure arithmetic in screen pixels, so it is tested without drawing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from playground.graph.catalog import KINDS

# Layers that only change values element by element (or, for Flatten, only the shape): drawn in the column of the
# layer before them, so a deep network still fits the dock. Matched by the default name's prefix ("relu_3").
FOLDABLE = frozenset({kind.prefix for kind in KINDS.values()
                      if kind.category in ("Activations", "Normalization & regularization")} | {"flatten"})

MIN_CELL = 28  # a map smaller than this on screen is a blur of colour, not a picture of where the filter fired
MAX_CELL = 160


def name_prefix(name: str) -> str:
    """``relu`` for ``relu_3``; the last part after a colon for a network's layer (``discriminator: relu_1``)."""
    base = name.rsplit(":", 1)[-1].strip()
    head, _sep, tail = base.rpartition("_")
    return head.lower() if head and tail.isdigit() else base.lower()


def fold_groups(names: Sequence[str], shapes: Sequence[tuple[int, ...]], fold: bool) -> list[tuple[int, ...]]:
    """The layers grouped into columns: each group is drawn as one column showing its last layer's output. With
    ``fold`` an element-wise layer joins the column before it when it keeps that layer's shape (a Flatten: its
    size); the first layer (the input) never takes another in."""
    groups: list[list[int]] = []
    for i, (name, shape) in enumerate(zip(names, shapes)):
        if fold and len(groups) > 1 and name_prefix(name) in FOLDABLE:
            before = shapes[groups[-1][-1]]
            if shape == before or (name_prefix(name) == "flatten" and math.prod(shape) == math.prod(before)):
                groups[-1].append(i)
                continue
        groups.append([i])
    return [tuple(g) for g in groups]


def shown_layer(group: Sequence[int], names: Sequence[str]) -> int:
    """The layer a column draws: its last, unless that is a Flatten (the same values, no longer as maps)."""
    kept = [i for i in group if name_prefix(names[i]) != "flatten"] or list(group)
    return kept[-1]


@dataclass(frozen=True)
class ColumnPlan:
    """One column: ``count`` maps in a ``rows`` x ``cols`` grid of ``cell``-pixel squares (``is_image``), or a bar of
    ``count`` units; ``left`` and ``width`` are the column's slot (label included), ``content`` the drawn part."""

    count: int
    is_image: bool
    left: float
    width: float
    rows: int
    cols: int
    content_left: float
    content_top: float
    content_width: float
    content_height: float

    def map_rect(self, k: int, cell: int, pad: int) -> tuple[int, int]:
        """Top-left pixel (top, left) of map ``k``, row by row."""
        r, c = divmod(k, self.cols)
        return int(self.content_top) + r * (cell + pad), int(self.content_left) + c * (cell + pad)


@dataclass(frozen=True)
class FlowPlan:
    cell: int
    columns: tuple[ColumnPlan, ...]
    width: float  # the whole flow; wider than the view means it scrolls
    height: float


def grid_shape(count: int, rows_fit: int) -> tuple[int, int]:
    """(rows, cols) for ``count`` maps in at most ``rows_fit`` rows, as few columns as that allows and then as few
    rows (6 maps in room for 4 rows: 3 x 2, not 4 + 2)."""
    rows = max(1, min(count, rows_fit))
    cols = math.ceil(count / rows)
    return math.ceil(count / cols), cols


def plan_flow(columns: Sequence[tuple[int, bool]], width: float, height: float, *, top: float,
              min_cell: int = MIN_CELL, max_cell: int = MAX_CELL, pad: int = 3, gap: int = 6,
              label_width: int = 50, label_widths: Sequence[float] = (), strip_width: int = 16,
              unit_height: int = 14) -> FlowPlan:
    """Lay out ``columns`` (each: its count of maps or units, and whether they are maps) in a view ``width`` x
    ``height`` pixels, the labels taking the ``top`` pixels: the largest map size from ``max_cell`` down to
    ``min_cell`` at which the whole flow fits the width; at ``min_cell`` when nothing fits (the view scrolls).

    Each column is at least as wide as its label wants (``label_widths``, else ``label_width``); where that does
    not fit even at ``min_cell``, labels get ``label_width`` (and are elided) before the view scrolls."""
    room = max(1.0, height - top - 2)
    biggest = max(min_cell, min(max_cell, int(room)))
    wants = [float(w) for w in label_widths] if len(label_widths) == len(columns) else []
    for labels in ([max(w, label_width) for w in wants], [float(label_width)] * len(columns)) if wants else \
            ([float(label_width)] * len(columns),):
        for cell in range(biggest, min_cell - 1, -1):
            plan = _plan(columns, cell, room, top, pad, gap, labels, strip_width, unit_height)
            if plan.width <= width:
                return plan
    return _plan(columns, min_cell, room, top, pad, gap, [float(label_width)] * len(columns), strip_width,
                 unit_height)


def _plan(columns: Sequence[tuple[int, bool]], cell: int, room: float, top: float, pad: int, gap: int,
          label_widths: Sequence[float], strip_width: int, unit_height: int) -> FlowPlan:
    rows_fit = max(1, int((room + pad) // (cell + pad)))
    planned: list[ColumnPlan] = []
    left = 0.0
    for (count, is_image), label_width in zip(columns, label_widths):
        if is_image:
            rows, cols = grid_shape(count, rows_fit)
            content_w = float(cols * (cell + pad) - pad)
            content_h = float(rows * (cell + pad) - pad)
        else:
            rows, cols = count, 1
            content_w = float(strip_width)
            content_h = float(min(room, max(cell, count * unit_height)))
        slot = max(content_w, label_width)
        content_left = float(round(left + (slot - content_w) / 2))
        content_top = float(round(top + (room - content_h) / 2))
        planned.append(ColumnPlan(count, is_image, left, slot, rows, cols, content_left, content_top, content_w,
                                  content_h))
        left += slot + gap
    return FlowPlan(cell, tuple(planned), max(0.0, left - gap), top + room)
