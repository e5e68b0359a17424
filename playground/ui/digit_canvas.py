"""The drawing pad itself: mouse strokes turned into smooth curves, shown on screen and rasterised for the network.

A busy GUI thread gets few mouse positions per stroke (the platform merges queued moves), so joining them with
straight lines turned a round '0' into a polygon and an '8' into a '3'. Each stroke is drawn as a centripetal
Catmull-Rom curve through the positions received (corners kept sharp), and the same curve is what the network
reads. While the pointer is over the pad the platform is also asked to stop merging moves, so a busy app receives
every position there was.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QEnterEvent,
    QHideEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from playground.ui.style import teaching_tooltip

PAD_SIZE = 280  # the raster's side: 10x MNIST, so a 20 px brush makes strokes about as thick as MNIST's
MIN_PAD_PIXELS = 280  # on screen: one screen pixel per raster pixel at least, so a drawn line is a line
DEFAULT_BRUSH = 20.0
THROTTLE_MS = 30
EMPTY_TEXT = "Draw a digit from 0 to 9 with the mouse"
# Points closer than this (pad pixels) add nothing but jitter to the curve.
MIN_STEP = 0.5
# A pen that turns by more than this (degrees) at a point drew a corner (the top of a 7, the foot of a 2): the
# curve keeps it sharp there instead of rounding it off. Eight points round a circle turn by 45° each.
CORNER_TURN = 110.0

Point = tuple[float, float]


def _knot_gap(a: Point, b: Point) -> float:
    # Centripetal parametrisation (alpha 1/2): no cusps or loops between unevenly spaced points.
    return max(float(math.dist(a, b) ** 0.5), 1e-6)


def _is_corner(before: Point, at: Point, after: Point) -> bool:
    ax, ay = at[0] - before[0], at[1] - before[1]
    bx, by = after[0] - at[0], after[1] - at[1]
    norms = math.hypot(ax, ay) * math.hypot(bx, by)
    return norms > 0 and (ax * bx + ay * by) / norms < math.cos(math.radians(CORNER_TURN))


def _start_phantom(points: list[Point]) -> Point:
    """A point before the first one, so the first segment curves like the next two points (quadratic fit)."""
    (x0, y0), (x1, y1) = points[0], points[1]
    if len(points) < 3 or _is_corner(points[0], points[1], points[2]):
        return 2 * x0 - x1, 2 * y0 - y1
    x2, y2 = points[2]
    px, py = 3 * x0 - 3 * x1 + x2, 3 * y0 - 3 * y1 + y2
    # A sharp turn makes the extrapolation shoot far away; a mirrored point is the safe choice there.
    if math.dist((px, py), points[0]) > 2 * math.dist(points[0], points[1]):
        return 2 * x0 - x1, 2 * y0 - y1
    return px, py


def catmull_rom_segment(p0: Point, p1: Point, p2: Point, p3: Point) -> tuple[Point, Point]:
    """The two inner control points of the cubic Bezier equal to the centripetal Catmull-Rom span p1 -> p2."""
    d01, d12, d23 = _knot_gap(p0, p1), _knot_gap(p1, p2), _knot_gap(p2, p3)
    # Barry-Goldman tangents for a non-uniform parametrisation, scaled to the span p1 -> p2.
    m1 = [((b - a) / d01 - (c - a) / (d01 + d12) + (c - b) / d12) * d12 for a, b, c in zip(p0, p1, p2, strict=True)]
    m2 = [((c - b) / d12 - (d - b) / (d12 + d23) + (d - c) / d23) * d12 for b, c, d in zip(p1, p2, p3, strict=True)]
    c1 = (p1[0] + m1[0] / 3, p1[1] + m1[1] / 3)
    c2 = (p2[0] - m2[0] / 3, p2[1] - m2[1] / 3)
    return c1, c2


def smooth_path(points: list[Point]) -> QPainterPath:
    """A curve through every point, in order: straight for two points, Catmull-Rom spans from three on."""
    path = QPainterPath()
    if not points:
        return path
    path.moveTo(*points[0])
    _append_spans(path, points, 0, len(points) - 1)
    return path


def _append_spans(path: QPainterPath, points: list[Point], first: int, stop: int) -> None:
    """Add the spans points[i] -> points[i + 1] for first <= i < stop to a path that ends at points[first]."""
    n = len(points)
    if n == 2 and first == 0 and stop >= 1:
        path.lineTo(*points[1])
        return
    for i in range(first, stop):
        p1, p2 = points[i], points[i + 1]
        if i == 0:
            before = _start_phantom(points)
        elif _is_corner(points[i - 1], p1, p2):
            before = 2 * p1[0] - p2[0], 2 * p1[1] - p2[1]  # leave the corner straight towards the next point
        else:
            before = points[i - 1]
        if i + 2 >= n:
            after = _start_phantom(points[-1:-4:-1])  # the same guess, from the last three points
        elif _is_corner(p1, p2, points[i + 2]):
            after = 2 * p2[0] - p1[0], 2 * p2[1] - p1[1]
        else:
            after = points[i + 2]
        c1, c2 = catmull_rom_segment(before, p1, p2, after)
        path.cubicTo(QPointF(*c1), QPointF(*c2), QPointF(*p2))


class Stroke:
    """One press-to-release of the pen: its width and the points received, with the curve through them.

    The curve between two points depends on the point after them, so every span but the last is final once the
    next point arrives: those spans are kept in a path built once, and only the last span is redone per point.
    """

    def __init__(self, width: float, start: Point) -> None:
        self.width = width
        self.points: list[Point] = [start]
        self._final = QPainterPath()
        self._final.moveTo(*start)
        self._final_spans = 0

    def add(self, point: Point) -> bool:
        """Append a point unless it is too close to the last one to matter; True when appended."""
        last = self.points[-1]
        if abs(point[0] - last[0]) + abs(point[1] - last[1]) < MIN_STEP:
            return False
        self.points.append(point)
        # The first span waits for three points (its start phantom needs them); later ones for the next point.
        settled = len(self.points) - 2 if len(self.points) >= 3 else 0
        if settled > self._final_spans:
            _append_spans(self._final, self.points, self._final_spans, settled)
            self._final_spans = settled
        return True

    def path(self) -> QPainterPath:
        if len(self.points) < 2:
            return QPainterPath()
        if len(self.points) == 2:
            return smooth_path(self.points)
        path = QPainterPath(self._final)
        _append_spans(path, self.points, self._final_spans, len(self.points) - 1)
        return path

    def paint(self, painter: QPainter) -> None:
        painter.setPen(QPen(QColor(255, 255, 255), self.width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                            Qt.PenJoinStyle.RoundJoin))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if len(self.points) == 1:
            painter.drawPoint(QPointF(*self.points[0]))  # a click alone leaves a dot
        else:
            painter.drawPath(self.path())


class _MoveMerging:
    """Who asked the platform not to merge mouse moves, and the setting to put back when nobody does."""

    def __init__(self) -> None:
        self._holders: set[int] = set()
        self._before = True

    def hold(self, holder: int) -> None:
        if not self._holders:
            self._before = QCoreApplication.testAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents)
            QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents, False)
        self._holders.add(holder)

    def release(self, holder: int) -> None:
        if holder in self._holders:
            self._holders.discard(holder)
            if not self._holders:
                QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents, self._before)


_MERGING = _MoveMerging()


class DigitCanvas(QWidget):
    """A black square pad drawn on in white with the mouse (pen and touch arrive as synthesised mouse events).

    Strokes are kept in pad coordinates (0..PAD_SIZE). Finished strokes are painted once into a PAD_SIZE x PAD_SIZE
    grayscale raster; ``raster()`` adds the stroke under way, so it costs one copy and one curve, not a re-render.
    The screen shows the same curves scaled.
    """

    drawing_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digitCanvas")
        self.setMinimumSize(MIN_PAD_PIXELS, MIN_PAD_PIXELS)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip(teaching_tooltip(
            "Hold the left mouse button and write one digit. Draw it big and thick, like on paper:\n"
            "it is shrunk to 20x20 pixels for the network anyway.", "Drawing pad"))
        self._brush = DEFAULT_BRUSH
        self._strokes: list[Stroke] = []
        self._drawing = False
        self._image = QImage(PAD_SIZE, PAD_SIZE, QImage.Format.Format_Grayscale8)  # the finished strokes
        self._image.fill(0)
        holder = id(self)
        # A pad deleted while the pointer is over it must not leave the whole app unmerged.
        self.destroyed.connect(lambda: _MERGING.release(holder))
        self._screen: QPixmap | None = None
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

    def is_drawing(self) -> bool:
        """Whether a stroke is under way (the button is still down): the drawing may still change."""
        return self._drawing

    def strokes(self) -> list[list[Point]]:
        """The points received for each stroke, in pad coordinates."""
        return [list(s.points) for s in self._strokes]

    def stroke_path(self, index: int = -1) -> QPainterPath:
        """The curve drawn for one stroke, in pad coordinates (empty for a single dot)."""
        return self._strokes[index].path()

    def clear(self) -> None:
        self._pending.stop()
        self._strokes.clear()
        self._end_stroke()
        self._image.fill(0)
        self.update()
        self.drawing_changed.emit()

    def raster(self) -> np.ndarray:
        """The ink as a (PAD_SIZE, PAD_SIZE) float32 array in [0, 1], 1 where the brush went (anti-aliased)."""
        img = self._image
        if self._drawing and self._strokes:
            img = self._image.copy()
            self._paint_into(img, self._strokes[-1])
        bits = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
        rows = bits.reshape(img.height(), img.bytesPerLine())[:, :img.width()]
        return rows.astype(np.float32) / 255.0

    def add_stroke(self, points: list[Point], width: float | None = None) -> None:
        """Draw a whole stroke given as (x, y) pad coordinates, as if by mouse (for demos and scripts)."""
        if not points:
            return
        self._strokes.append(Stroke(self._brush if width is None else self._clamp(width), points[0]))
        for x, y in points[1:]:
            self._strokes[-1].add((float(x), float(y)))
        self._drawing = True
        self._end_stroke()
        self._pending.stop()
        self.update()
        self.drawing_changed.emit()

    def sizeHint(self) -> QSize:
        return QSize(max(PAD_SIZE, MIN_PAD_PIXELS), max(PAD_SIZE, MIN_PAD_PIXELS))

    # --- geometry ---
    def pad_rect(self) -> QRectF:
        """The square the pad occupies in widget coordinates (centred, as large as fits)."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_pad(self, pos: QPointF) -> Point:
        r = self.pad_rect()
        scale = PAD_SIZE / max(r.width(), 1.0)
        return (pos.x() - r.left()) * scale, (pos.y() - r.top()) * scale

    # --- drawing ---
    @staticmethod
    def _clamp(width: float) -> float:
        return float(min(max(width, 1.0), PAD_SIZE / 2))

    @staticmethod
    def _paint_into(image: QImage, stroke: Stroke) -> None:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        stroke.paint(painter)
        painter.end()

    def _end_stroke(self) -> None:
        if self._drawing and self._strokes:
            self._paint_into(self._image, self._strokes[-1])
        self._screen = None
        self._drawing = False
        if not self.underMouse():  # still over the pad: the next stroke is likely to follow
            self._merge_moves(True)

    def _merge_moves(self, merge: bool) -> None:
        """Let the platform merge queued mouse moves again (merge) or not, while the pointer is over the pad.

        Merging keeps a busy app responsive elsewhere, but on the pad every merged move is a lost piece of the
        digit; the moves of one stroke are cheap to take (a point appended, a repaint scheduled). It is switched off
        as the pointer arrives, not at the press: X11 merges the moves queued with the press before the press
        reaches the pad, so a press while the app is busy would lose the start of the stroke.
        """
        if merge:
            _MERGING.release(id(self))
        else:
            _MERGING.hold(id(self))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        if self._drawing:  # a release that never came (the grab was taken away): keep what was drawn
            self._end_stroke()
        self._strokes.append(Stroke(self._brush, self.to_pad(event.position())))
        self._drawing = True
        self._screen = None  # the empty pad's text goes
        self._merge_moves(False)
        self.update()
        self._changed()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        # Tracks a flag set on press instead of event.buttons(): synthesised moves (tests, some tablets) carry none.
        if not self._drawing:
            return super().mouseMoveEvent(event)
        if self._strokes[-1].add(self.to_pad(event.position())):
            self.update()
            self._changed()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if not self._drawing or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        self._strokes[-1].add(self.to_pad(event.position()))
        self._end_stroke()
        self.update()
        # The finished stroke is always reported at once, whatever the throttle says.
        self._pending.stop()
        self._emit_changed()
        event.accept()

    def enterEvent(self, event: QEnterEvent) -> None:
        self._merge_moves(False)
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        if not self._drawing:
            self._merge_moves(True)
        super().leaveEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        if self._drawing:
            self._end_stroke()
        self._merge_moves(True)
        super().hideEvent(event)

    def _changed(self) -> None:
        """Report a change at most once per THROTTLE_MS, from a timer: a mouse move itself never preprocesses."""
        if not self._pending.isActive():
            due = 0 if not self._since_emit.isValid() else THROTTLE_MS - int(self._since_emit.elapsed())
            self._pending.start(max(0, due))

    def _emit_changed(self) -> None:
        self._since_emit.restart()
        self.drawing_changed.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._screen = None
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._screen = None
        super().changeEvent(event)

    def _finished_on_screen(self) -> QPixmap:
        """The pad with its finished strokes at screen resolution, drawn once per stroke, not once per move."""
        if self._screen is None:
            ratio = self.devicePixelRatioF()
            pixmap = QPixmap(self.size() * ratio)
            pixmap.setDevicePixelRatio(ratio)
            p = QPainter(pixmap)
            p.fillRect(self.rect(), self.palette().window())
            r = self.pad_rect()
            p.fillRect(r, QColor(0, 0, 0))
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            if not self._strokes:
                p.setPen(QColor(150, 150, 150))
                font = p.font()
                font.setPointSizeF(max(9.0, r.width() / 28))
                p.setFont(font)
                p.drawText(r.adjusted(16, 16, -16, -16), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                           EMPTY_TEXT)
            else:
                self._to_pad_coordinates(p)
                for stroke in self._strokes[:-1] if self._drawing else self._strokes:
                    stroke.paint(p)
            p.end()
            self._screen = pixmap
        return self._screen

    def _to_pad_coordinates(self, p: QPainter) -> None:
        r = self.pad_rect()
        p.translate(r.topLeft())
        p.scale(r.width() / PAD_SIZE, r.height() / PAD_SIZE)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.drawPixmap(0, 0, self._finished_on_screen())
        if self._drawing and self._strokes:
            # Vector curves scaled to the widget: crisp at any size, the same shapes as the raster.
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setClipRect(self.pad_rect())
            self._to_pad_coordinates(p)
            self._strokes[-1].paint(p)
        p.end()
