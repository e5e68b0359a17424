"""Project files in the window: Open and Save of ``.nnp`` files with the training of the running session.

Part of the composition root (like the controller): it joins the main window, which cannot read projects, to the
engine's project files and the training session.

Saving never pauses training: the worker is asked for a checkpoint (``TakeCheckpoint``), answers between two steps
from its own thread, and a queued signal brings the answer to the GUI thread, which writes the file. Opening a
project starts a paused session from the saved state, so the curves, the views and Play go on from where it was.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QMessageBox

from playground.app.document import LabDocument
from playground.engine.commands import Restore
from playground.engine.errors import EngineError
from playground.engine.project import (
    EXTENSION,
    Project,
    ProjectError,
    is_project_file,
    load_project,
    save_project,
)
from playground.graph import Lab
from playground.runtime.session import TrainedState

# How long a save waits for the worker's checkpoint before it gives up (a step of a huge model, a stuck worker).
CHECKPOINT_TIMEOUT_MS = 60_000
THUMBNAIL_SIZE = 256


@dataclass
class PendingSave:
    path: str
    lab: Lab
    thumbnail: bytes | None
    autosave: bool
    extra: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None
    trained_lab: dict[str, Any] | None = None
    on_done: Any = None


class ProjectFiles(QObject):
    """The window's project files (given to it with ``window.set_project_files``): opens and saves ``.nnp`` files
    of the document with the training of the session."""

    _checkpoint_ready = Signal(int)
    saved = Signal(str, bool)  # path, autosave: a project was written
    opened = Signal(str)
    project_shown = Signal(object)  # the Project just shown, for the parts of it others keep (its runs)

    def __init__(self, window: Any, document: LabDocument, controller: Any) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.controller = controller
        self._lock = threading.Lock()
        self._pending: dict[int, PendingSave] = {}
        self._next_token = 0
        # The opened project's training, for saving while no session holds it (a lab that cannot train here).
        self._loaded: Project | None = None
        self._opening = False
        # (seed, step) of the training that the window's own file holds: a run that moved on is unsaved work.
        self._saved_mark: tuple[int, int] | None = None
        self._last_snapshot: Any = None
        self._runs: Any = None  # gives the comparison's runs section at each save (provide_runs)
        controller.session.snapshot.connect(self._on_snapshot)
        self._checkpoint_ready.connect(self._on_checkpoint, Qt.ConnectionType.QueuedConnection)
        document.lab_replaced.connect(self._on_lab_opened)

    def provide_runs(self, runs: Any) -> None:
        """``runs()`` gives the runs section (run_group.runs_section) each save writes, or None."""
        self._runs = runs

    # What the window asks ------------------------------------------------------------------------------------

    def handles(self, path: str) -> bool:
        return str(path).lower().endswith(EXTENSION) or is_project_file(path)

    def open(self, path: str) -> bool:
        """Load and check the whole file first; only then replace the open lab. False (and a message) if bad."""
        try:
            project = load_project(path)
        except ProjectError as e:
            self.window.show_message(e.message, True)
            QMessageBox.warning(self.window, "Cannot open the project", e.message)
            return False
        self.show_project(project, os.path.abspath(path))
        where = f"epoch {project.epoch}, step {project.step}: press Play to go on training" if project.checkpoint \
            else "not trained yet"
        self.window.show_message(project.moments_problem or f"Opened {path} ({where})", bool(project.moments_problem))
        self.opened.emit(os.path.abspath(path))
        return True

    def show_project(self, project: Project, path: str | None) -> None:
        """Show the project's lab and start a paused session from its saved training."""
        self._opening = True
        try:
            self.document.set_lab(project.lab, path)
        finally:
            self._opening = False
        self._loaded = project if project.checkpoint is not None else None
        self.project_shown.emit(project)
        if project.checkpoint is None:
            return
        if path is not None:  # a recovered project's training is not in any file of the user's
            self._saved_mark = (int(project.checkpoint["meta"].get("seed", project.lab.seed)), int(project.step))
        c = self.controller
        c.session.start(Lab.from_dict(project.training_lab.to_dict()), probes=c.open_probes(), run=False)
        c.session.send(Restore(project.checkpoint))
        self._watch_restore(project, path)
        if project.trained_lab is not None and _networks(project.trained_lab) != _networks(project.lab):
            # It was saved with an edit not yet applied: it opens the same way, with the banner to apply it.
            c.mark_stale()

    def _watch_restore(self, project: Project, path: str | None) -> None:
        """The trainer checks the state once more as it restores it (the optimizer's buffers against its
        parameters); if it refuses, say so instead of silently training from fresh weights."""
        session = self.controller.session

        def watch(snap: Any) -> None:
            if snap.step == project.step or snap.message:
                session.snapshot.disconnect(watch)
                if snap.step != project.step:
                    self.controller.refuse(f"Could not go on from {path or 'the recovered project'}: "
                                            f"{snap.message} Training starts from fresh weights.")

        session.snapshot.connect(watch)

    def save(self, path: str) -> bool:
        """Save the open lab and its training to ``path``. With a session running, the file is written when the
        worker's checkpoint arrives (a step later); a failure then calls ``window.save_failed``."""
        return self._save(path, autosave=False)

    def save_copy(self, path: str, extra: dict[str, Any] | None = None, on_done: Any = None) -> bool:
        """Write a project to ``path`` without making it the window's file (autosave); ``on_done(ok)`` after."""
        return self._save(path, autosave=True, extra=extra, on_done=on_done)

    # Saving -------------------------------------------------------------------------------------------------

    def _save(self, path: str, *, autosave: bool, extra: dict[str, Any] | None = None, on_done: Any = None) -> bool:
        lab = self.document.lab
        if lab is None:
            return False
        pending = PendingSave(os.fspath(path), Lab.from_dict(lab.to_dict()), self.thumbnail(), autosave, extra,
                              on_done=on_done)
        session = self.controller.session
        if not session.active:
            if self._loaded is not None:
                pending.checkpoint = self._loaded.checkpoint
                pending.trained_lab = self._loaded.training_lab.to_dict()
            return self._write(pending)
        with self._lock:
            token = self._next_token = self._next_token + 1
            self._pending[token] = pending

        def reply(state: TrainedState) -> None:  # in the worker thread, between two steps
            with self._lock:
                if token in self._pending:
                    self._pending[token].checkpoint = state.checkpoint
                    self._pending[token].trained_lab = state.lab.to_dict()
            self._checkpoint_ready.emit(token)

        try:
            session.take_state(reply)
        except EngineError as e:
            with self._lock:
                self._pending.pop(token, None)
            self._failed(pending, f"Cannot save {path}: {e}")
            return False
        QTimer.singleShot(CHECKPOINT_TIMEOUT_MS, lambda: self._expire(token))
        return True

    @Slot(int)
    def _on_checkpoint(self, token: int) -> None:
        with self._lock:
            pending = self._pending.pop(token, None)
        if pending is not None:
            self._write(pending)

    def _expire(self, token: int) -> None:
        with self._lock:
            pending = self._pending.pop(token, None)
        if pending is not None:
            self._failed(pending, f"Cannot save {pending.path}: the training did not answer within "
                                  f"{CHECKPOINT_TIMEOUT_MS // 1000} s; nothing was written")

    def awaiting_checkpoint(self) -> bool:
        """Whether a save the user asked for still waits for the worker's state (closing must wait for it)."""
        with self._lock:
            return any(p.checkpoint is None and not p.autosave for p in self._pending.values())

    def flush(self) -> None:
        """Write every save whose checkpoint has arrived but not been written (the window is closing)."""
        with self._lock:
            ready = [t for t, p in self._pending.items() if p.checkpoint is not None]
            pendings = [self._pending.pop(t) for t in ready]
        for pending in pendings:
            self._write(pending)

    def _write(self, pending: PendingSave) -> bool:
        trained = None
        if pending.trained_lab is not None and pending.trained_lab != pending.lab.to_dict():
            trained = Lab.from_dict(pending.trained_lab)
        started = time.perf_counter()
        try:
            size = save_project(pending.path, pending.lab, pending.checkpoint, trained_lab=trained,
                                thumbnail=pending.thumbnail, extra=pending.extra,
                                runs=self._runs() if self._runs is not None else None)
        except ProjectError as e:
            self._failed(pending, e.message)
            return False
        self.last_save = (pending.path, size, time.perf_counter() - started)
        if not pending.autosave:
            self.window.show_message(f"Saved {pending.path}")
            if pending.checkpoint is not None and pending.path == self.document.path:  # still the window's file
                meta = pending.checkpoint.get("meta", {})
                self._saved_mark = (int(meta.get("seed", 0)), int(meta.get("step", 0)))
                self._on_snapshot(self._last_snapshot)
        if pending.on_done is not None:
            pending.on_done(True)
        self.saved.emit(pending.path, pending.autosave)
        return True

    def _failed(self, pending: PendingSave, message: str) -> None:
        if pending.on_done is not None:
            pending.on_done(False)
        if pending.autosave:
            self.window.show_message(f"Autosave failed: {message}", True)
        else:
            self.window.save_failed(message)

    def thumbnail(self) -> bytes | None:
        """A small PNG of what the window shows: the output over the plane when it is on screen, else the
        network."""
        c = self.controller
        dock = c.docks.get("boundary")
        widget = c.views["boundary"] if dock is not None and dock.isVisible() and c.last_snapshot is not None \
            else self.window.canvas
        pixmap = widget.grab()
        if pixmap.isNull() or pixmap.width() < 2 or pixmap.height() < 2:
            return None
        pixmap = pixmap.scaled(THUMBNAIL_SIZE, THUMBNAIL_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        ok = pixmap.save(buffer, "PNG")
        buffer.close()
        return bytes(data.data()) if ok else None

    def _on_lab_opened(self, _lab: Any) -> None:
        self._saved_mark = None
        self._last_snapshot = None
        if not self._opening:
            self._loaded = None  # another lab: the opened project's training no longer belongs to the window

    def _on_snapshot(self, snap: Any) -> None:
        """Training moved on since the last save: that is unsaved work, like an edit (title, question on close)."""
        self._last_snapshot = snap
        if snap is None:
            return
        unsaved = snap.step > 0 and (int(snap.seed), int(snap.step)) != self._saved_mark
        self.document.set_unsaved_training(f"training (epoch {snap.epoch}, step {snap.step})" if unsaved else "")


def _networks(lab: Lab) -> Any:
    data = lab.to_dict()
    return data["task"], data["networks"]


def attach_projects(window: Any, document: LabDocument, controller: Any) -> ProjectFiles:
    projects = ProjectFiles(window, document, controller)
    window.set_project_files(projects)
    return projects
