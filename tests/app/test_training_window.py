"""Training in the window, driven through the real toolbar, data panel and editor, watched through the views."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from playground.app import attach_training
from playground.snapshots import Confusion, DecisionBoundary, FeatureMaps, Prediction


@pytest.fixture
def app_window(qtbot, tmp_path):
    from playground.app import new_window

    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    controller = attach_training(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.load_template("tensorflow_playground")  # circle, 2-4-2 tanh, SGD 0.03, batch 10
    # The template stops after 200 epochs, which a loaded machine's worker can reach before the GUI thread acts:
    # these tests wait for states, so the run must not end by itself under them.
    win.lab.training = win.lab.training.updated(epochs=1_000_000)
    yield win, controller
    win.undo_stack.setClean()
    win.document.discard_changes()  # nor its training: closing must not ask
    win.close()
    assert not controller.session.active
    win.deleteLater()


def snapshots(controller):
    seen = []
    controller.session.snapshot.connect(seen.append)
    return seen


def play(qtbot, controller, seen, epochs=3):
    controller.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].epoch >= epochs, timeout=30000)


@pytest.mark.slow
def test_play_from_the_toolbar_trains_and_the_views_follow(qtbot, app_window):
    win, c = app_window
    seen = snapshots(c)
    play(qtbot, c, seen, epochs=2)
    boundary = c.views["boundary"]
    early = np.array(seen[-1].probes[DecisionBoundary].values, copy=True)
    qtbot.waitUntil(lambda: seen[-1].epoch >= 40, timeout=30000)
    c.toolbar.play_action.trigger()  # pause, so the last snapshot stays the last
    qtbot.waitUntil(lambda: seen[-1].state == "paused", timeout=5000)
    qtbot.wait(50)
    late = seen[-1].probes[DecisionBoundary].values
    assert not np.allclose(early, late, atol=1e-3)  # the boundary moved as it learned
    np.testing.assert_allclose(boundary.image.image, late)  # and the Output view shows the latest one
    losses = seen[-1].history["train_loss"]
    assert losses[-1] < losses[0]  # the loss fell
    assert "Epoch" in c.toolbar.epoch_label.text() and not c.toolbar.playing
    assert "test accuracy" in c.metrics_label.text()
    # The loss view draws the same history it was given.
    loss_view = c.views["loss"]
    assert not loss_view.is_empty
    # The neuron view shows one tile per hidden unit of the 2-4-2 network: 4 + 2.
    assert c._shown("neurons") and len(c.views["neurons"].tiles) == 6


@pytest.mark.slow
def test_pause_stops_updates(qtbot, app_window):
    win, c = app_window
    seen = snapshots(c)
    play(qtbot, c, seen)
    c.toolbar.play_action.trigger()  # pause
    qtbot.waitUntil(lambda: seen[-1].state == "paused", timeout=5000)
    count, step = len(seen), seen[-1].step
    qtbot.wait(500)
    assert len(seen) == count and c.session.trainer.step == step
    assert not c.toolbar.playing


@pytest.mark.slow
def test_learning_rate_change_mid_run_applies_without_reset(qtbot, app_window):
    win, c = app_window
    seen = snapshots(c)
    play(qtbot, c, seen, epochs=5)
    step = seen[-1].step
    combo = c.toolbar.lr_combo
    combo.setEditText("0.1")
    combo.lineEdit().editingFinished.emit()
    qtbot.waitUntil(lambda: seen[-1].learning_rate == pytest.approx(0.1), timeout=5000)
    assert seen[-1].step > step and seen[-1].epoch >= 5  # kept going: no reset
    assert win.lab.training.learning_rate == pytest.approx(0.1)
    win.undo_stack.undo()  # the change is an ordinary undoable edit of the lab
    qtbot.waitUntil(lambda: seen[-1].learning_rate == pytest.approx(0.03), timeout=5000)


@pytest.mark.slow
def test_divergence_pauses_with_a_clear_message(qtbot, app_window):
    win, c = app_window
    seen = snapshots(c)
    play(qtbot, c, seen, epochs=2)
    c.toolbar.lr_combo.setEditText("1000")
    c.toolbar.lr_combo.lineEdit().editingFinished.emit()
    qtbot.waitUntil(lambda: seen[-1].state == "diverged", timeout=30000)
    assert c.message_banner.isVisible()
    text = c.message_banner.label.text()
    assert "diverged" in text and "learning rate 1000" in text and "Lower the learning rate" in text
    assert not c.toolbar.playing
    weights = c.session.trainer.state_dicts()["model"]
    assert all(np.isfinite(v.numpy()).all() for v in weights.values())


@pytest.mark.slow
def test_editing_the_graph_while_training_pauses_and_offers_to_apply(qtbot, app_window):
    win, c = app_window
    seen = snapshots(c)
    play(qtbot, c, seen, epochs=3)
    before = c.session.trainer.state_dicts()["model"]["dense_1.weight"].clone()
    win.apply_setting("dense_2.units=3")  # an ordinary undoable edit, as from the inspector
    qtbot.waitUntil(lambda: seen[-1].state == "paused", timeout=5000)
    assert c.apply_banner.isVisible()
    qtbot.mouseClick(c.apply_banner.apply_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: seen[-1].state == "running" and "dense_2.weight" in c.session.trainer.state_dicts()[
        "model"], timeout=10000)
    weights = c.session.trainer.state_dicts()["model"]
    assert weights["dense_2.weight"].shape == (3, 4)
    assert not c.apply_banner.isVisible()
    assert seen[-1].epoch >= 3  # the curves went on
    assert weights["dense_1.weight"].shape == before.shape


@pytest.mark.slow
def test_noise_and_features_from_the_data_panel(qtbot, app_window):
    win, c = app_window
    seen = snapshots(c)
    play(qtbot, c, seen, epochs=2)
    version = seen[-1].data_version
    c.data_panel.noise_slider.setValue(30)
    qtbot.waitUntil(lambda: seen[-1].data_version > version, timeout=5000)
    assert c.session.trainer.lab.dataset.noise == 30.0 and win.lab.dataset.noise == 30.0
    # A new feature changes the Input layer too, as one undoable edit, and is applied on the next Play.
    c.data_panel.feature_boxes["x1*x2"].setChecked(True)
    assert win.current_graph().node("input_1").params["features"] == 3
    assert win.lab.dataset.features == ["x1", "x2", "x1*x2"]
    qtbot.waitUntil(lambda: c.apply_banner.isVisible(), timeout=5000)
    qtbot.mouseClick(c.apply_banner.apply_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: c.session.trainer.x_train.shape[1] == 3 and seen[-1].state == "running",
                    timeout=10000)
    win.undo_stack.undo()
    assert win.current_graph().node("input_1").params["features"] == 2
    assert win.lab.dataset.features == ["x1", "x2"]


@pytest.mark.slow
def test_closing_the_window_while_training_stops_the_worker_cleanly(qtbot, app_window, qtlog):
    win, c = app_window
    seen = snapshots(c)
    play(qtbot, c, seen)
    win.undo_stack.setClean()
    win.document.discard_changes()  # nor its training: closing must not ask
    win.close()
    assert not c.session.active
    assert not [m for m in qtlog.records if "QThread" in m.message or "Destroyed" in m.message]


@pytest.mark.slow
def test_opening_another_lab_while_training_stops_the_run(qtbot, app_window):
    win, c = app_window
    seen = snapshots(c)
    play(qtbot, c, seen)
    win.load_template("spiral")
    assert not c.session.active
    assert c.views["boundary"].is_empty and "00,000" in c.toolbar.epoch_label.text()


@pytest.mark.slow
def test_a_lab_that_cannot_train_explains_why(qtbot, app_window):
    win, c = app_window
    win.apply_setting("dense_3.units=3")  # three classes for a two-class set
    c.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: c.message_banner.isVisible(), timeout=10000)
    assert "2 classes" in c.message_banner.label.text()
    assert not c.toolbar.playing


@pytest.mark.slow
def test_choosing_a_regression_set_switches_the_problem_type_undoably(qtbot, app_window):
    win, c = app_window
    before = win.lab.to_json()
    qtbot.mouseClick(c.data_panel.findChild(type(c.data_panel.set_buttons.button(0)), "dataset_plane"),
                     Qt.LeftButton)
    lab = win.lab
    assert lab.task == "regression" and lab.dataset.name == "plane"
    assert win.current_graph().node("output_1").params["head"] == "regression"
    assert win.current_graph().node("dense_3").params["units"] == 1
    seen = snapshots(c)
    play(qtbot, c, seen, epochs=3)
    assert seen[-1].task == "regression" and "test_accuracy" not in seen[-1].metrics
    c.toolbar.play_action.trigger()
    win.undo_stack.undo()
    assert win.lab.to_json() == before


@pytest.mark.slow
def test_step_reset_and_regenerate_from_the_toolbar_and_data_panel(qtbot, app_window):
    win, c = app_window
    seen = snapshots(c)
    c.step(False)  # the Step button: one batch
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].step == 1, timeout=10000)
    assert seen[-1].state == "paused" and not c.toolbar.playing
    c.step(True)  # Shift+Step: to the end of the epoch
    qtbot.waitUntil(lambda: seen[-1].epoch == 1, timeout=10000)
    assert seen[-1].step == 25  # 250 training points in batches of 10
    initial = None
    c.toolbar.reset_action.trigger()  # same seed: the same starting weights again
    qtbot.waitUntil(lambda: seen[-1].step == 0 and seen[-1].epoch == 0, timeout=10000)
    initial = c.session.trainer.state_dicts()["model"]["dense_1.weight"].clone()
    c.step(True)
    qtbot.waitUntil(lambda: seen[-1].epoch == 1, timeout=10000)
    c.toolbar.reset_action.trigger()
    qtbot.waitUntil(lambda: seen[-1].step == 0, timeout=10000)
    assert (c.session.trainer.state_dicts()["model"]["dense_1.weight"] == initial).all()
    points = np.array(seen[-1].dataset["train_points"])
    qtbot.mouseClick(c.data_panel.regenerate_button, Qt.LeftButton)  # a new sample of the same distribution
    qtbot.waitUntil(lambda: not np.array_equal(seen[-1].dataset["train_points"], points), timeout=10000)
    assert win.lab.seed != 1


@pytest.mark.slow
def test_device_chooser_shows_where_training_runs(qtbot, app_window):
    win, c = app_window
    seen = snapshots(c)
    c.toolbar.device_combo.setCurrentIndex(3)
    c.toolbar.device_combo.activated.emit(3)  # CPU
    assert win.lab.training.device == "cpu"
    play(qtbot, c, seen, epochs=1)
    assert seen[-1].device == "CPU" and "CPU" in c.toolbar.device_label.text()
    c.toolbar.device_combo.setCurrentIndex(1)
    c.toolbar.device_combo.activated.emit(1)  # CUDA, which this machine may not have
    import torch

    if not torch.cuda.is_available():
        qtbot.waitUntil(lambda: c.message_banner.isVisible(), timeout=10000)
        assert "CUDA" in c.message_banner.label.text()


@pytest.mark.slow
def test_a_digits_lab_trains_in_the_window_with_the_image_views_in_front(qtbot, app_window):
    win, c = app_window
    win.load_template("mnist_1_layer")
    assert c._shown("feature_maps") and not c._shown("neurons")
    seen = snapshots(c)
    c.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].epoch >= 1 and FeatureMaps in seen[-1].probes and
                    "dense_1" in seen[-1].probes[FeatureMaps].layers,
                    timeout=30000)
    fm = c.views["feature_maps"]
    assert not fm.is_empty
    c.docks["confusion"].raise_()
    qtbot.waitUntil(lambda: "confusion" in seen[-1].probes, timeout=10000)
    assert seen[-1].probes[Confusion].matrix.sum() == 1000
    fm.sample_requested.emit(5)  # another test sample for the feature maps
    qtbot.waitUntil(lambda: FeatureMaps in seen[-1].probes and seen[-1].probes[FeatureMaps].label ==
                    int(c.session.trainer.data.y_test[5]), timeout=10000)


@pytest.mark.slow
def test_a_drawn_digit_is_read_by_the_model_being_trained(qtbot, app_window):
    win, c = app_window
    win.load_template("mnist_1_layer")
    seen = snapshots(c)
    play(qtbot, c, seen, epochs=3)  # about 90% on the test set after a few epochs
    c.draw_dock.raise_()
    one = np.zeros((28, 28), np.float32)
    one[4:24, 13:16] = 1.0  # a plain "1", already centred as MNIST digits are
    c.on_drawing(one)
    qtbot.waitUntil(lambda: Prediction in seen[-1].probes, timeout=10000)  # the drawing's own answer
    probs = seen[-1].probes[Prediction].probabilities
    assert probs.argmax() == 1
    before = c.session.trainer.x_train.shape[0]
    c.add_drawing(one, 1)
    qtbot.waitUntil(lambda: c.session.trainer.x_train.shape[0] == before + 1, timeout=10000)


@pytest.mark.slow
def test_the_first_training_on_a_machine_says_where_it_runs_once(qtbot, app_window):
    win, c = app_window
    seen = snapshots(c)
    messages = []
    original = win.show_message
    win.show_message = lambda text, error=False: (messages.append(text), original(text, error))
    play(qtbot, c, seen, epochs=1)
    where = [m for m in messages if m.startswith("Training runs on")]
    assert len(where) == 1 and seen[-1].device in where[0]
    c.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: seen[-1].state == "paused", timeout=10000)
    c.reset(False)
    play(qtbot, c, seen, epochs=1)  # a second run, or a second start with the same settings: said once only
    assert len([m for m in messages if m.startswith("Training runs on")]) == 1
    assert win.settings.value("device_announced", False, type=bool)
