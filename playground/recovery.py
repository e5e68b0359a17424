"""Autosave and crash recovery (part of the composition root).

Every few minutes, while there is something a crash would lose (unsaved edits, or training that moved on since the
last autosave), the whole project (lab, weights, optimizer, curves) is written to a recovery file in the user's
state folder, atomically like every project save. A clean save or a clean close deletes it. A recovery file left
by a process that is no longer running means that process crashed (or was killed): the next start offers to
recover it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from playground.engine.project import EXTENSION, ProjectError, load_project

AUTOSAVE_INTERVAL_MS = 3 * 60 * 1000
APP_DIR_NAME = "neural-network-playground"
PREFIX = "autosave-"


def recovery_folder() -> Path:
    """Where recovery files live: ``$PLAYGROUND_RECOVERY_DIR`` if set, else the user's state folder."""
    override = os.environ.get("PLAYGROUND_RECOVERY_DIR")
    if override:
        return Path(override)
    from platformdirs import user_state_dir

    return Path(user_state_dir(APP_DIR_NAME, appauthor=False)) / "recovery"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # no cheap, safe check there: treat only old files as orphans (see orphans())
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: a process of someone else has that number now, so ours is gone; stay careful
        return True
    return True


def orphans(folder: Path) -> list[Path]:
    """Recovery files of processes that are gone, newest first."""
    found = []
    try:
        entries = list(folder.glob(f"{PREFIX}*{EXTENSION}"))
    except OSError:
        return []
    for path in entries:
        try:
            pid = int(path.stem[len(PREFIX):])
        except ValueError:
            continue
        if not _alive(pid):
            found.append(path)
    return sorted(found, key=lambda p: p.stat().st_mtime if p.exists() else 0, reverse=True)


class RecoveryManager(QObject):
    """Autosaves the window's project to ``folder/autosave-<pid>.nnp``."""

    def __init__(self, window: Any, projects: Any, folder: Path | None = None,
                 interval_ms: int = AUTOSAVE_INTERVAL_MS) -> None:
        super().__init__(window)
        self.window = window
        self.projects = projects
        self.folder = Path(folder) if folder is not None else recovery_folder()
        self.path = self.folder / f"{PREFIX}{os.getpid()}{EXTENSION}"
        self._last_step: int | None = None
        self._busy = False
        self.autosaves = 0
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()
        projects.saved.connect(self._on_saved)
        window.closing.connect(self.discard_own)  # a clean close: nothing to recover

    def _training_step(self) -> int | None:
        snap = getattr(self.projects.controller, "_last_snapshot", None)
        return None if snap is None else int(snap.step)

    def needed(self) -> bool:
        """Whether a crash now would lose something that the last save or autosave does not hold."""
        if self.window.lab is None:
            return False
        step = self._training_step()
        return bool(self.window.modified) or (step is not None and step != self._last_step and step > 0)

    def autosave(self) -> bool:
        if self._busy or not self.needed():
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self.window.show_message(f"Autosave failed: cannot create {self.folder}: {e.strerror or e}", True)
            return False
        step = self._training_step()
        extra = {"recovery_of": self.window.path, "modified": bool(self.window.modified), "pid": os.getpid(),
                 "autosaved": time.strftime("%Y-%m-%d %H:%M:%S")}

        def done(ok: bool) -> None:
            self._busy = False
            if ok:
                self._last_step = step
                self.autosaves += 1

        self._busy = True
        if not self.projects.save_copy(str(self.path), extra=extra, on_done=done):
            self._busy = False
            return False
        return True

    def _on_saved(self, path: str, autosave: bool) -> None:
        if not autosave:  # the user's own save holds everything: the recovery file would only confuse later
            self._last_step = self._training_step()
            self.discard_own()

    def discard_own(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass

    # At start ---------------------------------------------------------------------------------------------------

    def offer(self, ask: Callable[[str], bool] | None = None) -> bool:
        """If a crashed session left a recovery file, ask whether to open it. True when one was recovered."""
        found = orphans(self.folder)
        if not found:
            return False
        newest, older = found[0], found[1:]
        for path in older:  # only the latest crash is offered; older ones are stale
            path.unlink(missing_ok=True)
        try:
            project = load_project(newest)
        except ProjectError as e:
            newest.replace(newest.with_suffix(".broken"))
            self.window.show_message(f"A recovery file could not be read and was set aside: {e.message}", True)
            return False
        extra = project.manifest.get("extra", {}) if isinstance(project.manifest.get("extra"), dict) else {}
        origin = extra.get("recovery_of") if isinstance(extra.get("recovery_of"), str) else None
        when = extra.get("autosaved", "")
        trained = f", trained {project.epoch} epochs ({project.step} steps)" if project.checkpoint else ""
        question = (f"The playground did not close properly last time. Recover '{project.lab.name}'{trained}, "
                    f"autosaved {when}" + (f" from {origin}" if origin else "") + "?")
        if not (ask or self._ask)(question):
            newest.unlink(missing_ok=True)
            return False
        if not self.window.maybe_save():
            return False
        self.projects.show_project(project, origin if origin and origin.endswith(EXTENSION) else None)
        self.window._unsaved_new = True  # recovered work is unsaved until the user saves it
        self.window._update_title()
        newest.unlink(missing_ok=True)  # from now on it lives in the window (and in our own autosaves)
        self.window.show_message(f"Recovered '{project.lab.name}': save it to keep it.")
        return True

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(self.window, "Recover unsaved work?", question,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes


def attach_recovery(window: Any, projects: Any, folder: Path | None = None) -> RecoveryManager:
    manager = RecoveryManager(window, projects, folder)
    window.recovery = manager
    return manager
