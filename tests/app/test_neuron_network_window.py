"""The network-of-neurons view in the window: drawn from the lab as soon as a template opens, its input neurons
switching features as one undoable edit of the data set and the Input layer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt


@pytest.fixture
def app_window(app_window):
    """The shared window (tests/app/conftest.py) with the TensorFlow Playground template open."""
    win, _controller = app_window
    win.load_template("tensorflow_playground")
    return app_window


@pytest.mark.slow
def test_the_network_shows_before_training_and_its_inputs_switch_features(qtbot, app_window):
    win, c = app_window
    view = c.views["neuron_network"]
    assert c.docks["neuron_network"].isVisible()
    assert not view.is_empty and not c.session.active
    assert [len(row) for row in view.neurons] == [4, 2]
    qtbot.waitUntil(lambda: view.canvas.width() > 50, timeout=5000)
    qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view.feature_position("x1*x2"))
    qtbot.waitUntil(lambda: win.lab.dataset.features == ["x1", "x2", "x1*x2"], timeout=5000)
    graph = win.lab.networks[0].graph
    assert graph.nodes_of_kind("Input")[0].params["features"] == 3
    assert view.outline.inputs == ("x1", "x2", "x1*x2")  # the view follows the edit
    assert len([link for link in view.links if link.column == 1]) == 3 * 4
    win.undo_stack.undo()  # one step takes back both the features and the Input layer
    assert win.lab.dataset.features == ["x1", "x2"]
    assert graph.nodes_of_kind("Input")[0].params["features"] == 2
    assert view.outline.inputs == ("x1", "x2")
