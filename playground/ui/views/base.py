"""What every live view shares: duck-typed snapshot access, an empty-state page, a caption, plot styling."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QStackedLayout, QVBoxLayout, QWidget

from playground.snapshots import ProbeResults, Record

from .elided_label import ElidedLabel

PRESS_PLAY = "Press Play to train: this view fills in as the network learns."
NEEDS_PLANE = ("This view needs a 2-D dataset (spiral, circle, xor, ...): it draws the network over the input "
               "plane.")

R = TypeVar("R", bound=Record)

AXIS_PEN = "#555555"
GRID_ALPHA = 0.15


def attr(snapshot: Any, name: str, default: Any = None) -> Any:
    """A snapshot attribute, or ``default`` when an older or partial snapshot lacks it."""
    value = getattr(snapshot, name, default)
    return default if value is None else value


def class_names(snapshot: Any) -> list[str]:
    """The snapshot's class names: ``class_names`` if it has them, else 0..classes-1 from the ``classes`` count
    (an int), or the items of ``classes`` if it is a sequence."""
    names = getattr(snapshot, "class_names", None)
    if names:
        return [str(n) for n in names]
    classes = getattr(snapshot, "classes", None)
    if isinstance(classes, (int, np.integer)):
        return [str(c) for c in range(int(classes))]
    try:
        return [str(c) for c in (classes or [])]
    except TypeError:
        return []


def probe(snapshot: Any, kind: type[R]) -> R | None:
    """The snapshot's record of one probe kind, or None when the engine sent none (or the snapshot has none)."""
    probes = getattr(snapshot, "probes", None)
    return probes.get(kind) if isinstance(probes, ProbeResults) else None


def has_probes(snapshot: Any) -> bool:
    """Whether the snapshot carries any probe record at all (the run has drawn something for some view)."""
    probes = getattr(snapshot, "probes", None)
    return isinstance(probes, ProbeResults) and len(probes) > 0


def mapping(snapshot: Any, name: str) -> Mapping[str, Any]:
    value = getattr(snapshot, name, None)
    return value if isinstance(value, Mapping) else {}


def array(source: Mapping[str, Any], key: str) -> np.ndarray | None:
    """``source[key]`` as a numpy array, or None if missing or empty."""
    value = source.get(key)
    if value is None:
        return None
    a = np.asarray(value)
    return a if a.size else None


class LegibleAxis(pg.AxisItem):
    """An axis whose labels never overprint: pyqtgraph labels every major tick however short the axis is (1000
    2000 3000 on top of one another in a plot 40 pixels high). Here every k-th is labelled, k as small as the room
    allows; the others stay as unlabelled ticks."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> Any:
        return thin_levels(self, super().tickValues(minVal, maxVal, size), minVal, maxVal, size)

    def generateDrawSpecs(self, p: Any) -> Any:
        """Ticks the view set itself (a character under each step) are thinned the same way, by their text."""
        given: list[list[tuple[float, str]]] | None = getattr(self, "_tickLevels", None)
        if not given or not given[0] or self.range[0] == self.range[1]:
            return super().generateDrawSpecs(p)
        vertical = self.orientation in ("left", "right")
        size = self.boundingRect().height() if vertical else self.boundingRect().width()
        per_unit = size / abs(self.range[1] - self.range[0])
        metrics = QFontMetricsF(self.style["tickFont"] or self.font())
        kept: list[tuple[float, str]] = []
        for value, text in sorted(given[0]):
            extent = metrics.height() if vertical else metrics.horizontalAdvance(text)
            if kept:
                last = metrics.height() if vertical else metrics.horizontalAdvance(kept[-1][1])
                if (value - kept[-1][0]) * per_unit < (extent + last) / 2 + 6:
                    continue
            kept.append((value, text))
        self._tickLevels = [kept, *given[1:]]
        try:
            return super().generateDrawSpecs(p)
        finally:
            self._tickLevels = given


def thin_levels(axis: pg.AxisItem, levels: Any, minVal: float, maxVal: float, size: float) -> Any:
    """``levels`` of ``axis`` with its labelled (first) level thinned to every k-th tick, k as small as the room
    allows; the others go down a level, as ticks without labels."""
    minVal, maxVal = sorted((minVal, maxVal))  # an inverted axis (a matrix, row 0 on top) runs high to low
    if axis.logMode or not levels or size <= 0 or maxVal <= minVal:
        return levels
    spacing, values = levels[0]
    values = sorted(values)
    if len(values) < 2:
        return levels
    strings = axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)
    metrics = QFontMetricsF(axis.style["tickFont"] or axis.font())
    vertical = axis.orientation in ("left", "right")
    need = (metrics.height() if vertical else max(metrics.horizontalAdvance(s) for s in strings)) + 6
    step = (values[1] - values[0]) / (maxVal - minVal) * size
    every = max(1, math.ceil(need / max(step, 1e-9)))
    if every == 1:
        return levels
    # Keep a round value (0, 1000, ...) among the labelled ones where there is one.
    big = spacing * every
    start = next((i for i, v in enumerate(values[:every]) if abs(v / big - round(v / big)) < 1e-6), 0)
    kept = values[start::every]
    rest = [v for v in values if v not in kept] + [v for _s, vs in levels[1:] for v in vs]
    return [(big, kept), (spacing, rest)]


def style_plot(plot: pg.PlotItem, x_label: str = "", y_label: str = "") -> None:
    """Light theme, readable axes (the views sit next to the editor, not in a dark oscilloscope)."""
    plain = {name: LegibleAxis(name) for name in ("left", "bottom") if type(plot.getAxis(name)) is pg.AxisItem}
    if plain:
        plot.setAxisItems(plain)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(AXIS_PEN))
        axis.setTextPen(pg.mkPen(AXIS_PEN))
        # "(x0.001)" beside a label confuses learners (and is wrong on log axes): show plain numbers.
        axis.enableAutoSIPrefix(False)
    if x_label:
        plot.setLabel("bottom", x_label)
    if y_label:
        plot.setLabel("left", y_label)


def plot_widget() -> pg.PlotWidget:
    w = pg.PlotWidget(background="w")
    style_plot(w.getPlotItem())
    return w


def plane_plot(name: str, lut: np.ndarray) -> tuple[pg.PlotWidget, pg.PlotItem, pg.ImageItem]:
    """A fixed, square view of the input plane (x₁ right, x₂ up) with an image under everything else: the
    output of a classifier, or a discriminator's D(x)."""
    widget = plot_widget()
    widget.setObjectName(name)
    item = widget.getPlotItem()
    item.setLabel("bottom", "x₁")
    item.setLabel("left", "x₂")
    item.setAspectLocked(True)
    item.setMouseEnabled(x=False, y=False)
    item.hideButtons()
    item.setMenuEnabled(False)
    image = pg.ImageItem(axisOrder="row-major")
    image.setLookupTable(lut)
    image.setZValue(-10)
    item.addItem(image)
    return widget, item, image


def colour_bar(lut: np.ndarray, levels: tuple[float, float], label: str, width: int = 12,
               horizontal: bool = False) -> pg.ColorBarItem:
    """A colour legend of ``lut`` from ``levels[0]`` to ``levels[1]``, named by what the colours mean. Fixed (no
    dragging): it explains the picture, it does not change it. ``horizontal`` for a narrow view, under it."""
    cmap = pg.ColorMap(np.linspace(0.0, 1.0, len(lut)), lut)
    bar = pg.ColorBarItem(values=levels, colorMap=cmap, interactive=False, width=width, colorMapMenu=False,
                          orientation="horizontal" if horizontal else "vertical")
    for name in ("left", "right", "top", "bottom"):
        axis = bar.getAxis(name)
        axis.setPen(pg.mkPen(AXIS_PEN))
        axis.setTextPen(pg.mkPen(AXIS_PEN))
        axis.enableAutoSIPrefix(False)
    if not horizontal:
        bar.axis.setWidth(None)  # as wide as its values and label need ("-0.0123" was cut at the fixed 45 px)
    plain = bar.axis.tickValues  # a short bar printed 1.0 0.5 0 -0.5 -1.0 over one another
    setattr(bar.axis, "tickValues",  # noqa: B010 - an instance's method, replaced for this axis alone
            lambda low, high, size: thin_levels(bar.axis, plain(low, high, size), low, high, size))
    set_bar_label(bar, label)
    return bar


def set_bar_label(bar: pg.ColorBarItem, label: str) -> None:
    """What a colour bar's colours mean, beside its values."""
    if bar.axis.labelText != label:
        bar.axis.setLabel(label)


def plot_colour_bar(plot: pg.PlotItem, lut: np.ndarray, levels: tuple[float, float], label: str,
                    below: bool = False) -> pg.ColorBarItem:
    """A colour bar at the right of a plot (or ``below`` it, for a narrow one), outside its axes, so it never
    covers the picture."""
    bar = colour_bar(lut, levels, label, width=8 if below else 12, horizontal=below)
    if below:
        plot.layout.addItem(bar, 4, 1)
    else:
        plot.layout.addItem(bar, 2, 5)
    return bar


def set_bar_levels(bar: pg.ColorBarItem, levels: tuple[float, float]) -> None:
    """New values for a colour bar, only when they changed (a relabelled axis re-lays out the plot)."""
    lo, hi = float(levels[0]), float(levels[1])
    if hi <= lo:
        hi = lo + 1e-9
    if tuple(bar.levels()) != (lo, hi):
        bar.setLevels((lo, hi))


class SnapshotView(QWidget):
    """Base of the live views: a caption line on top, and either the content or an empty-state message."""

    probes: tuple[str, ...] = ()
    title = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(4)
        self.caption = ElidedLabel("")
        self.caption.setObjectName("viewCaption")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setStyleSheet("color: #333;")
        # A long caption must never widen the dock (and with it the window): it drops its last phrases or ends in
        # "…", and the tooltip has it all.
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.caption.setMinimumWidth(1)
        self.controls = QWidget()
        self.controls_layout = QVBoxLayout(self.controls)
        self.controls_layout.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.controls)
        outer.addWidget(self.caption)
        self._stack_host = QWidget()
        self._stack = QStackedLayout(self._stack_host)
        self.content = QWidget()
        self.content_layout = QVBoxLayout(self.content)
        self.content_layout.setContentsMargins(0, 0, 0, 0)
        self.empty_label = QLabel(PRESS_PLAY)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: #777; font-size: 13px; padding: 16px;")
        self._stack.addWidget(self.content)
        self._stack.addWidget(self.empty_label)
        outer.addWidget(self._stack_host, 1)
        self._caption_text = ""
        self.show_empty(PRESS_PLAY)

    def add_layer_row(self, name: str, tip: str) -> tuple[QHBoxLayout, QComboBox]:
        """The controls row most views start with: "Layer" and a chooser. Callers add their own widgets and the
        closing stretch to the returned row."""
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Layer"))
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setToolTip(tip)
        # As wide as its longest layer name ("discriminator: conv_1" was cut to "discrimir").
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        row.addWidget(combo)
        self.controls_layout.addLayout(row)
        return row, combo

    # Empty state ----------------------------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return self._stack.currentWidget() is self.empty_label

    @property
    def empty_message(self) -> str:
        return self.empty_label.text() if self.is_empty else ""

    def show_empty(self, message: str) -> None:
        if self.empty_label.text() != message:
            self.empty_label.setText(message)
        if not self.is_empty:
            self._stack.setCurrentWidget(self.empty_label)

    def show_content(self) -> None:
        if self.is_empty:
            self._stack.setCurrentWidget(self.content)

    def set_caption(self, text: str) -> None:
        # setText re-lays out the label; skip it when nothing changed (most snapshots within an epoch).
        if text != self._caption_text:
            self._caption_text = text
            self.caption.setText(text)
            self.caption.setToolTip(text)

    # Introspection for tests and the benchmark -------------------------------------------------------------

    def graphics_item_count(self) -> int:
        """How many graphics items all of this view's scenes hold (a redraw must not add any)."""
        return sum(len(v.scene().items()) for v in self.findChildren(pg.GraphicsView))

    def show_snapshot(self, snapshot: Any) -> None:  # pragma: no cover - every view overrides
        raise NotImplementedError
