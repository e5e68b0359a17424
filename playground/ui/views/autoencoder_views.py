"""Views of autoencoders and VAEs: inputs beside reconstructions, the code as a scatter, a decoded sweep of the
code, samples from the VAE's prior, and the VAE's two loss terms; with live controls for the input noise, the
sparsity weight and β.

They read the records ``Reconstructions``, ``Latent``, ``Manifold``, ``PriorSamples`` and ``AutoencoderSettings``
of :mod:`playground.snapshots` and the history columns ``train_/test_reconstruction`` and ``train_/test_kl``.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QWidget

from playground.snapshots import AutoencoderSettings, Latent, Manifold, PriorSamples, Reconstructions
from playground.viz.colormaps import TF_BLUE, TF_ORANGE
from playground.viz.projection import PCA, fit_pca
from playground.viz.tiling import tile_columns, tile_grid

from .base import PRESS_PLAY, SnapshotView, array, attr, mapping, plot_widget, probe
from .curves import arrange_pair, corner_legend, curve_plot
from .filters import image_box
from .view_spec import ViewSpec

AE_TASKS = ("autoencoder", "vae")
# Ten colours that stay apart from each other (Tableau 10), one per digit.
DIGIT_COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#c9a227", "#b07aa1", "#ff9da7",
                "#9c755f", "#79706e")
GREY_LUT = np.stack([np.linspace(255, 0, 256)] * 3 + [np.full(256, 255)], axis=1).astype(np.uint8)
PAD = 2
# The row names' column left of the digits, in digit heights.
LABEL_COLUMN = 2


def band_gap(height: int) -> int:
    """The space between two bands of reconstructions: enough to tell which output sits under which input."""
    return max(PAD * 2, height // 3)


# After the user changes a control, the snapshots still in flight carry the old value for a moment.
_PENDING_SECONDS = 2.0


def _grey_box(canvas: pg.GraphicsLayoutWidget, row: int = 0, col: int = 0) -> tuple[pg.ViewBox, pg.ImageItem]:
    """Ink dark on white, as digits are drawn: 0 white, 1 black; NaN gaps between tiles transparent."""
    return image_box(canvas, row, col, GREY_LUT)


def _show(image_item: pg.ImageItem, box: pg.ViewBox, image: np.ndarray, shape: tuple[int, ...]) -> tuple[int, ...]:
    image_item.setImage(image, levels=(0.0, 1.0), autoLevels=False)
    if image.shape != shape:
        box.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0.02)
    return image.shape


class SettingControl(QWidget):
    """A labelled spin box for one training setting that emits ``changed(name, value)`` when the user edits it and
    follows the run's value (from the ``ae_settings`` probe) otherwise."""

    changed = Signal(str, float)

    def __init__(self, name: str, label: str, tip: str, maximum: float, step: float, decimals: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(label)
        row.addWidget(self.label)
        self.spin = QDoubleSpinBox()
        self.spin.setObjectName(f"{name}Control")
        self.spin.setRange(0.0, maximum)
        self.spin.setSingleStep(step)
        self.spin.setDecimals(decimals)
        self.spin.setKeyboardTracking(False)  # typing "0.25" sends one change, not "0", "0.2", "0.25"
        self.spin.setToolTip(tip)
        self.label.setToolTip(tip)
        row.addWidget(self.spin)
        self._pending: tuple[float, float] | None = None
        self.spin.valueChanged.connect(self._edited)

    @property
    def value(self) -> float:
        return float(self.spin.value())

    def _edited(self, value: float) -> None:
        self._pending = (float(value), time.monotonic())
        self.changed.emit(self.name, float(value))

    def follow(self, value: float) -> None:
        """The run's value: shown unless the user is editing, or just edited and the run has not caught up."""
        typing = self.spin.cleanText() != self.spin.textFromValue(self.spin.value())
        if self.spin.hasFocus() and typing:
            return  # the user is typing a value that is not sent yet
        if self._pending is not None:
            wanted, when = self._pending
            if abs(value - wanted) > 1e-9 and time.monotonic() - when < _PENDING_SECONDS:
                return
            self._pending = None
        if abs(self.spin.value() - value) > 1e-12:
            self.spin.blockSignals(True)
            self.spin.setValue(value)
            self.spin.blockSignals(False)


def _settings_value(snapshot: Any, name: str) -> float | None:
    settings = probe(snapshot, AutoencoderSettings)
    return None if settings is None else float(getattr(settings, name))


class ReconstructionView(SnapshotView):
    """A fixed set of test digits: the input, the corrupted input the network saw (denoising), and the output.

    Reads: the ``Reconstructions`` record (input, noisy, output, labels) and ``AutoencoderSettings``.
    Controls: the input noise σ and, for autoencoders, the sparsity weight; both emit ``training_changed``.
    """

    probes: tuple[str, ...] = ("reconstructions", "ae_settings")
    title = "Reconstructions"
    training_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reconstructionView")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.noise_control = SettingControl(
            "input_noise", "Input noise σ",
            "Denoising: Gaussian noise of this standard deviation is added to every training input (clipped to "
            "[0, 1]) and the network must rebuild the clean digit. 0 is a plain autoencoder.", 3.0, 0.05, 2)
        self.sparsity_control = SettingControl(
            "sparsity", "Sparsity (L1)",
            "Sparse autoencoder: adds this weight × mean |code| to the loss, so most code units stay at zero. "
            "Watch the code scatter shrink towards the axes as you raise it.", 10.0, 0.01, 3)
        for control in (self.noise_control, self.sparsity_control):
            control.changed.connect(self._emit)
            row.addWidget(control)
        row.addStretch(1)
        self.controls_layout.addLayout(row)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setObjectName("reconstructionCanvas")
        self.box, self.image = _grey_box(self.canvas)
        self.canvas.setToolTip(
            "Top: test digits the network never trained on. Middle (with input noise): what the encoder was "
            "given. Bottom: what the decoder rebuilt from the code alone.\nBlurry outputs early on sharpen as "
            "the code learns to keep what matters.")
        self.content_layout.addWidget(self.canvas)
        self._row_labels: list[pg.TextItem] = []
        self._shape: tuple[int, ...] = ()
        self.rows: list[str] = []
        self.bands = 1
        self._labelled_bands = 0
        self._rows_shown: list[tuple[str, np.ndarray]] = []

    def _emit(self, name: str, value: float) -> None:
        self.training_changed.emit({name: value})

    def band_count(self, count: int, height: int, width: int, rows: int) -> int:
        """How many bands of digits (each its input above its output) fill the canvas best: one long strip left
        two thirds of a square view empty."""
        canvas_w, canvas_h = self.canvas.width(), self.canvas.height()
        if not self.canvas.isVisible() or canvas_w <= 0 or canvas_h <= 0 or count <= 0:
            return 1
        best, best_scale = 1, 0.0
        for bands in range(1, count + 1):
            per = math.ceil(count / bands)
            if bands > 1 and math.ceil(count / (bands - 1)) == per:
                continue  # the same columns as fewer bands, with an empty band more
            tiled_w = LABEL_COLUMN * height + per * width + (per - 1) * PAD
            tiled_h = bands * (rows * height + (rows - 1) * PAD) + (bands - 1) * band_gap(height)
            scale = min(canvas_w / tiled_w, canvas_h / tiled_h)
            if scale > best_scale * 1.01:
                best, best_scale = bands, scale
        return best

    def _draw(self) -> None:
        rows = self._rows_shown
        if not rows:
            return
        inputs = rows[0][1]
        count, h, w = inputs.shape
        self.bands = self.band_count(count, h, w, len(rows))
        per = math.ceil(count / self.bands)
        gap = band_gap(h)
        # Each digit a column of its versions top to bottom, the columns wrapped into bands: one image item.
        parts: list[np.ndarray] = []
        for band in range(self.bands):
            columns = [np.stack([r[1][i] for r in rows]) for i in range(band * per, min(count, (band + 1) * per))]
            tiled, _tiles = tile_columns(columns, pad=PAD, gap=PAD)
            full_w = per * w + (per - 1) * PAD
            if tiled.shape[1] < full_w:
                tiled = np.pad(tiled, ((0, 0), (0, full_w - tiled.shape[1])), constant_values=np.nan)
            if parts:
                parts.append(np.full((gap, full_w), np.nan, dtype=np.float32))
            parts.append(tiled)
        image = np.vstack(parts)
        self._shape = _show(self.image, self.box, image, self._shape)
        names = [r[0] for r in rows]
        if (names, self.bands) != (self.rows, self._labelled_bands):
            self.rows, self._labelled_bands = names, self.bands
            for label in self._row_labels:
                self.box.removeItem(label)
            self._row_labels = []
            band_h = len(names) * (h + PAD) - PAD + gap
            for band in range(self.bands):
                for i, name in enumerate(names):
                    label = pg.TextItem(name, color="#333", anchor=(1.0, 0.5))
                    label.setPos(-1, band * band_h + i * (h + PAD) + h / 2)
                    self.box.addItem(label)
                    self._row_labels.append(label)
            self.box.setRange(xRange=(-h * float(LABEL_COLUMN), image.shape[1]), yRange=(0, image.shape[0]),
                              padding=0.02)

    def resizeEvent(self, event: Any) -> None:  # Qt's name
        super().resizeEvent(event)
        rows = self._rows_shown
        if rows:
            count, height, width = rows[0][1].shape
            if self.band_count(count, height, width, len(rows)) != self.bands:
                self._draw()

    def show_snapshot(self, snapshot: Any) -> None:
        task = str(attr(snapshot, "task", "autoencoder"))
        self.sparsity_control.setVisible(task != "vae")
        for control in (self.noise_control, self.sparsity_control):
            value = _settings_value(snapshot, control.name)
            if value is not None:
                control.follow(value)
        record = probe(snapshot, Reconstructions)
        inputs = record.input if record is not None else None
        outputs = record.output if record is not None else None
        if inputs is None or outputs is None or inputs.ndim != 3 or outputs.shape != inputs.shape:
            self.show_empty(PRESS_PLAY + "\n(Test digits and their reconstructions show here.)")
            return
        self.show_content()
        noisy = record.noisy if record is not None else None
        rows = [("input", inputs)]
        if noisy is not None and noisy.shape == inputs.shape:
            rows.append(("noisy", noisy))
        rows.append(("output", outputs))
        self._rows_shown = rows
        self._draw()
        metrics = mapping(snapshot, "metrics")
        loss = metrics.get("test_reconstruction")
        text = f"Epoch {int(attr(snapshot, 'epoch', 0))}"
        if loss is not None and math.isfinite(loss):
            text += f"  ·  test reconstruction loss {loss:.4g}"
        self.set_caption(text)


class LatentSpaceView(SnapshotView):
    """The code of the test set as a scatter coloured by digit: the two code units, or the first two principal
    components of a wider code (the VAE's mean μ).

    Reads: the ``Latent`` record: codes (n, d) and labels (n).
    """

    probes: tuple[str, ...] = ("latent",)
    title = "Latent space"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latentSpaceView")
        self.plot = plot_widget()
        self.plot.setObjectName("latentPlot")
        item = self.plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        # One item per digit with one brush: far cheaper to redraw than one item with a brush per point.
        self.scatters = [pg.ScatterPlotItem(size=5, pen=None, pxMode=True, brush=pg.mkBrush(c))
                         for c in (*DIGIT_COLORS, "#888888")]
        for scatter in self.scatters:
            item.addItem(scatter)
        # The key is one line of coloured digits above the plot: a legend inside would hide the points.
        key = QLabel("colour = digit:  " + " ".join(
            f'<b><span style="color:{c}">{d}</span></b>' for d, c in enumerate(DIGIT_COLORS)))
        key.setObjectName("latentKey")
        key.setTextFormat(Qt.TextFormat.RichText)
        self.controls_layout.addWidget(key)
        self.plot.setToolTip(
            "Each dot is one test digit, placed at its code and coloured by which digit it is.\nDigits of a kind "
            "gather as the autoencoder learns; in a VAE the KL term pulls the whole cloud towards a round "
            "N(0, 1) blob around the origin.")
        self.content_layout.addWidget(self.plot)
        self._pca: PCA | None = None
        self.projection = ""
        self.points = np.zeros((0, 2))

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, Latent)
        codes = record.codes if record is not None and record.codes.size else None
        labels = record.labels if record is not None and record.labels.size else None
        if codes is None or codes.ndim != 2:
            self.show_empty(PRESS_PLAY + "\n(The code of every test digit shows here as a dot.)")
            return
        self.show_content()
        d = codes.shape[1]
        item = self.plot.getPlotItem()
        if d <= 2:
            pts = np.zeros((len(codes), 2))
            pts[:, :d] = codes
            projection = "code"
            self._pca = None
            caption = f"The {d}-number code of {len(codes)} test digits"
            axes = ("z₁", "z₂")
        else:
            self._pca = fit_pca(codes, 2, previous=self._pca)
            pts = self._pca.transform(codes)
            projection = "pca"
            share = 100 * float(self._pca.explained_ratio.sum())
            caption = (f"{len(codes)} test codes of {d} numbers, on their first two principal components "
                       f"({share:.0f}% of the variance)")
            axes = ("PC 1", "PC 2")
        if projection != self.projection:
            self.projection = projection
            item.setLabel("bottom", axes[0])
            item.setLabel("left", axes[1])
        self.points = pts
        if labels is None or len(labels) != len(pts):
            labels = np.full(len(pts), len(DIGIT_COLORS))
        labels = np.asarray(labels).astype(np.int64)
        for digit, scatter in enumerate(self.scatters):
            mine = labels == digit if digit < len(DIGIT_COLORS) else (labels < 0) | (labels >= len(DIGIT_COLORS))
            scatter.setData(x=pts[mine, 0], y=pts[mine, 1])
        self.set_caption(caption)


class ManifoldView(SnapshotView):
    """An n×n grid of decodings from a sweep of the code: each tile is what the decoder makes of one point.

    Reads: the ``Manifold`` record: images (n, n, h, w), extent (first axis from, to; second axis from, to), and
    whether the axes are principal components of a wider code.
    """

    probes: tuple[str, ...] = ("manifold",)
    title = "Latent manifold"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("manifoldView")
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setObjectName("manifoldCanvas")
        self.box, self.image = _grey_box(self.canvas)
        self.canvas.setToolTip(
            "The decoder's picture of every point of an evenly spaced grid over the code: left to right along "
            "the first axis, bottom to top along the second.\nA VAE's grid morphs smoothly from one digit to "
            "the next; a plain autoencoder's has blurry holes where no training digit landed.")
        self.content_layout.addWidget(self.canvas)
        self._shape: tuple[int, ...] = ()
        self.grid_size = 0

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, Manifold)
        images = record.images if record is not None else None
        if record is None or images is None or images.ndim != 4 or not images.size:
            self.show_empty(PRESS_PLAY + "\n(A grid of digits decoded from a sweep over the code shows here.)")
            return
        self.show_content()
        n, m, h, w = images.shape
        self.grid_size = n
        tiled = tile_grid(images.reshape(n * m, h, w), m, pad=1)
        self._shape = _show(self.image, self.box, tiled, self._shape)
        axes = ("PC 1", "PC 2") if record.principal_components else ("z₁", "z₂")
        text = f"{n}×{m} decodings"
        if len(record.extent) == 4:
            a0, a1, b0, b1 = record.extent
            text += f": {axes[0]} from {a0:.2g} to {a1:.2g} (left → right), {axes[1]} from {b0:.2g} to {b1:.2g} " \
                    f"(bottom → top)"
        if record.principal_components:
            text += ", the other directions at the mean code"
        self.set_caption(text)


class PriorSamplesView(SnapshotView):
    """Digits the VAE's decoder makes from codes drawn from the prior N(0, I): new digits no one drew.

    Reads: the ``PriorSamples`` record's images. "New samples" draws another fixed set (its seed is in the probe
    name, so the same codes are decoded at every snapshot and the grid changes only as the decoder learns).
    """

    title = "VAE samples"
    probes_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("priorSamplesView")
        self.seed = 0
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.new_button = QPushButton("New samples")
        self.new_button.setObjectName("newPriorSamples")
        self.new_button.setToolTip("Draw another set of codes z ~ N(0, I) to decode.")
        self.new_button.clicked.connect(self.new_samples)
        row.addWidget(self.new_button)
        row.addStretch(1)
        self.controls_layout.addLayout(row)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setObjectName("priorSamplesCanvas")
        self.box, self.image = _grey_box(self.canvas)
        self.canvas.setToolTip(
            "Each tile decodes a code drawn at random from N(0, I), the prior the KL term pulls the encoder "
            "towards.\nAt first they are grey noise; as training goes on they become digits.")
        self.content_layout.addWidget(self.canvas)
        self._shape: tuple[int, ...] = ()
        self.sample_count = 0

    @property
    def probes(self) -> tuple[str, ...]:  # type: ignore[override]
        return (f"prior_samples:{self.seed}",)

    def new_samples(self) -> None:
        self.seed += 1
        self.probes_changed.emit()

    def show_snapshot(self, snapshot: Any) -> None:
        record = probe(snapshot, PriorSamples)
        images = record.images if record is not None else None
        if images is None or images.ndim != 3 or not images.size:
            self.show_empty(PRESS_PLAY + "\n(Digits decoded from random codes z ~ N(0, I) show here.)")
            return
        self.show_content()
        self.sample_count = len(images)
        columns = max(1, math.isqrt(len(images)))
        tiled = tile_grid(images, columns, pad=2)
        self._shape = _show(self.image, self.box, tiled, self._shape)
        self.set_caption(f"{len(images)} decodings of random codes z ~ N(0, I)  ·  epoch "
                         f"{int(attr(snapshot, 'epoch', 0))}")


class VAELossView(SnapshotView):
    """The VAE's two loss terms as separate curves, train and test: reconstruction on top, KL below; and β.

    Reads: ``history["epoch", "train_reconstruction", "test_reconstruction", "train_kl", "test_kl"]``,
    ``metrics``, the ``AutoencoderSettings`` record's β. The β control emits ``training_changed({"beta": β})``.
    """

    probes: tuple[str, ...] = ("ae_settings",)
    title = "VAE loss"
    training_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("vaeLossView")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.beta_control = SettingControl(
            "beta", "KL weight β",
            "loss = reconstruction + β·KL. Raise β and the codes crowd into N(0, 1): smoother samples, blurrier "
            "reconstructions. Lower it and reconstructions sharpen while samples from the prior get worse.",
            100.0, 0.1, 2)
        self.beta_control.changed.connect(lambda name, value: self.training_changed.emit({name: value}))
        row.addWidget(self.beta_control)
        row.addStretch(1)
        self.controls_layout.addLayout(row)
        self.rec_plot = curve_plot("reconstructionLossPlot", "", "reconstruction")
        self.kl_plot = curve_plot("klLossPlot", "epoch", "KL")
        rec, kl = self.rec_plot.getPlotItem(), self.kl_plot.getPlotItem()
        kl.setXLink(rec)
        for plot in (rec, kl):  # equally wide value axes: an epoch sits above itself
            plot.getAxis("left").setWidth(48)
        corner_legend(rec, 2)
        self.curves = {
            "train_reconstruction": rec.plot(name="train", pen=pg.mkPen(TF_BLUE, width=2)),
            "test_reconstruction": rec.plot(name="test", pen=pg.mkPen(TF_ORANGE, width=2)),
            "train_kl": kl.plot(pen=pg.mkPen(TF_BLUE, width=2)),
            "test_kl": kl.plot(pen=pg.mkPen(TF_ORANGE, width=2)),
        }
        self.rec_plot.setToolTip("Reconstruction error per digit (summed over its pixels), train and test.")
        self.kl_plot.setToolTip("KL(q(z|x) ‖ N(0, I)) per digit: how far the codes are from the prior. It may "
                                "first rise as the encoder starts to use its code, then settle.")
        self.content_layout.addWidget(self.rec_plot, 1)
        self.content_layout.addWidget(self.kl_plot, 1)
        self._drawn: tuple[Any, ...] | None = None

    def resizeEvent(self, event: Any) -> None:  # Qt's name
        super().resizeEvent(event)
        side = arrange_pair(self, self.content_layout)
        self.rec_plot.getPlotItem().setLabel("bottom", "epoch" if side else "")

    def show_snapshot(self, snapshot: Any) -> None:
        beta = _settings_value(snapshot, "beta")
        if beta is not None:
            self.beta_control.follow(beta)
        history = mapping(snapshot, "history")
        metrics = mapping(snapshot, "metrics")
        epochs = array(history, "epoch")
        parts = [f"Epoch {int(attr(snapshot, 'epoch', 0))}"]
        for key, label in (("test_reconstruction", "reconstruction"), ("test_kl", "KL")):
            v = metrics.get(key)
            if v is not None and math.isfinite(v):
                parts.append(f"test {label} {v:.4g}")
        if beta is not None:
            parts.append(f"β = {beta:g}")
        self.set_caption("  ·  ".join(parts))
        if epochs is None:
            self.show_empty(PRESS_PLAY + "\n(The reconstruction and KL terms of the loss are drawn here.)")
            self._drawn = None
            return
        self.show_content()
        drawn = (len(epochs), float(epochs[-1]), *(_last(history, k) for k in self.curves))
        if drawn == self._drawn:
            return
        self._drawn = drawn
        x = np.asarray(epochs, dtype=np.float64)
        for name, curve in self.curves.items():
            y = array(history, name)
            if y is None or len(y) != len(x):
                curve.setData([], [])
            else:
                curve.setData(x, np.asarray(y, dtype=np.float64), connect="finite")


def _last(history: Any, key: str) -> float:
    a = array(history, key)
    return float(a[-1]) if a is not None else float("nan")


# Input above its reconstruction is what an autoencoder teaches: their main view.
VIEWS = (
    ViewSpec("ae_reconstructions", "Reconstructions", ReconstructionView, probes=("reconstructions", "ae_settings"),
             tasks=AE_TASKS, main=True),
    ViewSpec("ae_latent", "Latent space", LatentSpaceView, probes=("latent",), tasks=AE_TASKS),
    ViewSpec("ae_manifold", "Latent manifold", ManifoldView, probes=("manifold",), tasks=AE_TASKS),
    ViewSpec("vae_samples", "VAE samples", PriorSamplesView, probes=("prior_samples",), tasks=("vae",)),
    ViewSpec("vae_loss", "VAE loss", VAELossView, probes=("ae_settings",), tasks=("vae",), place="side"),
)
