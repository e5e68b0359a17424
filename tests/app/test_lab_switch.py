"""Opening another template in the same window: its views draw the new lab only."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot


def _train_a_few_steps(qtbot: QtBot, c: Any) -> Any:
    assert c.ensure_session(run=True)
    qtbot.waitUntil(lambda: c.last_snapshot is not None and c.last_snapshot.step > 2, timeout=30000)
    return c.last_snapshot


@pytest.mark.slow
def test_a_second_template_draws_its_own_points_not_the_first_labs(qtbot: QtBot, app_window: tuple[Any, Any]) -> None:
    win, c = app_window
    view = c.views["boundary"]
    win.load_template("logistic_regression")
    first = _train_a_few_steps(qtbot, c).dataset["train_points"]
    assert np.allclose(view.train_scatter.getData()[0], first[:, 0])
    win.load_template("spiral")
    qtbot.wait(50)
    assert len(view.train_scatter.getData()[0]) == 0  # no old points over the new lab's placeholder
    second = _train_a_few_steps(qtbot, c).dataset["train_points"]
    assert not np.allclose(second[:5], first[:5])
    assert np.allclose(view.train_scatter.getData()[0], second[:, 0])
    assert np.allclose(view.train_scatter.getData()[1], second[:, 1])


@pytest.mark.slow
def test_only_views_that_can_draw_the_lab_are_shown(qtbot: QtBot, app_window: tuple[Any, Any]) -> None:
    win, c = app_window
    win.load_template("logistic_regression")  # no hidden layer: no neurons, no hidden space
    qtbot.wait(20)
    assert c.docks["boundary"].isVisible() and c.docks["neuron_network"].isVisible()
    assert not c.docks["neurons"].isVisible() and not c.docks["hidden"].isVisible()
    win.load_template("mnist_2_layers")  # its first Dense has 512 units: no class templates to fold
    qtbot.wait(20)
    assert not c.docks["templates"].isVisible()
    win.load_template("mnist_1_layer")  # 784 -> 10
    qtbot.wait(20)
    assert c.docks["templates"].isVisible()
    win.load_template("spiral")
    qtbot.wait(20)
    assert c.docks["neurons"].isVisible() and c.docks["hidden"].isVisible()


@pytest.mark.slow
def test_the_residual_block_is_drawn_as_a_network_of_neurons(qtbot: QtBot, app_window: tuple[Any, Any]) -> None:
    win, c = app_window
    win.load_template("residual_block")
    view = c.views["neuron_network"]
    assert view.outline is not None and "skip" in view.outline.layers[-1].label
    assert c.docks["neuron_network"].isVisible()
    _train_a_few_steps(qtbot, c)
    qtbot.waitUntil(lambda: not view.caption.text().startswith("Press Play"), timeout=10000)
    assert not view.is_empty
