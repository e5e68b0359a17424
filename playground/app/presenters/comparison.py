"""Learning > Compare runs…: runs side by side, joined to the document and the project files.

The comparison starts from the open lab (run 1, the original); each duplicate copies a run with one change. The runs
train on the comparison's own worker thread (runtime.run_group), apart from the window's session, and come back
latest-only; this presenter keeps what the window shows of each run (name, colour, shown, change, curves) and
hands it to the project file when it is saved, and takes it back when a project with runs opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Slot

from playground.engine.errors import EngineError
from playground.engine.run_group import (
    ACTIVATIONS,
    CHANGE_KINDS,
    MAX_RUNS,
    RunChange,
    SavedRun,
    duplicate,
    runs_section,
    settings_table,
)
from playground.graph import GraphError, Lab
from playground.graph.lab import TRAINING_FIELDS
from playground.runtime.run_group import ComparisonWorker
from playground.snapshots import Snapshot
from playground.snapshots.comparison import RunFailed, RunProgress
from playground.ui.run_comparison import RunComparisonWindow, RunRow, run_colour

EDITOR = "editor"  # a change kind of the window's own: the lab as the editor has it
# The window redraws at most this often however fast the runs' epochs come (small networks do hundreds a second).
REDRAW_MS = 150
STATES = {"running": "training", "ready": "ready", "paused": "paused", "finished": "finished",
          "diverged": "diverged", "stopped": "stopped"}


@dataclass
class Run:
    id: int
    name: str
    lab: Lab
    colour: str
    change: str = ""
    hidden: bool = False
    history: dict[str, np.ndarray] = field(default_factory=dict)
    snapshot: Snapshot | None = None
    state: str = "ready"
    message: str = ""

    def row(self) -> RunRow:
        return RunRow(self.id, self.name, self.colour, self.hidden, self.change)


def _optimizers() -> list[str]:
    spec = next(p for p in TRAINING_FIELDS if p.name == "optimizer")
    return list(spec.choices or ())


class ComparisonPresenter(QObject):
    """Opens the comparison window and keeps its runs; ``projects`` saves and reopens them with the project."""

    def __init__(self, window: Any, document: Any, controller: Any, projects: Any) -> None:
        super().__init__(window)
        self.main_window = window
        self.document = document
        self.controller = controller
        self.window: RunComparisonWindow | None = None
        self.runs: dict[int, Run] = {}
        self._next_id = 1
        self._colours = 0
        self.worker = ComparisonWorker(parent=self)
        self.worker.progress_ready.connect(self._on_progress_ready, Qt.ConnectionType.QueuedConnection)
        self.worker.idle.connect(self._on_idle, Qt.ConnectionType.QueuedConnection)
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(REDRAW_MS)
        self._redraw.timeout.connect(self._take)
        window.compare_runs_action.triggered.connect(self.open)
        document.lab_replaced.connect(self._on_lab_replaced)
        projects.project_shown.connect(self._on_project_shown)
        projects.provide_runs(self.saved_runs)
        window.closing.connect(self.shutdown)

    # The window ---------------------------------------------------------------------------------------------

    @Slot()
    def open(self) -> RunComparisonWindow:
        window = self._window()
        if not self.runs and self.document.lab is not None:
            self.add_run(Lab.from_dict(self.document.lab.to_dict()), "Original")
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def _window(self) -> RunComparisonWindow:
        if self.window is None:
            self.window = RunComparisonWindow(self.main_window)
            view = self.window.view
            kinds = {**CHANGE_KINDS, EDITOR: "the editor's network now"}
            view.set_change_choices(kinds, {"optimizer": _optimizers(), "activation": list(ACTIVATIONS)})
            view.duplicate_requested.connect(self._on_duplicate)
            view.rename_requested.connect(self.rename)
            view.hidden_changed.connect(self.set_hidden)
            view.remove_requested.connect(self.remove)
            view.play_toggled.connect(self.play)
            view.restart_requested.connect(self.restart)
            self.window.closed.connect(lambda: self.play(False))
            self._refresh_all()
        return self.window

    # The runs -----------------------------------------------------------------------------------------------

    def add_run(self, lab: Lab, name: str, change: str = "", *, hidden: bool = False,
                history: dict[str, list[float]] | None = None) -> Run | None:
        """A new run; with ``history`` one that shows saved curves (it trains again after Restart all)."""
        if len(self.runs) >= MAX_RUNS:
            self._status(f"A comparison holds at most {MAX_RUNS} runs: remove one first")
            return None
        run = Run(self._next_id, name, lab, run_colour(self._colours), change, hidden)
        self._next_id += 1
        self._colours += 1
        if history:
            run.history = {k: np.asarray(v, dtype=np.float64) for k, v in history.items()}
            run.state = "saved"
        self.runs[run.id] = run
        self.worker.start()
        self.worker.add(run.id, lab, ended=bool(history))
        self._refresh_all()
        return run

    def duplicate_run(self, source: int, change: RunChange) -> Run | None:
        base = self.runs.get(source)
        if base is None:
            return None
        try:
            lab = duplicate(base.lab, change)
        except (GraphError, EngineError) as e:
            self._status(f"Cannot make that copy: {e}")
            return None
        what = change.describe()
        where = f"{base.change}, {what}" if base.change and base.change != "no change" else what
        # Named after what it changes, so the legend reads as the comparison ("learning rate 0.3"); renamable.
        taken = {r.name for r in self.runs.values()}
        name = what if what not in taken else f"{what} ({self._next_id})"
        run = self.add_run(lab, name, where)
        self._unsaved()
        return run

    @Slot(int, str, object)
    def _on_duplicate(self, source: int, kind: str, value: Any) -> None:
        if kind == EDITOR:
            self.add_editor_run()
        else:
            self.duplicate_run(source, RunChange(kind, value))

    def add_editor_run(self) -> Run | None:
        """A run of the lab as the editor has it now: any edit of the network (a layer more, other units) against
        the runs already here. It keeps the first run's starting weights where its layers have their shapes."""
        if self.document.lab is None:
            return None
        lab = Lab.from_dict(self.document.lab.to_dict())
        try:
            lab.check()
        except GraphError as e:
            self._status(f"The editor's network cannot train yet: {e}")
            return None
        first = next(iter(self.runs.values()), None)
        differs = settings_table([(0, first.lab), (1, lab)]).differing if first is not None else ()
        change = f"edited: {', '.join(d.lower() for d in differs)}" if differs else "the editor's lab (no change)"
        run = self.add_run(lab, f"edited {self._next_id}", change)
        self._unsaved()
        return run

    @Slot(int, str)
    def rename(self, run_id: int, name: str) -> None:
        if run_id in self.runs and name.strip():
            self.runs[run_id].name = name.strip()[:200]
            self._refresh_all()
            self._unsaved()

    @Slot(int, bool)
    def set_hidden(self, run_id: int, hidden: bool) -> None:
        if run_id in self.runs:
            self.runs[run_id].hidden = hidden
            self._refresh_all()
            self._unsaved()

    @Slot(int)
    def remove(self, run_id: int) -> None:
        if self.runs.pop(run_id, None) is not None:
            self.worker.remove(run_id)
            self._refresh_all()
            self._unsaved()

    def clear(self) -> None:
        for run_id in list(self.runs):
            self.worker.remove(run_id)
        self.runs.clear()
        self._colours = 0
        self._refresh_all()

    @Slot(bool)
    def play(self, on: bool) -> None:
        if on and self.runs and all(r.state in ("finished", "diverged", "stopped", "saved", "failed")
                                    for r in self.runs.values()):
            self.restart()  # every run has ended: Train runs them again from the same start
            return
        paused = on and self._pause_main_run()
        self.worker.play(on)
        if self.window is not None:
            self.window.view.set_playing(on)
        if on:
            self._status(f"Training {len(self.runs)} runs together, one epoch each in turn"
                         + ("; the main window's run is paused meanwhile" if paused else ""))

    def _pause_main_run(self) -> bool:
        """Pause the main window's run: it would take half the cores, and its random draws would come between the
        runs' own (torch's generator is one per process)."""
        if getattr(self.controller, "playing", False):
            self.controller.set_playing(False)
            return True
        return False

    @Slot()
    def restart(self) -> None:
        for run in self.runs.values():
            run.history, run.snapshot, run.state, run.message = {}, None, "ready", ""
        self.worker.restart()
        self._pause_main_run()
        self.worker.play(True)
        self._refresh_all()
        if self.window is not None:
            self.window.view.set_playing(True)
        self._status("All runs start again from the same weights")

    # From the worker ----------------------------------------------------------------------------------------

    @Slot()
    def _on_progress_ready(self) -> None:
        if not self._redraw.isActive():
            self._redraw.start()

    @Slot()
    def _take(self) -> None:
        changed: set[int] = set()
        for record in self.worker.take_latest():
            changed.add(record.run)
            if isinstance(record, RunFailed):
                self._failed(record)
                continue
            run = self.runs.get(record.run)
            if run is not None:  # else removed since
                self._progress(run, record)
        unbuilt = {r.id for r in self.runs.values() if r.snapshot is not None and self._unbuilt(r.id)}
        self._show_all(changed | unbuilt)
        if any(self._unbuilt(i) for i in unbuilt):
            self._redraw.start()  # one view is built per redraw: the next one on the next

    def _unbuilt(self, run_id: int) -> bool:
        panel = self.window.view.panel(run_id) if self.window is not None else None
        return panel is not None and panel.view is None and self.runs[run_id].snapshot is not None

    def _progress(self, run: Run, record: RunProgress) -> None:
        snap = record.snapshot
        run.snapshot = snap
        run.history = {k: np.asarray(v) for k, v in snap.history.items()}
        run.state = snap.state
        if snap.state == "diverged":
            run.message = snap.message

    def _failed(self, record: RunFailed) -> None:
        run = self.runs.get(record.run)
        if run is not None:
            run.state, run.message = "failed", record.message
        self._status(record.message if run is None else f"{run.name}: {record.message}")

    @Slot()
    def _on_idle(self) -> None:
        self._take()
        if self.window is not None:
            self.window.view.set_playing(False)
        self._unsaved()
        ended = sum(1 for r in self.runs.values() if r.state in ("finished", "diverged", "failed"))
        self._status(f"{ended} of {len(self.runs)} runs have finished their epochs")

    # Showing ------------------------------------------------------------------------------------------------

    def _refresh_all(self) -> None:
        if self.window is None:
            return
        view = self.window.view
        view.set_runs([r.row() for r in self.runs.values()])
        view.set_table(settings_table([(r.id, r.lab) for r in self.runs.values()]))
        self._show_all()

    def _show_all(self, only: set[int] | None = None) -> None:
        if self.window is None:
            return
        self.window.view.begin_redraw()
        for run in self.runs.values():
            if only is not None and run.id not in only:
                continue
            note = ""
            if run.state == "saved":
                note = "Saved curves of this run. Press Train to train every run again from the same start."
            elif run.state == "failed":
                note = run.message
            state = STATES.get(run.state, run.state) + (f": {run.message}" if run.message else "")
            self.window.view.show_run(run.id, run.history, run.snapshot, state, note)

    def _unsaved(self) -> None:
        """The runs changed: the project file no longer holds them, so closing asks to save."""
        if self.document.lab is not None:
            self.document.mark_unsaved()

    def _status(self, text: str) -> None:
        if self.window is not None:
            self.window.view.set_status(text)

    # Project files ------------------------------------------------------------------------------------------

    def saved_runs(self) -> list[dict[str, Any]] | None:
        """The runs section of a project being saved (None without runs)."""
        if not self.runs:
            return None
        return runs_section([SavedRun(r.name, r.lab, r.change, r.hidden,
                                      {k: [float(x) for x in v] for k, v in r.history.items()})
                             for r in self.runs.values()])

    @Slot(object)
    def _on_lab_replaced(self, _lab: Any) -> None:
        # Another lab: the runs were of the old one. A project with runs brings its own (project_shown, next).
        self.play(False)
        self.clear()

    @Slot(object)
    def _on_project_shown(self, project: Any) -> None:
        for saved in getattr(project, "runs", []):
            self.add_run(saved.lab, saved.name, saved.change, hidden=saved.hidden, history=saved.history)
        if self.window is not None and project.runs:
            self._status(f"{len(project.runs)} runs saved with the project: press Train to train them again")

    @Slot()
    def shutdown(self) -> None:
        self.worker.stop(5.0)

    # For tests and scripts ----------------------------------------------------------------------------------

    def wait(self, timeout_s: float = 120.0) -> bool:
        """Block until the runs stop training, then show their latest records (never called by the window)."""
        done = self.worker.wait_idle(timeout_s)
        for _ in range(len(self.runs) + 1):  # one view is built per redraw
            self._take()
        return done

    def rows(self) -> list[RunRow]:
        return [replace(r.row()) for r in self.runs.values()]
