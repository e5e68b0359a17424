"""Autosave and crash recovery (part of the composition root).

Every few minutes, while there is something a crash would lose (unsaved edits, or training that moved on since the
last autosave), the whole project (lab, weights, optimizer, curves) is written to a recovery file in the user's
state folder, atomically like every project save. A clean save or a clean close deletes it. A recovery file left
by a process that is no longer running means that process crashed (or was killed): the next start offers to
recover it, in a banner across the window (Recover / Discard) rather than a modal dialog, so that the window, and
whatever the command line asked for (``open --template lenet --play``), goes on meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

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


class RecoveryBanner(QFrame):
    """The offer to recover unsaved work after a crash: a line across the top of the window, never modal."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryBanner")
        self.setStyleSheet("#recoveryBanner { background: #e3f2fd; border: 1px solid #64b5f6; border-radius: 4px; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel()
        self.label.setObjectName("recoveryMessage")
        self.label.setWordWrap(True)
        self.recover_button = QPushButton("Recover")
        self.recover_button.setObjectName("recoverButton")
        self.recover_button.setToolTip("Open the recovered work in this window (asks first if the open lab has "
                                       "unsaved work).")
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("discardRecoveryButton")
        self.discard_button.setToolTip("Delete the recovery file.")
        row.addWidget(self.label, 1)
        row.addWidget(self.recover_button)
        row.addWidget(self.discard_button)
        self.hide()


class RecoveryManager(QObject):
    """Autosaves the window's project to ``folder/autosave-<pid>.nnp``."""

    def __init__(self, window: Any, projects: Any, folder: Path | None = None,
                 interval_ms: int = AUTOSAVE_INTERVAL_MS) -> None:
        super().__init__(window)
        self.window = window
        self.projects = projects
        self.document = projects.document
        self.folder = Path(folder) if folder is not None else recovery_folder()
        self.path = self.folder / f"{PREFIX}{os.getpid()}{EXTENSION}"
        self._last_step: int | None = None
        self._busy = False
        self.autosaves = 0
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()
        self.banner = RecoveryBanner()
        window.add_banner(self.banner)
        self.banner.recover_button.clicked.connect(self.recover)
        self.banner.discard_button.clicked.connect(self.discard)
        self._offered: tuple[Path, Any] | None = None  # the recovery file on offer and its project
        projects.saved.connect(self._on_saved)
        window.closing.connect(self.discard_own)  # a clean close: nothing to recover

    def _training_step(self) -> int | None:
        snap = self.projects.controller.last_snapshot
        return None if snap is None else int(snap.step)

    def needed(self) -> bool:
        """Whether a crash now would lose something that the last save or autosave does not hold."""
        if self.document.lab is None:
            return False
        step = self._training_step()
        return bool(self.document.modified) or (step is not None and step != self._last_step and step > 0)

    def autosave(self) -> bool:
        if self._busy or not self.needed():
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self.window.show_message(f"Autosave failed: cannot create {self.folder}: {e.strerror or e}", True)
            return False
        step = self._training_step()
        extra = {"recovery_of": self.document.path, "modified": bool(self.document.modified), "pid": os.getpid(),
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
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)

    # At start ---------------------------------------------------------------------------------------------------

    def offer(self, ask: Callable[[str], bool] | None = None) -> bool:
        """If a crashed session left a recovery file, offer it: in the banner (Recover / Discard; returns at once,
        False), or, with ``ask``, by calling ``ask(question)`` and acting on its answer (True: recovered)."""
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
        self._offered = (newest, project)
        if ask is None:
            self.banner.label.setText(question)
            self.banner.show()
            return False
        if not ask(question):
            self.discard()
            return False
        return self.recover()

    def recover(self) -> bool:
        """Open the offered recovery file's project in the window; True when it was opened."""
        if self._offered is None:
            return False
        newest, project = self._offered
        if not self.window.maybe_save():
            return False  # the banner stays: the user may recover later
        self._offered = None
        self.banner.hide()
        extra = project.manifest.get("extra", {}) if isinstance(project.manifest.get("extra"), dict) else {}
        origin = extra.get("recovery_of") if isinstance(extra.get("recovery_of"), str) else None
        self.projects.show_project(project, origin if origin and origin.endswith(EXTENSION) else None)
        self.document.mark_unsaved()  # recovered work is unsaved until the user saves it
        newest.unlink(missing_ok=True)  # from now on it lives in the window (and in our own autosaves)
        self.window.show_message(f"Recovered '{project.lab.name}': save it to keep it.")
        return True

    def discard(self) -> None:
        """Delete the offered recovery file."""
        if self._offered is not None:
            self._offered[0].unlink(missing_ok=True)
            self._offered = None
        self.banner.hide()


def attach_recovery(window: Any, projects: Any, folder: Path | None = None) -> RecoveryManager:
    return RecoveryManager(window, projects, folder)
