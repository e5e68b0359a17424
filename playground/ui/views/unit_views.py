"""What a unit responds to, and what a network learned for its tokens.

``ActivationMaximisationView`` shows a grid of inputs optimised to excite each class of an image classifier, or each
channel (unit) of one of its layers, with the controls of the optimisation; it only asks (``run_requested``) and
draws what comes back (``ActivationMaximisation`` records): the optimisation itself runs elsewhere, off the GUI
thread. ``EmbeddingView`` draws an Embedding layer's vectors on their two principal axes, each labelled with its
token, and lists the nearest neighbours of a chosen token (``Embeddings`` records).
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from playground.snapshots.unit_response import ActivationMaximisation, Embeddings

CLASSES = ""  # the target key of "every class of the output"
GAP = 4  # pixels between the tiles of the grid, and above each for its label
TILE_TIP = ("Each image was optimised to excite one target: Adam on the pixels from a plain grey (or noisy) image, "
            "shifted a pixel or two at random each step, blurred every few steps and pulled back towards grey by an "
            "L2 penalty, so what remains is the pattern the unit needs. Each tile is scaled to its own range: "
            "white is its largest value, black its smallest.")
STEPS_TIP = "How many steps of gradient ascent on the pixels (more: crisper patterns, longer runs)."
JITTER_TIP = "Each step shifts the images by up to this many pixels: a pattern must work wherever it sits."
BLUR_TIP = "Blur the images every this many steps (0: never): fine pixel noise that excites a unit fades away."
L2_TIP = "The weight of the L2 penalty towards the start grey: larger keeps only the pixels that matter most."
RATE_TIP = "Adam's step size, as a share of the data's value range."
START_TIP = "Grey: every pixel starts at the data's mean. Noise: a little random noise on top, one draw per image."
SPATIAL_TIP = ("How a conv channel's activation is read. Mean of the map: the channel everywhere at once, so a pattern "
               "that tiles the whole image wins (for a first layer often a flat one). Centre unit: one position only, "
               "which sees only its receptive field: the pixels outside it stay grey.")
NO_EMBEDDING = ("This network has no Embedding layer. Embeddings are the vectors a network learns for tokens: open "
                "the character-level LSTM template, train it, and watch letters that behave alike move together.")


W = TypeVar("W", bound=QWidget)


def _named(widget: W, name: str) -> W:
    widget.setObjectName(name)
    return widget


def _label(name: str) -> QLabel:
    label = _named(QLabel(), name)
    label.setWordWrap(True)
    return label


def _double(spin: QDoubleSpinBox, lo: float, hi: float, step: float, value: float, tip: str) -> QDoubleSpinBox:
    spin.setDecimals(3)
    spin.setRange(lo, hi)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


def _tiles(images: np.ndarray, aspect: float = 1.6) -> tuple[np.ndarray, int, int, int]:
    """The images (N, C, H, W) as one picture of tiles, each scaled to 0..1 by its own range, with room above each
    row for the tiles' labels, in as many columns as make the grid about ``aspect`` times as wide as it is tall
    (the plot's own shape: the tiles come out as large as it allows); also the grid's columns, a tile's step down
    and its step across."""
    n, c, h, w = images.shape
    down, across = h + _label_room(h), w + GAP
    cols = min(n, max(1, round(math.sqrt(n * aspect * down / across))))
    rows = math.ceil(n / cols)
    colour = c == 3
    picture = np.ones((rows * down, cols * across + GAP, 3 if colour else 1), dtype=np.float32)
    for i in range(n):
        tile = np.asarray(images[i], dtype=np.float32)
        lo, hi = float(tile.min()), float(tile.max())
        tile = (tile - lo) / (hi - lo) if hi > lo else np.zeros_like(tile)
        tile = np.transpose(tile, (1, 2, 0)) if colour else tile[:1].transpose(1, 2, 0)
        r, k = divmod(i, cols)
        y, x = r * down + _label_room(h), GAP + k * across
        picture[y:y + h, x:x + w] = tile
    return (picture if colour else picture[..., 0]), cols, down, across


def _label_room(h: int) -> int:
    return max(GAP, int(h * 0.6))


def _tile_label(label: str, is_classes: bool, count: int) -> str:
    """A tile's label as room allows: all of it for a few tiles, then the unit's name, then only its number."""
    if is_classes or count <= 8:
        return label
    name = label.split(" of ")[0]
    return name if count <= 16 else name.split()[-1]


class ActivationMaximisationView(QWidget):
    """The grid of optimised inputs, its target chooser, the optimisation's settings, Run/Stop and a progress bar."""

    run_requested = Signal(dict)  # {"layer": "" or a layer, "steps", "learning_rate", "jitter", ...}
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activationMaximisationView")
        self.record: ActivationMaximisation | None = None
        self.running = False
        self.target = _named(QComboBox(), "amTargetCombo")
        self.target.setToolTip("What to excite: each class of the output (its logit, before any softmax), or each "
                               "channel of a conv layer (its mean over the image), or each unit of a dense layer")
        self.steps = self._spin(_named(QSpinBox(), "amStepsSpin"), 1, 2000, 120, STEPS_TIP)
        self.jitter = self._spin(_named(QSpinBox(), "amJitterSpin"), 0, 4, 1, JITTER_TIP)
        self.blur = self._spin(_named(QSpinBox(), "amBlurSpin"), 0, 50, 4, BLUR_TIP)
        self.l2 = _double(_named(QDoubleSpinBox(), "amL2Spin"), 0.0, 1.0, 0.005, 0.01, L2_TIP)
        self.rate = _double(_named(QDoubleSpinBox(), "amRateSpin"), 0.001, 1.0, 0.01, 0.05, RATE_TIP)
        self.start = _named(QComboBox(), "amStartCombo")
        self.start.setToolTip(START_TIP)
        self.start.addItem("grey", "grey")
        self.start.addItem("noise", "random")
        self.spatial = _named(QComboBox(), "amSpatialCombo")
        self.spatial.setToolTip(SPATIAL_TIP)
        self.spatial.addItem("mean of the map", "mean")
        self.spatial.addItem("centre unit", "centre")
        self.run_button = _named(QPushButton("Run"), "amRunButton")
        self.run_button.setToolTip("Optimise the images with the network's current weights")
        self.stop_button = _named(QPushButton("Stop"), "amStopButton")
        self.stop_button.setEnabled(False)
        self.progress = _named(QProgressBar(), "amProgress")
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v of %m steps")
        self.status = _label("amStatus")
        self.run_button.clicked.connect(self.request_run)
        self.stop_button.clicked.connect(self.cancel_requested.emit)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("amGrid")
        self.plot.setToolTip(TILE_TIP)
        item = self.plot.getPlotItem()
        for axis in ("left", "bottom"):
            item.hideAxis(axis)
        item.setAspectLocked(True)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.image)
        self.labels: list[pg.TextItem] = []
        self.caption = _label("amCaption")
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self._layout()

    @staticmethod
    def _spin(spin: QSpinBox, lo: int, hi: int, value: int, tip: str) -> QSpinBox:
        spin.setRange(lo, hi)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Excite:"))
        top.addWidget(self.target, 1)
        top.addWidget(self.run_button)
        top.addWidget(self.stop_button)
        top.addWidget(self.progress, 1)
        settings = QHBoxLayout()
        for text, widget in (("Steps", self.steps), ("Jitter (px)", self.jitter), ("Blur every", self.blur),
                             ("L2", self.l2), ("Step size", self.rate), ("Start", self.start),
                             ("A channel is its", self.spatial)):
            label = QLabel(text)
            label.setToolTip(widget.toolTip())
            settings.addWidget(label)
            settings.addWidget(widget)
        settings.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(settings)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.status)

    # What the presenter tells it ---------------------------------------------------------------------------

    def set_targets(self, classes: int, layers: list[tuple[str, str, int]]) -> None:
        """The choice of targets: the output's ``classes``, then each (layer, kind, count) of the network."""
        current = self.target.currentData()
        self.target.blockSignals(True)
        self.target.clear()
        if classes:
            self.target.addItem(f"every class ({classes} logits of the output)", CLASSES)
        for name, kind, count in layers:
            what = "channels" if kind == "Conv2d" else "units"
            shown = f"{min(count, 64)} of {count} {what}" if count > 64 else f"{count} {what}"
            self.target.addItem(f"{name}: each of its {shown}", name)
        found = self.target.findData(current)
        self.target.setCurrentIndex(max(0, found))
        self.target.blockSignals(False)
        self.run_button.setEnabled(self.target.count() > 0 and not self.running)

    def settings(self) -> dict[str, Any]:
        return {"layer": self.target.currentData() or CLASSES, "steps": self.steps.value(),
                "jitter": self.jitter.value(), "blur_every": self.blur.value(), "l2": self.l2.value(),
                "learning_rate": self.rate.value(), "start": self.start.currentData(),
                "spatial": self.spatial.currentData()}

    def request_run(self) -> None:
        if self.target.count():
            self.set_running(True)
            self.run_requested.emit(self.settings())

    def set_running(self, running: bool) -> None:
        self.running = running
        self.run_button.setEnabled(not running and self.target.count() > 0)
        self.stop_button.setEnabled(running)
        if running:
            self.progress.setMaximum(self.steps.value())
            self.progress.setValue(0)
            self.status.setText("Optimising the images…")
            self.status.setStyleSheet("")

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(done)

    def show_error(self, text: str) -> None:
        self.set_running(False)
        self.status.setText(text)
        self.status.setStyleSheet("color:#d32f2f")

    def show_result(self, record: ActivationMaximisation) -> None:
        self.set_running(False)
        self.record = record
        self.set_progress(record.steps_done, record.steps)
        images = np.asarray(record.images)
        size = self.plot.size()
        aspect = size.width() / size.height() if size.height() > 50 and size.width() > 50 else 1.6
        picture, cols, down, across = _tiles(images, aspect)
        self.image.setImage(picture, levels=(0.0, 1.0), autoLevels=False)
        self._place_labels(record, cols, down, across, images.shape[2])
        box = self.plot.getPlotItem().getViewBox()
        box.setRange(xRange=(0, picture.shape[1]), yRange=(0, picture.shape[0]), padding=0.02)
        if record.is_classes:
            what = "Each image raises its class's logit (before softmax)"
        else:
            what = f"Each image raises one {'channel' if 'channel' in record.labels[0] else 'unit'} of {record.layer}"
            if record.spatial == "centre":
                what = f"Each image raises the centre unit of one channel of {record.layer}"
        rise = float(np.mean(np.asarray(record.final) - np.asarray(record.start)))
        self.caption.setText(f"{what}; on average from {float(np.mean(record.start)):.2f} on the start image to "
                             f"{float(np.mean(record.final)):.2f} (+{rise:.2f}). Under each label: its final "
                             f"activation.")
        stopped = f"Stopped after {record.steps_done} of {record.steps} steps. " if record.cancelled else ""
        self.status.setText(stopped + record.source)
        self.status.setStyleSheet("")

    def _place_labels(self, record: ActivationMaximisation, cols: int, down: int, across: int, h: int) -> None:
        box = self.plot.getPlotItem()
        while len(self.labels) > len(record.labels):
            box.removeItem(self.labels.pop())
        font = QFont()
        font.setPointSize(8)
        while len(self.labels) < len(record.labels):
            text = pg.TextItem(color="#222", anchor=(0.5, 1.0))
            text.setFont(font)
            box.addItem(text)
            self.labels.append(text)
        count = len(record.labels)
        for i, (text, label) in enumerate(zip(self.labels, record.labels)):
            r, k = divmod(i, cols)
            shown = _tile_label(label, record.is_classes, count)
            value = f"{float(record.final[i]):.1f}"
            text.setText(f"{shown}\n{value}" if count <= 16 else shown)
            text.setPos(GAP + k * across + (across - GAP) / 2, r * down + _label_room(h) - 1)
        if record.is_classes:
            what = "the output's classes"
        else:
            what = f"the {count} {'channels' if 'channel' in record.labels[0] else 'units'} of {record.layer}"
            if record.spatial == "centre":
                what = f"the centre unit of each of {what[4:]}"
        box.setTitle(f"What excites {what}", size="9pt", color="#333")


class EmbeddingView(QWidget):
    """An Embedding layer's vectors on their first two principal axes, each labelled with its token; the chosen
    token and its nearest neighbours (by cosine similarity) marked on the map and listed beside it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("embeddingView")
        self.record: Embeddings | None = None
        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("embeddingPlot")
        item = self.plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setLabel("bottom", "principal axis 1")
        item.setLabel("left", "principal axis 2")
        item.setMenuEnabled(False)
        self.dots = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#ffffff", width=0.5), brush=pg.mkBrush("#8aa9c9"))
        item.addItem(self.dots)
        self.texts: list[pg.TextItem] = []
        self.token = _named(QComboBox(), "embeddingTokenCombo")
        self.token.setToolTip("A token: its nearest neighbours are the tokens whose vectors point the most the same "
                              "way (cosine similarity = cos of the angle between them)")
        self.token.currentIndexChanged.connect(lambda _i: self._mark())
        self.neighbours = _label("embeddingNeighbours")
        self.neighbours.setTextFormat(Qt.TextFormat.RichText)
        self.neighbours.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.neighbours.setMinimumWidth(170)
        self.status = _label("embeddingStatus")
        side = QVBoxLayout()
        side.addWidget(QLabel("Nearest neighbours of"))
        side.addWidget(self.token)
        side.addWidget(self.neighbours, 1)
        row = QHBoxLayout()
        row.addWidget(self.plot, 1)
        row.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.status)

    def show_message(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color:#d32f2f" if error else "")

    def show_embeddings(self, record: Embeddings) -> None:
        first = self.record is None or self.record.tokens != record.tokens
        self.record = record
        points = np.asarray(record.points, dtype=np.float64)
        item = self.plot.getPlotItem()
        if first:
            chosen = self.token.currentText()
            self.token.blockSignals(True)
            self.token.clear()
            self.token.addItems(list(record.tokens))
            found = self.token.findText(chosen) if chosen else -1
            self.token.setCurrentIndex(found if found >= 0 else self._default_token(record.tokens))
            self.token.blockSignals(False)
            for text in self.texts:
                item.removeItem(text)
            font = QFont()
            font.setPointSize(10)
            font.setBold(True)
            self.texts = []
            for token in record.tokens:
                text = pg.TextItem(token, color="#1f3b57", anchor=(0.5, 1.15))
                text.setFont(font)
                item.addItem(text)
                self.texts.append(text)
        for text, (x, y) in zip(self.texts, points):
            text.setPos(float(x), float(y))
        share = np.asarray(record.explained, dtype=np.float64) * 100
        item.setLabel("bottom", f"principal axis 1 ({share[0]:.0f}% of the variance)")
        item.setLabel("left", f"principal axis 2 ({share[1]:.0f}%)")
        item.setTitle(f"{record.layer}: {len(record.tokens)} tokens × {record.vectors.shape[1]} dimensions, "
                      f"projected by PCA", size="9pt", color="#333")
        if first:
            item.getViewBox().autoRange(padding=0.08)
        self._mark()
        self.show_message(record.source)

    @staticmethod
    def _default_token(tokens: tuple[str, ...]) -> int:
        return tokens.index("e") if "e" in tokens else 0

    def _mark(self) -> None:
        record = self.record
        if record is None:
            return
        chosen = max(0, self.token.currentIndex())
        points = np.asarray(record.points, dtype=np.float64)
        near = [int(j) for j in np.asarray(record.neighbours)[chosen]]
        brushes = [pg.mkBrush("#c8d6e5")] * len(points)
        sizes = [7.0] * len(points)
        for j in near:
            brushes[j], sizes[j] = pg.mkBrush("#e69f00"), 10.0
        brushes[chosen], sizes[chosen] = pg.mkBrush("#d55e00"), 13.0
        self.dots.setData(x=points[:, 0], y=points[:, 1], brush=brushes, size=sizes)
        for j, text in enumerate(self.texts):
            text.setColor("#d55e00" if j == chosen else "#8a5a00" if j in near else "#1f3b57")
        similarities = np.asarray(record.similarities)[chosen]
        rows = "".join(f"<tr><td><b>{_escape(record.tokens[j])}</b></td><td align='right'>&nbsp;{s:.3f}</td></tr>"
                       for j, s in zip(near, similarities))
        self.neighbours.setText(f"<table><tr><th align='left'>token</th><th>&nbsp;cosine</th></tr>{rows}</table>")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
