import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QWidget

from playground.ui.digit_pad import EMPTY_TEXT, PAD_SIZE, DigitCanvas, DigitPanel, ProbabilityBars
from playground.viz.mnist_preprocess import center_of_mass, ink_bbox


@pytest.fixture
def panel(qtbot):
    p = DigitPanel()
    qtbot.addWidget(p)
    p.resize(820, 480)
    p.show()
    qtbot.waitExposed(p)
    return p


def draw(qtbot, canvas: DigitCanvas, pad_points):
    """A real mouse stroke through points given in pad coordinates (0..PAD_SIZE)."""
    r = canvas.pad_rect()
    s = r.width() / PAD_SIZE
    pts = [QPoint(round(r.left() + x * s), round(r.top() + y * s)) for x, y in pad_points]
    qtbot.mousePress(canvas, Qt.LeftButton, pos=pts[0])
    for p in pts[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=pts[-1])


def seven():
    bar = [(60 + 10 * i, 50) for i in range(16)]
    stem = [(210 - 5 * i, 50 + 10 * i) for i in range(1, 21)]
    return bar + stem


def test_object_names_for_automation(panel):
    assert panel.findChild(QWidget, "digitCanvas") is panel.canvas
    assert panel.findChild(QLabel, "predictionLabel") is panel.prediction_label
    assert isinstance(panel.findChild(QWidget, "probabilityBars"), ProbabilityBars)


def test_empty_state(panel):
    assert panel.canvas.is_empty()
    assert panel.hint.text() == EMPTY_TEXT
    assert panel.image() is None
    assert not panel.canvas.raster().any()
    assert not panel.add_button.isEnabled()


def test_drawing_a_stroke_gives_a_centred_scaled_mnist_image(qtbot, panel):
    images = []
    panel.image_ready.connect(images.append)
    with qtbot.waitSignal(panel.canvas.drawing_changed, timeout=1000):
        draw(qtbot, panel.canvas, seven())
    assert images, "image_ready was not emitted"
    img = images[-1]
    assert img.shape == (28, 28) and img.dtype == np.float32
    assert img.min() >= 0.0 and img.max() <= 1.0
    cy, cx = center_of_mass(img)
    assert cy == pytest.approx(14.0, abs=0.75) and cx == pytest.approx(14.0, abs=0.75)
    top, left, bottom, right = ink_bbox(img, threshold=0.05)
    assert max(bottom - top, right - left) in (19, 20, 21)
    # The raster holds the ink where it was drawn: the top bar is in the top rows of the pad.
    raster = panel.canvas.raster()
    assert raster.shape == (PAD_SIZE, PAD_SIZE)
    assert raster[40:60, 100:200].mean() > 0.5
    assert raster[200:, :50].max() == 0.0
    assert np.array_equal(panel.preview.image(), img)
    assert panel.hint.text() != EMPTY_TEXT
    assert panel.add_button.isEnabled()


def test_drawing_changed_is_throttled_while_drawing(qtbot, panel):
    count = []
    panel.canvas.drawing_changed.connect(lambda: count.append(1))
    draw(qtbot, panel.canvas, [(40 + 4 * i, 100 + 2 * i) for i in range(50)])  # 50 moves within a few ms
    assert 1 <= len(count) < 20
    qtbot.wait(60)  # a pending throttled emit may follow, but never a flood
    assert len(count) < 20


def test_clear_empties_everything(qtbot, panel):
    draw(qtbot, panel.canvas, seven())
    panel.show_probabilities(np.eye(10)[7])
    with qtbot.waitSignal(panel.cleared, timeout=1000):
        qtbot.mouseClick(panel.clear_button, Qt.LeftButton)
    assert panel.canvas.is_empty()
    assert not panel.canvas.raster().any()
    assert panel.image() is None
    assert not panel.preview.image().any()
    assert panel.hint.text() == EMPTY_TEXT
    assert panel.prediction_label.text() != "7"
    assert panel.bars.probabilities() is None
    # A late answer for the drawing that is gone is ignored.
    panel.show_probabilities(np.eye(10)[3])
    assert panel.prediction_label.text() != "3"


def test_show_probabilities_updates_label_and_bars(qtbot, panel):
    draw(qtbot, panel.canvas, seven())
    probs = np.full(10, 0.02)
    probs[7] = 0.82
    panel.show_probabilities(probs)
    assert panel.prediction_label.text() == "7"
    assert "82%" in panel.confidence_label.text()
    assert np.allclose(panel.bars.probabilities(), probs)
    panel.bars.grab()  # paints without error
    with pytest.raises(ValueError):
        panel.show_probabilities(np.ones(9))


def test_add_requested_carries_image_and_chosen_label(qtbot, panel):
    draw(qtbot, panel.canvas, seven())
    panel.label_combo.setCurrentIndex(7)
    with qtbot.waitSignal(panel.add_requested, timeout=1000) as blocker:
        qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    image, label = blocker.args
    assert label == 7
    assert np.array_equal(image, panel.image())


def test_brush_width_slider_sets_stroke_width(qtbot, panel):
    panel.brush_slider.setValue(8)
    assert panel.canvas.brush_width() == 8
    draw(qtbot, panel.canvas, [(50, 140), (230, 140)])
    thin = (panel.canvas.raster()[:, 140] > 0.5).sum()
    panel.canvas.clear()
    panel.brush_slider.setValue(30)
    draw(qtbot, panel.canvas, [(50, 140), (230, 140)])
    thick = (panel.canvas.raster()[:, 140] > 0.5).sum()
    assert thin < thick
    assert abs(thick - 30) <= 4 and abs(thin - 8) <= 3


def test_moves_without_a_press_do_not_draw(qtbot, panel):
    qtbot.mouseMove(panel.canvas, QPoint(100, 100))
    qtbot.mouseMove(panel.canvas, QPoint(150, 150))
    assert panel.canvas.is_empty()
    assert not panel.canvas.raster().any()


def test_canvas_alone_scales_with_its_widget(qtbot):
    c = DigitCanvas()
    qtbot.addWidget(c)
    c.resize(560, 400)
    c.show()
    qtbot.waitExposed(c)
    r = c.pad_rect()
    assert r.width() == r.height() == 400
    draw(qtbot, c, [(140, 20), (140, 260)])  # a vertical line in the middle of the pad
    raster = c.raster()
    assert raster[140, 130:150].max() == pytest.approx(1.0)
    assert raster[:, :100].max() == 0.0
