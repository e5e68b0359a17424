"""Learning > Embeddings…: the map of an Embedding layer's vectors, live while the network trains.

Reading the weights and the PCA run as a job of the Learning windows (``insight_window``), off the GUI thread. While
a session trains, the window takes its weights every couple of seconds, so the tokens move on the map as the network
learns; otherwise it shows the lab's starting weights, once per lab.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from PySide6.QtCore import Qt, QTimer, Slot

from playground.graph import Lab
from playground.snapshots.unit_response import Embeddings
from playground.ui.views.unit_views import NO_EMBEDDING, EmbeddingView

from .insight_window import InsightWindowPresenter
from .maximise import DataRange

REFRESH_MS = 2000


class EmbeddingPresenter(InsightWindowPresenter[EmbeddingView]):
    """Opens the embedding window from the main window's menu and keeps it up to date."""

    action = "embedding_action"
    job_name = "embedding-map"
    follows_edits = True

    def __init__(self, window: Any, document: Any, controller: Any) -> None:
        super().__init__(window, document, controller)
        self.data = DataRange()
        self._busy = False
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)

    @property
    def view(self) -> EmbeddingView | None:
        return self.shown

    def _create(self) -> EmbeddingView:
        view = EmbeddingView(self.main_window)
        view.setWindowFlag(Qt.WindowType.Window)
        view.setWindowTitle("Embeddings")
        view.resize(900, 620)
        return view

    def _opened(self, shown: EmbeddingView) -> None:
        self.timer.start()
        self.refresh()

    def _follow_lab(self) -> None:
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
            self._new_request()
            self.view.show_message(NO_EMBEDDING, error=True)
            return
        token = self._new_request()
        self._busy = True
        self._run_on(token, lab)

    def _with_weights(self, token: int, lab: Lab, checkpoint: dict[str, Any] | None, wanted: object) -> None:
        self._start(token, self._job(lab, checkpoint))

    def _overtaken(self) -> None:
        self._busy = False

    def _job(self, lab: Lab, checkpoint: Any) -> Callable[[], object]:
        def work() -> object:
            from playground.engine.insight.embeddings import lab_embeddings

            _bounds, _grey, tokens = self.data.of(lab)
            return lab_embeddings(lab, checkpoint, tokens=tokens)
        return work

    def _job_finished(self) -> None:
        self._busy = False

    def _show_result(self, result: object) -> None:
        assert self.shown is not None
        self.shown.show_embeddings(cast(Embeddings, result))

    def _show_error(self, text: str) -> None:
        assert self.shown is not None
        self.shown.show_message(text, error=True)
