"""Legible at 1366x768: every heatmap has a colour bar with its range, epochs are whole numbers, confusion cells fit
their counts."""

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtGui import QFontMetricsF

from playground.snapshots import Confusion, ProbeResults, Weights
from playground.ui.views import ConfusionMatrixView, LossCurvePanel, WeightsView
from playground.ui.views.decision_boundary import DecisionBoundaryView
from playground.ui.views.neurons import NeuronGridView
from playground.ui.views.synthetic import SyntheticRun


def show(qtbot, cls, snapshot, size=(600, 450)):
    view = cls()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    view.show_snapshot(snapshot)
    qtbot.wait(10)
    return view


def test_boundary_colour_bar_spans_the_output_and_names_it(qtbot, spiral_snapshot):
    view = show(qtbot, DecisionBoundaryView, spiral_snapshot)
    assert view.colour_bar.isVisible()
    assert tuple(view.colour_bar.levels()) == (0.0, 1.0)
    assert view.colour_bar.axis.labelText == "P(class 1)"
    assert view.image.opacity() < 1.0  # paled, so points of either class keep their colour on it


def test_regression_boundary_colour_bar_runs_from_minus_one_to_one(qtbot):
    run = SyntheticRun(hidden=(4,), seed=2, task="regression")
    run.train_epoch()
    view = show(qtbot, DecisionBoundaryView, run.snapshot())
    assert tuple(view.colour_bar.levels()) == (-1.0, 1.0)
    assert view.colour_bar.axis.labelText == "output"


def test_weights_colour_bar_follows_the_symmetric_levels(qtbot):
    w = np.array([[0.5, -2.0], [1.0, 0.25]], np.float32)
    view = show(qtbot, WeightsView, SimpleNamespace(probes=ProbeResults([Weights({"dense_1": w})])))
    lo, hi = view.colour_bar.levels()
    assert (lo, hi) == tuple(float(v) for v in view.matrix_image.levels) and hi == pytest.approx(2.0) and lo == -hi


def test_neurons_have_a_colour_bar(qtbot, spiral_snapshot):
    view = show(qtbot, NeuronGridView, spiral_snapshot)
    assert tuple(view.colour_bar.levels()) == (-1.0, 1.0)


def test_epoch_ticks_are_whole_numbers(qtbot, trained_run):
    view = show(qtbot, LossCurvePanel, trained_run.snapshot(), size=(400, 400))
    for widget in (view.loss_plot, view.accuracy_plot):
        axis = widget.getPlotItem().getAxis("bottom")
        for low, high in ((0.0, 3.0), (1.0, 5.0), (0.0, 40.0), (0.0, 1.0)):
            for _spacing, values in axis.tickValues(low, high, 300):
                assert all(v == int(v) for v in values), (low, high, values)
            assert axis.tickStrings([2.0, 3.0], 1.0, 1.0) == ["2", "3"]


def test_accuracy_is_as_tall_as_the_loss_and_shares_its_epochs(qtbot, trained_run):
    view = show(qtbot, LossCurvePanel, trained_run.snapshot(), size=(400, 500))
    qtbot.waitUntil(lambda: not view.side_by_side)
    assert view.accuracy_plot.height() >= 0.8 * view.loss_plot.height()
    loss, acc = view.loss_plot.getPlotItem(), view.accuracy_plot.getPlotItem()
    assert acc.getViewBox().linkedView(0) is loss.getViewBox()


def test_the_legend_leaves_the_newest_points_free(qtbot):
    from PySide6.QtCore import QPointF

    from playground.ui.views.gan_views import GanCurvesView

    steps = np.arange(0, 200, 2, dtype=np.float64)
    history = {"step": steps, "train_d_loss": np.full(len(steps), 1.3),
               "train_g_loss": np.linspace(3.0, 0.7, len(steps)), "train_d_real": np.full(len(steps), 0.97),
               "train_d_fake": np.linspace(0.9, 0.05, len(steps))}
    snapshot = SimpleNamespace(history=history, metrics={}, epoch=1, probes=ProbeResults([]))
    view = show(qtbot, GanCurvesView, snapshot, size=(500, 420))
    qtbot.wait(50)
    for widget, curves in ((view.loss_plot, (view.d_loss_curve, view.g_loss_curve)),
                           (view.out_plot, (view.d_real_curve, view.d_fake_curve))):
        item = widget.getPlotItem()
        legend = item.legend.sceneBoundingRect()
        for curve in curves:
            x, y = curve.getData()
            newest = item.getViewBox().mapViewToScene(QPointF(float(x[-1]), float(y[-1])))
            assert not legend.contains(newest), (curve.name(), legend, newest)
        assert item.legend.covered(item.legend.corner) == 0


def confusion(counts):
    empty = np.zeros((0, 28, 28), np.float32)
    matrix = np.asarray(counts, np.int64)
    return SimpleNamespace(probes=ProbeResults([Confusion(matrix, empty, np.zeros(0, np.int64),
                                                          np.zeros(0, np.int64))]),
                           classes=[str(i) for i in range(len(matrix))])


@pytest.mark.parametrize("size", [(450, 380), (700, 500), (1100, 800)])
def test_confusion_counts_fit_their_cells(qtbot, size):
    rng = np.random.default_rng(0)
    counts = np.diag(rng.integers(900, 1100, 10)) + rng.integers(0, 30, (10, 10))
    view = show(qtbot, ConfusionMatrixView, confusion(counts), size=size)
    qtbot.waitUntil(lambda: view.cell_pixels()[0] > 5)
    width, height = view.cell_pixels()
    metrics = QFontMetricsF(view.cell_font)
    if view.cell_numbers_shown:
        assert metrics.horizontalAdvance(str(counts.max())) <= width
        assert metrics.height() <= height
    assert view.colour_bar.levels() == (0.0, float(counts.max()))


def test_confusion_numbers_hide_in_tiny_cells_and_grow_with_them(qtbot):
    view = show(qtbot, ConfusionMatrixView, confusion(np.eye(10, dtype=np.int64) * 980 + 3), size=(300, 260))
    qtbot.waitUntil(lambda: view.cell_pixels()[0] > 2)
    assert not view.cell_numbers_shown  # "983" does not fit an 8-pixel cell: left out, not cut
    small = view.cell_font.pixelSize()
    view.resize(1100, 900)
    qtbot.waitUntil(lambda: view.cell_font.pixelSize() > small)
    assert view.cell_numbers_shown


def test_filter_colour_bar_spans_the_filters_levels(qtbot):
    from playground.snapshots import Filters
    from playground.ui.views import FilterGridView

    w = np.random.default_rng(0).normal(size=(6, 1, 5, 5)).astype(np.float32)
    view = show(qtbot, FilterGridView, SimpleNamespace(probes=ProbeResults([Filters({"conv_1": w})]), epoch=1))
    assert view.colour_bar.isVisible()
    assert view.colour_bar.levels() == tuple(float(v) for v in view.image.levels)


def test_feature_map_names_are_elided_inside_the_view_with_the_whole_name_in_a_tooltip(qtbot):
    import dataclasses
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_image_views import lenet_probes, snap

    from playground.ui.views import FeatureMapView

    probes = lenet_probes()
    long = "discriminator: a_very_long_convolution_name"
    layers = {(long if k == "conv_1" else k): v for k, v in probes.layers.items()}
    record = dataclasses.replace(probes, layers=layers)
    view = show(qtbot, FeatureMapView, snap(record), size=(500, 500))
    view.show_snapshot(snap(record))  # laid out for its real size
    qtbot.wait(10)
    assert tuple(view.colour_bar.levels()) == (-1.0, 1.0)
    label = next(label for label, _y, layer in view._layer_labels if layer.name == long)
    assert label.isVisible() and label.toPlainText().split("\n")[0].endswith("…")
    assert label.toolTip().startswith(long)
    assert label.sceneBoundingRect().left() >= view.grid_box.sceneBoundingRect().left() - 1


def test_class_templates_and_filter_lab_have_colour_bars(qtbot):
    from playground.ui.views import ClassTemplateView, FilterLabView

    w = np.random.default_rng(1).normal(size=(10, 784)).astype(np.float32)
    s = SimpleNamespace(probes=ProbeResults([Weights({"dense_1": w})]), classes=[str(i) for i in range(10)])
    templates = show(qtbot, ClassTemplateView, s)
    assert templates.colour_bar.levels() == tuple(float(v) for v in templates.image.levels)
    lab = FilterLabView()
    qtbot.addWidget(lab)
    lab.set_preset("identity")
    if lab.output is not None:
        assert lab.colour_bar.levels() == tuple(float(v) for v in lab.output_image.levels)


def test_gan_plane_colour_bar_reads_d_of_x(qtbot):
    from playground.ui.views.gan_views import GanPlaneView

    view = GanPlaneView()
    qtbot.addWidget(view)
    assert tuple(view.colour_bar.levels()) == (0.0, 1.0)
    assert "D(x)" in view.colour_bar.axis.labelText


def test_narrow_neuron_grid_keeps_several_tiles_per_row_and_whole_label_tooltips(qtbot):
    from playground.viz.tiling import best_units_per_row

    assert best_units_per_row([16, 16, 16], 90.0, 100.0, label_width=80.0) > 1  # labels would leave 10 px
    run = SyntheticRun(hidden=(16, 16, 16), seed=1)
    run.train_epoch()
    snapshot = run.snapshot("tanh_2")
    view = show(qtbot, NeuronGridView, snapshot, size=(240, 200))
    view.show_snapshot(snapshot)  # laid out for its real size
    assert len({t.left for t in view.tiles}) > 1
    assert [label.toolTip() for label in view._labels] == ["tanh_1: 16 units", "tanh_2: 16 units", "tanh_3: 16 units"]
    assert view.colour_bar.horizontal


def test_short_wide_gan_and_vae_curves_go_side_by_side(qtbot):
    from playground.ui.views.autoencoder_views import VAELossView
    from playground.ui.views.gan_views import GanCurvesView

    for cls, first, second in ((GanCurvesView, "loss_plot", "out_plot"), (VAELossView, "rec_plot", "kl_plot")):
        view = cls()
        qtbot.addWidget(view)
        view.resize(620, 220)
        view.show()
        view.show_content()
        qtbot.waitUntil(lambda v=view, a=first, b=second: getattr(v, b).x() > getattr(v, a).x() + 100)
        assert getattr(view, second).height() > 100
        view.resize(500, 600)
        qtbot.waitUntil(lambda v=view, a=first, b=second: getattr(v, b).y() > getattr(v, a).y() + 100)


def test_a_short_axis_labels_only_as_many_ticks_as_fit(qtbot):
    from PySide6.QtGui import QFontMetricsF

    from playground.ui.views.base import LegibleAxis, plot_widget

    widget = plot_widget()
    qtbot.addWidget(widget)
    axis = widget.getPlotItem().getAxis("left")
    assert isinstance(axis, LegibleAxis)
    line = QFontMetricsF(axis.font()).height()
    for low, high, size in ((3198.0, -63.0, 34.0), (0.0, 3000.0, 34.0), (0.0, 1.0, 40.0), (0.0, 10.0, 400.0)):
        labelled = sorted(axis.tickValues(low, high, size)[0][1])
        gaps = np.diff(labelled) / abs(high - low) * size
        assert len(labelled) >= 1 and (gaps >= line).all(), (low, high, labelled)


def test_narrow_weights_view_stacks_matrix_over_histogram(qtbot):
    w = np.random.default_rng(0).normal(size=(64, 32)).astype(np.float32)
    view = show(qtbot, WeightsView, SimpleNamespace(probes=ProbeResults([Weights({"dense_1": w})])), size=(200, 400))
    qtbot.waitUntil(lambda: view.histogram_plot.y() > view.matrix_plot.y() + 50)
    view.resize(700, 400)
    qtbot.waitUntil(lambda: view.histogram_plot.x() > view.matrix_plot.x() + 100)


def test_forecast_legend_sits_above_the_waves_and_gates_keep_their_width(qtbot):
    from playground.ui.views.sequence_views import ForecastView, GateView

    view = ForecastView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.show_content()
    qtbot.wait(10)
    item = view.plot_widget.getPlotItem()
    assert [label.text for _, label in item.legend.items] == ["truth", "one step ahead", "free running"]
    assert item.legend.sceneBoundingRect().bottom() <= item.getViewBox().sceneBoundingRect().top() + 1
    gates = GateView()
    qtbot.addWidget(gates)
    assert gates.colour_bar.horizontal and tuple(gates.colour_bar.levels()) == (0.0, 1.0)


def test_colour_bar_values_and_given_ticks_never_overprint(qtbot):
    from PySide6.QtGui import QFontMetricsF, QImage, QPainter

    from playground.ui.views.base import LegibleAxis, colour_bar, plot_widget
    from playground.viz.colormaps import diverging_lut

    bar = colour_bar(diverging_lut(), (-1.0, 1.0), "value")
    line = QFontMetricsF(bar.axis.font()).height()
    labelled = sorted(bar.axis.tickValues(-1.0, 1.0, 40.0)[0][1])
    assert (np.diff(labelled) / 2.0 * 40.0 >= line).all()
    widget = plot_widget()
    qtbot.addWidget(widget)
    widget.resize(200, 150)
    widget.show()
    axis = widget.getPlotItem().getAxis("bottom")
    assert isinstance(axis, LegibleAxis)
    axis.setTicks([[(i + 0.5, "abcdefgh") for i in range(0, 64, 8)]])
    widget.getPlotItem().setXRange(0, 64, padding=0)
    qtbot.wait(10)
    image = QImage(widget.size(), QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    rects = sorted(rect.left() for rect, _flags, _text in texts)
    width = QFontMetricsF(axis.font()).horizontalAdvance("abcdefgh")
    assert len(rects) >= 1 and (np.diff(rects) >= width).all()


def test_a_single_epoch_does_not_show_negative_epochs(qtbot):
    history = {"epoch": np.array([1.0]), "train_loss": np.array([2.3]), "test_loss": np.array([2.4])}
    view = show(qtbot, LossCurvePanel, SimpleNamespace(history=history, metrics={}, epoch=1, task="regression"))
    qtbot.wait(10)
    low, _high = view.loss_plot.getPlotItem().getViewBox().viewRange()[0]
    assert low >= -0.5
