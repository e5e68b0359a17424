"""Draw a digit and watch the network read it: the pad, the 28x28 the network sees, probability bars.

This module only draws and preprocesses; who computes the probabilities is wired in by the composition root
(``image_ready`` out, ``show_probabilities`` in), so no torch here.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QElapsedTimer, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from playground.ui.style import teaching_tooltip
from playground.viz.mnist_preprocess import MNIST_SIZE, preprocess_strokes

PAD_SIZE = 280  # the raster's side: 10x MNIST, so a 20 px brush makes strokes about as thick as MNIST's
DEFAULT_BRUSH = 20.0
MIN_BRUSH, MAX_BRUSH = 6, 40
THROTTLE_MS = 30
EMPTY_TEXT = "Draw a digit from 0 to 9 with the mouse"
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


class DigitCanvas(QWidget):
    """A black square pad drawn on in white with the mouse (pen and touch arrive as synthesised mouse events).

    Strokes are kept in pad coordinates (0..PAD_SIZE) and painted incrementally into a PAD_SIZE x PAD_SIZE
    grayscale raster, so ``raster()`` costs a copy, not a re-render; the screen shows the same strokes scaled.
    """

    drawing_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digitCanvas")
        self.setMinimumSize(140, 140)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setCursor(Qt.CrossCursor)
        self.setAttribute(Qt.WA_OpaquePaintEvent)
        self.setToolTip(teaching_tooltip(
            "Hold the left mouse button and write one digit. Draw it big and thick, like on paper:\n"
            "it is shrunk to 20x20 pixels for the network anyway.", "Drawing pad"))
        self._brush = DEFAULT_BRUSH
        self._strokes: list[tuple[float, list[QPointF]]] = []  # (brush width, points in pad coordinates)
        self._drawing = False
        self._image = QImage(PAD_SIZE, PAD_SIZE, QImage.Format_Grayscale8)
        self._image.fill(0)
        self._since_emit = QElapsedTimer()
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.timeout.connect(self._emit_changed)

    # --- public API ---
    def brush_width(self) -> float:
        """Stroke width in pad pixels (the pad is PAD_SIZE wide, whatever its size on screen)."""
        return self._brush

    def set_brush_width(self, width: float) -> None:
        # Applies to the next stroke: strokes already drawn keep their width.
        self._brush = float(min(max(width, 1.0), PAD_SIZE / 2))

    def is_empty(self) -> bool:
        return not self._strokes

    def clear(self) -> None:
        self._pending.stop()
        self._strokes.clear()
        self._drawing = False
        self._image.fill(0)
        self.update()
        self.drawing_changed.emit()

    def raster(self) -> np.ndarray:
        """The ink as a (PAD_SIZE, PAD_SIZE) float32 array in [0, 1], 1 where the brush went (anti-aliased)."""
        img = self._image
        bits = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
        rows = bits.reshape(img.height(), img.bytesPerLine())[:, :img.width()]
        return rows.astype(np.float32) / 255.0

    def add_stroke(self, points: list[tuple[float, float]], width: float | None = None) -> None:
        """Draw a whole stroke given as (x, y) pad coordinates, as if by mouse (for demos and scripts)."""
        if not points:
            return
        old = self._brush
        if width is not None:
            self.set_brush_width(width)
        self._begin(QPointF(*points[0]))
        for x, y in points[1:]:
            self._extend(QPointF(x, y))
        self._brush = old
        self._drawing = False
        self._pending.stop()
        self.update()
        self.drawing_changed.emit()

    def sizeHint(self) -> QSize:
        return QSize(PAD_SIZE, PAD_SIZE)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    # --- geometry ---
    def pad_rect(self) -> QRectF:
        """The square the pad occupies in widget coordinates (centred, as large as fits)."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_pad(self, pos: QPointF) -> QPointF:
        r = self.pad_rect()
        scale = PAD_SIZE / max(r.width(), 1.0)
        return QPointF((pos.x() - r.left()) * scale, (pos.y() - r.top()) * scale)

    # --- drawing ---
    def _pen(self, width: float) -> QPen:
        return QPen(QColor(255, 255, 255), width, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)

    def _begin(self, p: QPointF) -> None:
        self._drawing = True
        self._strokes.append((self._brush, [p]))
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(self._pen(self._brush))
        painter.drawPoint(p)  # a click alone leaves a dot
        painter.end()

    def _extend(self, p: QPointF) -> None:
        width, points = self._strokes[-1]
        last = points[-1]
        if (p - last).manhattanLength() < 0.5:
            return
        points.append(p)
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(self._pen(width))
        painter.drawLine(last, p)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.LeftButton:
            return super().mousePressEvent(event)
        self._begin(self.to_pad(event.position()))
        self.update()
        self._changed()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        # Tracks a flag set on press instead of event.buttons(): synthesised moves (tests, some tablets) carry none.
        if not self._drawing:
            return super().mouseMoveEvent(event)
        self._extend(self.to_pad(event.position()))
        self.update()
        self._changed()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if not self._drawing or event.button() != Qt.LeftButton:
            return super().mouseReleaseEvent(event)
        self._extend(self.to_pad(event.position()))
        self._drawing = False
        self.update()
        # The finished stroke is always reported at once, whatever the throttle says.
        self._pending.stop()
        self._emit_changed()
        event.accept()

    def _changed(self) -> None:
        """Emit now if the last emit is old enough, else once when it is: at most one per THROTTLE_MS."""
        if not self._since_emit.isValid() or self._since_emit.elapsed() >= THROTTLE_MS:
            self._pending.stop()
            self._emit_changed()
        elif not self._pending.isActive():
            self._pending.start(max(1, THROTTLE_MS - int(self._since_emit.elapsed())))

    def _emit_changed(self) -> None:
        self._since_emit.restart()
        self.drawing_changed.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        r = self.pad_rect()
        p.fillRect(r, QColor(0, 0, 0))
        p.setRenderHint(QPainter.Antialiasing)
        if not self._strokes:
            p.setPen(QColor(150, 150, 150))
            font = p.font()
            font.setPointSizeF(max(9.0, r.width() / 28))
            p.setFont(font)
            p.drawText(r.adjusted(16, 16, -16, -16), Qt.AlignCenter | Qt.TextWordWrap, EMPTY_TEXT)
        else:
            # Vector strokes scaled to the widget: crisp at any size, the same shapes as the raster.
            p.save()
            p.translate(r.topLeft())
            p.scale(r.width() / PAD_SIZE, r.height() / PAD_SIZE)
            for width, points in self._strokes:
                p.setPen(self._pen(width))
                if len(points) == 1:
                    p.drawPoint(points[0])
                else:
                    p.drawPolyline(points)
            p.restore()
        p.end()


class MnistPreview(QWidget):
    """The 28x28 image the network reads, blown up with square pixels (no smoothing: these are its inputs)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mnistPreview")
        self.setFixedSize(MNIST_SIZE * 5 + 2, MNIST_SIZE * 5 + 2)
        self._image = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
        self._qimage = self._to_qimage(self._image)

    @staticmethod
    def _to_qimage(img: np.ndarray) -> QImage:
        data = np.ascontiguousarray(np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8))
        h, w = data.shape
        return QImage(data.data, w, h, w, QImage.Format_Grayscale8).copy()

    def image(self) -> np.ndarray:
        return self._image.copy()

    def set_image(self, img: np.ndarray) -> None:
        self._image = np.asarray(img, dtype=np.float32).copy()
        self._qimage = self._to_qimage(self._image)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.SmoothPixmapTransform, False)
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
        self.setMinimumSize(200, 10 * 16)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
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
        p.setRenderHint(QPainter.Antialiasing)
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
            p.drawText(QRectF(0, y, label_w - 4, row_h), Qt.AlignRight | Qt.AlignVCenter, str(d))
            track = QRectF(label_w, y + (row_h - bar_h) / 2, track_w, bar_h)
            p.fillRect(track, QColor(0, 0, 0, 18))
            if self._probs is None:
                continue
            value = float(np.clip(self._probs[d], 0.0, 1.0))
            p.fillRect(QRectF(track.left(), track.top(), track_w * value, bar_h),
                       self.TOP_COLOR if d == top else self.BAR_COLOR)
            p.setPen(self.palette().windowText().color())
            p.drawText(QRectF(label_w + track_w + 4, y, pct_w, row_h), Qt.AlignLeft | Qt.AlignVCenter,
                       f"{100 * value:.1f}%")
        p.end()


class DigitPanel(QWidget):
    """The pad, brush and Clear, the 28x28 preview, probability bars, the predicted digit, "Add to training set".

    ``image_ready`` carries the preprocessed (28, 28) float32 whenever the drawing changes and has ink; answer it
    with ``show_probabilities``. ``add_requested`` carries the same image and the label the user chose.
    """

    image_ready = Signal(np.ndarray)
    add_requested = Signal(np.ndarray, int)
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digitPanel")
        self._image: np.ndarray | None = None

        self.canvas = DigitCanvas(self)
        self.canvas.drawing_changed.connect(self._on_drawing_changed)

        self.brush_slider = QSlider(Qt.Horizontal)
        self.brush_slider.setObjectName("brushWidthSlider")
        self.brush_slider.setRange(MIN_BRUSH, MAX_BRUSH)
        self.brush_slider.setValue(int(DEFAULT_BRUSH))
        self.brush_slider.setToolTip(teaching_tooltip(
            "How thick the pen is. MNIST strokes are about 2-3 pixels wide in 28x28; a brush of about 20 on this\n"
            "280-pixel pad gives the same after shrinking. Very thin or very fat strokes look unlike anything the\n"
            "network has seen.", "Brush width"))
        self.brush_label = QLabel()
        self.brush_slider.valueChanged.connect(self._on_brush)
        self._on_brush(self.brush_slider.value())

        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clearDigitButton")
        self.clear_button.setToolTip("Wipe the pad and start a new digit")
        self.clear_button.clicked.connect(self.canvas.clear)

        self.hint = QLabel(EMPTY_TEXT)
        self.hint.setObjectName("digitHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #666;")

        self.preview = MnistPreview()
        self.preview.setToolTip(teaching_tooltip(WHY_CENTRE, "What the network sees"))
        preview_title = QLabel("What the network sees")
        preview_title.setToolTip(self.preview.toolTip())
        preview_note = QLabel(CENTRED_NOTE)
        preview_note.setStyleSheet("color: #666;")
        preview_note.setToolTip(self.preview.toolTip())
        self.preview_note = preview_note
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
        self.prediction_label.setAlignment(Qt.AlignCenter)
        self.prediction_label.setMinimumWidth(80)
        self.prediction_label.setToolTip(teaching_tooltip(WHY_UNSURE, "The network's answer"))
        self.confidence_label = QLabel("")
        self.confidence_label.setObjectName("confidenceLabel")
        self.confidence_label.setAlignment(Qt.AlignCenter)

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

        right = QVBoxLayout()
        top = QGridLayout()
        top.addWidget(preview_title, 0, 0)
        top.addWidget(self.preview, 1, 0, Qt.AlignLeft | Qt.AlignTop)
        top.addWidget(preview_note, 2, 0)
        top.addWidget(self.centre_checkbox, 3, 0)
        answer = QVBoxLayout()
        answer_title = QLabel("Prediction")
        answer_title.setAlignment(Qt.AlignCenter)
        answer.addWidget(answer_title)
        answer.addWidget(self.prediction_label, 1)
        answer.addWidget(self.confidence_label)
        top.addLayout(answer, 0, 1, 4, 1)
        top.setColumnStretch(1, 1)
        right.addLayout(top)
        bars_title = QLabel("Probability of each digit")
        bars_title.setToolTip(self.bars.toolTip())
        right.addWidget(bars_title)
        right.addWidget(self.bars, 1)
        add_row = QHBoxLayout()
        add_row.addWidget(QLabel("Add to training set as"))
        add_row.addWidget(self.label_combo)
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        right.addLayout(add_row)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)
        self._reset_answer()

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
        self.hint.setText("Keep drawing, or Clear to start again. Hover over anything to learn more.")
        self.add_button.setEnabled(True)
        self.image_ready.emit(image.copy())

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
