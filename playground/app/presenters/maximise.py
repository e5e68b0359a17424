"""Learning > What a unit responds to…: the activation-maximisation window, fed from the open lab's network.

The optimisation is torch work, so it runs on a thread of its own and comes back by queued signals (its progress
too); the GUI thread never runs torch. Stop sets a flag the optimisation reads between two steps. While a session
trains, the weights come through its command door (``take_state``: the worker answers between two steps with
copies); otherwise the lab's starting weights are used, and the window says so.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from playground.graph import Lab
from playground.ui.views.unit_views import ActivationMaximisationView

TARGET_KINDS = ("Conv2d", "Dense")
NOT_IMAGES = ("Activation maximisation needs a network of images (the digits, a downloaded set or a folder of "
              "images): it optimises an input image.")


def lab_targets(lab: Lab | None) -> tuple[int, list[tuple[str, str, int]]]:
    """What the target chooser offers for a lab, read from its graph (no torch): the output's class count (0 when
    the lab is no classifier) and each Conv2d or Dense layer with its channels or units. Nothing when its input is
    no image."""
    if lab is None or not lab.networks:
        return 0, []
    nodes = list(lab.networks[0].graph.nodes.values())
    if not any(n.kind == "Input" and n.params.get("kind") == "image" for n in nodes):
        return 0, []
    layers = [(n.name, n.kind, int(n.params.get("filters" if n.kind == "Conv2d" else "units", 0)))
              for n in nodes if n.kind in TARGET_KINDS]
    dense = [count for _name, kind, count in layers if kind == "Dense"]
    classes = dense[-1] if lab.task == "classification" and dense else 0
    return classes, layers


class DataRange:
    """The value range and mean grey of a lab's images and its class names, loaded once per data set (on the job
    thread, since a data set may take a moment to load)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, tuple[tuple[float, float], float, tuple[str, ...]]] = {}

    def of(self, lab: Lab) -> tuple[tuple[float, float], float, tuple[str, ...]]:
        from playground.engine.datasets import load_dataset
        from playground.engine.insight.maximise import image_bounds

        key = json.dumps([lab.dataset.to_dict(), lab.seed], sort_keys=True, default=str)
        with self._lock:
            if key not in self._known:
                data = load_dataset(lab.dataset, lab.seed)
                bounds, grey = image_bounds(data.x_test if len(data.x_test) else data.x_train)
                self._known[key] = (bounds, grey, tuple(data.class_names))
            return self._known[key]


class MaximisePresenter(QObject):
    """Opens the activation-maximisation window from the main window's menu and runs what it asks for."""

    _done = Signal(int, object)  # (request, ActivationMaximisation or error text)
    _progress = Signal(int, int, int)  # (request, steps done, steps)
    _state_ready = Signal(int, object)  # (request, TrainedState) from the training thread

    def __init__(self, window: Any, document: Any, controller: Any) -> None:
        super().__init__(window)
        self.main_window = window
        self.document = document
        self.controller = controller
        self.view: ActivationMaximisationView | None = None
        self.data = DataRange()
        self._request = 0
        self._cancel = threading.Event()
        self._wanted: dict[int, dict[str, Any]] = {}
        self._jobs: list[threading.Thread] = []
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._state_ready.connect(self._on_state, Qt.ConnectionType.QueuedConnection)
        window.maximise_action.triggered.connect(self.open)
        document.lab_replaced.connect(self._on_lab_changed)
        document.graph_edited.connect(self._on_lab_changed)

    @Slot()
    def open(self) -> ActivationMaximisationView:
        if self.view is None:
            self.view = ActivationMaximisationView(self.main_window)
            self.view.setWindowFlag(Qt.WindowType.Window)
            self.view.setWindowTitle("What a unit responds to")
            self.view.resize(960, 640)
            self.view.run_requested.connect(self.run)
            self.view.cancel_requested.connect(self.cancel)
        self._show_targets()
        self.view.show()
        self.view.raise_()
        self.view.activateWindow()
        if self.view.record is None and self.view.target.count():
            self.view.request_run()  # the class grid of the open network, at once
        return self.view

    def _on_lab_changed(self, *_args: object) -> None:
        if self.view is not None:
            self._show_targets()

    def _show_targets(self) -> None:
        assert self.view is not None
        classes, layers = lab_targets(self.document.lab)
        self.view.set_targets(classes, layers)
        if not classes and not layers:
            self.view.show_error(NOT_IMAGES)

    @Slot(dict)
    def run(self, settings: dict[str, Any]) -> None:
        """Optimise the images ``settings`` asks for (ActivationMaximisationView.settings), cancelling the run
        before it, with the running session's weights if one trains."""
        self.cancel()
        self._cancel = threading.Event()
        self._request += 1
        token = self._request
        lab = self.document.lab
        if lab is None:
            self._on_done(token, "Open a lab first")
            return
        session = self.controller.session
        if session.active:
            self._wanted[token] = settings
            try:
                session.take_state(lambda state, t=token: self._state_ready.emit(t, state))
                return
            except Exception:  # the run ended between the check and the command: use the lab
                self._wanted.pop(token, None)
        copy = Lab.from_dict(lab.to_dict())
        self._start(token, self._job(copy, None, settings))

    @Slot()
    def cancel(self) -> None:
        self._cancel.set()

    @Slot(int, object)
    def _on_state(self, token: int, state: Any) -> None:
        settings = self._wanted.pop(token, None)
        if settings is not None and token == self._request:
            self._start(token, self._job(state.lab, state.checkpoint, settings))

    def _job(self, lab: Lab, checkpoint: Any, settings: dict[str, Any]) -> Callable[[], object]:
        cancel = self._cancel
        token = self._request

        def work() -> object:
            from playground.engine.insight.maximise import MaximiseSettings, maximise, trained_network

            network = trained_network(lab, checkpoint)
            bounds, grey, names = self.data.of(lab)
            options = {k: settings[k] for k in ("steps", "learning_rate", "jitter", "blur_every", "l2", "start",
                                                     "spatial")
                       if k in settings}
            return maximise(network, str(settings.get("layer", "")), settings=MaximiseSettings(**options),
                            bounds=bounds, grey=grey, class_names=names, cancel=cancel.is_set,
                            progress=lambda done, steps: self._progress.emit(token, done, steps))
        return work

    def _start(self, token: int, job: Callable[[], object]) -> None:
        def run() -> None:
            try:
                self._done.emit(token, job())
            except Exception as e:  # an EngineError (no image network...) or any failure, as a message
                self._done.emit(token, getattr(e, "message", None) or str(e) or type(e).__name__)

        self._jobs = [j for j in self._jobs if j.is_alive()]
        thread = threading.Thread(target=run, name="activation-maximisation", daemon=True)
        self._jobs.append(thread)
        thread.start()

    @Slot(int, int, int)
    def _on_progress(self, token: int, done: int, steps: int) -> None:
        if token == self._request and self.view is not None:
            self.view.set_progress(done, steps)

    @Slot(int, object)
    def _on_done(self, token: int, result: object) -> None:
        if token != self._request or self.view is None:
            return  # an older run, overtaken by a newer one
        if isinstance(result, str):
            self.view.show_error(result)
        else:
            self.view.show_result(result)  # type: ignore[arg-type]  # the job returns a record or a message

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the running optimisations end (for tests and scripts; the window never calls it)."""
        for job in list(self._jobs):
            job.join(timeout)
        return not any(j.is_alive() for j in self._jobs)
