"""How responsive the GUI thread stays while training runs on the worker.

A 5 ms QTimer on the GUI thread records how late each tick fires; the session's snapshots are handed to an
optional ``on_snapshot`` callback (a view's redraw), whose rate is counted too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEventLoop, Qt, QTimer

from playground.graph import Lab

from .session import TrainingSession

TICK_MS = 5


@dataclass
class LatencyResult:
    lateness_p50_ms: float
    lateness_p99_ms: float
    snapshots_per_s: float
    redraws_per_s: float
    epochs_per_s: float
    redraw_ms_mean: float


def _run_loop_until(done: Callable[[], bool], seconds: float) -> None:
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(50)
    poll.timeout.connect(lambda: loop.quit() if done() else None)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    poll.start()
    loop.exec()
    poll.stop()


def measure_latency(lab: Lab, seconds: float = 5.0, probes: Iterable[str] = ("boundary",),
                    on_snapshot: Callable[[object], None] | None = None) -> LatencyResult:
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("measure_latency needs a running Qt application")
    session = TrainingSession()
    lateness: list[float] = []
    redraw_times: list[float] = []
    epochs: list[int] = []
    clock = QElapsedTimer()
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        if last[0]:
            lateness.append(max(0.0, now - last[0] - TICK_MS))
        last[0] = now

    def got(snap: object) -> None:
        t0 = time.perf_counter()
        if on_snapshot is not None:
            on_snapshot(snap)
        redraw_times.append(time.perf_counter() - t0)
        epochs.append(getattr(snap, "epoch", 0))

    session.snapshot.connect(got)
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    session.start(lab, probes=probes)
    # Let the worker build its trainer and deliver a first snapshot before measuring. A real event loop
    # (exec) sleeps in Qt without holding Python's GIL, as the app's main loop does; a processEvents spin would not.
    _run_loop_until(lambda: bool(epochs), 30.0)
    clock.start()
    timer.start()
    start_epochs = epochs[-1] if epochs else 0
    start_count = len(redraw_times)
    t0 = time.perf_counter()
    _run_loop_until(lambda: False, seconds)
    elapsed = time.perf_counter() - t0
    timer.stop()
    session.stop()
    delivered = len(redraw_times) - start_count
    arr = np.array(lateness or [0.0])
    return LatencyResult(
        lateness_p50_ms=float(np.percentile(arr, 50)),
        lateness_p99_ms=float(np.percentile(arr, 99)),
        snapshots_per_s=delivered / elapsed,
        redraws_per_s=delivered / elapsed if on_snapshot is not None else 0.0,
        epochs_per_s=((epochs[-1] if epochs else 0) - start_epochs) / elapsed,
        redraw_ms_mean=1000 * float(np.mean(redraw_times[start_count:])) if delivered else 0.0,
    )
