"""The feature-map view as CNN Explainer lays it out: one column per layer, left to right, every map readable (at
least 28 pixels on screen) at the dock's size today (600 x 360) and in the Train mode (800 x 550), every column
labelled, dense layers as bars, the class probabilities as labelled bars with the prediction marked."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from playground.snapshots import FeatureMaps, ProbeResults
from playground.ui.views import FeatureMapView
from playground.ui.views.feature_map_layout import MIN_CELL, fold_groups, grid_shape, plan_flow, shown_layer
from playground.ui.views.feature_map_side import PREDICTED

LENET = [("conv_1", (6, 28, 28)), ("relu_1", (6, 28, 28)), ("maxpool_1", (6, 14, 14)), ("conv_2", (16, 10, 10)),
         ("relu_2", (16, 10, 10)), ("maxpool_2", (16, 5, 5)), ("flatten_1", (400,)), ("dense_1", (120,)),
         ("relu_3", (120,)), ("dense_2", (84,)), ("relu_4", (84,)), ("dense_3", (10,))]
CIFAR = [(f"{kind}_{i}", (c, s, s) if kind != "maxpool" else (c, s // 2, s // 2))
         for i, (c, s) in enumerate(((16, 32), (32, 16), (64, 8)), 1) for kind in ("conv", "relu", "maxpool")]
CIFAR += [("flatten_1", (1024,)), ("dense_1", (64,)), ("relu_4", (64,)), ("dense_2", (10,))]
SIZES = [(600, 360), (800, 550)]


def record(layers, seed=0, channels=1, side=28, best=3):
    rng = np.random.default_rng(seed)
    p = np.full(10, 0.02, np.float32)
    p[best] = 0.82
    return FeatureMaps(rng.random((channels, side, side)).astype(np.float32), 3,
                       {name: rng.normal(size=shape).astype(np.float32) for name, shape in layers}, p)


def snap(rec):
    return SimpleNamespace(state="running", epoch=1, task="classification", classes=[str(i) for i in range(10)],
                           metrics={}, probes=ProbeResults([rec]), dataset={})


def shown_view(qtbot, size, layers=LENET, activations=False, **kwargs):
    view = FeatureMapView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.activation_box.setChecked(activations)
    view.show_snapshot(snap(record(layers, **kwargs)))
    qtbot.wait(10)
    view.show_snapshot(snap(record(layers, seed=1, **kwargs)))  # laid out at its real size
    return view


def screen_size(view, tile):
    top_left = view.grid_box.mapViewToDevice(QPointF(tile.left, tile.top))
    bottom_right = view.grid_box.mapViewToDevice(QPointF(tile.left + tile.width, tile.top + tile.height))
    return bottom_right.x() - top_left.x(), bottom_right.y() - top_left.y()


# The layout, without drawing ------------------------------------------------------------------------------------

def test_relu_and_flatten_fold_into_the_column_before_them():
    names = ["input"] + [n for n, _s in LENET]
    shapes = [(1, 28, 28)] + [s for _n, s in LENET]
    groups = fold_groups(names, shapes, fold=True)
    assert [[names[i] for i in g] for g in groups] == [
        ["input"], ["conv_1", "relu_1"], ["maxpool_1"], ["conv_2", "relu_2"], ["maxpool_2", "flatten_1"],
        ["dense_1", "relu_3"], ["dense_2", "relu_4"], ["dense_3"]]
    assert names[shown_layer(groups[1], names)] == "relu_1"  # the maps after the activation
    assert names[shown_layer(groups[4], names)] == "maxpool_2"  # still maps, not the flattened vector
    assert len(fold_groups(names, shapes, fold=False)) == len(names)
    # A same-shape layer that is not element-wise (a padded conv after a conv) keeps its own column.
    assert len(fold_groups(["input", "conv_1", "conv_2"], [(1, 8, 8), (4, 8, 8), (4, 8, 8)], fold=True)) == 3


def test_grids_and_the_smallest_map_size():
    assert grid_shape(6, 4) == (3, 2) and grid_shape(16, 8) == (8, 2) and grid_shape(16, 4) == (4, 4)
    plan = plan_flow([(64, True)] * 12, 300, 200, top=30)
    assert plan.cell == MIN_CELL and plan.width > 300  # too deep: scrolls at the smallest readable size
    roomy = plan_flow([(1, True), (6, True)], 800, 500, top=30)
    assert roomy.cell > 2 * MIN_CELL and roomy.width <= 800


# The view at the dock's sizes --------------------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
def test_every_lenet_map_is_readable_and_every_column_labelled(qtbot, size):
    view = shown_view(qtbot, size)
    assert len(view.tiles) == 1 + 6 + 6 + 16 + 16  # input, conv_1 (after relu_1), maxpool_1, conv_2, maxpool_2
    for tile in view.tiles:
        width, height = screen_size(view, tile)
        assert width >= 28 and height >= 28, (size, tile, width)
    assert not view.flow_scroll.isVisible()  # LeNet fits both sizes whole
    box = view.grid_box.sceneBoundingRect()
    labels = [label for label, _y, _layer in view._layer_labels]
    assert len(labels) == len(view.columns) == 8
    for label, column in zip(labels, view.columns):
        rect = label.mapRectToScene(label.boundingRect())
        assert label.isVisible() and box.contains(rect), (label.toPlainText(), rect, box)
        name, shape = label.toPlainText().split("\n")
        assert name and shape
        # Every layer is named: on the label, or (folded into the column) in its tooltip.
        assert all(view.layers[i].name in label.toolTip() for i in column.group)
    rects = sorted((label.mapRectToScene(label.boundingRect()) for label in labels), key=lambda r: r.left())
    assert all(a.right() <= b.left() for a, b in zip(rects, rects[1:]))
    if size == (800, 550):
        assert view.map_size >= 48  # the Train mode's room makes the maps larger, not the margins
        assert not any("…" in label.toPlainText() for label in labels)  # and every name and shape whole


@pytest.mark.parametrize("size", SIZES)
def test_probability_bars_show_the_prediction(qtbot, size):
    view = shown_view(qtbot, size, best=7)
    bars = view.probabilities
    assert bars.count == 10 and view.strip_count == 1 + 3  # the probabilities and three dense columns
    np.testing.assert_allclose(bars.bars.opts["height"], view.layers[-1].values)
    brushes = bars.bars.opts["brushes"]
    assert brushes[7] == PREDICTED and all(b != PREDICTED for c, b in enumerate(brushes) if c != 7)
    assert bars.class_labels[7].textItem.font().bold() and not bars.class_labels[3].textItem.font().bold()
    visible = [label.toPlainText() for label in bars.class_labels if label.isVisible()]
    assert visible == [str(c) for c in range(10)]
    assert "predicted 7 (82%)" in view.sample_label.text()
    top = bars.box.mapViewToScene(QPointF(7, float(bars.values[7])))
    assert bars.box.sceneBoundingRect().contains(top)  # the tallest bar stays inside its box
    assert bars.class_at(bars.box.mapViewToScene(QPointF(7, 0.1))) == 7
    view.show_snapshot(snap(record(LENET, seed=2, best=2)))  # the network changed its mind
    brushes = bars.bars.opts["brushes"]
    assert brushes[2] == PREDICTED and brushes[7] != PREDICTED
    assert bars.class_labels[2].textItem.font().bold() and not bars.class_labels[7].textItem.font().bold()
    p = record(LENET, best=2).probabilities.copy()
    p[5] = 0.1
    changed = dataclasses.replace(record(LENET, seed=3, best=2), probabilities=p)
    view.show_snapshot(snap(changed))  # the same answer, other heights
    np.testing.assert_allclose(bars.bars.opts["height"], p)


def test_a_deep_network_scrolls_instead_of_shrinking_its_maps(qtbot):
    view = shown_view(qtbot, (600, 360), layers=CIFAR, channels=3, side=32)
    assert view.flow_scroll.isVisible() and view.flow_scroll.maximum() > 0
    assert all(min(screen_size(view, t)) >= 28 for t in view.tiles)
    wheel = QWheelEvent(QPointF(100, 150), QPointF(100, 150), QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.canvas.viewport(), wheel)
    assert view.flow_scroll.value() > 0  # the wheel over the maps scrolls them
    view.flow_scroll.setValue(0)
    before = view.map_center("maxpool_3", 0)
    view.flow_scroll.setValue(view.flow_scroll.maximum())
    after = view.map_center("maxpool_3", 0)
    assert after.x() < before.x() and view.grid_box.sceneBoundingRect().contains(after)
    point = view.grid_box.mapSceneToView(after)
    assert view.click_at(point.y(), point.x()) and view.enlarged_title == "maxpool_3 · channel 0"
    view.selected = (0, 0)
    view.show_snapshot(snap(record(CIFAR, channels=3, side=32)))
    assert view.enlarged_title == "input · colour image"
    title = view.big_label
    box = view.big_box.sceneBoundingRect().adjusted(-1, -1, 1, 1)
    assert box.contains(title.mapRectToScene(title.boundingRect()))  # elided, not cut
    assert title.toolTip() == "input · colour image"


def test_activation_columns_toggle_gives_relu_its_own_column(qtbot):
    view = shown_view(qtbot, (800, 550))
    assert "relu_1" not in [view.layers[c.group[0]].name for c in view.columns]
    items = view.graphics_item_count()
    view.activation_box.setChecked(True)
    names = [view.layers[c.group[0]].name for c in view.columns]
    assert names == ["input"] + [n for n, _s in LENET]
    assert all(min(screen_size(view, t)) >= 28 for t in view.tiles)
    view.activation_box.setChecked(False)
    assert view.graphics_item_count() == items  # the old columns' items went with them


def test_dense_units_are_a_bar_and_a_click_enlarges_one(qtbot):
    view = shown_view(qtbot, (800, 550))
    index, item, rect = next(s for s in view._strips if view.layers[s[0]].name == "relu_3")
    assert rect.height() > rect.width()  # a standing bar of 120 units
    assert item.image.shape == (120, 1)
    pos = view.map_center("relu_3", 40)
    qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view.canvas.mapFromScene(pos))
    assert view.enlarged_title.startswith("relu_3 · unit 40")
    assert view.highlight.isVisible()


def test_a_resize_while_paused_lays_the_flow_out_again_at_once(qtbot):
    view = shown_view(qtbot, (600, 360))
    small = view.map_size
    view.resize(800, 550)
    qtbot.waitUntil(lambda: view.map_size > small, timeout=3000)  # no new snapshot needed
    assert all(min(screen_size(view, t)) >= 28 for t in view.tiles)
