"""The drawing pad: mouse strokes become a centred, MNIST-sized image; answers show as bars and a digit."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt

from playground.ui.digit_pad import DigitPanel
from playground.viz.mnist_preprocess import center_of_mass, ink_bbox


def make(qtbot):
    panel = DigitPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 420)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def draw(qtbot, canvas, points):
    qtbot.mousePress(canvas, Qt.LeftButton, pos=QPoint(*points[0]))
    for p in points[1:]:
        qtbot.mouseMove(canvas, QPoint(*p))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=QPoint(*points[-1]))


def test_a_stroke_in_a_corner_becomes_a_centred_20_pixel_digit(qtbot):
    panel = make(qtbot)
    canvas = panel.findChild(type(panel.canvas), "digitCanvas")
    assert canvas is panel.canvas
    images = []
    panel.image_ready.connect(images.append)
    r = canvas.pad_rect()
    x0, y0 = int(r.left() + r.width() * 0.15), int(r.top() + r.height() * 0.1)
    points = [(x0, y0 + i * 6) for i in range(0, 16)]  # a short vertical bar near the top left
    draw(qtbot, canvas, points)
    qtbot.waitUntil(lambda: bool(images), timeout=2000)
    image = images[-1]
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    cy, cx = center_of_mass(image)
    assert abs(cy - 14) <= 1.0 and abs(cx - 14) <= 1.0  # moved to the centre, as MNIST was made
    box = ink_bbox(image)
    assert box is not None
    top, left, bottom, right = box  # bottom and right exclusive
    assert 18 <= max(bottom - top, right - left) <= 21  # its longer side scaled to about 20 pixels


def test_answers_show_as_the_predicted_digit_and_clear_empties_the_pad(qtbot):
    panel = make(qtbot)
    r = panel.canvas.pad_rect()
    cx, cy = int(r.center().x()), int(r.center().y())
    draw(qtbot, panel.canvas, [(cx, cy - 60), (cx, cy), (cx, cy + 60)])
    qtbot.waitUntil(lambda: panel.image() is not None, timeout=2000)
    probs = np.full(10, 0.02)
    probs[7] = 0.82
    panel.show_probabilities(probs)
    label = panel.findChild(type(panel.findChild(object, "predictionLabel")), "predictionLabel")
    assert "7" in label.text()
    assert panel.findChild(object, "probabilityBars") is not None
    added = []
    panel.add_requested.connect(lambda img, digit: added.append((img, digit)))
    panel.canvas.clear()
    assert panel.canvas.is_empty()
