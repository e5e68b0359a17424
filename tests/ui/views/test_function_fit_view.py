"""The 1-D fit view: samples, truth, the network's curve and one thin curve per hidden unit; the f picker."""

from types import SimpleNamespace

import numpy as np

from playground.data import functions1d
from playground.snapshots import FunctionFit, ProbeResults
from playground.ui.views.families import family_views
from playground.ui.views.function_fit import FUNCTIONS, MAX_UNIT_CURVES, FunctionFitView


def make(qtbot):
    view = FunctionFitView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    return view


def fit_snapshot(units=3, index=4, epoch=5):
    x = np.linspace(-3.15, 3.15, 300, dtype=np.float32)
    rng = np.random.default_rng(0)
    contributions = np.stack([np.tanh(x * (i + 1)) * (0.5 - i * 0.1) for i in range(units)]).astype(np.float32)
    bias = 0.1
    probes = ProbeResults([FunctionFit(x=x, prediction=contributions.sum(0) + bias,
                                       target=functions1d.evaluate("sawtooth", x), function_index=index,
                                       train_x=rng.uniform(-3, 3, 50).astype(np.float32),
                                       train_y=rng.uniform(-1, 1, 50).astype(np.float32),
                                       contributions=contributions, bias=bias)])
    return SimpleNamespace(task="regression", state="running", epoch=epoch, data_version=1, probes=probes,
                           metrics={"train_loss": 0.05, "test_loss": 0.07})


def test_the_picker_lists_the_data_packages_functions():
    assert FUNCTIONS == functions1d.FUNCTIONS


def test_draws_samples_truth_fit_and_one_curve_per_unit(qtbot):
    view = make(qtbot)
    view.show_snapshot(SimpleNamespace(probes=ProbeResults()))
    assert view.is_empty
    snap = fit_snapshot()
    view.show_snapshot(snap)
    assert not view.is_empty
    assert len(view.points.getData()[0]) == 50
    np.testing.assert_allclose(view.fit.getData()[1], snap.probes[FunctionFit].prediction)
    np.testing.assert_allclose(view.truth.getData()[1], snap.probes[FunctionFit].target)
    visible = [c for c in view._unit_curves if c.isVisible()]
    assert len(visible) == 3
    np.testing.assert_allclose(visible[1].getData()[1], snap.probes[FunctionFit].contributions[1])
    assert view.function_combo.currentData() == "sawtooth"
    assert "train MSE 0.05" in view.caption.text() and "3 hidden units" in view.caption.text()
    items = view.graphics_item_count()
    view.show_snapshot(fit_snapshot(epoch=6))  # a redraw adds nothing
    assert view.graphics_item_count() == items


def test_units_toggle_and_fewer_units_hide_curves(qtbot):
    view = make(qtbot)
    view.show_snapshot(fit_snapshot(units=5))
    view.units_checkbox.setChecked(False)
    assert not any(c.isVisible() for c in view._unit_curves)
    view.units_checkbox.setChecked(True)
    view.show_snapshot(fit_snapshot(units=2))
    assert sum(c.isVisible() for c in view._unit_curves) == 2


def test_many_units_are_capped(qtbot):
    view = make(qtbot)
    view.show_snapshot(fit_snapshot(units=MAX_UNIT_CURVES + 6))
    assert sum(c.isVisible() for c in view._unit_curves) == MAX_UNIT_CURVES
    assert f"first {MAX_UNIT_CURVES} drawn" in view.caption.text()


def test_choosing_a_function_asks_for_a_dataset_change(qtbot):
    view = make(qtbot)
    with qtbot.waitSignal(view.dataset_changed) as blocker:
        view.function_combo.activated.emit(1)
    assert blocker.args == [{"options": {"function": "step"}}]


def test_registered_for_regression_on_functions():
    spec = next(v for v in family_views() if v.key == "function_fit")
    assert spec.tasks == ("regression",) and spec.data == ("function",) and spec.place == "main" and spec.main
