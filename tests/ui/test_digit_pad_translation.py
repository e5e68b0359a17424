"""The translation experiment on the drawing pad: MNIST centring can be switched off."""

import numpy as np

from playground.ui.digit_pad import CENTRED_NOTE, UNCENTRED_NOTE, DigitPanel
from playground.viz.mnist_preprocess import center_of_mass, preprocess_strokes


def corner_stroke():
    canvas = np.zeros((280, 280))
    canvas[20:100, 30:45] = 1.0  # a short bar in the top-left corner
    return canvas


def test_uncentred_keeps_the_place_and_size_of_the_drawing():
    centred = preprocess_strokes(corner_stroke())
    raw = preprocess_strokes(corner_stroke(), centre=False)
    assert raw.shape == (28, 28) and raw.dtype == np.float32 and raw.max() == 1.0
    cy, cx = center_of_mass(raw)
    assert abs(cy - 5.5) < 0.6 and abs(cx - 3.25) < 0.6  # the bar's centre, shrunk tenfold
    assert abs(center_of_mass(centred)[0] - 14) < 0.6  # the MNIST way moves it to the middle
    assert (raw > 0.5).sum() < (centred > 0.5).sum()  # and scales it up to 20 pixels
    assert not preprocess_strokes(np.zeros((280, 280)), centre=False).any()


def test_the_pad_switch_redoes_the_current_drawing(qtbot):
    panel = DigitPanel()
    qtbot.addWidget(panel)
    panel.canvas.add_stroke([(40.0, 30.0), (40.0, 100.0)])
    centred = panel.image()
    assert panel.centre_checkbox.isChecked() and panel.preview_note.text() == CENTRED_NOTE
    with qtbot.waitSignal(panel.image_ready) as blocker:
        panel.centre_checkbox.setChecked(False)
    moved = blocker.args[0]
    assert panel.preview_note.text() == UNCENTRED_NOTE
    assert center_of_mass(moved)[1] < 8 < center_of_mass(centred)[1]
    np.testing.assert_array_equal(panel.preview.image(), moved)
