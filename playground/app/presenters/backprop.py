"""Learning > Backpropagation step by step…: the window of the step-through, fed with traces of the open lab.

A trace is torch work (compiling, a forward and a backward pass, a gradient check), so it runs on a thread of its
own and comes back by a queued signal; the GUI thread never runs torch. While a session trains, the trace uses
its weights and optimizer state, read by the session's command door (``take_state``: the worker answers between
two steps with copies); otherwise the lab's starting weights (its given ones, or those of its seed).
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from playground.graph import Lab
from playground.ui.backprop_window import BackpropWindow


class BackpropPresenter(QObject):
    """Opens the backpropagation window from the main window's menu and answers its requests for traces."""

    _traced = Signal(int, object, str)  # (request, trace or error text, where its weights came from)
    _state_ready = Signal(int, object)  # (request, TrainedState) from the worker thread

    def __init__(self, window: Any, document: Any, controller: Any) -> None:
        super().__init__(window)
        self.main_window = window
        self.document = document
        self.controller = controller
        self.window: BackpropWindow | None = None
        self._request = 0
        self._jobs: list[threading.Thread] = []
        self._wanted: dict[int, tuple[int, int]] = {}
        self._traced.connect(self._on_traced, Qt.ConnectionType.QueuedConnection)
        self._state_ready.connect(self._on_state, Qt.ConnectionType.QueuedConnection)
        window.backprop_action.triggered.connect(self.open)
        replaced = getattr(document, "lab_replaced", None)
        if replaced is not None:  # another lab opened: an open step-through follows it
            replaced.connect(self._on_lab_replaced)

    @Slot()
    def open(self) -> BackpropWindow:
        if self.window is None:
            self.window = BackpropWindow(self.main_window)
            self.window.trace_requested.connect(self.request)
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
        self.window.request()
        return self.window

    def _on_lab_replaced(self, _lab: object) -> None:
        if self.window is not None and self.window.isVisible():
            self.window.request()

    @Slot(int, int)
    def request(self, first: int, batch: int) -> None:
        lab = self.document.lab
        self._request += 1
        token = self._request
        if lab is None:
            self._show_error("Open a lab first")
            return
        session = self.controller.session
        if session.active:
            self._wanted[token] = (first, batch)
            try:
                session.take_state(lambda state, t=token: self._state_ready.emit(t, state))
                return
            except Exception:  # the run ended between the check and the command: trace the lab
                self._wanted.pop(token, None)
        copy = Lab.from_dict(lab.to_dict())
        self._start(token, lambda: self._trace_lab(copy, first, batch))

    @Slot(int, object)
    def _on_state(self, token: int, state: Any) -> None:
        wanted = self._wanted.pop(token, None)
        if wanted is None or token != self._request:
            return
        first, batch = wanted
        epoch = state.checkpoint.get("meta", {}).get("epoch", 0)
        step = state.checkpoint.get("meta", {}).get("step", 0)

        def job() -> tuple[Any, str]:
            from playground.engine.insight.backprop import trace_checkpoint

            trace = trace_checkpoint(state.lab, state.checkpoint, batch_size=batch, first=first)
            return trace, f"Weights of the running session (epoch {epoch}, step {step})"

        self._start(token, job)

    @staticmethod
    def _trace_lab(lab: Lab, first: int, batch: int) -> tuple[Any, str]:
        from playground.engine.insight.backprop import given_weights, trace_step

        trace = trace_step(lab, batch_size=batch, first=first)
        given = lab.networks and given_weights(lab, lab.networks[0].name) is not None
        return trace, ("The lab's given starting weights" if given else
                       f"Starting weights of seed {lab.seed} (press Play, then trace again to see a trained step)")

    def _start(self, token: int, job: Any) -> None:
        def run() -> None:
            try:
                trace, source = job()
                self._traced.emit(token, trace, source)
            except Exception as e:  # an EngineError (not a dense chain) or any failure, as a message
                self._traced.emit(token, getattr(e, "message", None) or str(e) or type(e).__name__, "")

        self._jobs = [j for j in self._jobs if j.is_alive()]
        thread = threading.Thread(target=run, name="backprop-trace", daemon=True)
        self._jobs.append(thread)
        thread.start()

    @Slot(int, object, str)
    def _on_traced(self, token: int, result: Any, source: str) -> None:
        if token != self._request or self.window is None:
            return  # an older request, overtaken by a newer one
        if isinstance(result, str):
            self._show_error(result)
        else:
            self.window.show_trace(result, source)

    def _show_error(self, text: str) -> None:
        if self.window is not None:
            self.window.show_error(text)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the running traces end (for tests and scripts; the window never calls it)."""
        for job in list(self._jobs):
            job.join(timeout)
        return not any(j.is_alive() for j in self._jobs)
