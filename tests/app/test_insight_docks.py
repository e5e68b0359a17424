"""The adversarial and saliency docks in the real window: for image classifiers only, as tabs behind the
classifier's own views; their probes reach the engine and a real run's snapshot fills them."""

from __future__ import annotations

import pytest

from playground.engine.trainer import Trainer
from playground.graph.templates import build_template


@pytest.mark.slow
def test_insight_docks_show_for_image_classifiers_behind_their_views(qtbot, app_window):
    win, c = app_window
    win.load_template("lenet")
    qtbot.wait(50)
    for key in ("adversarial", "saliency"):
        assert c.docks[key].isVisible()
        assert not c._shown(key)  # a tab, behind the feature maps and filters
    assert c._shown("feature_maps")
    c.docks["adversarial"].raise_()
    qtbot.wait(50)
    assert c._shown("adversarial")
    assert any(p.startswith("adversarial:") for p in c.open_probes())
    assert any(p.startswith("adversarial_curve:") for p in c.open_probes())
    win.load_template("spiral")
    qtbot.wait(50)
    assert not c.docks["adversarial"].isVisible() and not c.docks["saliency"].isVisible()


@pytest.mark.slow
def test_a_real_runs_snapshot_fills_both_views(qtbot, app_window):
    _win, c = app_window
    adversarial, saliency = c.views["adversarial"], c.views["saliency"]
    lab = build_template("mnist_1_layer")
    lab.seed = 4
    trainer = Trainer(lab, probes=list(adversarial.probes) + list(saliency.probes))
    trainer.train(1)
    snap = trainer.snapshot()
    adversarial.show_snapshot(snap)
    saliency.show_snapshot(snap)
    assert not adversarial.is_empty and not saliency.is_empty
    assert adversarial.original.title.startswith("Original<br>")
    xs, ys = adversarial.curve.getData()
    assert len(xs) == 8 and ys[0] == 0 and ys[-1] > 50
    assert saliency.panels["gradcam"].isHidden()  # a dense network has no conv layer
    assert saliency.panels["integrated_gradients"].overlay.image.shape == (28, 28, 4)
