"""The bridge between the engine and the window: the training generator on a worker QThread, commands in, snapshots
out through one signal.

Delivery is latest-only: the worker never waits for the GUI. When the window is busy, newer snapshots replace
older undelivered ones, so a slow view can never slow training, and the queue can never grow.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from playground.engine.commands import Command, Stop, TakeCheckpoint
from playground.engine.errors import EngineError
from playground.engine.trainer import Trainer
from playground.graph import GraphError, Lab
from playground.snapshots import Snapshot

SNAPSHOT_INTERVAL = 1 / 30
_lingering: list[tuple[QThread, TrainingWorker]] = []
# Every worker thread that has not finished: held here so that no QThread object is destroyed while its thread
# runs (that aborts the process), whatever happens to the session that started it; stopped at interpreter exit.
_running: dict[int, tuple[QThread, TrainingWorker]] = {}


def stop_all(timeout_ms: int) -> bool:
    """Ask every training thread of this process to stop and wait for them, ``timeout_ms`` in all; True when
    all ended. A thread still busy (in the middle of a long step) is left running: only the process's end may
    take it down, since destroying a running QThread aborts the process."""
    for _thread, worker in list(_running.values()):
        worker.send_stop()
    deadline = time.monotonic() + timeout_ms / 1000
    for thread, _worker in list(_running.values()):
        if thread.isRunning():
            thread.wait(max(0, int((deadline - time.monotonic()) * 1000)))
    return not any(thread.isRunning() for thread, _worker in list(_running.values()))


@atexit.register
def _stop_all_at_exit() -> None:
    stop_all(10000)
    _running.clear()


@dataclass(frozen=True)
class TrainedState:
    """A reading of a running trainer, taken on its own thread between two steps: a copy of the lab as the trainer
    has it (an edit may not be applied yet) and :meth:`Trainer.checkpoint` (weights, optimizer, curves)."""

    lab: Lab
    checkpoint: dict[str, Any]


class TrainingWorker(QObject):
    """Lives on the worker thread; builds the trainer there (compiling and loading data are torch work too)."""

    snapshot_ready = Signal()
    failed = Signal(str)
    ready = Signal(str)
    done = Signal()

    def __init__(self, lab: Lab, device: str | None, probes: Iterable[str], start: bool) -> None:
        super().__init__()
        self._lab = lab
        self._device = device
        self._probes = tuple(probes)
        self._start = start
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._pending = False
        self._early: list[Command] = []
        self.trainer: Trainer | None = None

    def send(self, command: Command) -> None:
        """From the GUI thread. Bad settings raise here, before anything is queued."""
        with self._lock:
            if self.trainer is None:
                self._early.append(command)
                return
        self.trainer.send(command)

    def send_stop(self) -> None:
        """Stop, whether or not the trainer has been built yet (never raises)."""
        with contextlib.suppress(Exception):  # stopping must not fail
            self.send(Stop())

    def take_latest(self) -> Snapshot | None:
        with self._lock:
            snap, self._latest, self._pending = self._latest, None, False
        return snap

    @Slot()
    def run(self) -> None:
        try:
            # The window's runs keep moments for the time machine's slider.
            trainer = Trainer(self._lab, device=self._device, probes=self._probes, moments=True)
        except (GraphError, EngineError) as e:
            self.failed.emit(str(e))
            self.done.emit()
            return
        except Exception as e:  # the app must survive anything torch may raise
            self.failed.emit(f"Could not prepare training: {e}")
            traceback.print_exc()
            self.done.emit()
            return
        with self._lock:
            self.trainer = trainer
            early, self._early = self._early, []
        for command in early:
            try:
                trainer.send(command)
            except (GraphError, EngineError) as e:
                self.failed.emit(str(e))
        self.ready.emit(trainer.device_name)
        try:
            for snap in trainer.run(interval=SNAPSHOT_INTERVAL, start=self._start, stop_when_idle=False):
                with self._lock:
                    self._latest = snap
                    notify = not self._pending
                    self._pending = True
                if notify:
                    self.snapshot_ready.emit()
        except Exception as e:
            traceback.print_exc()
            self.failed.emit(f"Training stopped because of an internal error: {e}")
        self.done.emit()


class TrainingSession(QObject):
    """Owned by the GUI thread. Start a lab, send commands, receive ``snapshot`` signals; stop cleanly."""

    snapshot = Signal(object)
    failed = Signal(str)
    started = Signal(str)
    stopped = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self.delivered = 0

    @property
    def active(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    @property
    def trainer(self) -> Trainer | None:
        """The worker thread's trainer, for tests and headless tools only: the window reads a running trainer
        through :meth:`take_state`, never by touching its tensors from the GUI thread."""
        return self._worker.trainer if self._worker is not None else None

    def has_stepped(self) -> bool:
        """For headless tools (the benchmarks): the worker's trainer is built and has taken a step."""
        trainer = self.trainer
        return trainer is not None and trainer.step > 0

    def fast_path_settled(self) -> bool:
        """For headless tools: the trainer's compiled fast path is ready or was refused (a benchmark then times
        training as it goes on, not the compiler; it may start compiling only after the first steps)."""
        trainer = self.trainer
        if trainer is None:
            return False
        fast = trainer.fast_path
        return fast.wait(0) or bool(fast.reason)

    def wait_for_compiled(self, timeout: float) -> None:
        """For headless tools: block until a fast-path build in progress ends."""
        trainer = self.trainer
        if trainer is not None:
            trainer.fast_path.wait(timeout)

    def take_state(self, reply: Callable[[TrainedState], None]) -> None:
        """Ask the running trainer for a :class:`TrainedState`; ``reply`` is called on the worker thread between
        two steps, so it must be quick and thread-safe (emit a queued Qt signal). Raises EngineError when nothing
        trains."""
        worker = self._worker
        if worker is None:
            raise EngineError("Nothing is training: press Play first")

        def answer(checkpoint: dict[str, Any]) -> None:  # on the worker thread, where its trainer lives
            trainer = worker.trainer
            assert trainer is not None  # commands reach only a built trainer
            reply(TrainedState(Lab.from_dict(trainer.lab.to_dict()), checkpoint))

        worker.send(TakeCheckpoint(answer))

    def start(self, lab: Lab, *, device: str | None = None, probes: Iterable[str] = (), run: bool = True) -> None:
        """Build a trainer for ``lab`` on a new worker thread (stopping any earlier one) and, with ``run``, train."""
        self.stop()
        thread = QThread()
        thread.setObjectName("training")
        worker = TrainingWorker(lab, device, probes, run)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.snapshot_ready.connect(self._deliver)
        worker.failed.connect(self.failed)
        worker.ready.connect(self.started)
        # quit() is thread-safe; a direct call avoids waiting for the GUI thread, which may be in stop()'s wait.
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_finished)
        key = id(thread)
        _running[key] = (thread, worker)
        thread.finished.connect(lambda: _running.pop(key, None))
        self._thread, self._worker = thread, worker
        thread.start()

    def send(self, command: Command) -> None:
        """Queue a command for the running trainer. Raises GraphError/EngineError/LabFormatError for bad input."""
        if self._worker is None:
            raise EngineError("Nothing is training: press Play first")
        self._worker.send(command)

    @Slot()
    def _deliver(self) -> None:
        worker = self._worker
        if worker is None:
            return
        snap = worker.take_latest()
        if snap is not None:
            self.delivered += 1
            self.snapshot.emit(snap)

    @Slot()
    def _on_finished(self) -> None:
        self.stopped.emit()

    def stop(self, timeout_ms: int = 10000) -> bool:
        """Stop the worker and wait for its thread; True when it ended in time."""
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return True
        worker.send(Stop())
        ended = thread.wait(timeout_ms) if thread.isRunning() else True
        worker.snapshot_ready.disconnect(self._deliver)
        self._thread = self._worker = None
        if ended:
            thread.deleteLater()
            worker.deleteLater()
        else:
            # Still busy (a long step on a big model): keep both alive until the thread ends by itself, since
            # destroying a running QThread aborts the process.
            _lingering.append((thread, worker))
            thread.finished.connect(lambda: _lingering.remove((thread, worker)))
        return bool(ended)
