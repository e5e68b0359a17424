"""The adversarial and saliency views draw what a snapshot holds and ask for probes that carry their settings."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np

from playground.snapshots import Adversarial, AdversarialCurve, ProbeResults, Saliency
from playground.ui.views.families import family_views
from playground.ui.views.insight_views import (
    SALIENCY_METHODS,
    AdversarialView,
    SaliencyView,
)


def _snapshot(records, task="classification"):
    return SimpleNamespace(state="paused", task=task, classes=10, probes=ProbeResults(records), metrics={},
                           history={})


def _attack_probes():
    rng = np.random.default_rng(0)
    original = rng.random((1, 28, 28)).astype(np.float32)
    delta = np.sign(rng.normal(size=(1, 28, 28))).astype(np.float32) * 0.1
    before = np.full(10, 0.01, np.float32)
    before[7] = 0.91
    after = np.full(10, 0.02, np.float32)
    after[3] = 0.82
    attack = Adversarial(original=original, adversarial=np.clip(original + delta, 0, 1), perturbation=delta,
                         before=before, after=after, label=7, method="fgsm", epsilon=0.1, steps=10, target=-1,
                         bounds=(0.0, 1.0), training_share=0.0, training_epsilon=0.1)
    curve = AdversarialCurve(epsilons=np.array([0, 0.05, 0.1, 0.2]), success=np.array([0, 0.3, 0.7, 0.95]),
                             attacked=180, method="fgsm", steps=10, target=-1)
    return [attack, curve]


def test_the_views_are_registered_for_image_classifiers():
    specs = {v.key: v for v in family_views()}
    assert specs["adversarial"].tasks == ("classification",) and specs["adversarial"].data == ("images",)
    assert specs["saliency"].data == ("images",)


def test_adversarial_view_shows_the_attack_and_its_settings_travel_in_the_probe_names(qtbot):
    view = AdversarialView()
    qtbot.addWidget(view)
    assert view.objectName() == "adversarialView"
    assert view.probes == ("adversarial:method=fgsm;epsilon=0.1;steps=10;target=-1",
                           "adversarial_curve:method=fgsm;steps=10;target=-1")
    assert not view.steps_spin.isEnabled()  # steps mean something for PGD only
    view.show_snapshot(_snapshot(_attack_probes()))
    assert not view.is_empty
    assert view.original.title == "Original<br>7 (91%)"
    assert view.adversarial.title.startswith("Adversarial<br>3 (82%) fooled")
    assert view.perturbation.title == "Change<br>shown ×10"
    _xs, ys = view.curve.getData()
    np.testing.assert_allclose(ys, [0, 30, 70, 95])
    assert view.after_bars.opts["height"][3] == np.float32(0.82)
    assert view.caption.text() == "FGSM, ε = 0.10: 7 (91%) → 3 (82%) (true class 7)"
    assert "x + ε·sign" in view.method_combo.toolTip().replace("x′ = ", "")
    with qtbot.waitSignal(view.probes_changed):
        view.epsilon_slider.setValue(25)
    view.method_combo.setCurrentIndex(1)
    view.target_combo.setCurrentIndex(view.target_combo.findData(4))
    view.steps_spin.setValue(20)
    assert view.steps_spin.isEnabled()
    assert view.probes[0] == "adversarial:method=pgd;epsilon=0.25;steps=20;target=4"
    assert view.probes[1] == "adversarial_curve:method=pgd;steps=20;target=4"
    assert view.epsilon_line.value() == 0.25


def test_adversarial_view_says_what_it_needs(qtbot):
    view = AdversarialView()
    qtbot.addWidget(view)
    view.show_snapshot(_snapshot([], task="regression"))
    assert "need an image classifier" in view.empty_message
    view.show_snapshot(_snapshot([]))
    assert "draw a digit" in view.empty_message


def test_saliency_view_draws_each_map_over_the_image(qtbot):
    view = SaliencyView()
    qtbot.addWidget(view)
    assert view.objectName() == "saliencyView" and view.probes == ("saliency:target=-1",)
    rng = np.random.default_rng(1)
    image = rng.random((1, 28, 28)).astype(np.float32)
    maps = {key: rng.normal(size=(28, 28)).astype(np.float32) for key in SALIENCY_METHODS if key != "gradcam"}
    view.show_snapshot(_snapshot([Saliency(image=image, target_class=5, label=5,
                                           probabilities=np.full(10, 0.1, np.float32), maps=maps)]))
    assert not view.is_empty
    assert view.panels["gradcam"].isHidden() and not view.panels["saliency"].isHidden()
    overlay = view.panels["integrated_gradients"].overlay.image
    assert overlay.shape == (28, 28, 4) and overlay[..., 3].max() > 200
    assert "Grad-CAM: needs a conv layer" in view.caption.text()
    assert view.image_panel.title == "Image<br>p(5) = 10%"
    view.class_combo.setCurrentIndex(view.class_combo.findData(2))
    assert view.probes == ("saliency:target=2",)


def test_adversarial_training_controls_emit_settings_and_show_the_runs_own(qtbot):
    view = AdversarialView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.training_changed) as got:
        view.share_spin.setValue(50)
    assert got.args == [{"adversarial_share": 0.5}]
    with qtbot.waitSignal(view.training_changed) as got:
        view.train_epsilon_spin.setValue(0.2)
    assert got.args == [{"adversarial_epsilon": 0.2}]
    attack, curve = _attack_probes()
    probes = [dataclasses.replace(attack, training_share=0.3, training_epsilon=0.15), curve]
    with qtbot.assertNotEmitted(view.training_changed):
        view.show_snapshot(_snapshot(probes))
    assert (view.share_spin.value(), view.train_epsilon_spin.value()) == (30, 0.15)
