"""The GUI rows of ``playground bench``: event-loop lateness while training, and the boundary view's redraw rate.

Part of the composition root (like app.py): it joins the runtime bridge and a real view.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any


def run_gui_benchmark(seconds: float = 5.0) -> list[tuple[str, str, str]]:
    """Rows of (measure, value, goal) for the spiral training live with the decision-boundary view open."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

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


# A cold start of the real app in a child process, as `playground open` starts it ("deferred": the window first,
# PyTorch after) or with the engine imported and attached before the window shows ("eager", how it started before).
# It prints when the window first paints and when training can start, each in seconds since its interpreter began.
_START_CHILD = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
import playground.app.main as main
began = float(sys.argv[2])
def say(what):
    print(what, f"{time.time() - began:.4f}", flush=True)
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and type(obj).__name__ == "MainWindow":
            QApplication.instance().removeEventFilter(self)
            say("PAINTED")
            if sys.argv[1] == "eager":
                say("READY")
                os._exit(0)
            from playground.app.startup import DeferredStart
            obj.findChild(DeferredStart).ready.connect(lambda: (say("READY"), os._exit(0)))
        return False
app = QApplication(sys.argv[:1])
watch = FirstPaint()
app.installEventFilter(watch)
if sys.argv[1] == "eager":
    main.open_app_window = lambda lesson=None, project=None: main.build_app_window(lesson)
main.run_app(["--template", "lenet"])
"""


def _cold_start(mode: str, folder: str) -> tuple[float, float]:
    """Seconds from the child's launch to its window's first paint, and to training being ready."""
    import subprocess
    import time

    env = dict(os.environ, PLAYGROUND_RECOVERY_DIR=os.path.join(folder, "recovery"),
               XDG_CONFIG_HOME=os.path.join(folder, "config"), XDG_STATE_HOME=os.path.join(folder, "state"))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    # The child is told when it was launched (the wall clock both share) and reports from there, so its
    # interpreter's own start counts too.
    out = subprocess.run([sys.executable, "-c", _START_CHILD, mode, repr(time.time())], env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    times = {line.split()[0]: float(line.split()[1]) for line in out.stdout.splitlines()
             if line.startswith(("PAINTED ", "READY "))}
    if "PAINTED" not in times or "READY" not in times:
        raise RuntimeError(f"the app did not start ({out.returncode}): {out.stderr[-2000:]}")
    return times["PAINTED"], times["READY"]


def run_startup_benchmark(runs: int = 5) -> list[tuple[str, str, str]]:
    """Cold starts of the app with the LeNet template, the window first (as it starts) and, alternating with
    them, PyTorch first (as it started before): to the window's first paint and to training being ready."""
    import tempfile

    import numpy as np

    results: dict[str, list[tuple[float, float]]] = {"deferred": [], "eager": []}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(runs):
            for mode in ("deferred", "eager"):
                results[mode].append(_cold_start(mode, folder))

    def spread(values: list[float]) -> str:
        return f"{np.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"

    deferred, eager = np.array(results["deferred"]), np.array(results["eager"])
    ratio = np.median(deferred[:, 0] / eager[:, 0])
    return [
        (f"Start to the window's first paint, PyTorch loaded after it (median, range of {runs})",
         spread(list(deferred[:, 0])), "< 1.5 s"),
        (f"Start to the window's first paint, PyTorch loaded before it (as before; median of {runs})",
         spread(list(eager[:, 0])), "—"),
        ("First paint, after / before (median of the per-round ratios)", f"{ratio:.2f}", "—"),
        (f"Start to training ready (PyTorch loaded, app attached; median of {runs})",
         spread(list(deferred[:, 1])), "—"),
    ]


def print_gui_benchmark(seconds: float = 5.0, drawings: int = 30, starts: int = 5, before: bool = False) -> None:
    print("\nStarting the app (cold starts of `playground open --template lenet` in a child process)\n")
    _table(run_startup_benchmark(starts))
    rows = run_gui_benchmark(seconds)
    print("\nThe window while the spiral trains (batch 10, boundary 100×100 redrawn on every snapshot)\n")
    _table(rows)
    for template, title in (("mnist_1_layer", "MNIST 1 layer"), ("lenet", "LeNet")):
        print(f"\nDrawing a digit while \"{title}\" trains, and paused\n", flush=True)
        rows = run_drawing_benchmark(drawings, template)
        if before:  # the same strokes the way it was done before, in the same run: compare the ratio
            rows += run_drawing_benchmark(drawings, template, by_snapshot=True)
        _table(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m playground.app.gui_bench``: the window rows of ``playground bench``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m playground.app.gui_bench",
                                     description="Window measurements: event-loop lateness and redraws while the "
                                                 "spiral trains, drawing latency while image templates train")
    parser.add_argument("--quick", action="store_true", help="shorter runs (for a smoke test)")
    parser.add_argument("--seconds", type=float, default=None, help="how long the spiral trains in the window")
    parser.add_argument("--drawings", type=int, default=None, help="strokes per template and phase")
    parser.add_argument("--starts", type=int, default=None, help="cold starts of the app, each way")
    parser.add_argument("--before", action="store_true",
                        help="also draw the way it was done before (the answer in the snapshot), to compare")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (2.0 if args.quick else 5.0)
    drawings = args.drawings if args.drawings is not None else (5 if args.quick else 30)
    starts = args.starts if args.starts is not None else (2 if args.quick else 5)
    print_gui_benchmark(seconds, drawings, starts, args.before)
    sys.stdout.flush()
    return 0


def _table(rows: list[tuple[str, str, str]]) -> None:
    print("| measure | value | goal |")
    print("| --- | ---: | ---: |")
    for name, value, goal in rows:
        print(f"| {name} | {value} | {goal} |")
    sys.stdout.flush()


def run_drawing_benchmark(drawings: int = 30, template: str = "mnist_1_layer",
                          by_snapshot: bool = False) -> list[tuple[str, str, str]]:
    """From a stroke on the drawing pad to the probability bars repainted, through the window's own path: the
    pad's MNIST preprocessing, the drawing reader's Classify to the worker, its answer, the bars. With the image
    template ``template`` (a name in the template registry) training, and paused. Also counts the answers the
    pad shows after each stroke ends (the goal is one). ``by_snapshot`` measures, for comparison, the way it was
    done before: every image sent as the feature maps' sample, its answer read from the next snapshot."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication(sys.argv[:1])
    bench = _DrawingBench(template, by_snapshot)
    try:
        # The worker builds its trainer (many seconds on a busy machine) and trains a little: strokes drawn before
        # would time the build, not the drawing.
        bench.wait(120.0, bench.session.has_stepped)
        bench.wait(1.0)
        # Training as it goes on, not while the fast path compiles (it may start compiling only now).
        bench.wait(120.0, bench.session.fast_path_settled)
        bench.session.wait_for_compiled(120)
        rows = bench.phase("training", drawings)
        bench.pause()
        return rows + bench.phase("paused", drawings)
    finally:
        bench.session.stop()
        bench.panel.close()


class _DrawingBench:
    """A drawing pad and a training session joined as the window joins them (or, ``by_snapshot``, as before)."""

    def __init__(self, template: str, by_snapshot: bool) -> None:
        import numpy as np

        from playground.app.presenters.drawing import DrawingReader
        from playground.graph.templates import build_template
        from playground.runtime import TrainingSession
        from playground.ui.digit_pad import DigitPanel

        self.by_snapshot = by_snapshot
        self.panel = DigitPanel()
        self.panel.resize(600, 360)
        self.panel.show()
        self.session = TrainingSession()
        self.reader = DrawingReader(self.panel, self._send)
        self.last: Any = None  # the latest image sent (by_snapshot)
        self.t0 = 0.0  # the release of the stroke under way
        self.done = False
        self.times: list[float] = []
        self.labels: list[str] = []
        if by_snapshot:
            self.panel.image_ready.connect(self._send_sample)
            self.session.snapshot.connect(self._on_snapshot)
        else:
            self.panel.image_ready.connect(self.reader.read)
            self.panel.drawing_finished.connect(self.reader.finish)
            self.panel.cleared.connect(self.reader.clear)
            self.reader.shown.connect(self._on_shown)
        lab = build_template(template)
        lab.training = lab.training.updated(epochs=1_000_000)
        self.session.start(lab, probes=("prediction", "feature_maps"), run=True)
        self.rng = np.random.default_rng(0)

    def _send(self, command: Any) -> bool:
        self.session.send(command)
        return True

    def _send_sample(self, image: Any) -> None:
        from playground.engine.commands import SetSample

        self.last = image
        self._send(SetSample(image=image))

    def _answered(self) -> None:
        import time

        self.panel.repaint()
        if self.t0 and not self.done:
            self.times.append((time.perf_counter() - self.t0) * 1000)
            self.done = True

    def _on_shown(self, number: int) -> None:
        if number == self.reader.final:
            self._answered()

    def _on_snapshot(self, snap: Any) -> None:
        import numpy as np

        from playground.snapshots import Prediction

        prediction = snap.probes.get(Prediction)
        if prediction is None or self.panel.image() is None:
            return
        self.panel.show_probabilities(prediction.probabilities)
        if self.last is not None and np.array_equal(prediction.input.reshape(-1), self.last.reshape(-1)):
            self._answered()
        else:
            self.panel.repaint()

    def _watch_label(self) -> bool:
        text = self.panel.prediction_label.text()
        if text.isdigit() and (not self.labels or self.labels[-1] != text):
            self.labels.append(text)
        return False

    def wait(self, seconds: float, until: Callable[[], bool] | None = None) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        poll = QTimer()
        poll.setInterval(1)
        poll.timeout.connect(lambda: loop.quit() if until is not None and until() else None)
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        poll.start()
        loop.exec()
        poll.stop()

    def pause(self) -> None:
        from playground.engine.commands import Pause

        self.session.send(Pause())
        self.wait(0.5)

    def stroke(self) -> int:
        """One stroke as a hand draws it, about 150 ms long (the pad reads it on the way, then at the release);
        the answers the label shows after the release."""
        import time

        from PySide6.QtCore import QPoint, Qt
        from PySide6.QtTest import QTest

        canvas = self.panel.canvas
        rect = canvas.pad_rect()

        def at(x: float, y: float) -> QPoint:
            return QPoint(round(rect.left() + x * rect.width()), round(rect.top() + y * rect.height()))

        canvas.clear()
        self.wait(0.05)
        x0, y0 = self.rng.uniform(0.3, 0.5), self.rng.uniform(0.15, 0.3)
        points = [(x0 + 0.05 * k + self.rng.normal(0, 0.01), y0 + 0.1 * k) for k in range(6)]
        self.t0, self.done = 0.0, False
        self.labels.clear()
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(*points[0]))
        for x, y in points[1:]:
            self.wait(0.03)
            QTest.mouseMove(canvas, at(x, y))
        self.t0 = time.perf_counter()
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(*points[-1]))
        self.wait(2.0, lambda: self.done)
        if self.done:
            self.wait(0.3, self._watch_label)  # any later answer for this stroke would show by now
        return len(self.labels)

    def _aside(self) -> int:
        return self.reader.answered_aside

    def phase(self, phase: str, drawings: int) -> list[tuple[str, str, str]]:
        import numpy as np

        self.times.clear()
        sent, aside = self.reader.sent, self._aside()
        after = [self.stroke() for _ in range(drawings)]
        a = np.array(self.times) if self.times else np.array([np.nan])
        way = " (before: the answer in the snapshot)" if self.by_snapshot else ""
        rows = [(f"Stroke to probability bars, {phase}{way} (median / p95 / max of {len(self.times)})",
                 f"{np.median(a):.0f} / {np.percentile(a, 95):.0f} / {a.max():.0f} ms", "< 50 ms (p95)"),
                (f"Answers on the label after a stroke ends, {phase}{way} (most)", f"{max(after, default=0)}",
                 "1")]
        if not self.by_snapshot:
            rows.append((f"Drawings answered beside the training loop (on a copy of the weights), {phase}",
                         f"{self._aside() - aside} of {self.reader.sent - sent}", "—"))
        return rows


if __name__ == "__main__":
    # Ends at once, as the app does (app.main.end_process): a training thread still inside a step or the fast
    # path's compiler must not abort the interpreter's teardown.
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
