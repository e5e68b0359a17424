"""Editor benchmark: 200 layers on the canvas; time one edit through the undo stack until every shape label on the
canvas is redrawn. Run ``python -m playground.ui.benchmark``. The issue's goal is under 20 ms per edit."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QUndoCommand

    from playground.graph import Graph


def build_graph(n: int = 200) -> tuple[Graph, list[str]]:
    from playground.graph import Graph

    graph = Graph()
    names = [graph.add_node("Input", params={"kind": "vector", "features": 8}, position=(0, 0)).name]
    for i in range(n - 2):
        kind, params = ("Dense", {"units": 16}) if i % 2 == 0 else ("Tanh", {})
        col, row = (i + 1) % 20, (i + 1) // 20
        names.append(graph.add_node(kind, params=params, position=(col * 190.0, row * 150.0)).name)
    names.append(graph.add_node("Output", position=(0, 10 * 150.0)).name)
    graph.chain(*names)
    return graph, names


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QApplication

    from playground.ui.canvas import ArchitectureCanvas
    from playground.ui.commands import MoveNodesCommand, SetParamCommand

    app = QApplication.instance() or QApplication(sys.argv[:1])
    stack = QUndoStack()
    canvas = ArchitectureCanvas(stack)
    canvas.resize(1200, 800)
    graph, names = build_graph()
    canvas.set_graph(graph, "model")
    canvas.show()
    app.processEvents()
    first_dense = names[1]

    def time_edits(make: Callable[[int], QUndoCommand], paint: str, repeats: int = 60) -> list[float]:
        times = []
        for i in range(repeats):
            t0 = time.perf_counter()
            stack.push(make(i))  # runs the command; the canvas redraws shapes on the stack's indexChanged
            if paint == "events":
                app.processEvents()  # Qt repaints only the regions that changed
            elif paint == "full":
                canvas.viewport().repaint()  # worst case: every item of the view painted again
            times.append((time.perf_counter() - t0) * 1000)
        return times

    def edit(i: int) -> SetParamCommand:
        # Alternating values, so the graph and the labels really change on every push.
        return SetParamCommand(graph, first_dense, "units", 17 + i % 2, "model")

    rows = []
    for zoom_label, scale in (("whole network fitted", None), ("at 100% zoom", 1.0)):
        canvas.resetTransform()
        if scale is None:
            canvas.fit_view()
        else:
            canvas.centerOn(canvas.node_item(first_dense))
        app.processEvents()
        rows.append((f"edit + shape update ({zoom_label})", time_edits(edit, "none")))
        rows.append((f"  + Qt's partial repaint ({zoom_label})", time_edits(edit, "events")))
        rows.append((f"  + full viewport repaint ({zoom_label})", time_edits(edit, "full")))
    rows.append(("move a layer + partial repaint", time_edits(
        lambda i: MoveNodesCommand(graph, {names[5]: (float(i % 7) * 10, 300.0)}), "events")))
    print(f"Editor benchmark: {len(graph)} layers, {len(graph.edges)} connections on the canvas "
          f"(viewport {canvas.viewport().width()}×{canvas.viewport().height()})")
    for label, times in rows:
        print(f"  {label:48s} median {statistics.median(times):6.2f} ms   max {max(times):6.2f} ms")
    typical = statistics.median(rows[1][1])
    print(f"  goal: an edit and its shape update on screen under 20 ms -> {typical:.1f} ms,",
          "met" if typical < 20 else "NOT met")
    canvas.set_graph(None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
