"""Learning > Embeddings…: the map of an Embedding layer's vectors, live while the network trains.

Reading the weights and the PCA run on a thread of their own and come back by a queued signal; the GUI thread never
runs torch. While a session trains, the window takes its weights through the session's command door
(``take_state``) every couple of seconds, so the tokens move on the map as the network learns; otherwise it shows
the lab's starting weights, once per lab.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from playground.graph import Lab
from playground.ui.views.unit_views import NO_EMBEDDING, EmbeddingView

from .maximise import DataRange

REFRESH_MS = 2000


class EmbeddingPresenter(QObject):
    """Opens the embedding window from the main window's menu and keeps it up to date."""

    _done = Signal(int, object)  # (request, Embeddings or error text)
    _state_ready = Signal(int, object)  # (request, TrainedState) from the training thread

    def __init__(self, window: Any, document: Any, controller: Any) -> None:
        super().__init__(window)
        self.main_window = window
        self.document = document
        self.controller = controller
        self.view: EmbeddingView | None = None
        self.data = DataRange()
        self._request = 0
        self._busy = False
        self._jobs: list[threading.Thread] = []
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._state_ready.connect(self._on_state, Qt.ConnectionType.QueuedConnection)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        window.embedding_action.triggered.connect(self.open)
        document.lab_replaced.connect(self._on_lab_changed)
        document.graph_edited.connect(self._on_lab_changed)

    @Slot()
    def open(self) -> EmbeddingView:
        if self.view is None:
            self.view = EmbeddingView(self.main_window)
            self.view.setWindowFlag(Qt.WindowType.Window)
            self.view.setWindowTitle("Embeddings")
            self.view.resize(900, 620)
        self.view.show()
        self.view.raise_()
        self.view.activateWindow()
        self.timer.start()
        self.refresh()
        return self.view

    def _on_lab_changed(self, *_args: object) -> None:
        if self.view is not None and self.view.isVisible():
            self.refresh()

    @Slot()
    def _tick(self) -> None:
        if self.view is None or not self.view.isVisible():
            self.timer.stop()
        elif self.controller.session.active and not self._busy:
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Map the open lab's embedding, with the running session's weights when one trains."""
        lab = self.document.lab
        if self.view is None or lab is None:
            return
        if not any(n.kind == "Embedding" for net in lab.networks[:1] for n in net.graph.nodes.values()):
            self._request += 1
            self.view.show_message(NO_EMBEDDING, error=True)
            return
        self._request += 1
        token = self._request
        self._busy = True
        session = self.controller.session
        if session.active:
            try:
                session.take_state(lambda state, t=token: self._state_ready.emit(t, state))
                return
            except Exception:  # the run ended between the check and the command: use the lab
                pass
        copy = Lab.from_dict(lab.to_dict())
        self._start(token, self._job(copy, None))

    @Slot(int, object)
    def _on_state(self, token: int, state: Any) -> None:
        if token == self._request:
            self._start(token, self._job(state.lab, state.checkpoint))
        else:
            self._busy = False

    def _job(self, lab: Lab, checkpoint: Any) -> Callable[[], object]:
        def work() -> object:
            from playground.engine.insight.embeddings import lab_embeddings

            _bounds, _grey, tokens = self.data.of(lab)
            return lab_embeddings(lab, checkpoint, tokens=tokens)
        return work

    def _start(self, token: int, job: Callable[[], object]) -> None:
        def run() -> None:
            try:
                self._done.emit(token, job())
            except Exception as e:  # an EngineError (no embedding...) or any failure, as a message
                self._done.emit(token, getattr(e, "message", None) or str(e) or type(e).__name__)

        self._jobs = [j for j in self._jobs if j.is_alive()]
        thread = threading.Thread(target=run, name="embedding-map", daemon=True)
        self._jobs.append(thread)
        thread.start()

    @Slot(int, object)
    def _on_done(self, token: int, result: object) -> None:
        self._busy = False
        if token != self._request or self.view is None:
            return
        if isinstance(result, str):
            self.view.show_message(result, error=True)
        else:
            self.view.show_embeddings(result)  # type: ignore[arg-type]  # the job returns a record or a message

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the running jobs end (for tests and scripts; the window never calls it)."""
        for job in list(self._jobs):
            job.join(timeout)
        return not any(j.is_alive() for j in self._jobs)
