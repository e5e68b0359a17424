"""The samples view's augmentation controls and its "as the network sees them" page."""

from types import SimpleNamespace

import numpy as np

from playground.graph import TrainingSettings
from playground.snapshots import AugmentedSamples, ProbeResults
from playground.ui.views.data_samples import AUGMENT_CONTROLS, DataSampleView


def make(qtbot):
    view = DataSampleView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    rng = np.random.default_rng(0)
    view.set_data(rng.random((100, 1, 28, 28)).astype(np.float32), np.arange(100) % 10, [str(i) for i in range(10)],
                  "Digits")
    return view


def test_controls_edit_the_lab_settings_and_follow_them(qtbot):
    view = make(qtbot)
    assert [f for f, *_ in AUGMENT_CONTROLS] == [f for f in TrainingSettings().to_dict() if f.startswith("augment_")]
    with qtbot.waitSignal(view.training_changed) as blocker:
        view.augment_spins["augment_rotation"].setValue(15)
    assert blocker.args == [{"augment_rotation": 15.0}]
    with qtbot.assertNotEmitted(view.training_changed):
        view.set_training(TrainingSettings(augment_shift=0.2))
    assert view.augment_spins["augment_shift"].value() == 0.2 and view.augment_spins["augment_rotation"].value() == 0
    assert view.augment_button.text() == "Augment: 1"


def test_as_the_network_sees_them_asks_for_the_probe_and_draws_it(qtbot):
    view = make(qtbot)
    assert view.probes == ()
    view.show_snapshot(SimpleNamespace(probes=ProbeResults([AugmentedSamples(np.zeros((4, 1, 28, 28)),
                                                                             np.arange(4))])))  # off: ignored
    assert len(view.tiles.images) == 48
    with qtbot.waitSignal(view.probes_changed):
        view.augmented_checkbox.setChecked(True)
    assert view.probes == ("augmented",)
    assert "fills in when training runs" in view.caption.text()
    view.set_training(TrainingSettings(augment_rotation=30))
    images = np.random.default_rng(1).random((6, 1, 28, 28)).astype(np.float32)
    view.show_snapshot(SimpleNamespace(probes=ProbeResults([AugmentedSamples(images, np.arange(6))])))
    assert len(view.tiles.images) == 6 and view.tiles.captions == ["0", "1", "2", "3", "4", "5"]
    assert "rotate ° 30" in view.caption.text()
    view.augmented_checkbox.setChecked(False)
    assert view.probes == () and len(view.tiles.images) == 48


def test_test_shift_asks_for_a_dataset_change_and_follows_the_lab(qtbot):
    view = make(qtbot)
    view.set_dataset_options({"other": 1})
    with qtbot.waitSignal(view.dataset_changed) as blocker:
        view.test_shift_spin.setValue(3)
    assert blocker.args == [{"options": {"other": 1, "test_shift": 3}}]
    assert "test moved 3 px" in view.augment_button.text()
    with qtbot.waitSignal(view.dataset_changed) as blocker:
        view.test_shift_spin.setValue(0)
    assert blocker.args == [{"options": {"other": 1}}]
    with qtbot.assertNotEmitted(view.dataset_changed):
        view.set_dataset_options({"test_shift": 2})
    assert view.test_shift_spin.value() == 2
