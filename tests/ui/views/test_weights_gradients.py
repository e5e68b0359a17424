import numpy as np

from playground.snapshots import Gradients, ProbeResults, Weights
from playground.ui.views import GradientNormView, WeightsView


def make(qtbot, cls):
    view = cls()
    qtbot.addWidget(view)
    view.resize(500, 350)
    view.show()
    return view


def test_weights_heatmap_and_histogram(qtbot, spiral_snapshot):
    view = make(qtbot, WeightsView)
    view.show_snapshot(spiral_snapshot)
    names = [view.layer_combo.itemText(i) for i in range(view.layer_combo.count())]
    assert names == ["dense_1", "dense_2", "dense_3"]
    view.set_layer("dense_2")
    w = spiral_snapshot.probes[Weights].layers["dense_2"]
    assert np.array_equal(view.matrix_image.image, w)
    lo, hi = view.matrix_image.levels
    assert lo == -hi and hi == np.abs(w).max()
    edges, counts = view.histogram_curve.getData()
    assert counts.sum() == w.size
    assert len(edges) == len(counts) + 1
    assert "dense_2" in view.caption.text() and str(w.size) in view.caption.text()


def test_conv_weights_are_shown_as_rows_per_filter(qtbot, spiral_snapshot):
    from types import SimpleNamespace
    view = make(qtbot, WeightsView)
    conv = np.random.default_rng(0).normal(size=(4, 3, 5, 5)).astype(np.float32)
    view.show_snapshot(SimpleNamespace(probes=ProbeResults([Weights({"conv_1": conv})])))
    assert view.matrix_image.image.shape == (4, 75)
    assert view.histogram_curve.getData()[1].sum() == conv.size


def test_weights_layer_choice_survives_snapshots(qtbot, spiral_snapshot):
    view = make(qtbot, WeightsView)
    view.show_snapshot(spiral_snapshot)
    view.set_layer("dense_3")
    view.show_snapshot(spiral_snapshot)
    assert view.layer == "dense_3"


def test_one_gradient_curve_per_layer_on_a_log_axis(qtbot, spiral_snapshot):
    view = make(qtbot, GradientNormView)
    view.show_snapshot(spiral_snapshot)
    assert list(view.curves) == ["dense_1", "dense_2", "dense_3"]
    assert view.plot.getPlotItem().ctrl.logYCheck.isChecked()
    x, y = view.curves["dense_1"].getData()
    g = spiral_snapshot.probes[Gradients].layers["dense_1"]
    assert np.array_equal(x, spiral_snapshot.probes[Gradients].steps)
    assert np.allclose(y, np.log10(g))
    legend = [label.text for _, label in view.legend.items]
    assert legend == ["dense_1", "dense_2", "dense_3"]
    pens = {c.opts["pen"].color().name() for c in view.curves.values()}
    assert len(pens) == 3


def test_gradient_zeros_do_not_break_the_log_axis(qtbot):
    from types import SimpleNamespace
    view = make(qtbot, GradientNormView)
    view.show_snapshot(SimpleNamespace(probes=ProbeResults([Gradients(np.arange(4.0),
                                                                      {"a": np.array([1.0, 0.0, np.nan, 1e-9])})])))
    _x, y = view.curves["a"].getData()
    assert np.isnan(y[1]) and y[3] == -9


def test_gradient_curves_follow_a_changed_network(qtbot, spiral_snapshot):
    from types import SimpleNamespace
    view = make(qtbot, GradientNormView)
    view.show_snapshot(spiral_snapshot)
    view.show_snapshot(SimpleNamespace(probes=ProbeResults([Gradients(np.arange(3.0), {"x": np.ones(3)})])))
    assert list(view.curves) == ["x"]
    assert [label.text for _, label in view.legend.items] == ["x"]


def test_gradient_log_axis_labels_never_overprint(qtbot):
    """pyqtgraph labels every 2…9 mark of a decade, bunched at its top: in a short dock they overprinted."""
    from playground.ui.views.curves import LABEL_ROOM

    view = GradientNormView()
    qtbot.addWidget(view)
    axis = view.plot.getPlotItem().getAxis("left")
    for low, high, size in ((0.006, 0.09, 110), (0.001, 1.5, 110), (1e-6, 10.0, 80), (0.03, 0.08, 60)):
        levels = axis.tickValues(np.log10(low), np.log10(high), size)
        labelled = sorted(levels[0][1])  # only the first level gets text
        assert len(labelled) >= 2, (low, high, levels)
        per_decade = size / (np.log10(high) - np.log10(low))
        gaps = np.diff(labelled) * per_decade
        assert gaps.min() >= LABEL_ROOM - 1e-6, (low, high, labelled)
        assert all(np.log10(low) <= v <= np.log10(high) for v in labelled)
    assert axis.style["maxTextLevel"] == 0
