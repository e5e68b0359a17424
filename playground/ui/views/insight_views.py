"""What a trained network sees: adversarial examples (with the attack's success rate against ε) and saliency maps
of the current image (a drawing or the chosen test image), for image classifiers.

The settings travel to the engine in the probe names these views ask for (see engine/insight/probes.py), so moving
the ε slider only changes ``probes`` and emits ``probes_changed``; the next snapshot, even while paused, brings the
new attack.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from playground.snapshots import Adversarial, AdversarialCurve, Saliency
from playground.viz.colormaps import hex_to_rgba, interpolated_lut

from .base import (
    SnapshotView,
    attr,
    class_names,
    plot_widget,
    probe,
    style_plot,
)
from .view_spec import ViewSpec

METHODS = ("fgsm", "pgd")
METHOD_TITLES = {"fgsm": "FGSM", "pgd": "PGD"}
METHOD_TIPS = {
    "fgsm": "Fast gradient sign method: one step, x′ = x + ε·sign(∇ₓ loss). Every pixel moves by exactly ε in the "
            "direction that raises the loss of the true class (towards a chosen class: lowers that class's loss).",
    "pgd": "Projected gradient descent: many small FGSM steps (2.5ε/steps each), each followed by a clip back to "
           "within ε of the original and to the pixel range. Stronger than FGSM at the same ε.",
}
EPSILON_TIP = ("ε: how far each pixel may move (L∞ bound), in the network's pixel units (0 = black, 1 = white for "
               "the digits). Small ε: a change a person barely sees.")
STEPS_TIP = "PGD's number of steps; more steps find stronger attacks within the same ε."
TARGET_TIP = ("Any wrong class: push the answer away from the true class (for a drawing: from the network's own "
              "answer). A class: push the image towards that class.")
TRAIN_TIP = ("Adversarial training: replace this share of each training batch by its FGSM examples, made "
             "against the network as it is at that step. Watch the success curve fall (robustness rises) and the "
             "clean test accuracy change.")
CURVE_TIP = ("The share of the first 100 test images the attack fools at each ε: untargeted, among those the network "
             "gets right; towards a class, among those of other classes.")
EPSILON_STEPS = 50  # the slider's ticks: ε = tick / 100, up to 0.5
SALIENCY_METHODS = {
    "saliency": ("Saliency", "|∂ log p(class) / ∂ pixel|: how much a tiny change of each pixel moves the answer."),
    "input_x_gradient": ("Input×grad",
                         ("pixel · ∂ log p / ∂ pixel: the gradient weighted by the pixel, so black pixels count for "
                         "nothing.")),
    "smoothgrad": ("SmoothGrad", ("Saliency averaged over 16 noisy copies of the image (noise σ = 10% of the pixel "
                                 "range): the speckle of single gradients averages out.")),
    "integrated_gradients": ("Integr. grads",
                             ("(x − black) · the gradient averaged along the straight path from a black image to x; "
                             "the map sums to log p(x) − log p(black).")),
    "occlusion": ("Occlusion", ("How much log p drops when a 4×4 black patch covers each place: no gradients, just "
                               "experiments. Red: covering it hurts the class.")),
    "gradcam": ("Grad-CAM", ("The last conv layer's channels, weighted by their mean gradient, summed, ReLU'd and "
                            "upsampled: where the features that speak for the class are.")),
}
HEAT_STOPS = ("#2166ac", "#f7f7f7", "#b2182b")  # against the class: blue; for it: red
BEFORE_COLOR, AFTER_COLOR = "#8aa9c9", "#d55e00"
NOT_FOR_THIS = "Adversarial examples and saliency maps need an image classifier (digits, a downloaded set, a folder)."


def _display(image: np.ndarray) -> np.ndarray:
    """(C, H, W) -> (H, W) for grey, (H, W, 3) for colour."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3 and image.shape[0] == 3:
        return np.transpose(image, (1, 2, 0))
    return image.reshape(image.shape[-2], image.shape[-1])


class ImagePanel(pg.PlotWidget):
    """A small titled picture: an image, optionally with a translucent heatmap over it. Items are made once."""

    def __init__(self, name: str, title: str, tip: str) -> None:
        super().__init__(background="w")
        self.setObjectName(name)
        self.setToolTip(tip)
        item = self.getPlotItem()
        for axis in ("left", "bottom"):
            item.hideAxis(axis)
        item.setAspectLocked(True)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.overlay = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.image)
        item.addItem(self.overlay)
        self.title = ""
        self.set_title(title)
        self.setMinimumSize(60, 60)

    def set_title(self, text: str) -> None:
        if text != self.title:
            self.title = text
            self.getPlotItem().setTitle(text, size="8pt", color="#333")

    def show_image(self, image: np.ndarray, levels: tuple[float, float], lut: np.ndarray | None = None) -> None:
        shown = _display(image)
        self.image.setLookupTable(lut if shown.ndim == 2 else None)
        self.image.setImage(shown, levels=levels, autoLevels=False)

    def show_overlay(self, rgba: np.ndarray | None) -> None:
        if rgba is None:
            self.overlay.clear()
        else:
            self.overlay.setImage(rgba, levels=(0, 255), autoLevels=False)


def _heat_rgba(values: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """A map scaled to -1..1 as colours whose opacity grows with |value|: weak parts let the image show through."""
    v = np.clip(np.nan_to_num(values), -1, 1)
    idx = np.round((v + 1) / 2 * (len(lut) - 1)).astype(np.int64)
    rgba: np.ndarray = lut[idx].copy()
    rgba[..., 3] = (np.sqrt(np.abs(v)) * 235).astype(np.uint8)
    return rgba


def _target_combo(name: str, tip: str, first: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setToolTip(tip)
    combo.addItem(first, -1)
    return combo


def _fill_classes(combo: QComboBox, names: list[str], first: str) -> None:
    if combo.count() == len(names) + 1 and all(combo.itemText(i + 1) == n for i, n in enumerate(names)):
        return
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(first, -1)
    for i, n in enumerate(names):
        combo.addItem(n, i)
    index = combo.findData(current)
    combo.setCurrentIndex(max(0, index))
    combo.blockSignals(False)


def _answer(names: list[str], probs: np.ndarray) -> str:
    k = int(np.argmax(probs))
    name = names[k] if k < len(names) else str(k)
    return f"{name} ({probs[k]:.0%})"


def _is_image_classifier(snapshot: Any) -> bool:
    return bool(attr(snapshot, "task", "classification") == "classification")


class AdversarialView(SnapshotView):
    """The current image, the perturbation an attack adds (magnified), the adversarial image and the network's
    probabilities before and after; beside them the attack's success rate over test images against ε."""

    probes_changed = Signal()
    training_changed = Signal(object)  # adversarial training settings the student changed
    title = "Adversarial examples"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adversarialView")
        self.setToolTip("Adversarial examples: tiny, deliberate pixel changes that flip the trained network's answer.")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Attack"))
        self.method_combo = QComboBox()
        self.method_combo.setObjectName("attackMethod")
        for i, m in enumerate(METHODS):
            self.method_combo.addItem(METHOD_TITLES[m], m)
            self.method_combo.setItemData(i, METHOD_TIPS[m], Qt.ItemDataRole.ToolTipRole)
        self.method_combo.setToolTip(METHOD_TIPS["fgsm"])
        row.addWidget(self.method_combo)
        row.addWidget(QLabel("towards"))
        self.target_combo = _target_combo("attackTarget", TARGET_TIP, "any wrong class")
        row.addWidget(self.target_combo, 1)
        self.controls_layout.addLayout(row)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        epsilon_label = QLabel("ε")
        epsilon_label.setToolTip(EPSILON_TIP)
        row.addWidget(epsilon_label)
        self.epsilon_slider = QSlider(Qt.Orientation.Horizontal)
        self.epsilon_slider.setObjectName("attackEpsilon")
        self.epsilon_slider.setRange(0, EPSILON_STEPS)
        self.epsilon_slider.setValue(10)
        self.epsilon_slider.setToolTip(EPSILON_TIP)
        self.epsilon_slider.setMinimumWidth(80)
        row.addWidget(self.epsilon_slider, 1)
        self.epsilon_label = QLabel()
        self.epsilon_label.setMinimumWidth(34)  # fixed room: the controls must not move as the value changes
        row.addWidget(self.epsilon_label)
        self.steps_label = QLabel("steps")
        row.addWidget(self.steps_label)
        self.steps_spin = QSpinBox()
        self.steps_spin.setObjectName("attackSteps")
        self.steps_spin.setRange(1, 100)
        self.steps_spin.setValue(10)
        self.steps_spin.setToolTip(STEPS_TIP)
        row.addWidget(self.steps_spin)
        self.controls_layout.addLayout(row)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        train_label = QLabel("Train on attacks")
        train_label.setToolTip(TRAIN_TIP)
        row.addWidget(train_label)
        self.share_spin = QSpinBox()
        self.share_spin.setObjectName("adversarialShare")
        self.share_spin.setRange(0, 100)
        self.share_spin.setSingleStep(10)
        self.share_spin.setSuffix("% of each batch")
        self.share_spin.setToolTip(TRAIN_TIP)
        row.addWidget(self.share_spin)
        row.addWidget(QLabel("at ε"))
        self.train_epsilon_spin = QDoubleSpinBox()
        self.train_epsilon_spin.setObjectName("adversarialTrainingEpsilon")
        self.train_epsilon_spin.setRange(0.0, 0.5)
        self.train_epsilon_spin.setSingleStep(0.05)
        self.train_epsilon_spin.setDecimals(2)
        self.train_epsilon_spin.setValue(0.1)
        self.train_epsilon_spin.setToolTip("The ε of the FGSM examples the network trains on (pixel units).")
        row.addWidget(self.train_epsilon_spin)
        row.addStretch(1)
        self.controls_layout.addLayout(row)

        body = QVBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        lower = QHBoxLayout()
        lower.setContentsMargins(0, 0, 0, 0)
        pictures = QHBoxLayout()
        pictures.setContentsMargins(0, 0, 0, 0)
        self.original = ImagePanel("adversarialOriginal", "Original", "The image the network reads now: your drawing "
                                   "or the chosen test image.")
        self.perturbation = ImagePanel("adversarialPerturbation", "Perturbation",
                                       "What the attack adds, magnified: −ε shows full blue, +ε full red.")
        self.adversarial = ImagePanel("adversarialImage", "Adversarial",
                                      "Original + perturbation, clipped to the pixel range: what the network reads "
                                      "after the attack.")
        for panel in (self.original, self.perturbation, self.adversarial):
            pictures.addWidget(panel, 1)
        body.addLayout(pictures, 1)
        self.bars_plot = plot_widget()
        self.bars_plot.setObjectName("adversarialProbabilities")
        self.bars_plot.setToolTip("The network's probability of each class before (blue-grey) and after (orange) "
                                  "the attack.")
        bars = self.bars_plot.getPlotItem()
        style_plot(bars, "class", "p")
        bars.setMouseEnabled(x=False, y=False)
        bars.hideButtons()
        bars.setMenuEnabled(False)
        bars.setYRange(0, 1, padding=0.02)
        bars.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])  # few: the plot is short
        bars.setTitle(f"<span style='color:{BEFORE_COLOR}'>■</span> before  "
                      f"<span style='color:{AFTER_COLOR}'>■</span> after", size="8pt", color="#333")
        self.before_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=BEFORE_COLOR, pen=None, name="before")
        self.after_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=AFTER_COLOR, pen=None, name="after")
        bars.addItem(self.before_bars)
        bars.addItem(self.after_bars)
        lower.addWidget(self.bars_plot, 1)
        self.curve_plot = plot_widget()
        self.curve_plot.setObjectName("adversarialCurve")
        self.curve_plot.setToolTip(CURVE_TIP)
        curve = self.curve_plot.getPlotItem()
        style_plot(curve, "ε (pixel units)", "fooled %")
        curve.setTitle("Success rate", size="8pt", color="#333")
        curve.setMouseEnabled(x=False, y=False)
        curve.hideButtons()
        curve.setMenuEnabled(False)
        curve.setYRange(0, 100, padding=0.02)
        curve.setXRange(0, 0.5, padding=0.04)  # the slider's range
        curve.getAxis("left").setTicks([[(0.0, "0"), (50.0, "50"), (100.0, "100")]])
        curve.getAxis("bottom").setTicks([[(e, f"{e:g}") for e in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)]])
        curve.showGrid(x=True, y=True, alpha=0.15)
        self.curve = curve.plot([], [], pen=pg.mkPen(AFTER_COLOR, width=2), symbol="o", symbolSize=6,
                                symbolBrush=AFTER_COLOR, symbolPen=None)
        self.epsilon_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#555", style=Qt.PenStyle.DashLine))
        curve.addItem(self.epsilon_line)
        lower.addWidget(self.curve_plot, 1)
        body.addLayout(lower, 1)
        self.content_layout.addLayout(body)

        self.method_combo.currentIndexChanged.connect(self._changed)
        self.target_combo.currentIndexChanged.connect(self._changed)
        self.epsilon_slider.valueChanged.connect(self._changed)
        self.steps_spin.valueChanged.connect(self._changed)
        self.share_spin.valueChanged.connect(
            lambda v: self.training_changed.emit({"adversarial_share": round(v / 100, 4)}))
        self.train_epsilon_spin.valueChanged.connect(
            lambda v: self.training_changed.emit({"adversarial_epsilon": round(float(v), 4)}))
        self._changed()

    # Settings -> probe names --------------------------------------------------------------------------------

    @property
    def method(self) -> str:
        return str(self.method_combo.currentData())

    @property
    def epsilon(self) -> float:
        return self.epsilon_slider.value() / 100

    @property
    def target(self) -> int:
        data = self.target_combo.currentData()
        return -1 if data is None else int(data)

    @property
    def steps(self) -> int:
        return self.steps_spin.value()

    def _changed(self, *_args: object) -> None:
        self.epsilon_label.setText(f"{self.epsilon:.2f}")
        self.epsilon_line.setValue(self.epsilon)
        pgd = self.method == "pgd"
        self.steps_spin.setEnabled(pgd)
        self.steps_label.setEnabled(pgd)
        self.method_combo.setToolTip(METHOD_TIPS[self.method])
        settings = f"method={self.method};steps={self.steps};target={self.target}"
        self.probes = ((f"adversarial:method={self.method};epsilon={self.epsilon:g};steps={self.steps};"
                       f"target={self.target}"), f"adversarial_curve:{settings}")
        self.probes_changed.emit()

    # Drawing --------------------------------------------------------------------------------------------------

    def show_snapshot(self, snapshot: Any) -> None:
        if not _is_image_classifier(snapshot):
            self.show_empty(NOT_FOR_THIS)
            return
        names = class_names(snapshot)
        _fill_classes(self.target_combo, names, "any wrong class")
        record = probe(snapshot, Adversarial)
        if record is None or not record.original.size or not record.before.size:
            self.show_empty("Choose a test image in Feature maps or draw a digit: the attack works on the image the "
                            "network reads now. It fills in at the next snapshot (press Play or Step).")
            return
        self.show_content()
        original, adversarial, before, after = record.original, record.adversarial, record.before, record.after
        # The run's own adversarial-training settings, unless the user is editing them.
        for spin, value in ((self.share_spin, round(record.training_share * 100)),
                            (self.train_epsilon_spin, record.training_epsilon)):
            if not spin.hasFocus() and abs(spin.value() - value) > 1e-9:
                spin.blockSignals(True)
                if isinstance(spin, QSpinBox):
                    spin.setValue(int(value))  # what PySide6 makes of a float for an int spin box
                else:
                    spin.setValue(value)
                spin.blockSignals(False)
        lo, hi = record.bounds
        eps = record.epsilon
        grey = interpolated_lut(("#000000", "#ffffff"))
        self.original.show_image(original, (lo, hi), grey)
        self.adversarial.show_image(adversarial, (lo, hi), grey)
        delta = np.asarray(record.perturbation, dtype=np.float32)
        if delta.ndim == 3 and delta.shape[0] > 1:
            delta = delta.mean(0, keepdims=True)
        span = eps if eps > 0 else 1.0
        self.perturbation.show_image(delta, (-span, span), interpolated_lut(HEAT_STOPS))
        label = record.label
        truth = f"true class {names[label]}" if label is not None and 0 <= label < len(names) else "your drawing"
        self.original.set_title(f"Original<br>{_answer(names, before)}")
        self.perturbation.set_title(f"Change<br>shown ×{1 / span:.0f}" if eps > 0 else "Change<br>none (ε = 0)")
        fooled = int(np.argmax(after)) != int(np.argmax(before))
        self.adversarial.set_title(f"Adversarial<br>{_answer(names, after)}" + (" fooled" if fooled else ""))
        k = len(before)
        xs = np.arange(k, dtype=np.float64)
        self.before_bars.setOpts(x=xs - 0.2, height=np.asarray(before, np.float64))
        self.after_bars.setOpts(x=xs + 0.2, height=np.asarray(after, np.float64))
        axis = self.bars_plot.getPlotItem().getAxis("bottom")
        axis.setTicks([[(i, names[i] if i < len(names) else str(i)) for i in range(k)]])
        self.bars_plot.getPlotItem().setXRange(-0.6, k - 0.4, padding=0)
        method = METHOD_TITLES.get(record.method, "")
        caption = f"{method}, ε = {eps:.2f}: {_answer(names, before)} → {_answer(names, after)} ({truth})"
        curve = probe(snapshot, AdversarialCurve)
        if curve is not None and curve.epsilons.size and curve.success.size:
            self.curve.setData(curve.epsilons, np.nan_to_num(curve.success * 100, nan=0.0))
            self.curve_plot.getPlotItem().setTitle(f"{curve.attacked} test images", size="8pt",
                                                   color="#333")
        self.set_caption(caption)


class SaliencyView(SnapshotView):
    """Which pixels the answer rests on: six attribution methods' maps over the current image, one colour bar."""

    probes_changed = Signal()
    title = "Saliency"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("saliencyView")
        self.setToolTip("Saliency maps: which pixels the network's answer rests on, by six methods.")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Explain"))
        self.class_combo = _target_combo("saliencyClass", "The class whose log-probability the maps explain.",
                                         "the predicted class")
        row.addWidget(self.class_combo)
        row.addStretch(1)
        self.controls_layout.addLayout(row)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        self.image_panel = ImagePanel("saliencyImage", "Image", "The image the network reads now.")
        grid.addWidget(self.image_panel, 0, 0)
        self.panels: dict[str, ImagePanel] = {}
        for i, (key, (title, tip)) in enumerate(SALIENCY_METHODS.items(), start=1):
            panel = ImagePanel(f"saliency_{key}", title, f"{title}: {tip}")
            self.panels[key] = panel
            grid.addWidget(panel, i // 4, i % 4)
        bar_host = pg.GraphicsLayoutWidget()
        bar_host.setBackground("w")
        bar_host.setObjectName("saliencyColorBar")
        bar_host.setToolTip("Each map is scaled by its own largest |value|: red speaks for the class, blue against "
                            "it; faint means little.")
        self.color_bar = pg.ColorBarItem(values=(-1, 1), colorMap=pg.ColorMap([0, 0.5, 1], [
            hex_to_rgba(c) for c in HEAT_STOPS]), interactive=False, width=10)
        bar_host.addItem(self.color_bar)
        bar_host.setFixedWidth(48)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(grid, 1)
        body.addWidget(bar_host)
        self.content_layout.addLayout(body)
        self._lut = interpolated_lut(HEAT_STOPS)
        self.class_combo.currentIndexChanged.connect(self._changed)
        self._changed()

    @property
    def target(self) -> int:
        data = self.class_combo.currentData()
        return -1 if data is None else int(data)

    def _changed(self, *_args: object) -> None:
        self.probes = (f"saliency:target={self.target}",)
        self.probes_changed.emit()

    def show_snapshot(self, snapshot: Any) -> None:
        if not _is_image_classifier(snapshot):
            self.show_empty(NOT_FOR_THIS)
            return
        names = class_names(snapshot)
        _fill_classes(self.class_combo, names, "the predicted class")
        record = probe(snapshot, Saliency)
        image = record.image if record is not None and record.image.size else None
        if record is None or image is None:
            self.show_empty("Choose a test image in Feature maps or draw a digit: the maps explain the image the "
                            "network reads now. They fill in at the next snapshot (press Play or Step).")
            return
        self.show_content()
        grey = interpolated_lut(("#000000", "#ffffff"))
        levels = (float(min(0.0, image.min())), float(max(1.0, image.max())))
        self.image_panel.show_image(image, levels, grey)
        cls = record.target_class
        p = record.probabilities if record.probabilities.size else None
        cls_name = names[cls] if cls < len(names) else str(cls)
        self.image_panel.set_title(f"Image<br>p({cls_name}) = {float(p[cls]):.0%}" if p is not None and
                                   cls < len(p) else "Image")
        missing = []
        for key, panel in self.panels.items():
            values = record.maps.get(key)
            if values is None or not values.size:
                panel.setVisible(False)
                missing.append(SALIENCY_METHODS[key][0])
                continue
            panel.setVisible(True)
            peak = float(np.abs(values).max())
            scaled = values / peak if peak > 0 else np.zeros_like(values)
            panel.show_image(image, levels, grey)
            panel.show_overlay(_heat_rgba(scaled, self._lut))
        text = f"Why '{cls_name}': red pixels raise its log-probability, blue ones lower it."
        if missing:
            text += f" ({', '.join(missing)}: needs a conv layer.)"
        self.set_caption(text)


VIEWS = (
    ViewSpec("adversarial", "Adversarial", AdversarialView, probes=("adversarial", "adversarial_curve"),
             tasks=("classification",), data=("images",), front=False),
    ViewSpec("saliency", "Saliency", SaliencyView, probes=("saliency",), tasks=("classification",), data=("images",),
             front=False),
)
