"""The time machine's slider and the health badges in the window: scrubbing shows a past moment in every view,
Continue from here branches, Play goes on from now; badges follow the network's health."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QSlider

from playground.app.presenters.time_machine import TimeMachinePresenter
from playground.snapshots import Weights
from playground.snapshots.health import LayerHealth, NetworkHealth


@pytest.fixture
def app_window(app_window):
    """The shared window (tests/app/conftest.py) and its time machine presenter."""
    win, c = app_window
    presenter = win.findChild(TimeMachinePresenter)
    assert presenter is not None
    return win, c, presenter


@pytest.mark.slow
def test_scrubbing_shows_the_saved_moment_and_continuing_branches_from_it(qtbot, app_window):
    win, c, presenter = app_window
    win.load_template("spiral")
    c.set_playing(True)
    slider = win.findChild(QSlider, "timeMachineSlider")
    assert slider is not None
    qtbot.waitUntil(lambda: slider.maximum() >= 4, timeout=120_000)
    slider.setValue(2)  # as a drag would
    step = presenter.bar.step
    qtbot.waitUntil(lambda: presenter.moment is not None, timeout=60_000)
    moment = presenter.moment
    assert moment.step == step and c.last_snapshot is moment  # the views were handed that moment
    trainer = c.session.trainer
    saved = trainer.moments.find(step).load()
    np.testing.assert_array_equal(moment.probes[Weights].layers["dense_1"],
                                  saved["model/model/dense_1.weight"].numpy())
    assert presenter.bar.continue_button.isEnabled()
    qtbot.waitUntil(lambda: trainer.state == "paused", timeout=30_000)  # looking back paused the run

    presenter.bar.continue_button.click()
    assert presenter.bar.at_now and presenter.moment is None
    assert "Continued from step" in win.statusBar().currentMessage()
    qtbot.waitUntil(lambda: c.last_snapshot is not None and c.last_snapshot.state == "running"
                    and c.last_snapshot.step > step, timeout=60_000)
    assert trainer.moments.moments[0].step == 0


@pytest.mark.slow
def test_health_badges_follow_the_health_record(qtbot, app_window):
    win, _c, presenter = app_window
    win.load_template("tensorflow_playground")
    items = win.canvas.arch_scene.node_items
    layer = next(n for n in items if items[n].kind == "Tanh")
    sick = NetworkHealth({layer: LayerHealth("Tanh", 4, saturated=0.75, problems=("saturated",))})
    presenter._show_health(sick)
    assert items[layer].health is not None and items[layer].health.text == "75% flat"
    assert "Saturated units" in items[layer].toolTip() and "Try:" in items[layer].toolTip()
    assert all(item.health is None for name, item in items.items() if name != layer)
    presenter._show_health(NetworkHealth({layer: LayerHealth("Tanh", 4, saturated=0.0)}))
    assert items[layer].health is None and "Saturated" not in items[layer].toolTip()


@pytest.mark.slow
def test_step_goes_back_to_now(qtbot, app_window):
    win, c, presenter = app_window
    win.load_template("spiral")
    c.set_playing(True)
    qtbot.waitUntil(lambda: presenter.bar.slider.maximum() >= 3, timeout=120_000)
    presenter.bar.slider.setValue(1)
    qtbot.waitUntil(lambda: presenter.moment is not None, timeout=60_000)
    c.toolbar.step_requested.emit(False)
    assert presenter.bar.at_now and presenter.moment is None
