"""The network drawn as neurons (TF Playground's diagram): the template's network, its heatmaps, its links, its
input features that switch on and off."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from playground.app.presenters.neuron_network import network_outline
from playground.engine.trainer import Trainer
from playground.graph.templates import spiral, tensorflow_playground
from playground.snapshots import ProbeResults, Weights
from playground.ui.views.neuron_network import NeuronNetworkView
from playground.viz.colormaps import TF_BLUE, TF_ORANGE


@pytest.fixture(scope="module")
def trained():
    lab = tensorflow_playground()  # circle, x1 and x2, two tanh layers of 4 and 2 neurons, two classes
    trainer = Trainer(lab, probes=("neurons", "weights", "boundary"))
    trainer.train(2)
    return lab, trainer.snapshot()


def make(qtbot, lab):
    view = NeuronNetworkView()
    qtbot.addWidget(view)
    view.resize(700, 420)
    view.show()
    view.set_outline(network_outline(lab))
    return view


def test_the_network_shows_before_any_training_from_the_lab(qtbot):
    view = make(qtbot, tensorflow_playground())
    view.show_empty("Press Play to train: this view fills in as the network learns.")
    assert not view.is_empty
    assert view.objectName() == "neuronNetworkView"
    assert len(view.inputs) == 7  # every feature TF Playground offers, two of them on
    assert [len(row) for row in view.neurons] == [4, 2]
    assert len(view.links) == 2 * 4 + 4 * 2 + 2 * 1
    assert all(link.color == "#b8b8b8" for link in view.links)  # no weights yet
    assert view.inputs[0].image.std() > 0  # x1's own heatmap is there at once


def test_one_heatmap_per_neuron_filled_in_by_the_snapshot(qtbot, trained):
    lab, snap = trained
    view = make(qtbot, lab)
    view.show_snapshot(snap)
    neurons = [item for row in view.neurons for item in row]
    assert len(neurons) == 4 + 2
    for item in neurons:
        assert item.image.shape == (40, 40)
        assert np.isfinite(item.image).all() and item.image.std() > 0  # each neuron's own picture, not a blank
    assert not np.allclose(neurons[0].image, neurons[1].image)
    assert view.output.image.shape == (40, 40) or view.output.image.ndim == 2


def test_links_are_coloured_by_weight_sign_and_sized_by_magnitude(qtbot, trained):
    lab, snap = trained
    view = make(qtbot, lab)
    outline = view.outline
    first = outline.layers[0].weights
    w = np.array([[1.5, -0.2], [-2.0, 0.1], [0.0, 3.0], [-0.5, 0.5]], np.float32)
    layers = dict(snap.probes.get(Weights).layers)
    layers[first] = w
    view.show_snapshot(type(snap)(**{**snap.__dict__, "probes": ProbeResults([Weights(layers)])}))
    into_first = [link for link in view.links if link.column == 1]
    assert len(into_first) == 8
    for link in into_first:
        value = w[link.target, link.source]
        assert link.weight == pytest.approx(value)
        assert link.color == (TF_BLUE if value >= 0 else TF_ORANGE)
    by_size = sorted(into_first, key=lambda link: abs(link.weight))
    assert by_size[0].width < by_size[-1].width
    strongest = by_size[-1]
    view.canvas.scene().sigMouseMoved.emit(view.canvas.mapToScene(view.link_position(strongest)))
    assert view.hover_text == "weight 3"
    neuron = view.neurons[1][0]
    centre = neuron.mapRectToScene(neuron.boundingRect()).center()
    view.canvas.scene().sigMouseMoved.emit(centre)
    assert view.hover_text.startswith(f"{outline.layers[1].neurons}, neuron 1 of 2")


def test_clicking_an_input_neuron_asks_to_switch_that_feature(qtbot):
    view = make(qtbot, tensorflow_playground())
    qtbot.wait(20)
    with qtbot.waitSignal(view.dataset_changed, timeout=2000) as on:
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view.feature_position("x1^2"))
    assert on.args == [{"features": ["x1", "x2", "x1^2"]}]
    with qtbot.waitSignal(view.dataset_changed, timeout=2000) as off:
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view.feature_position("x1"))
    assert off.args == [{"features": ["x2"]}]


def test_a_network_that_is_not_dense_on_the_plane_gets_no_outline():
    assert network_outline(spiral()) is not None
    from playground.graph.templates import lenet

    assert network_outline(lenet()) is None
