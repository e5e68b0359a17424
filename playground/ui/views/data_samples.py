"""A grid of the data set's images with their labels: what the network is asked to learn, before any training."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from playground.snapshots import AugmentedSamples

from .base import SnapshotView, probe
from .view_spec import ViewSpec

SHOWN = 48
MAX_TEST_SHIFT = 10  # playground.data.translation.MAX_SHIFT
# The augmentation settings (playground.graph.lab TRAINING_FIELDS) the view edits: field, short label, maximum,
# step, decimals. The tooltips are the settings' own help.
AUGMENT_CONTROLS = (
    ("augment_shift", "shift", 0.5, 0.05, 2),
    ("augment_rotation", "rotate °", 180.0, 5.0, 0),
    ("augment_scale", "scale", 0.5, 0.05, 2),
    ("augment_elastic", "elastic px", 8.0, 0.5, 1),
    ("augment_noise", "noise", 1.0, 0.05, 2),
)
AUGMENT_LABELS = {
    "augment_shift": "Random shift (fraction)",
    "augment_rotation": "Random rotation (°)",
    "augment_scale": "Random scale (±)",
    "augment_elastic": "Elastic deformation (px)",
    "augment_noise": "Noise (std)",
}
AUGMENT_HELP = {
    "augment_shift": "Move each training image by up to this fraction of its size (0.1: up to 10%).",
    "augment_rotation": "Turn each training image by a random angle of up to this many degrees either way.",
    "augment_scale": "Zoom each training image by a random factor from 1 − s to 1 + s.",
    "augment_elastic": "Bend each training image by a smooth random warp moving pixels by about this many pixels.",
    "augment_noise": "Add Gaussian noise of this standard deviation to every pixel (pixels run from 0 to 1).",
}
CAPTION_HEIGHT = 16
GAP = 6


def _qimage(image: np.ndarray) -> QImage:
    """(H, W) gray or (3, H, W) colour in [0, 1] as a QImage that owns its bytes."""
    a = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    if a.ndim == 3 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 2:
        data = np.ascontiguousarray((a * 255).astype(np.uint8))
        return QImage(data.data, data.shape[1], data.shape[0], data.shape[1], QImage.Format.Format_Grayscale8).copy()
    rgb = np.ascontiguousarray((np.moveaxis(a[:3], 0, -1) * 255).astype(np.uint8))
    return QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.shape[1] * 3, QImage.Format.Format_RGB888).copy()


class SampleTiles(QWidget):
    """Paints the images in as many columns as fit, each with its label under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleTiles")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.images: list[QImage] = []
        self.captions: list[str] = []

    def set_tiles(self, images: list[QImage], captions: list[str]) -> None:
        self.images, self.captions = images, captions
        self.update()

    def layout_tiles(self) -> tuple[int, int]:
        """(columns, tile side in pixels) that fit every image in the widget, tiles as large as possible."""
        n = max(1, len(self.images))
        best = (1, 8)
        for columns in range(1, n + 1):
            rows = -(-n // columns)
            side = min((self.width() - GAP) // columns - GAP, (self.height() - GAP) // rows - GAP - CAPTION_HEIGHT)
            if side > best[1]:
                best = (columns, side)
        return best

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        if not self.images:
            return
        columns, side = self.layout_tiles()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for i, (image, caption) in enumerate(zip(self.images, self.captions)):
            x = GAP + (i % columns) * (side + GAP)
            y = GAP + (i // columns) * (side + GAP + CAPTION_HEIGHT)
            painter.drawImage(QRectF(x, y, side, side), image)
            painter.setPen(QColor("#333"))
            # A long class name ("automobile" under a small tile) is cut with "…", never drawn over its neighbours.
            shown = painter.fontMetrics().elidedText(caption, Qt.TextElideMode.ElideRight, side + GAP)
            painter.drawText(QRect(x - GAP // 2, y + side, side + GAP, CAPTION_HEIGHT),
                             int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), shown)
        painter.end()


class DataSampleView(SnapshotView):
    """The training images, a random page of them, optionally of one class only. Fed by :meth:`set_data` (the
    data set, when a lab opens or its data change), not by snapshots."""

    probes: tuple[str, ...] = ()
    shuffle_requested = Signal()
    training_changed = Signal(dict)  # augmentation settings the user changed
    probes_changed = Signal()  # "as the network sees them" turned on or off
    dataset_changed = Signal(dict)  # the test shift of the translation experiment

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip("A random page of the training images with their labels: look at the data before training "
                        "on it. Ambiguous or mislabelled examples are part of every real data set.")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Class"))
        self.class_combo = QComboBox()
        self.class_combo.setObjectName("sampleClassCombo")
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.class_combo.setToolTip("Show only the images of one class, to see how varied a class is.")
        self.class_combo.currentIndexChanged.connect(lambda _i: self._show_page())
        row.addWidget(self.class_combo)
        self.shuffle_button = QPushButton("Shuffle")
        self.shuffle_button.setObjectName("sampleShuffleButton")
        self.shuffle_button.setToolTip("Another random page of images.")
        self.shuffle_button.clicked.connect(self._shuffle)
        row.addWidget(self.shuffle_button)
        row.addStretch(1)
        self.controls_layout.addLayout(row)
        second = QHBoxLayout()
        second.setContentsMargins(0, 0, 0, 0)
        self.augmented_checkbox = QCheckBox("As the network sees them")
        self.augmented_checkbox.setObjectName("sampleAugmented")
        self.augmented_checkbox.setToolTip("Show training images transformed by the augmentation, as each training "
                                           "batch is: new random transforms at every update while it trains. The "
                                           "test images are never transformed.")
        self.augmented_checkbox.toggled.connect(self._on_augmented)
        second.addWidget(self.augmented_checkbox)
        # The five settings in a drop-down, so they take no room from the images in a narrow dock.
        self.augment_button = QToolButton()
        self.augment_button.setObjectName("sampleAugmentButton")
        self.augment_button.setText("Augment: off")
        self.augment_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.augment_button.setToolTip("Data augmentation: random transforms of the training images, so the network "
                                       "cannot memorise exact pixels and must learn what stays the same. 0 turns a "
                                       "transform off.")
        panel = QWidget()
        form = QFormLayout(panel)
        form.setContentsMargins(8, 6, 8, 6)
        self.augment_spins: dict[str, QDoubleSpinBox] = {}
        for field, _label, maximum, step, decimals in AUGMENT_CONTROLS:
            spin = QDoubleSpinBox()
            spin.setObjectName(f"sample_{field}")
            spin.setRange(0.0, maximum)
            spin.setSingleStep(step)
            spin.setDecimals(decimals)
            spin.setToolTip(AUGMENT_HELP[field])
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda value, f=field: self._on_augment(f, value))
            form.addRow(AUGMENT_LABELS[field], spin)
            self.augment_spins[field] = spin
        # Not augmentation but its counterpart: the translation experiment moves the test images instead.
        self.test_shift_spin = QSpinBox()
        self.test_shift_spin.setObjectName("sampleTestShift")
        self.test_shift_spin.setRange(0, MAX_TEST_SHIFT)
        self.test_shift_spin.setSuffix(" px")
        self.test_shift_spin.setKeyboardTracking(False)
        self.test_shift_spin.setToolTip("Translation experiment: move every test image by this many pixels in a "
                                        "random direction (the training images stay centred). A dense network "
                                        "trained on centred digits fails on moved ones; convolutions with pooling, "
                                        "or training with random shifts, cope better.")
        self.test_shift_spin.valueChanged.connect(self._on_test_shift)
        form.addRow("Move test images by", self.test_shift_spin)
        menu = QMenu(self.augment_button)
        action = QWidgetAction(menu)
        action.setDefaultWidget(panel)
        menu.addAction(action)
        self.augment_button.setMenu(menu)
        second.addWidget(self.augment_button)
        second.addStretch(1)
        self.controls_layout.addLayout(second)
        self.tiles = SampleTiles()
        self.content_layout.addWidget(self.tiles)
        self._images: np.ndarray | None = None
        self._labels: np.ndarray | None = None
        self._names: list[str] = []
        self._title = ""
        self._page = 0
        self.shown_indices: np.ndarray = np.zeros(0, dtype=np.int64)
        self._options: dict[str, Any] = {}
        self.show_empty("Open a lab with image data to see its samples here.")

    def set_data(self, images: Any, labels: Any, class_names: Sequence[str], title: str) -> None:
        images = np.asarray(images)
        labels = np.asarray(labels).reshape(-1)
        if images.ndim < 3 or len(images) != len(labels) or not len(images):
            self.clear_data("This lab's data are not images.")
            return
        self._images, self._labels = images, labels.astype(np.int64)
        self._names = [str(n) for n in class_names] or [str(c) for c in range(int(labels.max()) + 1)]
        self._title = title
        self._page = 0
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        self.class_combo.addItem("All classes", -1)
        for c, name in enumerate(self._names):
            self.class_combo.addItem(f"{c}: {name}" if name != str(c) else name, c)
        self.class_combo.blockSignals(False)
        self.show_content()
        self._show_page()

    def clear_data(self, message: str) -> None:
        self._images = self._labels = None
        self.tiles.set_tiles([], [])
        self.show_empty(message)

    def set_training(self, settings: Any) -> None:
        """Show the lab's augmentation settings (without asking for a change)."""
        for field, spin in self.augment_spins.items():
            value = float(getattr(settings, field, 0.0))
            if spin.value() != value:
                spin.blockSignals(True)
                spin.setValue(value)
                spin.blockSignals(False)
        self._label_button()

    def set_dataset_options(self, options: Any) -> None:
        """Show the lab's test shift (without asking for a change)."""
        value = options.get("test_shift", 0) if hasattr(options, "get") else 0
        value = value if isinstance(value, int) and not isinstance(value, bool) else 0
        if self.test_shift_spin.value() != value:
            self.test_shift_spin.blockSignals(True)
            self.test_shift_spin.setValue(value)
            self.test_shift_spin.blockSignals(False)
        self._options = dict(options) if hasattr(options, "items") else {}
        self._label_button()

    def _on_test_shift(self, value: int) -> None:
        options = dict(self._options)
        if value:
            options["test_shift"] = int(value)
        else:
            options.pop("test_shift", None)
        self._options = options
        self._label_button()
        self.dataset_changed.emit({"options": options})

    def _on_augment(self, field: str, value: float) -> None:
        self._label_button()
        self.training_changed.emit({field: float(value)})

    def _label_button(self) -> None:
        on = sum(1 for spin in self.augment_spins.values() if spin.value() > 0)
        text = f"Augment: {on}" if on else "Augment: off"
        shift = self.test_shift_spin.value()
        self.augment_button.setText(text + (f" · test moved {shift} px" if shift else ""))

    def _on_augmented(self, on: bool) -> None:
        self.probes = ("augmented",) if on else ()
        self.class_combo.setEnabled(not on)
        self.shuffle_button.setEnabled(not on)
        self.probes_changed.emit()
        if on:
            self.set_caption("As the network sees them: fills in when training runs (Play or Step).")
        else:
            self._show_page()

    def show_snapshot(self, snapshot: Any) -> None:
        """The samples come from the data set itself; with "as the network sees them", from the run's
        ``AugmentedSamples`` record: images (N, C, H, W) and labels."""
        if not self.augmented_checkbox.isChecked():
            return
        record = probe(snapshot, AugmentedSamples)
        if record is None:
            return
        images, labels = record.images, record.labels
        if not images.size or images.ndim != 4 or len(images) != len(labels):
            return
        self.show_content()
        captions = [self._names[int(c)] if 0 <= int(c) < len(self._names) else str(int(c)) for c in labels]
        self.tiles.set_tiles([_qimage(image) for image in images], captions)
        on = [f"{label} {self.augment_spins[field].value():g}" for field, label, *_ in AUGMENT_CONTROLS
              if self.augment_spins[field].value() > 0]
        self.set_caption(f"As the network sees them: the first {len(images)} training images, "
                         + (f"augmented ({', '.join(on)}), new transforms at each update" if on else
                            "not augmented (choose transforms under Augment)"))

    def _shuffle(self) -> None:
        self._page += 1
        self._show_page()

    def _show_page(self) -> None:
        if self._images is None or self._labels is None or self.augmented_checkbox.isChecked():
            return
        wanted = self.class_combo.currentData()
        pool = np.arange(len(self._labels)) if wanted in (None, -1) else np.flatnonzero(self._labels == wanted)
        rng = np.random.default_rng(self._page)
        chosen = pool if len(pool) <= SHOWN else np.sort(rng.choice(pool, SHOWN, replace=False))
        self.shown_indices = chosen
        images = [_qimage(self._images[i]) for i in chosen]
        captions = [self._names[int(self._labels[i])] if 0 <= int(self._labels[i]) < len(self._names)
                    else str(int(self._labels[i])) for i in chosen]
        self.tiles.set_tiles(images, captions)
        which = "all classes" if wanted in (None, -1) else f"class {self.class_combo.currentText()}"
        self.set_caption(f"{self._title}: {len(self._labels):,} training images · {len(chosen)} of {len(pool):,} "
                         f"shown ({which})")


SPEC = ViewSpec("samples", "Samples", DataSampleView, probes=("augmented",), data=("images",))
