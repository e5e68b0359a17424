"""Faithful drawing on the pad: smooth curves through sparse mouse positions, and a pad that never moves."""

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QEnterEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from playground.ui.digit_canvas import MIN_PAD_PIXELS, PAD_SIZE, Stroke, smooth_path
from playground.ui.digit_pad import DigitCanvas, DigitPanel, FixedLinesLabel
from playground.viz.mnist_preprocess import preprocess_strokes

CENTRE, RADIUS = (140.0, 140.0), 90.0


@pytest.fixture
def panel(qtbot):
    p = DigitPanel()
    qtbot.addWidget(p)
    p.resize(p.minimumSizeHint())  # the tightest the window may make it
    p.show()
    qtbot.waitExposed(p)
    return p


def drag(qtbot, canvas: DigitCanvas, pad_points):
    """A real mouse stroke that visits only the given points (pad coordinates), as a busy app receives it."""
    r = canvas.pad_rect()
    s = r.width() / PAD_SIZE
    pts = [QPoint(round(r.left() + x * s), round(r.top() + y * s)) for x, y in pad_points]
    qtbot.mousePress(canvas, Qt.LeftButton, pos=pts[0])
    for p in pts[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=pts[-1])


def circle(n_points):
    """n_points evenly spread round the circle, the first repeated at the end to close it."""
    return [(CENTRE[0] + RADIUS * math.cos(0.3 + 2 * math.pi * k / n_points),
             CENTRE[1] + RADIUS * math.sin(0.3 + 2 * math.pi * k / n_points)) for k in range(n_points + 1)]


def eight(n_points):
    t = np.linspace(0, 2 * np.pi, n_points)
    return [(140 + 60 * math.sin(2 * a), 140 - 100 * math.cos(a)) for a in t]


def zero(n_points):
    t = np.linspace(0, 2 * np.pi, n_points)
    return [(140 + 70 * math.sin(a), 140 - 105 * math.cos(a)) for a in t]


def test_a_circle_from_eight_mouse_positions_stays_round(qtbot):
    canvas = DigitCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(PAD_SIZE, PAD_SIZE)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_brush_width(8)
    drag(qtbot, canvas, circle(8))
    ys, xs = np.nonzero(canvas.raster() > 0.5)
    distance = np.hypot(xs + 0.5 - CENTRE[0], ys + 0.5 - CENTRE[1])
    # Straight chords between the positions would cut 90 * (1 - cos(22.5°)) = 6.9 px inside the circle.
    assert np.abs(distance - RADIUS).max() <= 4 + 3
    assert distance.min() > RADIUS - 4 - 3
    assert canvas.raster()[100:180, 100:180].max() == 0.0  # nothing across the middle


def test_the_curve_passes_through_every_point_received():
    points = circle(6)
    path = smooth_path(points)
    for x, y in points:
        nearest = min(math.dist((x, y), (path.pointAtPercent(t / 400).x(), path.pointAtPercent(t / 400).y()))
                      for t in range(401))
        assert nearest < 1.0
    # Between the points it bows outwards like the circle instead of cutting the chord (12 px inside).
    for span in range(6):
        middle = path.pointAtPercent((2 * span + 1) / 12)
        inner = 0 < span < 5  # the end spans guess the curve's way in and out: a little less round
        assert math.dist((middle.x(), middle.y()), CENTRE) > RADIUS - (3 if inner else 5)


def test_a_corner_stays_a_corner():
    """The top of a 7 from six positions: the curve turns at the corner instead of bulging past it."""
    seven = [(70, 60), (140, 60), (210, 60), (180, 118), (150, 176), (120, 235)]
    box = smooth_path(seven).boundingRect()
    # Without the corner rule the bar bulges 4.5 px above itself before it turns.
    assert box.top() >= 60 - 1 and box.right() <= 210 + 1


@pytest.mark.parametrize("points", [eight(23), [(70, 60), (140, 60), (210, 60), (180, 118), (150, 176), (120, 235)]])
def test_a_stroke_built_point_by_point_is_the_curve_through_all_its_points(points):
    stroke = Stroke(10.0, points[0])
    for p in points[1:]:
        stroke.add(p)
    built, whole = stroke.path(), smooth_path(points)
    assert built.elementCount() == whole.elementCount()
    for i in range(whole.elementCount()):
        a, b = built.elementAt(i), whole.elementAt(i)
        assert (a.x, a.y) == pytest.approx((b.x, b.y), abs=1e-9)


@pytest.mark.parametrize("digit, sparse", [(eight, 11), (zero, 9)])
def test_a_fast_sparse_drag_reads_like_the_same_digit_drawn_slowly(qtbot, panel, digit, sparse):
    images = []
    panel.image_ready.connect(images.append)
    drag(qtbot, panel.canvas, digit(300))
    slow = images[-1]
    panel.canvas.clear()
    drag(qtbot, panel.canvas, digit(sparse))
    fast = images[-1]
    assert fast.shape == (28, 28)
    # Chords between these positions give a correlation of 0.90 (the 8) and 0.93 (the 0).
    assert np.corrcoef(fast.ravel(), slow.ravel())[0, 1] > 0.95
    assert np.abs(fast - slow).mean() < 0.04


def test_the_network_reads_the_curve_shown_on_screen(qtbot, panel):
    drag(qtbot, panel.canvas, zero(9))
    image = panel.image()
    assert image is not None
    np.testing.assert_array_equal(image, preprocess_strokes(panel.canvas.raster()))


@pytest.fixture
def merging_platform():
    """Merged moves on, as on X11 (the offscreen platform may start with them off)."""
    old = QApplication.testAttribute(Qt.AA_CompressHighFrequencyEvents)
    QApplication.setAttribute(Qt.AA_CompressHighFrequencyEvents, True)
    yield
    QApplication.setAttribute(Qt.AA_CompressHighFrequencyEvents, old)


def test_merged_moves_are_switched_off_while_a_stroke_is_drawn(qtbot, panel, merging_platform):
    # An earlier test's pointer may have been left over the new pad: the pointer leaves first.
    QApplication.sendEvent(panel.canvas, QEvent(QEvent.Type.Leave))
    before = QApplication.testAttribute(Qt.AA_CompressHighFrequencyEvents)
    assert before
    r = panel.canvas.pad_rect()
    qtbot.mousePress(panel.canvas, Qt.LeftButton, pos=r.center().toPoint())
    assert not QApplication.testAttribute(Qt.AA_CompressHighFrequencyEvents)
    qtbot.mouseMove(panel.canvas, r.center().toPoint() + QPoint(30, 10))
    qtbot.mouseRelease(panel.canvas, Qt.LeftButton, pos=r.center().toPoint() + QPoint(30, 10))
    QApplication.sendEvent(panel.canvas, QEvent(QEvent.Type.Leave))  # off the pad: merged again
    assert QApplication.testAttribute(Qt.AA_CompressHighFrequencyEvents) == before
    qtbot.mousePress(panel.canvas, Qt.LeftButton, pos=r.center().toPoint())
    panel.hide()  # a stroke cut short still gives the setting back
    assert QApplication.testAttribute(Qt.AA_CompressHighFrequencyEvents) == before


def test_moves_are_not_merged_from_the_pointer_arriving_over_the_pad_to_it_leaving(qtbot, panel, merging_platform):
    canvas = panel.canvas
    centre = canvas.pad_rect().center()
    QApplication.sendEvent(canvas, QEnterEvent(centre, canvas.mapTo(panel.window(), centre),
                                               canvas.mapToGlobal(centre)))
    # Off before any press: a press that arrives with moves queued behind it must not lose them.
    assert not QApplication.testAttribute(Qt.AA_CompressHighFrequencyEvents)
    drag(qtbot, canvas, [(100, 100), (150, 150)])
    assert not QApplication.testAttribute(Qt.AA_CompressHighFrequencyEvents)
    QApplication.sendEvent(canvas, QEvent(QEvent.Type.Leave))
    assert QApplication.testAttribute(Qt.AA_CompressHighFrequencyEvents)


def test_a_pad_deleted_under_the_pointer_gives_the_setting_back(qtbot, merging_platform):
    canvas = DigitCanvas()
    centre = QPointF(50, 50)
    QApplication.sendEvent(canvas, QEnterEvent(centre, centre, canvas.mapToGlobal(centre)))
    assert not QApplication.testAttribute(Qt.AA_CompressHighFrequencyEvents)
    canvas.deleteLater()
    qtbot.waitUntil(lambda: QApplication.testAttribute(Qt.AA_CompressHighFrequencyEvents), timeout=1000)


def test_a_mouse_move_never_preprocesses_by_itself(qtbot, panel):
    images = []
    panel.image_ready.connect(images.append)
    canvas = panel.canvas
    start = canvas.pad_rect().center()
    qtbot.mousePress(canvas, Qt.LeftButton, pos=start.toPoint())
    qtbot.waitUntil(lambda: len(images) == 1, timeout=1000)
    for k in range(1, 40):
        pos = QPointF(start.x() + k, start.y() + k / 2)
        QApplication.sendEvent(canvas, QMouseEvent(QMouseEvent.Type.MouseMove, pos, canvas.mapToGlobal(pos),
                                                   Qt.NoButton, Qt.LeftButton, Qt.NoModifier))
    assert len(images) == 1, "the moves were handled without any preprocessing"
    qtbot.waitUntil(lambda: len(images) == 2, timeout=1000)  # one throttled update follows
    assert len(canvas.strokes()[-1]) == 40


def widget_places(panel):
    watched = [panel.canvas, panel.clear_button, panel.brush_slider, panel.hint, panel.preview,
               panel.preview_note, panel.centre_checkbox, panel.bars, panel.add_button]
    return [(w.objectName(), w.mapTo(panel, QPoint(0, 0)), w.size()) for w in watched]


@pytest.mark.parametrize("size", [None, (820, 480), (1100, 760)])
def test_nothing_moves_from_the_first_press_to_the_answer(qtbot, panel, size):
    if size is not None:
        panel.resize(*size)
        qtbot.wait(10)
    before = widget_places(panel)
    pad_before = panel.canvas.pad_rect()
    r = panel.canvas.pad_rect()
    qtbot.mousePress(panel.canvas, Qt.LeftButton, pos=r.center().toPoint())
    qtbot.waitUntil(lambda: panel.image() is not None, timeout=1000)
    qtbot.wait(20)  # any layout change would be applied by now
    assert widget_places(panel) == before
    qtbot.mouseMove(panel.canvas, r.center().toPoint() + QPoint(0, 60))
    qtbot.mouseRelease(panel.canvas, Qt.LeftButton, pos=r.center().toPoint() + QPoint(0, 60))
    panel.show_probabilities(np.eye(10)[1] * 0.93 + 0.007)
    qtbot.wait(20)
    assert widget_places(panel) == before
    assert panel.canvas.pad_rect() == pad_before
    panel.centre_checkbox.setChecked(False)  # the longer note
    qtbot.mouseClick(panel.clear_button, Qt.LeftButton)
    qtbot.wait(20)
    assert widget_places(panel) == before


def test_the_brush_value_does_not_move_the_clear_button(qtbot, panel):
    panel.brush_slider.setValue(6)
    qtbot.wait(10)
    place = panel.clear_button.mapTo(panel, QPoint(0, 0))
    panel.brush_slider.setValue(40)
    qtbot.wait(10)
    assert panel.clear_button.mapTo(panel, QPoint(0, 0)) == place


def test_at_its_smallest_the_pad_is_full_size_and_nothing_overlaps(qtbot, panel):
    assert panel.canvas.minimumSize().width() >= 280 and panel.canvas.minimumSize().height() >= 280
    assert MIN_PAD_PIXELS >= 280
    assert panel.canvas.pad_rect().width() >= 280
    assert panel.brush_slider.width() >= 90  # a slider, not a checkbox-sized square
    content = panel.findChild(QWidget, "digitPanelContent")
    boxes = {w.objectName() or type(w).__name__ + w.property("text").__str__(): w.geometry()
             for w in content.findChildren(QWidget) if w.isVisible() and w.parent() is content}
    names = sorted(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not boxes[a].intersects(boxes[b]), f"{a} {boxes[a]} overlaps {b} {boxes[b]}"


@pytest.mark.parametrize("size", [(566, 460), (900, 700)])
def test_the_note_sits_below_the_preview_at_any_size(qtbot, panel, size):
    panel.resize(*size)
    qtbot.wait(10)
    preview = panel.preview.geometry()
    assert panel.preview_note.geometry().top() >= preview.bottom()
    assert panel.preview_note.visible_lines() == panel.preview_note.text().split("\n")


def test_a_fixed_lines_label_cuts_long_text_and_keeps_its_height(qtbot):
    label = FixedLinesLabel("short", lines=2)
    qtbot.addWidget(label)
    label.resize(120, label.height())
    label.show()
    height = label.height()
    assert not label.is_cut() and label.toolTip() == ""
    long_text = "a much longer message that cannot possibly fit into two lines of one hundred and twenty pixels"
    label.setText(long_text)
    assert label.height() == height
    lines = label.visible_lines()
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert label.is_cut() and "longer message" in label.toolTip()


def test_squeezed_below_its_minimum_the_panel_scrolls_instead_of_overlapping(qtbot, panel):
    panel.setMinimumSize(120, 90)  # as a dock may force it
    panel.resize(400, 150)
    qtbot.wait(10)
    assert panel.canvas.pad_rect().width() >= 280
    content = panel.findChild(QWidget, "digitPanelContent")
    assert content.size().width() >= content.minimumSizeHint().width()
    assert content.size().height() >= content.minimumSizeHint().height()
    assert panel.preview_note.geometry().top() >= panel.preview.geometry().bottom()


def test_the_screen_shows_the_stroke_under_way_and_the_finished_ones(qtbot, panel):
    canvas = panel.canvas
    r = canvas.pad_rect()
    s = r.width() / PAD_SIZE

    def on_screen(x, y):
        return canvas.grab().toImage().pixelColor(round(r.left() + x * s), round(r.top() + y * s)).lightness()

    drag(qtbot, canvas, [(60, 60), (60, 220)])
    qtbot.mousePress(canvas, Qt.LeftButton, pos=QPoint(round(r.left() + 200 * s), round(r.top() + 60 * s)))
    qtbot.mouseMove(canvas, QPoint(round(r.left() + 200 * s), round(r.top() + 220 * s)))
    assert on_screen(60, 140) > 200 and on_screen(200, 140) > 200 and on_screen(130, 140) < 50
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=QPoint(round(r.left() + 200 * s), round(r.top() + 220 * s)))
    assert on_screen(60, 140) > 200 and on_screen(200, 140) > 200
    qtbot.mouseClick(panel.clear_button, Qt.LeftButton)
    assert on_screen(60, 140) < 50 and on_screen(200, 140) < 50
