"""What the Learning menu's windows share (backpropagation step by step, loss landscapes, what a unit responds to,
embeddings): each is opened once from its menu action and shown again after; what it draws is torch work, so a
request runs as a job on a thread of its own and comes back by a queued signal (the GUI thread never runs torch),
and an answer overtaken by a newer request is dropped. While a session trains, a job uses its weights, read through
the session's command door (``take_state``: the worker answers between two steps with copies, by a queued signal);
otherwise the lab's starting weights. Another lab opened (and, for some windows, a graph edit) redraws a window that
is open.

A presenter built on :class:`InsightWindowPresenter` says only what differs: its window, what it asks for when it
opens and when the lab changes, and the job it runs with a lab and its weights.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QWidget

from playground.graph import Lab

W = TypeVar("W", bound=QWidget)


def error_text(error: Exception) -> str:
    """An exception as the one line a window shows (an EngineError's message, else its text or its type)."""
    return getattr(error, "message", None) or str(error) or type(error).__name__


class InsightWindowPresenter(QObject, Generic[W]):
    """Opens one Learning-menu window from the main window's menu and answers its requests off the GUI thread."""

    _done = Signal(int, object)  # (request, the job's result or what went wrong, in words)
    _state_ready = Signal(int, object)  # (request, TrainedState) from the training thread

    #: The main window's menu action that opens the window.
    action = ""
    #: The name of the job threads (what a debugger or a thread dump shows).
    job_name = "insight-job"
    #: Whether a graph edit, not only another lab opened, changes what the window shows.
    follows_edits = False

    def __init__(self, window: Any, document: Any, controller: Any) -> None:
        super().__init__(window)
        self.main_window = window
        self.document = document
        self.controller = controller
        self.shown: W | None = None
        self._request = 0
        self._wanted: dict[int, object] = {}  # what each request waiting for the session's weights asked for
        self._jobs: list[threading.Thread] = []
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._state_ready.connect(self._on_state, Qt.ConnectionType.QueuedConnection)
        getattr(window, self.action).triggered.connect(self.open)
        for name in ("lab_replaced", "graph_edited") if self.follows_edits else ("lab_replaced",):
            changed = getattr(document, name, None)
            if changed is not None:
                changed.connect(self._on_lab_changed)

    # The window -----------------------------------------------------------------------------------------------

    @Slot()
    def open(self) -> W:
        if self.shown is None:
            self.shown = self._create()
        self.shown.show()
        self.shown.raise_()
        self.shown.activateWindow()
        self._opened(self.shown)
        return self.shown

    def _create(self) -> W:
        """The window, built once, with its requests connected."""
        raise NotImplementedError

    def _opened(self, shown: W) -> None:
        """What the window asks for each time it is opened."""

    def _on_lab_changed(self, *_args: object) -> None:
        if self.shown is not None and self.shown.isVisible():
            self._follow_lab()

    def _follow_lab(self) -> None:
        """Redraw the open window for the lab that is open now."""

    # Weights: the running session's, else the lab's -----------------------------------------------------------

    def _new_request(self) -> int:
        """A new request, which overtakes every one before it."""
        self._request += 1
        return self._request

    def _run_on(self, token: int, lab: Lab, wanted: object = None) -> None:
        """Run request ``token`` (asking for ``wanted``) with the running session's weights when one trains (they
        come back to :meth:`_on_state`), else with ``lab``'s starting weights, on a copy the job may keep."""
        session = self.controller.session
        if session.active:
            self._wanted[token] = wanted
            try:
                session.take_state(lambda state, t=token: self._state_ready.emit(t, state))
                return
            except Exception:  # the run ended between the check and the command: the lab's weights, then
                self._wanted.pop(token, None)
        self._with_weights(token, Lab.from_dict(lab.to_dict()), None, wanted)

    @Slot(int, object)
    def _on_state(self, token: int, state: Any) -> None:
        wanted = self._wanted.pop(token, None)
        if token == self._request and self.shown is not None:
            self._with_weights(token, state.lab, state.checkpoint, wanted)
        else:
            self._overtaken()

    def _with_weights(self, token: int, lab: Lab, checkpoint: dict[str, Any] | None, wanted: object) -> None:
        """Start the work of request ``token`` on ``lab`` with ``checkpoint``'s weights (None: its starting ones)."""
        raise NotImplementedError

    def _overtaken(self) -> None:
        """The session's weights came for a request a newer one has overtaken."""

    # Jobs: a thread per request ----------------------------------------------------------------------------------

    def _start(self, token: int, job: Callable[[], object]) -> None:
        def run() -> None:
            try:
                result = job()
            except Exception as e:  # an EngineError (the lab cannot be shown so) or any failure, as a message
                result = error_text(e)
            self._done.emit(token, result)

        self._jobs = [j for j in self._jobs if j.is_alive()]
        thread = threading.Thread(target=run, name=self.job_name, daemon=True)
        self._jobs.append(thread)
        thread.start()

    @Slot(int, object)
    def _on_done(self, token: int, result: object) -> None:
        self._job_finished()
        if token != self._request or self.shown is None:
            return  # an older request, overtaken by a newer one
        if isinstance(result, str):
            self._show_error(result)
        else:
            self._show_result(result)

    def _job_finished(self) -> None:
        """Called for every answer, an overtaken one too, before it is shown or dropped."""

    def _show_result(self, result: object) -> None:
        raise NotImplementedError

    def _show_error(self, text: str) -> None:
        raise NotImplementedError

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the running jobs end (for tests and scripts; the window never calls it)."""
        for job in list(self._jobs):
            job.join(timeout)
        return not any(j.is_alive() for j in self._jobs)
