"""The data panel for the 2-D sets, as in TensorFlow Playground: dataset picker with thumbnails, noise, train/test
ratio, batch size, input features, regenerate.

The panel never generates data itself (views and widgets do not import the data package): the controller hands it
the thumbnails as RGBA arrays, and the panel emits what the user changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

FEATURE_HELP = {
    "x1": "The first coordinate. Alone it can only split the plane left from right.",
    "x2": "The second coordinate: splits top from bottom.",
    "x1^2": "x₁²: with x₂² a single neuron can draw a circle (the circle set becomes linear).",
    "x2^2": "x₂²: with x₁² a single neuron can draw a circle.",
    "x1*x2": "x₁·x₂: positive in two opposite quadrants, the feature that makes XOR linear.",
    "sin_x1": "sin(x₁): waves along x₁, useful for the spiral.",
    "sin_x2": "sin(x₂): waves along x₂.",
}


COLUMNS = 3
FOLDER = "folder"  # the image-set entry that asks for a folder of the user's own images


@dataclass(frozen=True)
class DatasetChoice:
    name: str
    title: str
    description: str
    kind: str
    thumbnail: np.ndarray  # (h, w, 4) uint8 RGBA
    class_range: tuple[int, int] = (0, 0)  # the class counts a multi-class set offers, e.g. (3, 5)


@dataclass(frozen=True)
class ImageSetChoice:
    name: str
    title: str
    description: str
    available: bool  # on this computer; otherwise it must be downloaded first


def pixmap_from_rgba(rgba: np.ndarray) -> QPixmap:
    data = np.ascontiguousarray(rgba, dtype=np.uint8)
    h, w = data.shape[:2]
    image = QImage(data.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
    return QPixmap.fromImage(image.copy())


class DataPanel(QWidget):
    """Emits ``dataset_changed`` with the changed dataset fields and ``training_changed`` for the batch size."""

    dataset_changed = Signal(dict)
    training_changed = Signal(dict)
    regenerate_requested = Signal()
    download_requested = Signal(str)  # the name of an image set to fetch
    folder_requested = Signal()  # the user wants to choose a folder of their own images

    def __init__(self, features: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self._updating = False
        self._features = features
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)

        self.sets_box = QGroupBox("Data")
        self.sets_box.setToolTip("Which problem to learn. Orange and blue are the two classes; for regression the "
                                 "colour is the value to predict.")
        self.sets_grid = QGridLayout(self.sets_box)
        self.sets_grid.setSpacing(4)
        self.set_buttons = QButtonGroup(self)
        self.set_buttons.setExclusive(True)
        self.set_buttons.idClicked.connect(self._on_set_clicked)
        self._names: list[str] = []
        self._class_ranges: dict[str, tuple[int, int]] = {}
        self._options: dict[str, object] = {}
        layout.addWidget(self.sets_box)

        self.image_box = QGroupBox("Images")
        self.image_box.setToolTip("Which image set the network learns from. The built-in digits work offline; the "
                                  "full sets are downloaded once into your cache folder.")
        image_layout = QVBoxLayout(self.image_box)
        self.image_combo = QComboBox()
        self.image_combo.setObjectName("imageSetCombo")
        self.image_combo.activated.connect(self._on_image_set)
        image_layout.addWidget(self.image_combo)
        self.download_button = QPushButton("Download…")
        self.download_button.setObjectName("downloadButton")
        self.download_button.setToolTip("Fetch the chosen set from the internet (checksummed; a cancelled or failed "
                                        "download leaves nothing behind).")
        self.download_button.clicked.connect(self._on_download)
        image_layout.addWidget(self.download_button)
        self.image_note = QLabel()
        self.image_note.setObjectName("imageSetNote")
        self.image_note.setWordWrap(True)
        self.image_note.setStyleSheet("color: #666;")
        image_layout.addWidget(self.image_note)
        self._image_sets: list[ImageSetChoice] = []
        self.image_box.hide()
        layout.addWidget(self.image_box)

        form_box = QGroupBox("Samples")
        form = QFormLayout(form_box)
        self.ratio_slider, self.ratio_label = self._slider(10, 90, 50, "trainRatioSlider",
                                                           "Share of the points used for training; the rest "
                                                           "are the test set that measures generalisation.")
        self.ratio_slider.valueChanged.connect(self._on_ratio)
        self.ratio_slider.sliderReleased.connect(lambda: self._on_ratio(self.ratio_slider.value()))
        form.addRow("Training data", self._with_label(self.ratio_slider, self.ratio_label))
        self.noise_slider, self.noise_label = self._slider(0, 50, 0, "noiseSlider",
                                                           "Noise blurs the classes into each other: the network "
                                                           "must learn the shape, not the points.")
        self.noise_slider.valueChanged.connect(self._on_noise)
        self.noise_slider.sliderReleased.connect(lambda: self._on_noise(self.noise_slider.value()))
        form.addRow("Noise", self._with_label(self.noise_slider, self.noise_label))
        self.batch_slider, self.batch_label = self._slider(1, 30, 10, "batchSlider",
                                                           "Samples per update. Small batches give noisy, "
                                                           "frequent steps; large ones smooth, rarer steps.")
        self.batch_slider.valueChanged.connect(self._on_batch)
        form.addRow("Batch size", self._with_label(self.batch_slider, self.batch_label))
        # Only for the sets with more than two classes (blobs, arms, rings): how many classes to make.
        self.classes_row = QWidget()
        classes_layout = QHBoxLayout(self.classes_row)
        classes_layout.setContentsMargins(0, 0, 0, 0)
        classes_layout.addWidget(QLabel("Classes"))
        self.classes_spin = QSpinBox()
        self.classes_spin.setObjectName("classesSpin")
        self.classes_spin.setToolTip("How many classes the set has: one blob, spiral arm or ring each. The network's "
                                     "last Dense layer gets one unit per class.")
        self.classes_spin.valueChanged.connect(self._on_classes)
        classes_layout.addWidget(self.classes_spin)
        classes_layout.addStretch(1)
        self.classes_row.hide()
        form.addRow(self.classes_row)
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setObjectName("regenerateButton")
        self.regenerate_button.setToolTip("Draw a new sample of the same distribution (a new data seed).")
        self.regenerate_button.clicked.connect(self.regenerate_requested)
        form.addRow(self.regenerate_button)
        layout.addWidget(form_box)

        self.form_box = form_box
        feats_box = QGroupBox("Features")
        self.feats_box = feats_box
        feats_box.setToolTip("Which properties of a point the network is given. Hand-made features can make a hard "
                             "problem easy; changing them changes the Input layer.")
        feats = QGridLayout(feats_box)
        self.feature_boxes: dict[str, QCheckBox] = {}
        for i, (key, label) in enumerate(features.items()):
            box = QCheckBox(label)
            box.setObjectName(f"feature_{key}")
            box.setToolTip(FEATURE_HELP.get(key, ""))
            box.toggled.connect(self._on_features)
            feats.addWidget(box, i // 2, i % 2)
            self.feature_boxes[key] = box
        layout.addWidget(feats_box)
        self.note = QLabel()
        self.note.setObjectName("dataNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #666;")
        layout.addWidget(self.note)
        layout.addStretch(1)

    # Building -----------------------------------------------------------------------------------------------

    def _slider(self, lo: int, hi: int, value: int, name: str, tip: str) -> tuple[QSlider, QLabel]:
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setObjectName(name)
        slider.setRange(lo, hi)
        slider.setValue(value)
        slider.setToolTip(tip)
        label = QLabel()
        label.setMinimumWidth(34)
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return slider, label

    def _with_label(self, slider: QSlider, label: QLabel) -> QWidget:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(slider, 1)
        row.addWidget(label)
        return w

    def set_datasets(self, choices: Sequence[DatasetChoice]) -> None:
        for button in self.set_buttons.buttons():
            self.set_buttons.removeButton(button)
            button.deleteLater()
        self._names = []
        for i, choice in enumerate(choices):
            button = QToolButton()
            button.setObjectName(f"dataset_{choice.name}")
            button.setCheckable(True)
            button.setIcon(QIcon(pixmap_from_rgba(choice.thumbnail)))
            button.setIconSize(QSize(44, 44))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setText(choice.title)
            button.setToolTip(f"{choice.description} ({choice.kind})")
            button.setAutoRaise(True)
            self.set_buttons.addButton(button, i)
            self.sets_grid.addWidget(button, i // COLUMNS, i % COLUMNS)
            button.setMinimumWidth(10)
            self._names.append(choice.name)
            self._class_ranges[choice.name] = choice.class_range

    # Showing a lab ----------------------------------------------------------------------------------------

    def set_values(self, name: str, noise: float, train_ratio: float, batch_size: int, features: Sequence[str],
                   enabled: bool = True, classes: int = 0, options: Mapping[str, object] | None = None) -> None:
        """Show a lab's data settings; ``classes`` is the class count of a multi-class set, ``options`` the
        dataset's options (kept when the class count changes)."""
        self._updating = True
        try:
            self._options = dict(options or {})
            low, high = self._class_ranges.get(name, (0, 0))
            self.classes_row.setVisible(high > 2)
            if high > 2:
                self.classes_spin.setRange(low, high)
                self.classes_spin.setValue(max(low, min(high, classes or low)))
            for i, n in enumerate(self._names):
                button = self.set_buttons.button(i)
                if button is not None:
                    button.setChecked(n == name)
            self.noise_slider.setValue(int(round(noise)))
            self.ratio_slider.setValue(int(round(train_ratio * 100)))
            self.batch_slider.setValue(max(1, min(30, batch_size)))
            for key, box in self.feature_boxes.items():
                box.setChecked(key in features)
            self._refresh_labels()
        finally:
            self._updating = False
        images = not enabled and any(c.name == name for c in self._image_sets)
        self.setEnabled(enabled or images)
        self.sets_box.setVisible(not images)
        self.feats_box.setVisible(not images)
        self.image_box.setVisible(images)
        for widget in (self.noise_slider, self.ratio_slider, self.regenerate_button):
            widget.setEnabled(not images)
        if images:
            self._show_image_set(name)
            self.note.setText("")
        else:
            self.note.setText("" if enabled else "This lab's data is not one of the 2-D sets; its settings are in "
                                                 "the lab file.")

    def set_image_sets(self, choices: Sequence[ImageSetChoice]) -> None:
        """The image sets to offer, each with whether it is on this computer (else it needs a download)."""
        current = self.image_combo.currentData()
        self._image_sets = list(choices)
        self.image_combo.clear()
        for choice in choices:
            self.image_combo.addItem(choice.title if choice.available else f"{choice.title}: download first",
                                     choice.name)
            self.image_combo.setItemData(self.image_combo.count() - 1, choice.description,
                                         Qt.ItemDataRole.ToolTipRole)
        if current is not None:
            self._show_image_set(str(current))

    def _show_image_set(self, name: str) -> None:
        index = self.image_combo.findData(name)
        if index >= 0:
            self.image_combo.setCurrentIndex(index)
        self._refresh_download()

    def _image_choice(self, name: str) -> ImageSetChoice | None:
        return next((c for c in self._image_sets if c.name == name), None)

    def _refresh_download(self) -> None:
        choice = self._image_choice(str(self.image_combo.currentData()))
        needs = choice is not None and not choice.available
        self.download_button.setVisible(needs)
        self.download_button.setText(f"Download {choice.title.split(' (')[0]}…" if needs and choice else "Download…")
        self.image_note.setText(choice.description if choice else "")

    def _refresh_labels(self) -> None:
        self.noise_label.setText(f"{self.noise_slider.value()}")
        self.ratio_label.setText(f"{self.ratio_slider.value()}%")
        self.batch_label.setText(f"{self.batch_slider.value()}")

    def selected_features(self) -> list[str]:
        return [k for k, b in self.feature_boxes.items() if b.isChecked()]

    # Requests -----------------------------------------------------------------------------------------------

    def _on_set_clicked(self, index: int) -> None:
        if not self._updating and 0 <= index < len(self._names):
            self.dataset_changed.emit({"name": self._names[index]})

    def _on_classes(self, value: int) -> None:
        if not self._updating:
            options = dict(self._options)
            options["classes"] = int(value)
            self._options = options
            self.dataset_changed.emit({"options": options})

    def _on_image_set(self, index: int) -> None:
        name = self.image_combo.itemData(index)
        choice = self._image_choice(str(name))
        self._refresh_download()
        if choice is not None and choice.name == FOLDER and not self._updating:
            self.folder_requested.emit()
        elif choice is not None and choice.available and not self._updating:
            self.dataset_changed.emit({"name": choice.name})

    def _on_download(self) -> None:
        name = self.image_combo.currentData()
        if name is not None:
            self.download_requested.emit(str(name))

    def _on_noise(self, value: int) -> None:
        self._refresh_labels()
        # While the handle is dragged only the number moves; the data is regenerated once, on release.
        if not self._updating and not self.noise_slider.isSliderDown():
            self.dataset_changed.emit({"noise": float(value)})

    def _on_ratio(self, value: int) -> None:
        self._refresh_labels()
        if not self._updating and not self.ratio_slider.isSliderDown():
            self.dataset_changed.emit({"train_ratio": value / 100.0})

    def _on_batch(self, value: int) -> None:
        self._refresh_labels()
        if not self._updating:
            self.training_changed.emit({"batch_size": value})

    def _on_features(self, _checked: bool) -> None:
        if self._updating:
            return
        chosen = self.selected_features()
        if not chosen:  # a network needs at least one input: undo the last uncheck
            self._updating = True
            sender = self.sender()
            if isinstance(sender, QCheckBox):
                sender.setChecked(True)
            self._updating = False
            self.note.setText("A network needs at least one input feature.")
            return
        self.note.setText("")
        self.dataset_changed.emit({"features": chosen})
