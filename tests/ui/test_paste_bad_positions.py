"""Pasting layers whose clipboard positions are NaN, infinite or too large for a float is refused with one message,
not an exception inside the undo command."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QUndoStack

from playground.graph import Graph
from playground.ui.canvas import ArchitectureCanvas


@pytest.mark.parametrize("position", [[float("nan"), 0.0], [0.0, float("inf")], [10**400, 0], [3e7, 0.0]])
def test_a_hostile_clipboard_position_is_refused(qtbot: Any, position: list[float]) -> None:
    stack = QUndoStack()
    canvas = ArchitectureCanvas(stack)
    qtbot.addWidget(canvas)
    graph = Graph()
    canvas.set_graph(graph, "model")
    messages: list[tuple[str, bool]] = []
    canvas.message.connect(lambda text, error: messages.append((text, error)))
    data = {"nodes": [{"name": "dense_1", "kind": "Dense", "params": {"units": 4}, "position": position}],
            "edges": []}
    assert not canvas._add_copies(data, "Paste")
    assert len(graph) == 0 and stack.count() == 0
    assert messages and messages[-1][1] and "\n" not in messages[-1][0]


def test_a_good_clipboard_still_pastes(qtbot: Any) -> None:
    stack = QUndoStack()
    canvas = ArchitectureCanvas(stack)
    qtbot.addWidget(canvas)
    graph = Graph()
    canvas.set_graph(graph, "model")
    data = {"nodes": [{"name": "dense_1", "kind": "Dense", "params": {"units": 4}, "position": [10, 20]}],
            "edges": []}
    assert canvas._add_copies(data, "Paste")
    assert graph.node("dense_1").position == (50.0, 60.0)
