"""The comparison's worker: one thread that owns a :class:`~playground.engine.run_group.RunGroup` and trains its
runs in turns, with commands in between and the latest record of each run out.

Delivery is latest-only, as for the main session: each run keeps only its newest record until the window takes
it, and ``progress_ready`` is emitted once per batch of new records, so a busy window never slows the runs and
nothing queues up. Everything that touches the group (adding, removing, restarting) is a command applied between
two turns on the worker thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from playground.engine.errors import EngineError
from playground.engine.run_group import RunGroup
from playground.graph import GraphError, Lab
from playground.snapshots.comparison import RunFailed, RunProgress

GroupCommand = Callable[[RunGroup], None]


class ComparisonWorker(QObject):
    """Trains a comparison's runs on a thread of its own. ``progress_ready``: new records wait in
    :meth:`take_latest`; ``idle``: training stopped (every run ended, or Pause)."""

    progress_ready = Signal()
    idle = Signal()

    def __init__(self, device: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.group = RunGroup(device=device)  # touched by the worker thread only, once it runs
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._commands: list[GroupCommand] = []
        self._latest: dict[int, RunProgress | RunFailed] = {}
        self._pending = False
        self._playing = False
        self._quit = False
        self._thread: threading.Thread | None = None

    # From the GUI thread ------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="comparison", daemon=True)
            self._thread.start()

    def send(self, command: GroupCommand) -> None:
        with self._lock:
            self._commands.append(command)
        self._wake.set()

    def add(self, run_id: int, lab: Lab, *, ended: bool = False) -> None:
        lab_copy = Lab.from_dict(lab.to_dict())
        self.send(lambda group: group.add(run_id, lab_copy, ended=ended))

    def remove(self, run_id: int) -> None:
        def forget(group: RunGroup) -> None:
            group.remove(run_id)
            with self._lock:
                self._latest.pop(run_id, None)

        self.send(forget)

    def restart(self) -> None:
        """Every run from the same start again (and training)."""
        def again(group: RunGroup) -> None:
            group.restart()
            with self._lock:
                self._latest.clear()

        self.send(again)

    def play(self, on: bool) -> None:
        def playing(_group: RunGroup) -> None:
            self._playing = on

        self.send(playing)

    @property
    def playing(self) -> bool:
        return self._playing

    def take_latest(self) -> list[RunProgress | RunFailed]:
        with self._lock:
            records, self._latest, self._pending = list(self._latest.values()), {}, False
        return records

    def stop(self, timeout_s: float = 5.0) -> bool:
        """End the thread after the turn it is in; True when it ended within ``timeout_s``."""
        self._quit = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            return not self._thread.is_alive()
        return True

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until training stops or ``timeout_s`` pass (tests and scripts; the window never waits)."""
        deadline = threading.Event()
        step = 0.02
        waited = 0.0
        while waited < timeout_s:
            with self._lock:
                busy = bool(self._commands) or self._playing
            if not busy:
                return True
            deadline.wait(step)
            waited += step
        return False

    # On the worker thread -----------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._quit:
            with self._lock:
                commands, self._commands = self._commands, []
            for command in commands:
                try:
                    command(self.group)
                except (GraphError, EngineError) as e:
                    self._deliver(RunFailed(-1, str(e)))
            if self._quit:
                return
            if not self._playing:
                self._wake.wait(0.25)
                self._wake.clear()
                continue
            try:
                record = self.group.advance()
            except Exception as e:  # torch may raise anything; the window must hear of it, not hang
                traceback.print_exc()
                record = RunFailed(-1, f"Training the runs failed: {e}")
                self._playing = False
            if record is None:
                self._playing = False
                self.idle.emit()
                continue
            self._deliver(record)

    def _deliver(self, record: RunProgress | RunFailed) -> None:
        with self._lock:
            self._latest[record.run] = record
            announce, self._pending = not self._pending, True
        if announce:
            self.progress_ready.emit()
