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
