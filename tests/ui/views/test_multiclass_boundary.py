"""The output view for more than two classes: one colour per class, a legend, points in their class colours."""

from types import SimpleNamespace

import numpy as np

from playground.snapshots import DecisionBoundary, ProbeResults
from playground.ui.views import DecisionBoundaryView
from playground.viz.boundary import class_regions
from playground.viz.colormaps import class_color, diverging_lut, hex_to_rgba


def make(qtbot):
    view = DecisionBoundaryView()
    qtbot.addWidget(view)
    view.resize(500, 500)
    view.show()
    return view


def three_class_snapshot(with_probabilities=True, res=30):
    xs = np.linspace(-6, 6, res)
    gx, gy = np.meshgrid(xs, xs)
    angle = np.arctan2(gy, gx)
    scores = np.stack([np.cos(angle - a) for a in (0.0, 2.1, 4.2)], axis=2) * 4
    probs = np.exp(scores) / np.exp(scores).sum(axis=2, keepdims=True)
    rng = np.random.default_rng(0)
    points = rng.uniform(-5, 5, (60, 2)).astype(np.float32)
    labels = np.arange(60) % 3
    probes = ProbeResults([DecisionBoundary(probs.argmax(axis=2).astype(np.float32),
                                            probs.astype(np.float32) if with_probabilities else None)])
    return SimpleNamespace(task="classification", state="running", epoch=3, classes=3, data_version=1,
                           metrics={"test_accuracy": 0.9}, probes=probes,
                           dataset={"train_points": points, "train_labels": labels, "test_points": points[:10],
                                    "test_labels": labels[:10], "extent": np.array([6.0], np.float32)})


def test_three_classes_paint_three_colours_and_show_a_legend(qtbot):
    view = make(qtbot)
    snap = three_class_snapshot()
    view.show_snapshot(snap)
    image = view.image.image
    assert image.shape == (30, 30, 4) and image.dtype == np.uint8
    assert view.image.lut is None  # RGBA, not recoloured through the two-class table
    assert view.legend.isVisible()
    text = view.legend.text()
    for i in range(3):
        assert f"class {i}" in text and class_color(i) in text
    # Where the network is sure of class k the region takes class k's colour (towards it from white).
    probs = snap.probes[DecisionBoundary].probabilities
    for k in range(3):
        i, j = np.unravel_index(np.argmax(probs[..., k]), probs.shape[:2])
        want = np.array(hex_to_rgba(class_color(k))[:3], float)
        got = image[i, j, :3].astype(float)
        others = [np.array(hex_to_rgba(class_color(m))[:3], float) for m in range(3) if m != k]
        assert all(np.linalg.norm(got - want) < np.linalg.norm(got - o) for o in others)
    brushes = {b.color().name() for b in view.train_scatter.data["brush"]}
    assert brushes == {class_color(0), class_color(1), class_color(2)}


def test_discretize_paints_hard_regions_and_two_classes_go_back_to_the_table(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(three_class_snapshot())
    view.discretize_checkbox.setChecked(True)
    colours = {tuple(px) for px in view.image.image.reshape(-1, 4)}
    assert len(colours) == 3
    view.show_snapshot(spiral_snapshot)  # a two-class run: back to orange-white-blue
    assert not view.legend.isVisible()
    assert view.image.image.ndim == 2 and np.array_equal(view.image.lut, diverging_lut())


def test_only_the_predicted_class_still_paints_hard_regions(qtbot):
    view = make(qtbot)
    view.show_snapshot(three_class_snapshot(with_probabilities=False))
    assert view.image.image.shape == (30, 30, 4)
    assert len({tuple(px) for px in view.image.image.reshape(-1, 4)}) == 3


def test_class_regions_fade_to_white_when_unsure():
    colours = np.array([hex_to_rgba(class_color(i))[:3] for i in range(4)], float)
    unsure = np.full((1, 1, 4), 0.25)
    sure = np.zeros((1, 1, 4))
    sure[..., 2] = 1.0
    pale, strong = class_regions(unsure, colours)[0, 0, :3], class_regions(sure, colours)[0, 0, :3]
    assert pale.min() > 200  # nearly white
    assert np.linalg.norm(strong - colours[2]) < np.linalg.norm(strong - 255)
