"""Learning > What a unit responds to…: the activation-maximisation window, fed from the open lab's network.

The optimisation is torch work, so it runs as a job of the Learning windows (``insight_window``): off the GUI
thread, with the running session's weights when one trains, otherwise the lab's starting weights (and the window says
so). Its progress comes back by a queued signal too; Stop sets a flag the optimisation reads between two steps.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, cast

from PySide6.QtCore import Qt, Signal, Slot

from playground.graph import Lab
from playground.snapshots.unit_response import ActivationMaximisation
from playground.ui.views.unit_views import ActivationMaximisationView

from .insight_window import InsightWindowPresenter

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


class MaximisePresenter(InsightWindowPresenter[ActivationMaximisationView]):
    """Opens the activation-maximisation window from the main window's menu and runs what it asks for."""

    _progress = Signal(int, int, int)  # (request, steps done, steps)

    action = "maximise_action"
    job_name = "activation-maximisation"
    follows_edits = True

    def __init__(self, window: Any, document: Any, controller: Any) -> None:
        super().__init__(window, document, controller)
        self.data = DataRange()
        self._cancel = threading.Event()
        self._progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)

    @property
    def view(self) -> ActivationMaximisationView | None:
        return self.shown

    def _create(self) -> ActivationMaximisationView:
        view = ActivationMaximisationView(self.main_window)
        view.setWindowFlag(Qt.WindowType.Window)
        view.setWindowTitle("What a unit responds to")
        view.resize(960, 640)
        view.run_requested.connect(self.run)
        view.cancel_requested.connect(self.cancel)
        return view

    def _opened(self, shown: ActivationMaximisationView) -> None:
        self._show_targets()
        if shown.record is None and shown.target.count():
            shown.request_run()  # the class grid of the open network, at once

    def _on_lab_changed(self, *_args: object) -> None:
        if self.shown is not None:  # the chooser follows the lab even while the window is hidden
            self._show_targets()

    def _show_targets(self) -> None:
        assert self.shown is not None
        classes, layers = lab_targets(self.document.lab)
        self.shown.set_targets(classes, layers)
        if not classes and not layers:
            self.shown.show_error(NOT_IMAGES)

    @Slot(dict)
    def run(self, settings: dict[str, Any]) -> None:
        """Optimise the images ``settings`` asks for (ActivationMaximisationView.settings), cancelling the run
        before it, with the running session's weights if one trains."""
        self.cancel()
        self._cancel = threading.Event()
        token = self._new_request()
        lab = self.document.lab
        if lab is None:
            self._on_done(token, "Open a lab first")
            return
        self._run_on(token, lab, settings)

    @Slot()
    def cancel(self) -> None:
        self._cancel.set()

    def _with_weights(self, token: int, lab: Lab, checkpoint: dict[str, Any] | None, wanted: object) -> None:
        self._start(token, self._job(lab, checkpoint, cast(dict[str, Any], wanted)))

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

    @Slot(int, int, int)
    def _on_progress(self, token: int, done: int, steps: int) -> None:
        if token == self._request and self.view is not None:
            self.view.set_progress(done, steps)

    def _show_result(self, result: object) -> None:
        assert self.shown is not None
        self.shown.show_result(cast(ActivationMaximisation, result))

    def _show_error(self, text: str) -> None:
        assert self.shown is not None
        self.shown.show_error(text)
