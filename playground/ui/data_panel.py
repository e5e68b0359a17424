"""The data panel for the 2-D sets, as in TensorFlow Playground: dataset picker with thumbnails, noise, train/test
ratio, batch size, input features, regenerate.

The panel never generates data itself (views and widgets do not import the data package): the controller hands it
the thumbnails as RGBA arrays, and the panel emits what the user changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
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


@dataclass(frozen=True)
class DatasetChoice:
    name: str
    title: str
    description: str
    kind: str
    thumbnail: np.ndarray  # (h, w, 4) uint8 RGBA


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
        layout.addWidget(self.sets_box)

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
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setObjectName("regenerateButton")
        self.regenerate_button.setToolTip("Draw a new sample of the same distribution (a new data seed).")
        self.regenerate_button.clicked.connect(self.regenerate_requested)
        form.addRow(self.regenerate_button)
        layout.addWidget(form_box)

        feats_box = QGroupBox("Features")
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

    # Showing a lab ----------------------------------------------------------------------------------------

    def set_values(self, name: str, noise: float, train_ratio: float, batch_size: int, features: Sequence[str],
                   enabled: bool = True) -> None:
        self._updating = True
        try:
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
        self.setEnabled(enabled)
        self.note.setText("" if enabled else "This lab's data is not one of the 2-D sets; its settings are in the "
                                             "lab file.")

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
