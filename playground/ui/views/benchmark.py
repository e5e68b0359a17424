"""How fast the views draw: ``python -m playground.ui.views.benchmark``.

Prints milliseconds per ``show_snapshot`` for each view on the spiral (250 training points, 100x100 boundary, two
hidden layers of 8), and the decision-boundary view's redraw rate: ``show_snapshot`` plus a synchronous render of the
whole widget, per second (the issue's goal: at least 30). Runs offscreen unless a display is asked for.
"""

from __future__ import annotations

import os
import statistics
import sys
import time


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from . import ALL_VIEWS, DecisionBoundaryView
    from .synthetic import SyntheticRun

    run = SyntheticRun(hidden=(8, 8))
    snapshots = []
    for _ in range(30):
        run.train_epoch()
        snapshots.append(run.snapshot("tanh_2"))
    print(f"Views on the spiral: {len(run.train_points)} training points, 100x100 boundary, hidden 8-8")
    print(f"{'view':<24}{'show_snapshot ms (median)':>28}{'+ render ms (median)':>24}")
    rates = {}
    for cls in ALL_VIEWS:
        view = cls()
        view.resize(520, 420)
        view.show()
        app.processEvents()
        show, full = [], []
        for i in range(150):
            snap = snapshots[i % len(snapshots)]
            t0 = time.perf_counter()
            view.show_snapshot(snap)
            t1 = time.perf_counter()
            view.grab()  # renders the whole widget and its plots now: the ImageItem colours its image here
            t2 = time.perf_counter()
            show.append(t1 - t0)
            full.append(t2 - t0)
        print(f"{cls.__name__:<24}{1000 * statistics.median(show):>28.2f}{1000 * statistics.median(full):>24.2f}")
        if cls is DecisionBoundaryView and isinstance(view, DecisionBoundaryView):
            view.show_test_checkbox.setChecked(True)
            n, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < 2.0:
                view.show_snapshot(snapshots[n % len(snapshots)])
                app.processEvents()
                view.grab()
                n += 1
            rates["boundary"] = n / (time.perf_counter() - t0)
        view.close()
        view.deleteLater()
        app.processEvents()
    print(f"\nDecision boundary redraw rate (show_snapshot + events + full render, test points on; "
          f"the window also paints itself in the events, so each frame is painted twice): "
          f"{rates['boundary']:.0f} per second (goal >= 30)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
