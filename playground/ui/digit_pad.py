"""Draw a digit and watch the network read it: the pad, the 28x28 the network sees, probability bars.

This module only draws and preprocesses; who computes the probabilities is wired in by the composition root
(``image_ready`` out, ``show_probabilities`` in), so no torch here.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QResizeEvent, QTextLayout
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from playground.ui.digit_canvas import DEFAULT_BRUSH, EMPTY_TEXT, PAD_SIZE, THROTTLE_MS, DigitCanvas
from playground.ui.style import teaching_tooltip
from playground.viz.mnist_preprocess import MNIST_SIZE, preprocess_strokes

__all__ = ["DEFAULT_BRUSH", "EMPTY_TEXT", "PAD_SIZE", "THROTTLE_MS", "DigitCanvas", "DigitPanel", "FixedLinesLabel",
           "MnistPreview", "ProbabilityBars"]

MIN_BRUSH, MAX_BRUSH = 6, 40
PREVIEW_SCALE = 3
DRAWING_TEXT = "Keep drawing, or Clear to start again. Hover over anything to learn more."
CENTRED_NOTE = "28 × 28 pixels, centred by\nthe centre of mass of the ink"
UNCENTRED_NOTE = "28 × 28 pixels, where and as\nlarge as you drew it"

WHY_CENTRE = (
    "MNIST's digits were made this way: each one fitted into a 20x20 box (keeping its shape), then moved so the\n"
    "centre of mass of its ink sits in the middle of a 28x28 image. A network trained on MNIST has never seen\n"
    "a digit anywhere else or at another size, so your drawing gets the same treatment before the network reads\n"
    "it. The centre of mass (not the middle of the box) is used because it is where the ink really is: a '7' with\n"
    "a heavy top bar sits a little lower than its box would."
)
WHY_UNSURE = (
    "The network gives every digit a probability; the bars add up to 100%.\n"
    "It may be unsure because your digit looks like two classes (a 4 and a 9 differ by one stroke), because your\n"
    "handwriting differs from the 1990s US census workers and students who wrote MNIST, or because the model is\n"
    "still training. It has no 'not a digit' answer: even a scribble gets spread over 0-9."
)


class MnistPreview(QWidget):
    """The 28x28 image the network reads, blown up with square pixels (no smoothing: these are its inputs)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mnistPreview")
        # 3 screen pixels per input pixel: large enough to see each one, small enough that the panel with its pad
        # fits the bottom row of a 1366x768 window without scrolling.
        self.setFixedSize(MNIST_SIZE * PREVIEW_SCALE + 2, MNIST_SIZE * PREVIEW_SCALE + 2)
        self._image = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
        self._qimage = self._to_qimage(self._image)

    @staticmethod
    def _to_qimage(img: np.ndarray) -> QImage:
        data = np.ascontiguousarray(np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8))
        h, w = data.shape
        return QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8).copy()

    def image(self) -> np.ndarray:
        return self._image.copy()

    def set_image(self, img: np.ndarray) -> None:
        self._image = np.asarray(img, dtype=np.float32).copy()
        self._qimage = self._to_qimage(self._image)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        p.fillRect(self.rect(), QColor(120, 120, 120))
        p.drawImage(QRectF(1, 1, self.width() - 2, self.height() - 2), self._qimage)
        p.end()


class ProbabilityBars(QWidget):
    """Ten horizontal bars, one per digit, with percentages; the most likely digit is highlighted."""

    BAR_COLOR = QColor("#7fa7d9")
    TOP_COLOR = QColor("#2f8f5f")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probabilityBars")
        self.setMinimumSize(160, 10 * 12)  # narrow enough for the pad and another view in a 1366 px row
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setToolTip(teaching_tooltip(WHY_UNSURE, "Class probabilities"))
        self._probs: np.ndarray | None = None

    def probabilities(self) -> np.ndarray | None:
        return None if self._probs is None else self._probs.copy()

    def set_probabilities(self, probs: np.ndarray | None) -> None:
        self._probs = None if probs is None else np.asarray(probs, dtype=np.float64).copy()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(240, 10 * 20)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = p.fontMetrics()
        label_w = fm.horizontalAdvance("9") + 8
        pct_w = fm.horizontalAdvance("100.0%") + 8
        row_h = self.height() / 10
        bar_h = max(4.0, row_h * 0.7)
        track_w = max(10.0, self.width() - label_w - pct_w)
        top = -1 if self._probs is None else int(np.argmax(self._probs))
        for d in range(10):
            y = d * row_h
            p.setPen(self.palette().windowText().color())
            p.drawText(QRectF(0, y, label_w - 4, row_h), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       str(d))
            track = QRectF(label_w, y + (row_h - bar_h) / 2, track_w, bar_h)
            p.fillRect(track, QColor(0, 0, 0, 18))
            if self._probs is None:
                continue
            value = float(np.clip(self._probs[d], 0.0, 1.0))
            p.fillRect(QRectF(track.left(), track.top(), track_w * value, bar_h),
                       self.TOP_COLOR if d == top else self.BAR_COLOR)
            p.setPen(self.palette().windowText().color())
            p.drawText(QRectF(label_w + track_w + 4, y, pct_w, row_h),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       f"{100 * value:.1f}%")
        p.end()


class FixedLinesLabel(QLabel):
    """Text in a fixed number of lines: wrapped, cut with '…' when longer, the whole text in the tooltip.

    Neither its height nor its size hints depend on its text, so a longer message cannot push the widgets around
    it (a word-wrapped QLabel that grew by a line moved the drawing pad under the pen).
    """

    def __init__(self, text: str = "", lines: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._lines = lines
        self._about = ""
        # Ignored: the width it gets never depends on the text, only on its neighbours.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(lines * self.fontMetrics().lineSpacing() + 2)
        self._update_tooltip()

    def setText(self, text: str) -> None:
        if text != self.text():
            super().setText(text)
            self._update_tooltip()

    def set_about(self, tooltip: str) -> None:
        """A tooltip that explains the label, shown after the full text when the text is cut."""
        self._about = tooltip
        self._update_tooltip()

    def sizeHint(self) -> QSize:
        return QSize(160, self.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(60, self.height())

    def visible_lines(self, width: int | None = None) -> list[str]:
        """The lines as drawn at ``width`` (the current width by default), the last one elided if need be."""
        width = max(1, self.width() if width is None else width)
        fm = self.fontMetrics()
        wrapped: list[str] = []
        for paragraph in self.text().split("\n"):
            layout = QTextLayout(paragraph, self.font())
            layout.beginLayout()
            while (line := layout.createLine()).isValid():
                line.setLineWidth(width)
                wrapped.append(paragraph[line.textStart():line.textStart() + line.textLength()].rstrip())
            layout.endLayout()
        shown = wrapped[:self._lines]
        if len(wrapped) > self._lines:
            shown[-1] = " ".join(wrapped[self._lines - 1:])
        return [fm.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in shown]

    def is_cut(self) -> bool:
        shown = "".join("".join(self.visible_lines()).split())
        return shown != "".join(self.text().split())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        # The full text only where it is cut; an explanation (rich text) after it when the label has one.
        text = html.escape(self.text()).replace("\n", "<br>") if self.is_cut() else ""
        about = self._about.removeprefix("<qt>").removesuffix("</qt>")
        joined = "<br><br>".join(part for part in (text, about) if part)
        self.setToolTip(f"<qt>{joined}</qt>" if joined else "")

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setPen(QColor("#666"))
        step = self.fontMetrics().lineSpacing()
        for i, line in enumerate(self.visible_lines()):
            p.drawText(QRectF(0, 1 + i * step, self.width(), step),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
        p.end()


class DigitPanel(QWidget):
    """The pad, brush and Clear, the 28x28 preview, probability bars, the predicted digit, "Add to training set".

    ``image_ready`` carries the preprocessed (28, 28) float32 whenever the drawing changes and has ink; answer it
    with ``show_probabilities``. ``add_requested`` carries the same image and the label the user chose.

    Nothing in it changes size with what it shows (the hint, the notes, the answer): the pad and its buttons stay
    where they are under the pen from the first press to the last answer.
    """

    image_ready = Signal(np.ndarray)
    # The same image again once the stroke has ended (or the centring changed): the drawing as it stays, for what
    # is too costly to recompute on every move of a stroke (every feature map of a CNN).
    drawing_finished = Signal(np.ndarray)
    add_requested = Signal(np.ndarray, int)
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digitPanel")
        self._image: np.ndarray | None = None

        self.canvas = DigitCanvas(self)
        self.canvas.drawing_changed.connect(self._on_drawing_changed)

        self.brush_slider = QSlider(Qt.Orientation.Horizontal)
        self.brush_slider.setObjectName("brushWidthSlider")
        self.brush_slider.setRange(MIN_BRUSH, MAX_BRUSH)
        self.brush_slider.setValue(int(DEFAULT_BRUSH))
        self.brush_slider.setMinimumWidth(90)
        self.brush_slider.setToolTip(teaching_tooltip(
            "How thick the pen is. MNIST strokes are about 2-3 pixels wide in 28x28; a brush of about 20 on this\n"
            "280-pixel pad gives the same after shrinking. Very thin or very fat strokes look unlike anything the\n"
            "network has seen.", "Brush width"))
        self.brush_label = QLabel()
        self.brush_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # As wide as the widest value, so dragging the slider never moves the Clear button.
        self.brush_label.setFixedWidth(self.brush_label.fontMetrics().horizontalAdvance(f"{MAX_BRUSH} px") + 6)
        self.brush_slider.valueChanged.connect(self._on_brush)
        self._on_brush(self.brush_slider.value())

        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clearDigitButton")
        self.clear_button.setToolTip("Wipe the pad and start a new digit")
        self.clear_button.clicked.connect(self.canvas.clear)

        self.hint = FixedLinesLabel(EMPTY_TEXT, lines=2)
        self.hint.setObjectName("digitHint")

        self.preview = MnistPreview()
        self.preview.setToolTip(teaching_tooltip(WHY_CENTRE, "What the network sees"))
        preview_title = QLabel("Network input")  # short: the panel must fit beside another view (tooltip: why)
        preview_title.setToolTip(self.preview.toolTip())
        self.preview_note = FixedLinesLabel(CENTRED_NOTE, lines=2)
        self.preview_note.setObjectName("previewNote")
        self.preview_note.set_about(self.preview.toolTip())
        self.centre_checkbox = QCheckBox("Centre like MNIST")
        self.centre_checkbox.setObjectName("centreDigit")
        self.centre_checkbox.setChecked(True)
        self.centre_checkbox.setToolTip(teaching_tooltip(
            "On: the drawing is cropped, scaled into 20x20 and centred by its centre of mass, as MNIST was made.\n"
            "Off: the pad is only shrunk to 28x28, so the digit stays where and as large as you drew it. Draw in a\n"
            "corner and compare a dense network with a convolutional one: which still reads a moved digit?",
            "Translation experiment"))
        self.centre_checkbox.toggled.connect(self._on_centre)

        self.prediction_label = QLabel("–")
        self.prediction_label.setObjectName("predictionLabel")
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 4 if big.pointSizeF() > 0 else 36)
        big.setBold(True)
        self.prediction_label.setFont(big)
        self.prediction_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prediction_label.setMinimumWidth(80)
        self.prediction_label.setFixedHeight(self.prediction_label.fontMetrics().height() + 4)
        self.prediction_label.setToolTip(teaching_tooltip(WHY_UNSURE, "The network's answer"))
        self.confidence_label = QLabel("")
        self.confidence_label.setObjectName("confidenceLabel")
        self.confidence_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.confidence_label.setFixedHeight(self.confidence_label.fontMetrics().height() + 4)

        self.bars = ProbabilityBars()

        self.label_combo = QComboBox()
        self.label_combo.setObjectName("addDigitLabel")
        self.label_combo.addItems([str(d) for d in range(10)])
        self.label_combo.setToolTip("The digit you meant to write: the network learns this label for your drawing")
        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("addDigitButton")
        self.add_button.setToolTip(teaching_tooltip(
            "Put this 28x28 image, with the label on the left, into the data the model trains on. A few of your\n"
            "own digits teach the network your handwriting.", "Add to training set"))
        self.add_button.clicked.connect(self._on_add)

        # --- layout: pad on the left, what the network sees and says on the right ---
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        tools = QHBoxLayout()
        tools.addWidget(QLabel("Brush"))
        tools.addWidget(self.brush_slider, 1)
        tools.addWidget(self.brush_label)
        tools.addWidget(self.clear_button)
        left.addLayout(tools)
        left.addWidget(self.hint)

        # Tight spacing on the right: its column, not the pad's, sets the panel's minimum height.
        right = QVBoxLayout()
        right.setSpacing(4)
        top = QGridLayout()
        top.setVerticalSpacing(4)
        top.addWidget(preview_title, 0, 0)
        top.addWidget(self.preview, 1, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        answer_title = QLabel("Prediction")
        answer_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        top.addWidget(answer_title, 0, 1)
        answer = QVBoxLayout()
        answer.addWidget(self.prediction_label)
        answer.addWidget(self.confidence_label)
        answer.addStretch(1)
        top.addLayout(answer, 1, 1)
        top.addWidget(self.preview_note, 2, 0, 1, 2)
        top.addWidget(self.centre_checkbox, 3, 0, 1, 2)
        top.setColumnStretch(1, 1)
        right.addLayout(top)
        bars_title = QLabel("Probability of each digit")
        bars_title.setToolTip(self.bars.toolTip())
        right.addWidget(bars_title)
        right.addWidget(self.bars, 1)
        add_row = QHBoxLayout()
        add_as = QLabel("Train on it as")
        add_as.setToolTip(self.add_button.toolTip())
        add_row.addWidget(add_as)
        add_row.addWidget(self.label_combo)
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        right.addLayout(add_row)

        # The panel scrolls rather than overlapping its parts when a dock forces it below its minimum size.
        self._content = QWidget()
        self._content.setObjectName("digitPanelContent")
        layout = QHBoxLayout(self._content)
        # Thin margins: the panel shares the bottom row of a 768 px screen with the editor above it.
        layout.setContentsMargins(4, 2, 4, 2)
        left.setSpacing(4)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)
        self._scroll = QScrollArea(self)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setWidgetResizable(True)
        self._scroll.setWidget(self._content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._scroll)
        self._reset_answer()

    def minimumSizeHint(self) -> QSize:
        return self._content.minimumSizeHint()

    def sizeHint(self) -> QSize:
        return self._content.sizeHint()

    # --- API ---
    def image(self) -> np.ndarray | None:
        """The current preprocessed (28, 28) float32 image, or None when the pad is empty."""
        return None if self._image is None else self._image.copy()

    def show_probabilities(self, probs: np.ndarray) -> None:
        """Show the network's answer for the current drawing: 10 probabilities, digits 0-9.

        Ignored while the pad is empty, so an answer that arrives after Clear (from a slower model) does not
        bring back bars for a drawing that is gone.
        """
        p = np.asarray(probs, dtype=np.float64).reshape(-1)
        if p.shape != (10,):
            raise ValueError(f"expected 10 probabilities, got shape {np.shape(probs)}")
        if self._image is None:
            return
        p = np.clip(np.nan_to_num(p, nan=0.0), 0.0, None)
        total = p.sum()
        if total > 0 and not np.isclose(total, 1.0, atol=1e-3):
            p = p / total
        digit = int(np.argmax(p))
        self.bars.set_probabilities(p)
        self.prediction_label.setText(str(digit))
        self.confidence_label.setText(f"{100 * p[digit]:.0f}% sure")

    # --- internals ---
    def _reset_answer(self) -> None:
        self.prediction_label.setText("–")
        self.confidence_label.setText("")
        self.bars.set_probabilities(None)
        self.add_button.setEnabled(False)

    def _on_brush(self, value: int) -> None:
        self.canvas.set_brush_width(value)
        self.brush_label.setText(f"{value} px")

    def _on_drawing_changed(self) -> None:
        if self.canvas.is_empty():
            self._image = None
            self.preview.set_image(np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32))
            self.hint.setText(EMPTY_TEXT)
            self._reset_answer()
            self.cleared.emit()
            return
        image = preprocess_strokes(self.canvas.raster(), centre=self.centre_checkbox.isChecked())
        if not image.any():  # strokes entirely outside the pad
            return
        self._image = image
        self.preview.set_image(image)
        self.hint.setText(DRAWING_TEXT)
        self.add_button.setEnabled(True)
        self.image_ready.emit(image.copy())
        if not self.canvas.is_drawing():
            self.drawing_finished.emit(image.copy())

    def _on_centre(self, on: bool) -> None:
        self.preview_note.setText(CENTRED_NOTE if on else UNCENTRED_NOTE)
        self._on_drawing_changed()  # the same drawing, as the network now gets it

    def _on_add(self) -> None:
        if self._image is not None:
            self.add_requested.emit(self._image.copy(), int(self.label_combo.currentText()))


def _seven_stroke() -> list[tuple[float, float]]:
    """A hand-drawn-looking '7' in pad coordinates: a slightly rising top bar, then a curved stem."""
    bar = [(70 + t * 140, 62 - t * 6 + 3 * np.sin(t * 3)) for t in np.linspace(0, 1, 20)]
    stem = [(210 - t * 85 - 12 * np.sin(t * np.pi), 56 + t * 170) for t in np.linspace(0, 1, 25)[1:]]
    return [(float(x), float(y)) for x, y in bar + stem]


def main(argv: list[str] | None = None) -> int:
    """Demo: the panel with fake probabilities (a softmax of random numbers seeded by the drawing)."""
    import argparse
    import sys

    from PySide6.QtWidgets import QApplication

    parser = argparse.ArgumentParser(description="Draw a digit: the pad with fake probabilities (no network)")
    parser.add_argument("--demo-stroke", action="store_true", help="pre-draw a '7' (for screenshots)")
    args = parser.parse_args(argv)

    app = QApplication.instance() or QApplication(sys.argv)
    panel = DigitPanel()
    panel.setWindowTitle("Draw a digit (demo: fake probabilities, no network)")

    def fake_network(image: np.ndarray) -> None:
        rng = np.random.default_rng(int(image.sum() * 1000))
        logits = rng.normal(0, 2.0, 10)
        e = np.exp(logits - logits.max())
        panel.show_probabilities(e / e.sum())

    panel.image_ready.connect(fake_network)
    panel.add_requested.connect(lambda img, label: print(f"add {img.shape} as {label}"))
    panel.resize(820, 480)
    panel.show()
    if args.demo_stroke:
        panel.canvas.add_stroke(_seven_stroke())
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
