"""Learning > Loss landscape and optimizer race… in the real window: the menu opens both views, computed off the
GUI thread, from the lab's starting weights or the running session's, with the run's trajectory as it trains."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QMenu

from playground.app.presenters.landscape import LandscapePresenter
from playground.snapshots.landscape import CostCurve, LossSurface


@pytest.fixture
def app_window(app_window):
    """The shared window (tests/app/conftest.py) and its landscape presenter."""
    win, c = app_window
    presenter = win.findChild(LandscapePresenter)
    assert presenter is not None
    return win, c, presenter


def _open(qtbot, win, presenter):
    menu = win.findChild(QMenu, "learningMenu")
    assert menu is not None and win.landscape_action in menu.actions()
    win.landscape_action.trigger()
    window = presenter.window
    assert window is not None and window.isVisible()
    qtbot.waitUntil(lambda: not window.landscape_view.is_empty and window.race_view.race is not None,
                    timeout=60_000)
    return window


@pytest.mark.slow
def test_the_menu_opens_the_networks_slice_and_a_race_computed_off_the_gui_thread(qtbot, app_window, monkeypatch):
    win, _c, presenter = app_window
    win.load_template("tensorflow_playground")
    from playground.engine.insight import landscape

    threads = []
    real = landscape.random_slice
    monkeypatch.setattr(landscape, "random_slice",
                        lambda *a, **k: threads.append(threading.current_thread()) or real(*a, **k))
    window = _open(qtbot, win, presenter)
    view = window.landscape_view
    assert view.objectName() == "lossLandscapeView" and window.race_view.objectName() == "optimizerRaceView"
    assert "Starting weights of seed" in window.status.text()
    assert threads and all(t is not threading.main_thread() for t in threads)
    image = view.surface_plot.image.image
    assert image is not None and image.shape[0] == image.shape[1] >= 7
    race = window.race_view.race
    assert race.function == "quadratic" and len(race.paths) == 6


@pytest.mark.slow
def test_choosing_a_small_model_and_a_rate_draws_its_exact_cost(qtbot, app_window):
    win, _c, presenter = app_window
    win.load_template("tensorflow_playground")
    window = _open(qtbot, win, presenter)
    view = window.landscape_view
    shown: list[object] = []
    original = view.show_snapshot
    view.show_snapshot = lambda record: (shown.append(record), original(record))
    view.rate_combo.setCurrentIndex(2)  # too large
    view.model_combo.setCurrentIndex(view.model_combo.findData("linear"))
    qtbot.waitUntil(lambda: any(isinstance(r, CostCurve) for r in shown), timeout=60_000)
    curve = next(r for r in shown if isinstance(r, CostCurve))
    assert "too large" in curve.note
    assert view.curve.xData is not None and len(view.curve.xData) == len(curve.weights)
    view.model_combo.setCurrentIndex(view.model_combo.findData("tanh"))
    qtbot.waitUntil(lambda: isinstance(shown[-1], LossSurface) and shown[-1].kind == "exact", timeout=60_000)


@pytest.mark.slow
def test_changing_the_race_settings_runs_the_race_again(qtbot, app_window):
    win, _c, presenter = app_window
    win.load_template("tensorflow_playground")
    window = _open(qtbot, win, presenter)
    race_view = window.race_view
    race_view.function_combo.setCurrentIndex(race_view.function_combo.findData("rosenbrock"))
    qtbot.waitUntil(lambda: race_view.race.function == "rosenbrock", timeout=60_000)
    assert race_view.lr_spin.value() == pytest.approx(0.001)  # the function's own rates
    first = race_view.race
    race_view.momentum_spin.setValue(0.5)
    qtbot.waitUntil(lambda: race_view.race is not first, timeout=60_000)
    assert race_view.race.momentum == pytest.approx(0.5)
    assert not np.array_equal(race_view.race.path("momentum").points, first.path("momentum").points)


@pytest.mark.slow
def test_a_running_session_gives_its_weights_and_its_trajectory(qtbot, app_window):
    win, c, presenter = app_window
    win.load_template("tensorflow_playground")
    c.session.start(win.document.lab, run=True)
    qtbot.waitUntil(lambda: c.session.trainer is not None and c.session.trainer.step > 0, timeout=60_000)
    window = _open(qtbot, win, presenter)
    qtbot.waitUntil(lambda: "running session" in window.status.text(), timeout=60_000)
    view = window.landscape_view
    view.model_combo.setCurrentIndex(view.model_combo.findData("pca"))
    for _ in range(3):  # three readings of the weights while it trains, as the timer would take them
        count = len(presenter.network.history)
        presenter.refresh()
        presenter.wait()
        qtbot.waitUntil(lambda n=count: len(presenter.network.history) > n or presenter.network.history[-1][0]
                        == c.session.trainer.step, timeout=60_000)
        qtbot.wait(200)
    qtbot.waitUntil(lambda: "principal" in view.caption.toolTip(), timeout=60_000)
    steps = [s for s, _f in presenter.network.history]
    assert steps == sorted(steps) and len(steps) >= 3
    assert view._path.shape == (len(steps), 2)


@pytest.mark.slow
def test_a_race_on_the_students_own_network(qtbot, app_window):
    win, _c, presenter = app_window
    win.load_template("tensorflow_playground")
    window = _open(qtbot, win, presenter)
    race_view = window.race_view
    race_view.function_combo.setCurrentIndex(race_view.function_combo.findData("network"))
    qtbot.waitUntil(lambda: race_view.race.function == "your network", timeout=60_000)
    assert race_view.lr_spin.value() == pytest.approx(0.5)
    assert race_view.race.surface.kind == "random"
    sgd = race_view.race.path("sgd")
    assert sgd.losses[-1] < sgd.losses[0]
    assert race_view.standings()[0][1] <= race_view.standings()[-1][1]


@pytest.mark.slow
def test_opening_another_lab_redraws_its_network(qtbot, app_window):
    win, _c, presenter = app_window
    win.load_template("tensorflow_playground")
    window = _open(qtbot, win, presenter)
    first = presenter.network.lab_loss.problem.size
    win.load_template("spiral")
    qtbot.waitUntil(lambda: presenter.network.lab_loss.problem.size != first, timeout=60_000)
    presenter.wait()
    qtbot.waitUntil(lambda: f"{presenter.network.lab_loss.problem.size:,} weights" in
                    window.landscape_view.caption.toolTip(), timeout=60_000)
