"""Views of generative adversarial networks, as in GAN Lab: the 2-D plane (the discriminator's output as a heatmap,
real and generated points, the generator's image of a grid of the noise space, and a target you can draw), the
samples of a GAN on digits, and the curves of the contest, with the controls that make it one: k discriminator
steps per generator step, the discriminator's learning rate, and freezing either network.

They read the records ``GanPlane``, ``GanSamples`` and ``GanSettings`` of :mod:`playground.snapshots` and
the history columns ``train_d_loss``, ``train_g_loss``, ``train_d_real``, ``train_d_fake``.
"""

from __future__ import annotations

import time
from typing import Any, cast

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from playground.snapshots import GanPlane, GanSamples, GanSettings
from playground.viz.colormaps import interpolated_lut
from playground.viz.tiling import tile_grid

from .base import PRESS_PLAY, SnapshotView, array, attr, has_probes, mapping, plane_plot, plot_colour_bar, probe
from .curves import arrange_pair, corner_legend, curve_plot
from .filters import image_box
from .view_spec import ViewSpec

GAN_TASKS = ("gan",)
# The targets of playground.data.gan2d (the ui may not import data/; a test holds the two lists equal).
TARGETS: tuple[tuple[str, str], ...] = (
    ("ring", "Ring"), ("two_gaussians", "Two Gaussians"), ("spiral_arm", "Spiral"), ("line", "Line"),
    ("drawn", "Draw your own"),
)
MIN_DRAWN_POINTS = 3
DRAW_SPACING = 0.06  # plane units between points laid down by a drag
# GAN Lab's colours: green for real, purple for fake; the heatmap runs from purple (D says fake) to green (real).
REAL_COLOR = "#1b9e5a"
FAKE_COLOR = "#8e44ad"
DRAWN_COLOR = "#222222"
CURVE_AXIS_WIDTH = 48
D_LUT = interpolated_lut(["#b48fd0", "#f7f7f7", "#8fd6a8"])
GREY_LUT = np.stack([np.linspace(255, 0, 256)] * 3 + [np.full(256, 255)], axis=1).astype(np.uint8)
FREEZE = (("none", "Train both"), ("generator", "Freeze generator (train D only)"),
          ("discriminator", "Freeze discriminator (train G only)"))
_PENDING_SECONDS = 2.0  # snapshots in flight still carry the old value for a moment after a change


def _lines_with_gaps(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L, P, 2) polylines as one x, y pair with NaN between lines, for one PlotDataItem(connect="finite")."""
    n, p, _ = lines.shape
    padded = np.full((n, p + 1, 2), np.nan, dtype=np.float64)
    padded[:, :p] = lines
    flat = padded.reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


class _Pending:
    """A value the user just chose: the run's snapshots may lag behind it for a moment (or, ``sticky``, until
    the run reports it)."""

    def __init__(self) -> None:
        self.value: Any = None
        self.since = 0.0
        self.sticky = False

    def set(self, value: Any, sticky: bool = False) -> None:
        self.value, self.since, self.sticky = value, time.monotonic(), sticky

    def blocks(self, reported: Any) -> bool:
        """Whether a reported value should be ignored because the user's choice is still on its way."""
        if self.value is None:
            return False
        if reported == self.value:
            self.value = None
            return False
        if self.sticky or time.monotonic() - self.since < _PENDING_SECONDS:
            return True
        self.value = None
        return False


class GanPlaneView(SnapshotView):
    """The plane of a 2-D GAN: D(x) as a heatmap (green: looks real, purple: looks fake), real points (green),
    generated points from fixed noise (purple), the generator's image of a grid of the noise space (grey warped
    grid), and, for each shown fake, the direction the generator's gradient pushes it.

    Reads the ``GanPlane`` record and ``metrics``. The target chooser emits ``dataset_changed`` ({"name": ...});
    with "Draw your own", clicks and drags on the plane lay down points, and each finished stroke emits
    ``dataset_changed`` with {"name": "drawn", "options": {"points": [[x, y], ...]}}.
    """

    probes: tuple[str, ...] = ("gan_plane",)
    title = "GAN plane"
    dataset_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ganPlaneView")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Target"))
        self.target_combo = QComboBox()
        self.target_combo.setObjectName("ganTarget")
        for name, title in TARGETS:
            self.target_combo.addItem(title, name)
        self.target_combo.setToolTip("The distribution the generator must learn to imitate. 'Draw your own': click "
                                     "or drag on the plane to draw it; every finished stroke updates the data.")
        self.target_combo.activated.connect(self._on_target)
        row.addWidget(self.target_combo)
        self.clear_button = QPushButton("Clear drawing")
        self.clear_button.setObjectName("clearDrawing")
        self.clear_button.setToolTip("Forget the drawn points and start a new drawing.")
        self.clear_button.clicked.connect(self.clear_drawing)
        self.clear_button.setVisible(False)
        row.addWidget(self.clear_button)
        self.grid_checkbox = QCheckBox("Noise grid")
        self.grid_checkbox.setObjectName("showNoiseGrid")
        self.grid_checkbox.setChecked(True)
        self.grid_checkbox.setToolTip("Where the generator sends a square grid of its noise inputs (the first two "
                                      "noise axes, ±2 standard deviations; any other axes at 0). Stretched "
                                      "cells: the generator spreads that noise thin; crowded: it piles it up.")
        self.arrows_checkbox = QCheckBox("Gradients")
        self.arrows_checkbox.setObjectName("showGradients")
        self.arrows_checkbox.setChecked(True)
        self.arrows_checkbox.setToolTip("For some fakes, the direction in which the generator's loss −log D(x) falls "
                                        "fastest: where the next generator step pushes them (towards green).")
        row.addWidget(self.grid_checkbox)
        row.addWidget(self.arrows_checkbox)
        row.addStretch(1)
        self.controls_layout.addLayout(row)

        self.plot, item, self.image = plane_plot("ganPlanePlot", D_LUT)
        self.colour_bar = plot_colour_bar(item, D_LUT, (0.0, 1.0), "D(x): 0 fake … 1 real")
        self.grid_curve = pg.PlotDataItem(pen=pg.mkPen(100, 100, 100, 150, width=1))
        self.arrow_curve = pg.PlotDataItem(pen=pg.mkPen(FAKE_COLOR, width=1.2))
        # Small, slightly transparent dots: where fakes and reals overlap both stay visible.
        self.real_scatter = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(REAL_COLOR), pxMode=True)
        self.fake_scatter = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(142, 68, 173, 170), pxMode=True)
        self.drawn_scatter = pg.ScatterPlotItem(size=7, symbol="x", pen=pg.mkPen(DRAWN_COLOR, width=1.5),
                                                brush=pg.mkBrush(DRAWN_COLOR), pxMode=True)
        for it in (self.grid_curve, self.real_scatter, self.arrow_curve, self.fake_scatter, self.drawn_scatter):
            item.addItem(it)
        self.grid_checkbox.toggled.connect(self.grid_curve.setVisible)
        self.arrows_checkbox.toggled.connect(self.arrow_curve.setVisible)
        # Above the plane, not on it: a legend inside the plot hid the very points it names.
        self.legend = QLabel("")
        self.legend.setObjectName("ganPlaneLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setToolTip("What each mark on the plane is. The shading is the discriminator's D(x): its colour "
                               "bar is at the right of the plane.")
        self.controls_layout.addWidget(self.legend)
        for box in (self.grid_checkbox, self.arrows_checkbox):
            box.toggled.connect(self._update_legend)
        self.target_combo.currentIndexChanged.connect(self._update_legend)
        self._update_legend()
        self.plot.setToolTip(
            "The discriminator's belief over the plane: green where it says 'real', purple where it says 'fake', "
            "pale where it cannot tell.\nGreen dots: real data. Purple dots: the generator's samples (fixed noise). "
            "Grey grid: how the generator maps a grid of its noise.\nAt the end of a good run the purple dots cover "
            "the green ones and the whole plane turns pale: D(x) ≈ 0.5 everywhere.")
        self.content_layout.addWidget(self.plot)
        self.plot.viewport().installEventFilter(self)

        self.drawn: list[tuple[float, float]] = []
        self._drawing = False
        self._extent = 0.0
        self._rect_key: tuple[Any, ...] = ()
        self._target = ""  # the target of the last snapshot
        self._pending = _Pending()
        self.set_extent(2.0)

    # Legend ----------------------------------------------------------------------------------------------

    def legend_entries(self) -> list[str]:
        """The names the legend shows now, in its order."""
        entries = ["real data", "generated G(z)"]
        if self.arrows_checkbox.isChecked():
            entries.append("G's push")
        if self.grid_checkbox.isChecked():
            entries.append("noise grid")
        if self.target_combo.currentData() == "drawn":
            entries.append("your points")
        entries.append("shading: D(x)")
        return entries

    def _update_legend(self, *_args: Any) -> None:
        marks = {"real data": (REAL_COLOR, "&#9679;"), "generated G(z)": (FAKE_COLOR, "&#9679;"),
                 "G's push": (FAKE_COLOR, "&#8594;"), "noise grid": ("#646464", "&#9638;"),
                 "your points": (DRAWN_COLOR, "&#10005;")}
        parts = []
        for name in self.legend_entries():
            if name in marks:
                color, mark = marks[name]
                parts.append(f'<span style="color:{color}; font-size:15px;">{mark}</span>&nbsp;{name}')
        parts.append('shading D(x): <span style="background:#b48fd0;">&nbsp;fake&nbsp;</span>'
                     '<span style="background:#f7f7f7;">&nbsp;unsure&nbsp;</span>'
                     '<span style="background:#8fd6a8;">&nbsp;real&nbsp;</span>')
        self.legend.setText("&nbsp;&nbsp; ".join(parts))

    # Target and drawing ----------------------------------------------------------------------------------

    @property
    def target(self) -> str:
        return str(self.target_combo.currentData())

    @property
    def draw_mode(self) -> bool:
        return self.target == "drawn"

    def _on_target(self, index: int) -> None:
        name = str(self.target_combo.itemData(index))
        self.clear_button.setVisible(name == "drawn")
        self.drawn_scatter.setVisible(name == "drawn")
        if name != "drawn":
            self._pending.set(name)
            self.dataset_changed.emit({"name": name})
            return
        if len(self.drawn) >= MIN_DRAWN_POINTS:
            self._emit_drawing()
        else:
            self._pending.set("drawn", sticky=True)  # the run keeps its old target until something is drawn
            self.set_caption(f"Click or drag on the plane to draw the target (at least {MIN_DRAWN_POINTS} points).")

    def set_target(self, name: str) -> None:
        """Choose a target as the user would (emits ``dataset_changed``)."""
        index = self.target_combo.findData(name)
        if index < 0:
            raise ValueError(f"Unknown GAN target '{name}'")
        self.target_combo.setCurrentIndex(index)
        self._on_target(index)

    def clear_drawing(self) -> None:
        self.drawn = []
        self._refresh_drawn()
        if self.draw_mode:
            self._pending.set("drawn", sticky=True)
            self.set_caption(f"Click or drag on the plane to draw the target (at least {MIN_DRAWN_POINTS} points).")

    def add_point(self, x: float, y: float) -> None:
        self.drawn.append((float(x), float(y)))
        self._refresh_drawn()

    def _refresh_drawn(self) -> None:
        pts = np.asarray(self.drawn, dtype=np.float64).reshape(-1, 2)
        self.drawn_scatter.setData(x=pts[:, 0], y=pts[:, 1])

    def _emit_drawing(self) -> None:
        if len(self.drawn) < MIN_DRAWN_POINTS:
            self.set_caption(f"Draw {MIN_DRAWN_POINTS - len(self.drawn)} more point(s): the target needs at least "
                             f"{MIN_DRAWN_POINTS}.")
            return
        self._pending.set("drawn")
        self.dataset_changed.emit({"name": "drawn",
                                   "options": {"points": [[round(x, 4), round(y, 4)] for x, y in self.drawn]}})

    def _plane_point(self, pos: QPointF) -> tuple[float, float]:
        scene = self.plot.mapToScene(pos.toPoint())
        p = self.plot.getPlotItem().vb.mapSceneToView(scene)
        return float(p.x()), float(p.y())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.draw_mode or watched is not self.plot.viewport():
            return super().eventFilter(watched, event)
        kind = event.type()
        mouse = cast(QMouseEvent, event)  # what Qt sends with each of the mouse types tested below
        if kind == QEvent.Type.MouseButtonPress and mouse.button() == Qt.MouseButton.LeftButton:
            self._drawing = True
            self.add_point(*self._plane_point(mouse.position()))
            return True
        if kind == QEvent.Type.MouseMove and self._drawing:
            x, y = self._plane_point(mouse.position())
            lx, ly = self.drawn[-1] if self.drawn else (np.inf, np.inf)
            if np.hypot(x - lx, y - ly) >= DRAW_SPACING:
                self.add_point(x, y)
            return True
        if kind == QEvent.Type.MouseButtonRelease and self._drawing:
            self._drawing = False
            self._emit_drawing()
            return True
        return super().eventFilter(watched, event)

    # Drawing the snapshot ------------------------------------------------------------------------------------

    def set_extent(self, extent: float) -> None:
        if extent != self._extent:
            self._extent = extent
            self.plot.getPlotItem().setRange(xRange=(-extent, extent), yRange=(-extent, extent), padding=0.0)

    def show_snapshot(self, snapshot: Any) -> None:
        plane = probe(snapshot, GanPlane)
        heat = plane.discriminator if plane is not None else None
        if plane is None or heat is None or heat.ndim != 2:
            if str(attr(snapshot, "task", "")) == "gan" and has_probes(snapshot):
                self.show_empty("This view draws 2-D GANs (ring, two Gaussians, spiral, line, your drawing). This "
                                "GAN makes images: see the samples view.")
            else:
                self.show_empty(PRESS_PLAY)
            return
        self.show_content()
        extent = plane.extent or 2.0
        self.set_extent(extent)
        self.image.setImage(heat, levels=(0.0, 1.0), autoLevels=False)
        key = (extent, heat.shape)
        if key != self._rect_key:
            self._rect_key = key
            self.image.setRect(QRectF(-extent, -extent, 2 * extent, 2 * extent))
        for scatter, pts in ((self.real_scatter, plane.real), (self.fake_scatter, plane.fake)):
            if not pts.size or pts.ndim != 2 or pts.shape[1] != 2:
                scatter.setData([], [])
            else:
                scatter.setData(x=pts[:, 0].astype(np.float64), y=pts[:, 1].astype(np.float64))
        lines = plane.noise_grid
        if lines.size and lines.ndim == 3 and lines.shape[2] == 2:
            self.grid_curve.setData(*_lines_with_gaps(lines), connect="finite")
        else:
            self.grid_curve.setData([], [])
        self._set_arrows(plane.fake if plane.fake.size else None, plane.gradients if plane.gradients.size else None,
                         extent)
        self._follow_target(plane.target, plane.drawn)
        if not (self.draw_mode and self._pending.sticky):
            self.set_caption(self._caption(snapshot))

    def _set_arrows(self, fake: np.ndarray | None, grads: np.ndarray | None, extent: float) -> None:
        if fake is None or grads is None or grads.ndim != 2 or grads.shape[1] != 2 or len(fake) < len(grads):
            self.arrow_curve.setData([], [])
            return
        start = fake[:len(grads)].astype(np.float64)
        g = grads.astype(np.float64)
        norms = np.linalg.norm(g, axis=1)
        top = float(np.percentile(norms, 90)) if len(norms) else 0.0
        if not np.isfinite(top) or top <= 0:
            self.arrow_curve.setData([], [])
            return
        # Lengths relative to the larger pushes, at most a tenth of the plane: directions matter, not units.
        scale = 0.1 * extent / top
        end = start + g * scale * np.minimum(1.0, top / np.maximum(norms, 1e-12))[:, None]
        segments = np.stack([start, end], axis=1).reshape(-1, 2)
        self.arrow_curve.setData(segments[:, 0], segments[:, 1], connect="pairs")

    def _follow_target(self, target: str, drawn: np.ndarray | None) -> None:
        if not target or self._pending.blocks(target):
            return
        if target == "drawn" and drawn is not None and drawn.ndim == 2 and not self.drawn:
            self.drawn = [(float(x), float(y)) for x, y in drawn]  # a lab opened with a drawing keeps it
            self._refresh_drawn()
        if target != self.target:
            index = self.target_combo.findData(target)
            if index >= 0:
                self.target_combo.setCurrentIndex(index)
                self.clear_button.setVisible(target == "drawn")
                self.drawn_scatter.setVisible(target == "drawn")
        self._target = target

    @staticmethod
    def _caption(snapshot: Any) -> str:
        metrics = mapping(snapshot, "metrics")
        parts = [f"Step {int(attr(snapshot, 'step', 0))}"]
        real, fake = metrics.get("train_d_real"), metrics.get("train_d_fake")
        if real is not None and fake is not None and np.isfinite(real) and np.isfinite(fake):
            parts.append(f"D(real) {real:.2f}, D(fake) {fake:.2f}")
        return "  ·  ".join(parts)


class GanSamplesView(SnapshotView):
    """Samples of a GAN on images from the same fixed noise at every snapshot, so each tile shows one noise vector
    turning into a digit. Reads the ``GanSamples`` record's images (N, H, W)."""

    probes: tuple[str, ...] = ("gan_samples",)
    title = "GAN samples"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ganSamplesView")
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setObjectName("ganSamplesCanvas")
        self.box, self.image = image_box(self.canvas, 0, 0, GREY_LUT)
        self.canvas.setToolTip("Each tile is the generator's output for one fixed noise vector, redrawn as training "
                               "goes on. Early: blobs; then strokes; then digits. Many identical tiles mean mode "
                               "collapse: the generator found one sample that fools D and makes only that.")
        self.content_layout.addWidget(self.canvas)
        self._shape: tuple[int, ...] = ()

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, GanSamples)
        images = record.images if record is not None and record.images.size else None
        if images is None or images.ndim != 3:
            if str(attr(snapshot, "task", "")) == "gan" and has_probes(snapshot):
                self.show_empty("This view shows a GAN's images (e.g. the 'GAN on digits' template). This GAN "
                                "makes 2-D points: see the GAN plane view.")
            else:
                self.show_empty(PRESS_PLAY)
            return
        self.show_content()
        columns = max(1, round(float(np.sqrt(len(images)))))
        tiled = tile_grid(np.clip(images, 0.0, 1.0), columns, pad=2)
        self.image.setImage(tiled, levels=(0.0, 1.0), autoLevels=False)
        if tiled.shape != self._shape:
            self._shape = tiled.shape
            self.box.setRange(xRange=(0, tiled.shape[1]), yRange=(0, tiled.shape[0]), padding=0.02)
        self.set_caption(f"{len(images)} samples from fixed noise  ·  step {int(attr(snapshot, 'step', 0))}")


class GanCurvesView(SnapshotView):
    """The contest over time: the discriminator's and generator's losses, and D's mean output on real and on
    generated batches; with the controls k, the discriminator's learning rate and freeze (``training_changed``).

    Reads ``history`` (step, train_d_loss, train_g_loss, train_d_real, train_d_fake) and
    the ``GanSettings`` record.
    """

    probes: tuple[str, ...] = ("gan_settings",)
    title = "GAN curves"
    training_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ganCurvesView")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        k_label = QLabel("k")
        self.k_spin = QSpinBox()
        self.k_spin.setObjectName("ganDSteps")
        self.k_spin.setRange(1, 100)
        self.k_spin.setKeyboardTracking(False)
        tip = ("Discriminator steps per generator step (k in Goodfellow et al.): each step trains D on a new real "
               "batch; G trains after every k of them. Larger k keeps D closer to optimal, so G follows a truer "
               "gradient, but learns more slowly.")
        k_label.setToolTip(tip)
        self.k_spin.setToolTip(tip)
        lr_label = QLabel("D learning rate")
        self.d_lr_spin = QDoubleSpinBox()
        self.d_lr_spin.setObjectName("ganDLearningRate")
        self.d_lr_spin.setDecimals(5)
        self.d_lr_spin.setRange(0.00001, 1.0)
        self.d_lr_spin.setSingleStep(0.0005)
        self.d_lr_spin.setKeyboardTracking(False)
        tip = ("The discriminator's own step size (the toolbar's learning rate is the generator's). A D that learns "
               "much faster than G wins outright and G's gradient vanishes; a slow D gives G no direction.")
        lr_label.setToolTip(tip)
        self.d_lr_spin.setToolTip(tip)
        self.freeze_combo = QComboBox()
        self.freeze_combo.setObjectName("ganFreeze")
        for value, text in FREEZE:
            self.freeze_combo.addItem(text, value)
        self.freeze_combo.setToolTip("Hold one network still and train only the other; with Step you can move them "
                                     "one at a time and watch each answer the other.")
        for w in (k_label, self.k_spin, lr_label, self.d_lr_spin, self.freeze_combo):
            row.addWidget(w)
        row.addStretch(1)
        self.controls_layout.addLayout(row)
        self.k_spin.valueChanged.connect(lambda v: self._emit("d_steps", int(v)))
        self.d_lr_spin.valueChanged.connect(lambda v: self._emit("discriminator_learning_rate", float(v)))
        self.freeze_combo.activated.connect(
            lambda i: self._emit("freeze", str(self.freeze_combo.itemData(i))))
        self._pending: dict[str, _Pending] = {n: _Pending() for n in ("d_steps", "discriminator_learning_rate",
                                                                      "freeze")}

        self.loss_plot = curve_plot("ganLossPlot", "", "loss")
        item = self.loss_plot.getPlotItem()
        corner_legend(item, 2)
        self.d_loss_curve = item.plot(name="D loss", pen=pg.mkPen(REAL_COLOR, width=2))
        self.g_loss_curve = item.plot(name="G loss", pen=pg.mkPen(FAKE_COLOR, width=2))
        self.loss_plot.setToolTip("D loss = −log D(real) − log(1 − D(fake)); G loss = −log D(fake) (non-saturating). "
                                  "They do not fall together: each network's gain is the other's loss. At the "
                                  "equilibrium D loss ≈ 1.39 (2 ln 2) and G loss ≈ 0.69 (ln 2).")
        self.out_plot = curve_plot("ganOutputPlot", "step", "mean D(x)")
        out = self.out_plot.getPlotItem()
        out.setYRange(0.0, 1.0, padding=0.02)
        out.enableAutoRange(axis="y", enable=False)
        out.setXLink(item)  # one step axis for both: the same step sits above itself
        for plot in (item, out):
            plot.getAxis("left").setWidth(CURVE_AXIS_WIDTH)
        corner_legend(out, 2)
        self.d_real_curve = out.plot(name="D(real)", pen=pg.mkPen(REAL_COLOR, width=2))
        self.d_fake_curve = out.plot(name="D(fake)", pen=pg.mkPen(FAKE_COLOR, width=2))
        out.addItem(pg.InfiniteLine(0.5, angle=0, pen=pg.mkPen("#999", style=Qt.PenStyle.DashLine)))
        self.out_plot.setToolTip("The discriminator's mean output on real batches (green) and generated ones "
                                 "(purple). Far apart: D tells them apart easily. Both near 0.5: D cannot.")
        self.content_layout.addWidget(self.loss_plot, 1)
        self.content_layout.addWidget(self.out_plot, 1)

    def resizeEvent(self, event: Any) -> None:  # Qt's name
        super().resizeEvent(event)
        side = arrange_pair(self, self.content_layout)
        self.loss_plot.getPlotItem().setLabel("bottom", "step" if side else "")

    def _emit(self, name: str, value: Any) -> None:
        self._pending[name].set(value)
        self.training_changed.emit({name: value})

    def _follow(self, settings: GanSettings | None) -> None:
        if settings is None:
            return
        k = settings.d_steps
        if not self._pending["d_steps"].blocks(k) and not self.k_spin.hasFocus():
            self._quietly(self.k_spin, k)
        lr = settings.discriminator_learning_rate
        if not self._pending["discriminator_learning_rate"].blocks(lr) and not self.d_lr_spin.hasFocus():
            self._quietly(self.d_lr_spin, lr)
        names = [value for value, _text in FREEZE]
        freeze = settings.freeze
        if freeze in names and not self._pending["freeze"].blocks(freeze) and self.freeze_combo.currentData() != freeze:
            self.freeze_combo.setCurrentIndex(names.index(freeze))

    @staticmethod
    def _quietly(spin: QSpinBox | QDoubleSpinBox, value: float) -> None:
        if spin.value() != value:
            spin.blockSignals(True)
            if isinstance(spin, QSpinBox):
                spin.setValue(int(value))  # what PySide6 makes of a float for an int spin box
            else:
                spin.setValue(value)
            spin.blockSignals(False)

    def show_snapshot(self, snapshot: Any) -> None:
        self._follow(probe(snapshot, GanSettings))
        history = mapping(snapshot, "history")
        steps = array(history, "step")
        if steps is None:
            self.show_empty(PRESS_PLAY)
            return
        self.show_content()
        x = steps.astype(np.float64)
        for curve, name in ((self.d_loss_curve, "train_d_loss"), (self.g_loss_curve, "train_g_loss"),
                            (self.d_real_curve, "train_d_real"), (self.d_fake_curve, "train_d_fake")):
            y = array(history, name)
            if y is None or len(y) != len(x):
                curve.setData([], [])
            else:
                curve.setData(x, y.astype(np.float64), connect="finite")
        metrics = mapping(snapshot, "metrics")
        d, g = metrics.get("train_d_loss"), metrics.get("train_g_loss")
        parts = [f"Epoch {int(attr(snapshot, 'epoch', 0))}"]
        if d is not None and g is not None and np.isfinite(d) and np.isfinite(g):
            parts.append(f"D loss {d:.3f}, G loss {g:.3f}")
        self.set_caption("  ·  ".join(parts))


VIEWS = (
    ViewSpec("gan_plane", "GAN plane", GanPlaneView, probes=("gan_plane",), tasks=GAN_TASKS, data=("plane",),
             place="main", main=True, aspect="square"),
    ViewSpec("gan_samples", "GAN samples", GanSamplesView, probes=("gan_samples",), tasks=GAN_TASKS, data=("images",),
             main=True),
    ViewSpec("gan_curves", "GAN curves", GanCurvesView, probes=("gan_settings",), tasks=GAN_TASKS, place="side"),
)
