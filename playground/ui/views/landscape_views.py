"""Loss landscapes and optimizer races, drawn from the records of playground.snapshots.landscape.

``LossLandscapeView`` shows one cost surface (a heatmap with contour lines and a colour bar) with a path on it, or,
for a one-weight model, the cost curve with the path as points. ``OptimizerRaceView`` shows several optimizers'
paths on one surface, each in its colour, animated step by step. Both only draw what they are given and say what
they want through signals: the engine's work happens elsewhere, off the GUI thread.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from playground.snapshots.landscape import CostCurve, LossSurface, OptimizerRace
from playground.viz.colormaps import interpolated_lut

from .base import AXIS_PEN, SnapshotView, plot_widget

# Low loss light, high loss dark slate: every path colour stays visible on it.
SURFACE_STOPS = ("#fbfbfd", "#dfe3ee", "#b3bccf", "#7b87a3", "#4a5570")
CONTOUR_PEN = (40, 40, 60, 110)
CONTOURS = 10
OPTIMIZER_COLORS = {"sgd": "#d55e00", "momentum": "#e69f00", "nesterov": "#cc79a7", "adagrad": "#009e73",
                    "rmsprop": "#0072b2", "adam": "#000000"}
OPTIMIZER_TITLES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
                    "rmsprop": "RMSprop", "adam": "Adam"}
PATH_COLOR = "#d55e00"
PLAY_INTERVAL_MS = 60

LANDSCAPE_CHOICES = (
    ("slice", "Your network: random slice"),
    ("pca", "Your network: its training path"),
    ("linear", "Linear fit ŷ = w·x (1 weight, convex)"),
    ("sigmoid", "Sigmoid unit σ(w·x) (1 weight, not convex)"),
    ("logistic", "Logistic regression (2 weights, convex)"),
    ("tanh", "w₂·tanh(w₁·x) (2 weights, not convex)"),
)
RATE_CHOICES = (("too small", "Learning rate too small"), ("right", "Learning rate about right"),
                ("too large", "Learning rate too large"))
RACE_CHOICES = (("quadratic", "Ill-conditioned bowl"), ("rosenbrock", "Rosenbrock's valley"),
                ("beale", "Beale's function"), ("saddle", "A saddle"), ("network", "Your network (a slice)"))
MODEL_TIP = ("What to draw. Your network: its loss on a plane through the current weights, along two random "
             "directions scaled filter by filter to the weights (Li et al. 2018), or on the plane of the two "
             "directions along which training moved it most (PCA of the saved weights). The small models have one "
             "or two weights, so their cost can be drawn exactly.")
RATE_TIP = ("Gradient descent w ← w − η·∇L. Too small: it crawls. About right: it settles in the valley. Too large: "
            "each step overshoots the valley further than the last.")
LR_TIP = ("η for SGD, momentum and Nesterov: the step is η times the gradient, so it must suit the steepest "
          "direction of the surface.")
ADAPTIVE_TIP = ("η for AdaGrad, RMSprop and Adam: they divide the gradient by a running measure of its size, so η is "
                "roughly the length of a step, whatever the slope.")
MOMENTUM_TIP = ("β for momentum and Nesterov (velocity v ← β·v + ∇L, step −η·v) and Adam's β₁. 0 is plain SGD; "
                "near 1 the ball rolls a long way.")


def surface_lut(n: int = 256) -> np.ndarray:
    return interpolated_lut(SURFACE_STOPS, n)


def shown_values(surface: LossSurface) -> tuple[np.ndarray, str]:
    """What the colours show: the loss, or its logarithm when it spans orders of magnitude (then low losses keep
    their detail instead of all looking alike)."""
    losses = np.asarray(surface.losses, dtype=np.float64)
    finite = losses[np.isfinite(losses)]
    if not surface.log_scale or finite.size == 0:
        return np.nan_to_num(losses, nan=0.0, posinf=float(finite.max()) if finite.size else 0.0), "loss"
    low = float(finite.min())
    # A minimum of exactly zero (Rosenbrock's) has no logarithm: lift everything by a hundredth.
    offset = 0.0 if low > 0 else -low + 0.01
    values = np.log10(np.clip(np.nan_to_num(losses, nan=float(finite.max())) + offset, 1e-300, None))
    return values, "log₁₀ loss" if offset == 0 else f"log₁₀(loss + {offset:.3g})"


def contour_levels(values: np.ndarray, count: int = CONTOURS) -> np.ndarray:
    """Evenly spaced between the lowest value and a high percentile, so a few huge corners do not squeeze every
    line into the valley."""
    low, high = float(values.min()), float(np.percentile(values, 95))
    if high <= low:
        high = low + 1.0
    return np.linspace(low, high, count + 2)[1:-1]


def shade_lut(n: int = 256) -> np.ndarray:
    """Lit slopes a touch whiter, slopes turned away darker, flat ground untouched (transparent)."""
    t = np.linspace(-1.0, 1.0, n)
    lut = np.zeros((n, 4), dtype=np.ubyte)
    lit = t < 0
    lut[lit, :3] = 255
    lut[:, 3] = np.round(np.where(lit, 55 * -t, 65 * t)).astype(np.ubyte)
    return lut


def hill_shade(values: np.ndarray, relief: float = 0.25) -> np.ndarray:
    """How much each grid point faces away from a light in the upper left, in [-1, 1] (negative: lit). The
    values are scaled so that the whole range rises ``relief`` times the grid's width: the same relief for any
    units of loss."""
    span = float(values.max() - values.min())
    if span <= 0 or min(values.shape) < 2:
        return np.zeros_like(values, dtype=np.float64)
    height = (values - values.min()) / span * relief * max(values.shape)
    dz_dy, dz_dx = np.gradient(height)  # rows are y, growing upwards on screen
    light = np.array([-1.0, 1.0]) / np.sqrt(2.0)  # from the left and from above
    facing = -(dz_dx * light[0] + dz_dy * light[1]) / np.sqrt(1.0 + dz_dx ** 2 + dz_dy ** 2)
    shade: np.ndarray = np.clip(-facing, -1.0, 1.0)
    return shade


class SurfacePlot(QWidget):
    """A heatmap of a 2-D grid with contour lines and a colour bar, axes labelled; callers add their paths to
    ``plot``. Items are made once and then only updated."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.widget = plot_widget()
        self.widget.setObjectName(name)
        layout.addWidget(self.widget)
        self.plot = self.widget.getPlotItem()
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        lut = surface_lut()
        self.color_map = pg.ColorMap(np.linspace(0, 1, len(lut)), lut)
        self.image.setLookupTable(lut)
        # Hill shading over the colours: light from the upper left, so slopes read as relief (a 3-D-like surface)
        # while the colours keep the colour bar's meaning.
        self.shade = pg.ImageItem(axisOrder="row-major")
        self.shade.setZValue(-9)
        self.shade.setLookupTable(shade_lut())
        self.shade.setParentItem(self.image)
        self.contours = []
        for _ in range(CONTOURS):
            iso = pg.IsocurveItem(level=0.0, pen=pg.mkPen(CONTOUR_PEN, width=1), axisOrder="row-major")
            iso.setParentItem(self.image)
            iso.setPos(0.5, 0.5)  # the grid's samples are the pixels' centres
            self.contours.append(iso)
        self.color_bar = pg.ColorBarItem(values=(0, 1), colorMap=self.color_map, interactive=False, width=12,
                                         label="loss")
        for axis in ("left", "right"):
            self.color_bar.getAxis(axis).setPen(pg.mkPen(AXIS_PEN))
            self.color_bar.getAxis(axis).setTextPen(pg.mkPen(AXIS_PEN))
        self.color_bar.setImageItem(self.image, insert_in=self.plot)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setZValue(1)

    def set_surface(self, surface: LossSurface) -> tuple[float, float]:
        """Draw ``surface``; returns the colour levels."""
        values, label = shown_values(surface)
        lo, hi = float(values.min()), float(np.percentile(values, 99))
        if hi <= lo:
            hi = lo + 1e-9
        self.image.setImage(values, levels=(lo, hi), autoLevels=False)
        xs, ys = np.asarray(surface.xs), np.asarray(surface.ys)
        dx = (xs[-1] - xs[0]) / max(1, len(xs) - 1)
        dy = (ys[-1] - ys[0]) / max(1, len(ys) - 1)
        self.image.setRect(QRectF(xs[0] - dx / 2, ys[0] - dy / 2, xs[-1] - xs[0] + dx, ys[-1] - ys[0] + dy))
        self.shade.setImage(hill_shade(values), levels=(-1.0, 1.0), autoLevels=False)
        for iso, level in zip(self.contours, contour_levels(values), strict=True):
            iso.setData(values, level=float(level))
        self.color_bar.setLevels((lo, hi))
        self.color_bar.getAxis("left").setLabel(label)
        self.plot.setLabel("bottom", surface.x_label)
        self.plot.setLabel("left", surface.y_label)
        self.plot.setXRange(xs[0] - dx / 2, xs[-1] + dx / 2, padding=0)
        self.plot.setYRange(ys[0] - dy / 2, ys[-1] + dy / 2, padding=0)
        return lo, hi

    def set_surface_visible(self, visible: bool) -> None:
        self.image.setVisible(visible)
        self.shade.setVisible(visible)
        self.color_bar.setVisible(visible)


class PathPlayer(QWidget):
    """Play, pause and step through the steps of a path (or a race); ``position`` says which step to show."""

    position_changed = Signal(int)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName(f"{name}Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Animate the steps, one every few hundredths of a second")
        self.back_button = QPushButton("◀")
        self.back_button.setObjectName(f"{name}Back")
        self.back_button.setToolTip("One step back")
        self.step_button = QPushButton("Step ▶")
        self.step_button.setObjectName(f"{name}Step")
        self.step_button.setToolTip("One step forward")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(f"{name}Slider")
        self.slider.setToolTip("Which step to show: drag to scrub")
        self.label = QLabel()
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("step 000 / 000 "))
        for w in (self.play_button, self.back_button, self.step_button):
            row.addWidget(w)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        self._timer = QTimer(self)
        self._timer.setInterval(PLAY_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self.play_button.toggled.connect(self._toggled)
        self.step_button.clicked.connect(lambda: self.set_position(self.position + 1))
        self.back_button.clicked.connect(lambda: self.set_position(self.position - 1))
        self.slider.valueChanged.connect(self._slid)
        self.set_steps(0)

    @property
    def position(self) -> int:
        return int(self.slider.value())

    @property
    def steps(self) -> int:
        return int(self.slider.maximum())

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def set_steps(self, steps: int, position: int | None = None) -> None:
        """A new path of ``steps`` steps; shows ``position`` (the last step when None)."""
        self.slider.blockSignals(True)
        self.slider.setMaximum(max(0, steps))
        self.slider.setValue(max(0, steps) if position is None else min(position, max(0, steps)))
        self.slider.blockSignals(False)
        self._show()

    def set_position(self, position: int) -> None:
        self.slider.setValue(max(0, min(position, self.steps)))

    def _slid(self, _value: int) -> None:
        self._show()

    def _show(self) -> None:
        self.label.setText(f"step {self.position} / {self.steps}")
        self.position_changed.emit(self.position)

    def _toggled(self, on: bool) -> None:
        if on:
            if self.position >= self.steps:
                self.set_position(0)
            self._timer.start()
        else:
            self._timer.stop()
        self.play_button.setText("Pause" if on else "Play")

    def _tick(self) -> None:
        if self.position >= self.steps:
            self.play_button.setChecked(False)
            return
        self.set_position(self.position + 1)


def _combo(name: str, choices: tuple[tuple[str, str], ...], tip: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setToolTip(tip)
    for key, text in choices:
        combo.addItem(text, key)
    return combo


def _spin(name: str, low: float, high: float, step: float, decimals: int, value: float, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setObjectName(name)
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setToolTip(tip)
    spin.setKeyboardTracking(False)  # typing "0.05" must not start races for 0, 0.0 and 0.05
    return spin


class LossLandscapeView(SnapshotView):
    """The cost surface of the open lab's network (a slice through its weights) or of a small model, with the
    optimizer's path on it. ``request_changed`` carries what to compute: {"model": key, "rate": preset}."""

    title = "Loss landscape"
    request_changed = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossLandscapeView")
        self.caption.setWordWrap(True)  # the note explains the picture: a cut sentence would hide its point
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.model_combo = _combo("landscapeModel", LANDSCAPE_CHOICES, MODEL_TIP)
        self.rate_combo = _combo("landscapeRate", RATE_CHOICES, RATE_TIP)
        self.rate_combo.setCurrentIndex(1)
        row.addWidget(QLabel("Show"))
        row.addWidget(self.model_combo, 1)
        row.addWidget(self.rate_combo)
        self.controls_layout.addLayout(row)
        self.surface_plot = SurfacePlot("landscapePlot")
        plot = self.surface_plot.plot
        self.curve = plot.plot(pen=pg.mkPen("#4a5570", width=2))
        self.path_line = plot.plot(pen=pg.mkPen(PATH_COLOR, width=2))
        self.path_points = pg.ScatterPlotItem(size=7, brush=pg.mkBrush(PATH_COLOR), pen=pg.mkPen("w", width=1))
        self.head = pg.ScatterPlotItem(size=13, symbol="o", brush=pg.mkBrush(PATH_COLOR), pen=pg.mkPen("k", width=1.5))
        self.start = pg.ScatterPlotItem(size=12, symbol="s", brush=pg.mkBrush("w"), pen=pg.mkPen("k", width=1.5))
        self.minimum = pg.ScatterPlotItem(size=16, symbol="star", brush=pg.mkBrush("#ffd400"), pen=pg.mkPen("k"))
        for item in (self.path_points, self.start, self.minimum, self.head):
            plot.addItem(item)
        self.content_layout.addWidget(self.surface_plot, 1)
        self.player = PathPlayer("landscapePlayer")
        self.content_layout.addWidget(self.player)
        self._path = np.zeros((0, 2))
        self._path_losses = np.zeros(0)
        self._one_weight = False
        self.model_combo.currentIndexChanged.connect(self._changed)
        self.rate_combo.currentIndexChanged.connect(self._changed)
        self.player.position_changed.connect(self._show_step)
        self.show_empty("Computing the loss landscape…")

    @property
    def request(self) -> dict[str, str]:
        return {"model": str(self.model_combo.currentData()), "rate": str(self.rate_combo.currentData())}

    def _changed(self, *_args: object) -> None:
        self.rate_combo.setEnabled(self.request["model"] not in ("slice", "pca"))
        self.request_changed.emit(self.request)

    def show_snapshot(self, snapshot: Any) -> None:
        if isinstance(snapshot, CostCurve):
            self.show_curve(snapshot)
        elif isinstance(snapshot, LossSurface):
            self.show_surface(snapshot)

    def show_curve(self, curve: CostCurve) -> None:
        """A one-weight model: its cost curve, and the path as points on it."""
        self._one_weight = True
        self.surface_plot.set_surface_visible(False)
        for iso in self.surface_plot.contours:
            iso.setVisible(False)
        plot = self.surface_plot.plot
        plot.setLabel("bottom", f"weight {curve.weight_label}")
        plot.setLabel("left", "cost (mean squared error)")
        self.curve.setData(curve.weights, curve.losses)
        self.minimum.setData([curve.minimum], [float(np.min(curve.losses))])
        self._path = np.column_stack([curve.path_weights, curve.path_losses])
        self._path_losses = np.asarray(curve.path_losses)
        self.start.setData(self._path[:1, 0], self._path[:1, 1])
        low, high = float(np.min(curve.losses)), float(np.percentile(curve.losses, 98))
        plot.setXRange(float(curve.weights[0]), float(curve.weights[-1]), padding=0.02)
        plot.setYRange(low - 0.04 * (high - low), high + 0.05 * (high - low), padding=0)
        kind = "convex" if curve.convex else "not convex"
        self.set_caption(f"{curve.title} ({kind}); η = {curve.learning_rate:.3g}. {curve.note}")
        self.player.set_steps(len(self._path) - 1)
        self.show_content()

    def show_surface(self, surface: LossSurface) -> None:
        """A two-weight model or a slice of the network: heatmap, contours, colour bar and the path."""
        self._one_weight = False
        self.curve.setData([], [])
        self.surface_plot.set_surface_visible(True)
        for iso in self.surface_plot.contours:
            iso.setVisible(True)
        self.surface_plot.set_surface(surface)
        if surface.minimum is not None:
            self.minimum.setData([surface.minimum[0]], [surface.minimum[1]])
        else:
            self.minimum.setData([], [])
        self._path = np.asarray(surface.path, dtype=np.float64).reshape(-1, 2)
        self._path_losses = np.asarray(surface.path_losses)
        self.start.setData(self._path[:1, 0], self._path[:1, 1])
        caption = surface.title
        if surface.kind == "exact":
            caption += f" ({'convex' if surface.convex else 'not convex'}); η = {surface.learning_rate:.3g}"
        self.set_caption(f"{caption}. {surface.note}")
        self.player.set_steps(max(0, len(self._path) - 1))
        self.show_content()

    def _show_step(self, position: int) -> None:
        shown = self._path[: position + 1]
        self.path_line.setData(shown[:, 0], shown[:, 1])
        self.path_points.setData(shown[:, 0], shown[:, 1])
        if len(shown):
            self.head.setData(shown[-1:, 0], shown[-1:, 1])
            if position < len(self._path_losses):
                self.head.setToolTip(f"step {position}: loss {self._path_losses[position]:.4g}")
        else:
            self.head.setData([], [])


class OptimizerRaceView(SnapshotView):
    """Six optimizers from one start on one surface, each path in its own colour, animated step by step.
    ``race_requested`` carries the settings of the race to run: function, rates and momentum."""

    title = "Optimizer race"
    race_requested = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("optimizerRaceView")
        self.caption.setWordWrap(True)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.function_combo = _combo("raceFunction", RACE_CHOICES, "The surface the optimizers race on")
        row.addWidget(self.function_combo, 1)
        self.lr_spin = _spin("raceLearningRate", 0.0001, 1.0, 0.001, 4, 0.02, LR_TIP)
        self.adaptive_spin = _spin("raceAdaptiveRate", 0.0001, 1.0, 0.01, 4, 0.2, ADAPTIVE_TIP)
        self.momentum_spin = _spin("raceMomentum", 0.0, 0.99, 0.05, 2, 0.9, MOMENTUM_TIP)
        for text, spin in (("η SGD", self.lr_spin), ("η adaptive", self.adaptive_spin), ("β", self.momentum_spin)):
            label = QLabel(text)
            label.setToolTip(spin.toolTip())
            row.addWidget(label)
            row.addWidget(spin)
        self.controls_layout.addLayout(row)
        self.surface_plot = SurfacePlot("racePlot")
        plot = self.surface_plot.plot
        self.lines: dict[str, pg.PlotDataItem] = {}
        self.heads: dict[str, pg.ScatterPlotItem] = {}
        for name, color in OPTIMIZER_COLORS.items():
            self.lines[name] = plot.plot(pen=pg.mkPen(color, width=2.5))
            head = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(color), pen=pg.mkPen("w", width=1.5))
            plot.addItem(head)
            self.heads[name] = head
        self.start = pg.ScatterPlotItem(size=12, symbol="s", brush=pg.mkBrush("w"), pen=pg.mkPen("k", width=1.5))
        self.minimum = pg.ScatterPlotItem(size=16, symbol="star", brush=pg.mkBrush("#ffd400"), pen=pg.mkPen("k"))
        plot.addItem(self.start)
        plot.addItem(self.minimum)
        self.content_layout.addWidget(self.surface_plot, 1)
        # The legend sits under the plot, not on it: inside, it would hide the start or the valley of some surface.
        self.legend = QWidget()
        self.legend.setObjectName("raceLegend")
        legend_grid = QGridLayout(self.legend)
        legend_grid.setContentsMargins(0, 0, 0, 0)
        legend_grid.setHorizontalSpacing(12)
        legend_grid.setVerticalSpacing(0)
        self.legend_labels: dict[str, QLabel] = {}
        for i, name in enumerate(OPTIMIZER_COLORS):  # two rows of three: six entries in one row get cut
            label = QLabel()
            label.setObjectName(f"raceLegend_{name}")
            label.setTextFormat(Qt.TextFormat.RichText)
            self.legend_labels[name] = label
            legend_grid.addWidget(label, i // 3, i % 3)
        self.content_layout.addWidget(self.legend)
        self.player = PathPlayer("racePlayer")
        self.content_layout.addWidget(self.player)
        self.race: OptimizerRace | None = None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(lambda: self.race_requested.emit(self.settings))
        self.function_combo.currentIndexChanged.connect(self._function_changed)
        for spin in (self.lr_spin, self.adaptive_spin, self.momentum_spin):
            spin.valueChanged.connect(lambda _v: self._debounce.start())
        self.player.position_changed.connect(self._show_step)
        self.show_empty("Computing the race…")

    @property
    def settings(self) -> dict[str, Any]:
        return {"function": str(self.function_combo.currentData()), "learning_rate": self.lr_spin.value(),
                "adaptive_rate": self.adaptive_spin.value(), "momentum": self.momentum_spin.value()}

    def set_rates(self, learning_rate: float, adaptive_rate: float) -> None:
        """Suitable rates for a newly chosen surface, without starting a race for each spin box."""
        for spin, value in ((self.lr_spin, learning_rate), (self.adaptive_spin, adaptive_rate)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)

    def _function_changed(self, *_args: object) -> None:
        # Straight away: the presenter answers with the function's own rates, and the race on them.
        self.race_requested.emit({**self.settings, "new_function": True})

    def show_snapshot(self, snapshot: Any) -> None:
        if isinstance(snapshot, OptimizerRace):
            self.show_race(snapshot)

    def show_race(self, race: OptimizerRace) -> None:
        self.race = race
        self.surface_plot.set_surface(race.surface)
        if race.surface.minimum is not None:
            self.minimum.setData([race.surface.minimum[0]], [race.surface.minimum[1]])
        else:
            self.minimum.setData([], [])
        self.start.setData([race.start[0]], [race.start[1]])
        raced = {p.name for p in race.paths}
        for name in OPTIMIZER_COLORS:
            self.lines[name].setVisible(name in raced)
            self.heads[name].setVisible(name in raced)
        for name, label in self.legend_labels.items():
            label.setVisible(name in raced)
        self.set_caption(f"{race.surface.title}: {race.surface.note}")
        self.player.set_steps(race.steps, position=self.player.position if self.player.playing else None)
        self.show_content()

    def _show_step(self, position: int) -> None:
        if self.race is None:
            return
        for path in self.race.paths:
            shown = np.asarray(path.points)[: position + 1]
            self.lines[path.name].setData(shown[:, 0], shown[:, 1])
            self.heads[path.name].setData(shown[-1:, 0], shown[-1:, 1])
            self.heads[path.name].setToolTip(f"{path.title}, step {min(position, path.steps)}: "
                                             f"loss {path.losses[min(position, path.steps)]:.4g}")
            self._legend_entry(path, position)

    def _legend_entry(self, path: Any, position: int) -> None:
        label = self.legend_labels.get(path.name)
        if label is None:
            return
        loss = float(path.losses[min(position, path.steps)])
        state = " ✗ diverged" if path.diverged and position >= path.steps else ""
        label.setText(f'<span style="color:{OPTIMIZER_COLORS[path.name]}; font-size:15px">■</span> '
                      f"{path.title} <span style='color:#666'>{loss:.3g}{state}</span>")
        label.setToolTip(f"{path.title}: η = {path.learning_rate:.3g}; loss {loss:.4g} at step "
                         f"{min(position, path.steps)}{' (diverged: its steps grew without bound)' if state else ''}")

    def standings(self, position: int | None = None) -> list[tuple[str, float]]:
        """Each optimizer's loss at ``position`` (the shown step by default), best first."""
        if self.race is None:
            return []
        step = self.player.position if position is None else position
        rows = [(p.title, float(p.losses[min(step, p.steps)])) for p in self.race.paths]
        return sorted(rows, key=lambda r: r[1])


