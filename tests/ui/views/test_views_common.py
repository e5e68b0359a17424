"""What every view must do: draw a spiral, survive odd snapshots, and never add plot items on redraw."""

import numpy as np
import pytest

from playground.snapshots import DecisionBoundary, Gradients, HiddenLayer, HiddenSpace, Neurons, ProbeResults, Weights
from playground.ui.views import ALL_VIEWS
from playground.ui.views.synthetic import SyntheticRun, empty_snapshot

EXPECTED_PROBES = {
    "LossCurvePanel": (), "DecisionBoundaryView": ("boundary",), "NeuronGridView": ("neurons",),
    "HiddenSpaceView": (), "WeightsView": ("weights",), "GradientNormView": ("gradients",),
}


@pytest.fixture(params=ALL_VIEWS, ids=lambda v: v.__name__)
def view(request, qtbot):
    w = request.param()
    qtbot.addWidget(w)
    w.resize(480, 360)
    w.show()
    return w


def test_view_has_name_probes_and_teaching_tooltips(view):
    assert view.objectName()
    assert type(view).probes == EXPECTED_PROBES[type(view).__name__]
    tips = [c.toolTip() for c in view.findChildren(object) if hasattr(c, "toolTip") and c.toolTip()]
    assert tips and max(len(t) for t in tips) > 80


def test_view_starts_empty_with_a_message(view):
    assert view.is_empty and "Play" in view.empty_message


def test_view_draws_a_spiral_snapshot(view, spiral_snapshot):
    view.show_snapshot(spiral_snapshot)
    assert not view.is_empty


@pytest.mark.parametrize("make", [
    lambda run: empty_snapshot(),
    lambda run: empty_snapshot("regression", state="running"),
    lambda run: run.snapshot("tanh_2", probes=()),
], ids=["empty", "empty-regression", "no-probes"])
def test_view_survives_snapshots_without_data(view, trained_run, make):
    snap = make(trained_run)
    view.show_snapshot(snap)
    if not getattr(snap, "history", None) and not getattr(snap, "probes", None):
        assert view.is_empty and view.empty_message  # nothing to draw: the view says so instead of a blank plot
    view.show_snapshot(trained_run.snapshot("tanh_2"))
    assert not view.is_empty  # and a full snapshot afterwards draws as usual


def test_view_survives_a_regression_run(view):
    run = SyntheticRun(hidden=(4,), task="regression")
    run.train_epoch()
    snap = run.snapshot("tanh_1")
    assert snap.classes == 0 and "train_accuracy" not in snap.history
    view.show_snapshot(snap)
    assert not view.is_empty


def test_view_survives_missing_keys_and_odd_shapes(view, spiral_snapshot):
    from types import SimpleNamespace
    view.show_snapshot(SimpleNamespace())  # nothing at all
    odd = SimpleNamespace(**vars(spiral_snapshot))
    odd.probes = ProbeResults([DecisionBoundary(np.zeros(5, dtype=np.float32)), Neurons({"x": np.zeros((0, 4, 4))}),
                               Weights({"w": np.zeros(0)}), Gradients(np.arange(3.0), {"d": np.zeros(2)}),
                               HiddenSpace({"tanh_2": HiddenLayer(np.zeros(4), np.zeros(4))})])
    odd.history = {"epoch": np.arange(3.0), "train_loss": np.ones(2)}
    view.show_snapshot(odd)
    view.show_snapshot(spiral_snapshot)  # and recovers
    assert not view.is_empty


def test_repeated_snapshots_add_no_plot_items(view, qtbot):
    run = SyntheticRun(hidden=(6, 4), seed=2)
    run.train_epoch()
    view.show_snapshot(run.snapshot("tanh_2"))
    qtbot.wait(1)
    before = view.graphics_item_count()
    for i in range(50):
        if i % 10 == 0:
            run.train_epoch()
        view.show_snapshot(run.snapshot("tanh_2"))
    qtbot.wait(1)
    assert view.graphics_item_count() == before
    # How fast a redraw is belongs to `playground bench` (redraw rate), not to a test on a shared machine.
