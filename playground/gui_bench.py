"""The GUI rows of ``playground bench``: event-loop lateness while training, and the boundary view's redraw rate.

Part of the composition root (like app.py): it joins the runtime bridge and a real view.
"""

from __future__ import annotations

import os
import sys


def run_gui_benchmark(seconds: float = 5.0) -> list[tuple[str, str, str]]:
    """Rows of (measure, value, goal) for the spiral training live with the decision-boundary view open."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from PySide6.QtCore import qInstallMessageHandler

    # The offscreen platform warns on every window resize hint; those lines are noise in a results table.
    qInstallMessageHandler(lambda _mode, _ctx, msg: None if "propagateSizeHints" in msg else print(msg,
                                                                                                   file=sys.stderr))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from playground.graph.templates import spiral
    from playground.runtime.latency import measure_latency
    from playground.ui.views import DecisionBoundaryView

    view = DecisionBoundaryView()
    view.resize(520, 520)
    view.show()
    app.processEvents()

    def redraw(snap: object) -> None:
        view.show_snapshot(snap)
        view.repaint()  # paint now, so each counted redraw is a real one

    lab = spiral()
    lab.training = lab.training.updated(epochs=10_000_000, batch_size=10)
    result = measure_latency(lab, seconds, probes=("boundary",), on_snapshot=redraw)
    view.close()
    return [
        ("GUI event-loop lateness p50 (5 ms timer)", f"{result.lateness_p50_ms:.1f} ms", "—"),
        ("GUI event-loop lateness p99 (5 ms timer)", f"{result.lateness_p99_ms:.1f} ms", "< 30 ms"),
        ("Decision-boundary view redraws", f"{result.redraws_per_s:.1f} per s", "≥ 30 per s"),
        ("Decision-boundary redraw time (mean)", f"{result.redraw_ms_mean:.1f} ms", "—"),
        ("Spiral epochs per second, boundary view live in the window", f"{result.epochs_per_s:.0f}",
         "180 (TF Playground: about 60)"),
    ]


def print_gui_benchmark(seconds: float = 5.0) -> None:
    rows = run_gui_benchmark(seconds)
    print("\nThe window while the spiral trains (batch 10, boundary 100×100 redrawn on every snapshot)\n")
    print("| measure | value | goal |")
    print("| --- | ---: | ---: |")
    for name, value, goal in rows:
        print(f"| {name} | {value} | {goal} |")
