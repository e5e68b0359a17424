import numpy as np

from playground.ui.views import LossCurvePanel
from playground.ui.views.synthetic import SyntheticRun


def make(qtbot):
    view = LossCurvePanel()
    qtbot.addWidget(view)
    return view


def test_curves_hold_the_history(qtbot, trained_run):
    view = make(qtbot)
    snap = trained_run.snapshot()
    view.show_snapshot(snap)
    for curve, key in ((view.train_loss_curve, "train_loss"), (view.test_loss_curve, "test_loss"),
                       (view.train_accuracy_curve, "train_accuracy"), (view.test_accuracy_curve, "test_accuracy")):
        x, y = curve.getData()
        assert np.array_equal(x, snap.history["epoch"])
        assert np.allclose(y, snap.history[key])
    assert "Epoch 5" in view.caption.text() and "test accuracy" in view.caption.text()


def test_new_epochs_extend_the_curves(qtbot):
    run = SyntheticRun(hidden=(4,))
    view = make(qtbot)
    run.train_epoch()
    view.show_snapshot(run.snapshot())
    run.train_epoch()
    run.train_epoch()
    view.show_snapshot(run.snapshot())
    assert len(view.train_loss_curve.getData()[0]) == 3


def test_log_scale_toggle(qtbot, trained_run):
    view = make(qtbot)
    view.show_snapshot(trained_run.snapshot())
    view.log_checkbox.click()
    assert view.log_scale
    assert view.loss_plot.getPlotItem().ctrl.logYCheck.isChecked()
    x, y = view.train_loss_curve.getData()  # data shown in log10 space
    assert np.allclose(y, np.log10(trained_run.snapshot().history["train_loss"]))
    view.log_checkbox.click()
    assert not view.loss_plot.getPlotItem().ctrl.logYCheck.isChecked()


def test_regression_hides_accuracy(qtbot):
    run = SyntheticRun(hidden=(4,), task="regression")
    run.train_epoch()
    view = make(qtbot)
    view.show()
    view.show_snapshot(run.snapshot())
    assert view.accuracy_plot.isHidden()
    assert "accuracy" not in view.caption.text()


def test_legend_names_train_and_test(qtbot, trained_run):
    view = make(qtbot)
    legend = view.loss_plot.getPlotItem().legend
    assert [label.text for _, label in legend.items] == ["train", "test"]


def test_a_short_wide_panel_puts_loss_and_accuracy_side_by_side(qtbot, trained_run):
    """The right column of a 1366x768 screen: stacked, each plot would be a sliver with overprinted ticks."""
    view = make(qtbot)
    view.show_snapshot(trained_run.snapshot())
    view.resize(450, 180)
    view.show()
    qtbot.waitExposed(view)
    assert view.side_by_side
    assert view.accuracy_plot.height() > 100 and view.loss_plot.height() > 100
    assert view.loss_plot.getPlotItem().getAxis("bottom").labelText == "epoch"  # each plot names its x axis
    view.resize(450, 420)
    qtbot.waitUntil(lambda: not view.side_by_side)
    qtbot.waitUntil(lambda: view.loss_plot.y() < view.accuracy_plot.y())
    assert view.loss_plot.getPlotItem().getAxis("bottom").labelText == ""  # the accuracy plot below names it
