"""Legible in a narrow dock: on a network of six hidden layers, 240 px wide, the Neurons and Network views show
every text whole or shortened with "…" (never cut at the view's edge), the whole text in its tooltip, and no two
column headers on top of each other."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QRectF

from playground.app.presenters.neuron_network import network_outline
from playground.graph.templates import _mlp, multiclass_spiral, spiral
from playground.ui.views.elided_label import ElidedLabel, fitted_text
from playground.ui.views.neuron_network import NeuronNetworkView
from playground.ui.views.neurons import NeuronGridView
from playground.ui.views.synthetic import SyntheticRun

DEEP = (8, 8, 8, 8, 8, 8)


def deep_lab():  # a lab built as a student would build it: the spiral with six hidden layers of eight
    lab = spiral()
    lab.networks[0].graph = _mlp(2, list(DEEP), "Tanh", 2)
    return lab


def inside(rect: QRectF, box: QRectF) -> bool:
    return box.adjusted(-0.5, -0.5, 0.5, 0.5).contains(rect)


def text_rect(item) -> QRectF:
    """Where a text's letters are on screen: its box less the empty margin Qt keeps round a document."""
    m = item.textItem.document().documentMargin()
    return item.textItem.mapRectToScene(item.textItem.boundingRect().adjusted(m, m, -m, -m))


def network_view(qtbot, lab, size):
    view = NeuronNetworkView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    view.set_outline(network_outline(lab))
    qtbot.wait(20)
    return view


def test_fitted_text_drops_whole_phrases_before_eliding(qtbot):
    label = ElidedLabel("48 hidden units in 3 layers · hover one to enlarge")
    qtbot.addWidget(label)
    metrics = label.fontMetrics()
    room = metrics.horizontalAdvance("48 hidden units in 3 layers") + 2
    assert fitted_text(label.text(), metrics, room) == "48 hidden units in 3 layers"
    short = fitted_text(label.text(), metrics, 60)
    assert short.endswith("…") and metrics.horizontalAdvance(short) <= 60
    label.resize(room + label.contentsMargins().left() + label.contentsMargins().right(), 20)
    assert label.shown_text() == "48 hidden units in 3 layers"
    assert label.text() == label.toolTip() == "48 hidden units in 3 layers · hover one to enlarge"


@pytest.mark.parametrize("size", [(240, 200), (240, 320), (700, 220)])
def test_deep_network_headers_never_overprint_and_every_text_fits(qtbot, size):
    view = network_view(qtbot, deep_lab(), size)
    assert len(view.headers) == len(DEEP) + 2  # the input, six hidden columns, the output
    box = view.box.sceneBoundingRect()
    shown_headers = [h for h in [*view.headers, view.kind_header] if h is not None and h.item.isVisible()]
    for header in shown_headers:
        assert inside(text_rect(header.item), box), header.full_text
        shown = header.shown_text.split("\n")
        for full, line in zip(header.lines, shown):
            # Whole, or its start and "…": Qt's own elision of the full line to the width it was given.
            assert line == full or (line.endswith("…") and full.startswith(line[:-1]))
        assert header.item.toolTip()
    assert any(h.full_text == "8\nTanh" for h in view.headers)
    # Every layer's activation is said: above its column, or once above all when they share it.
    assert all("Tanh" in h.shown_text for h in view.headers[1:-1]) or view.kind_header in shown_headers and \
        view.kind_header.shown_text == "Tanh"
    for a, b in itertools.combinations(shown_headers, 2):
        assert not text_rect(a.item).intersects(text_rect(b.item)), (a.full_text, b.full_text)
    for label in view._labels + view._legend_labels:  # the features' names, the output's legend
        assert inside(text_rect(label), box), label.toPlainText()
        assert label.toPlainText() == label.toolTip()
    a, b = view._legend_labels  # the ends of the output's colour ramp
    assert not text_rect(a).intersects(text_rect(b))
    names = [label for label in view._labels if label.isVisible()]
    assert [label.toPlainText() for label in names][:2] == ["x₁", "x₂"]  # the inputs it is fed are always named
    for a, b in itertools.combinations(names, 2):
        if not {a.toPlainText(), b.toPlainText()} <= {"x₁", "x₂"}:  # two inputs fed may sit as close as rows
            assert not text_rect(a).intersects(text_rect(b)), (a.toPlainText(), b.toPlainText())
    if size[0] == 240:
        # Eight headers have no room in one row: the counts in one, "Input", the activation and "Output" above.
        assert {h.row for h in shown_headers} == {0, 1}
        assert [h.shown_text for h in view.headers] == ["Input", *["8"] * len(DEEP), "Output"]


def test_a_wide_view_keeps_one_row_of_whole_headers(qtbot):
    view = network_view(qtbot, spiral(), (900, 300))
    assert {h.row for h in view.headers} == {0}
    assert all(h.shown_text == h.full_text for h in view.headers)


def test_class_names_under_a_narrow_output_are_elided_with_their_tooltip(qtbot):
    view = network_view(qtbot, multiclass_spiral(), (240, 200))
    box = view.box.sceneBoundingRect()
    assert [h.shown_text for h in view.headers] == ["Input", "16", "16", "16", "Output"]  # counts never cut
    for a, b in itertools.combinations(view._legend_labels, 2):
        assert not text_rect(a).intersects(text_rect(b))
    for label in view._legend_labels:
        assert inside(text_rect(label), box)
        full = label.toolTip()
        assert label.toPlainText() == full or label.toPlainText().endswith("…")


def test_network_caption_drops_its_hint_before_being_cut(qtbot):
    view = network_view(qtbot, deep_lab(), (240, 200))
    assert view.caption.text().startswith("2 input features · 48 hidden neurons in 6 layers")
    shown = view.caption.shown_text()
    assert shown != view.caption.text() and view.caption.toolTip() == view.caption.text()
    assert view.caption.fontMetrics().horizontalAdvance(shown) <= view.caption.contentsRect().width()
    assert shown in ("2 input features · 48 hidden neurons in 6 layers", "2 input features") or shown.endswith("…")


def test_narrow_neurons_view_of_six_layers_fits_its_texts(qtbot):
    run = SyntheticRun(hidden=DEEP, seed=1)
    run.train_epoch()
    snapshot = run.snapshot("tanh_2")
    view = NeuronGridView()
    qtbot.addWidget(view)
    view.resize(240, 220)
    view.show()
    view.show_snapshot(snapshot)
    qtbot.wait(20)
    view.show_snapshot(snapshot)  # laid out for its real size
    assert view.layer_names == [f"tanh_{i}" for i in range(1, 7)]
    grid, big = view.grid_box.sceneBoundingRect(), view.big_box.sceneBoundingRect()
    for label in view._labels:
        assert inside(text_rect(label), grid), label.toPlainText()
    assert len({label.toPlainText() for label in view._labels}) == len(DEEP)  # never six alike "ta…"
    assert all(label.toPlainText()[-1] == name[-1] for label, name in zip(view._labels, view.layer_names))
    for a, b in itertools.combinations([label for label in view._labels if label.isVisible()], 2):
        assert not text_rect(a).intersects(text_rect(b))
    view.selected = (5, 7)
    view._show_big()
    assert view.enlarged_title == "tanh_6 · unit 7" == view.big_label.toolTip()
    shown = view.big_label.toPlainText()
    assert inside(text_rect(view.big_label), big), shown
    assert shown == view.enlarged_title or shown.endswith("#7")  # the unit's number is never the part cut
    view.resize(420, 150)  # short: the title above the enlarged unit must keep its height too
    qtbot.waitUntil(lambda: inside(text_rect(view.big_label), view.big_box.sceneBoundingRect()))
    caption = view.caption
    assert caption.fontMetrics().horizontalAdvance(caption.shown_text()) <= caption.contentsRect().width()
    assert caption.toolTip() == caption.text() == "48 hidden units in 6 layers  ·  hover one to enlarge"


def test_short_narrow_weights_view_gives_the_matrix_the_room(qtbot):
    import numpy as np

    from playground.snapshots import ProbeResults, Weights
    from playground.ui.views.weights import WeightsView

    snapshot = SimpleNamespace(probes=ProbeResults([Weights({"dense_1": np.ones((8, 2), np.float32)})]))
    view = WeightsView()
    qtbot.addWidget(view)
    view.resize(240, 205)
    view.show()
    view.show_snapshot(snapshot)
    qtbot.waitUntil(lambda: not view.histogram_plot.isVisible())
    assert view.matrix_plot.getPlotItem().getViewBox().height() > 40  # rows to see, under its axis and colour bar
    view.resize(240, 420)
    qtbot.waitUntil(view.histogram_plot.isVisible)


def test_gradient_legend_of_a_deep_network_never_covers_its_curves(qtbot):
    run = SyntheticRun(hidden=DEEP, seed=1)
    run.train_epoch()
    from playground.ui.views.gradients import GradientNormView

    view = GradientNormView()
    qtbot.addWidget(view)
    view.resize(240, 205)
    view.show()
    view.show_snapshot(run.snapshot())
    qtbot.wait(20)
    assert len(view.legend.items) == len(DEEP) + 1
    plot_area = view.plot.getPlotItem().getViewBox().sceneBoundingRect()
    assert not view.legend.sceneBoundingRect().intersects(plot_area)
    assert view.legend.sceneBoundingRect().width() <= view.plot.width()


def test_one_hidden_layer_in_a_narrow_view_keeps_input_and_its_activation_whole(qtbot):
    from playground.graph.templates import regression_plane

    view = network_view(qtbot, regression_plane(), (240, 205))
    assert [h.full_text for h in view.headers] == ["Input", "8\nTanh", "Output"]
    shown = [h for h in [*view.headers, view.kind_header] if h is not None and h.item.isVisible()]
    assert all(h.shown_text == h.full_text for h in shown)
    for a, b in itertools.combinations(shown, 2):
        assert not text_rect(a.item).intersects(text_rect(b.item))


def test_a_short_neurons_view_names_every_other_band_rather_than_overprint(qtbot):
    run = SyntheticRun(hidden=DEEP, seed=1)
    run.train_epoch()
    snapshot = run.snapshot("tanh_2")
    view = NeuronGridView()
    qtbot.addWidget(view)
    view.resize(355, 175)  # a bottom dock at 1366x768: 74 px of tiles for six layers
    view.show()
    view.show_snapshot(snapshot)
    qtbot.wait(20)
    view.show_snapshot(snapshot)
    shown = [label for label in view._labels if label.isVisible()]
    assert 1 < len(shown) < len(DEEP) and shown[0].toPlainText() == "tanh_1"
    grid = view.grid_box.sceneBoundingRect()
    for a, b in itertools.combinations(shown, 2):
        assert not text_rect(a).intersects(text_rect(b))
    for label in shown:
        assert inside(text_rect(label), grid), label.toPlainText()


def test_three_classes_in_a_short_dock_keep_the_drawing_large_and_its_headers_whole(qtbot):
    view = network_view(qtbot, multiclass_spiral(), (355, 170))  # the Network dock at 1366x768
    output = view.output.mapRectToScene(view.output.boundingRect())
    assert output.height() >= 20  # the class names under it once took three rows and shrank it to a speck
    shown = [h for h in [*view.headers, view.kind_header] if h is not None and h.item.isVisible()]
    assert all(h.shown_text == h.full_text or h.shown_text == h.lines[0] for h in shown)
    assert {label.toPlainText() for label in view._legend_labels} == {"0", "1", "2"}
