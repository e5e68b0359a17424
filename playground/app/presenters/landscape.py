"""Learning > Loss landscape and optimizer race…: the window of landscapes and races, fed from the open lab.

A Learning window (``insight_window``): everything here that touches torch (building the lab's networks,
evaluating a grid, running a race) runs off the GUI thread, with the running session's weights when one trains,
otherwise the lab's starting weights. Unlike the other Learning windows its jobs run on one worker thread, one at a
time, and a newer request of a kind overtakes an older one still waiting. While a session trains, its weights are
read every few seconds while the window is open, and each reading is kept as a point of the run's trajectory.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRunnable, Qt, QThreadPool, QTimer, Signal, Slot

from playground.graph import Lab
from playground.ui.landscape_window import LandscapeWindow

from .insight_window import InsightWindowPresenter, error_text

# How often an open window takes the running network's weights (one point of the trajectory each time).
REFRESH_MS = 3000
# What a network's grid may cost: the grid shrinks for big networks so a refresh never lags far behind training.
GRID_BUDGET_S = 2.0
GRID_POINTS = (7, 25)
HISTORY_LIMIT = 200
NETWORK_RATES = {"learning_rate": 0.5, "adaptive_rate": 0.05}


class _Job(QRunnable):
    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__()
        self.work = work

    def run(self) -> None:
        self.work()


class NetworkState:
    """Lives on the worker thread only: the lab's loss (built once per lab) and the trajectory of weights seen."""

    def __init__(self) -> None:
        self.key = ""
        self.lab_loss: Any = None
        self.history: list[tuple[int, Any]] = []  # (step, flat weights), oldest first
        self.directions: Any = None
        self.points = GRID_POINTS[1]

    def load(self, lab: Lab, checkpoint: dict[str, Any] | None) -> int:
        """Weights of ``checkpoint`` (or the lab's starting ones) into the lab's loss; returns their step."""
        from playground.engine.insight.landscape import LabLoss, random_directions

        key = json.dumps(lab.to_dict(), sort_keys=True)
        if key != self.key or self.lab_loss is None:
            self.lab_loss = LabLoss(lab)
            self.key, self.history = key, []
            self.directions = random_directions(self.lab_loss.problem, int(lab.seed))
            seconds = max(self.lab_loss.problem.seconds_per_point(), 1e-6)
            side = int((GRID_BUDGET_S / seconds) ** 0.5)
            self.points = max(GRID_POINTS[0], min(GRID_POINTS[1], side)) | 1  # odd: the centre is a grid point
        flat = self.lab_loss.load(checkpoint)
        step = self.lab_loss.step if checkpoint is not None else 0
        if self.history and step < self.history[-1][0]:
            self.history = []  # the run was reset: a new trajectory
        if not self.history or step != self.history[-1][0]:
            self.history.append((step, flat))
        if len(self.history) > HISTORY_LIMIT:
            # Thin the older half, keep the start and the recent past: memory stays bounded as the run grows.
            self.history = self.history[:-HISTORY_LIMIT // 2:2] + self.history[-HISTORY_LIMIT // 2:]
        return step


class LandscapePresenter(InsightWindowPresenter[LandscapeWindow]):
    """Opens the landscape window from the main window's menu and answers its views' requests."""

    _computed = Signal(str, int, object, str)  # (kind, request, record or error text, status)

    action = "landscape_action"

    def __init__(self, window: Any, document: Any, controller: Any) -> None:
        super().__init__(window, document, controller)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one torch job at a time: the training thread needs the cores more
        self.network = NetworkState()
        self._latest: dict[str, int] = {"landscape": 0, "race": 0}
        self._computed.connect(self._on_computed, Qt.ConnectionType.QueuedConnection)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)

    @property
    def window(self) -> LandscapeWindow | None:
        return self.shown

    # The window ---------------------------------------------------------------------------------------------

    def _create(self) -> LandscapeWindow:
        window = LandscapeWindow(self.main_window)
        window.landscape_view.request_changed.connect(lambda _r: self.refresh())
        window.race_view.race_requested.connect(self._race_requested)
        window.refresh_requested.connect(self.refresh)
        window.closed.connect(self.timer.stop)
        return window

    def _opened(self, shown: LandscapeWindow) -> None:
        self.timer.start()
        self.refresh()
        self._race_requested(shown.race_view.settings)

    def _follow_lab(self) -> None:
        if self._wants_network():
            self.refresh()  # another network: the picture of the old one must not stay up as if it were this one's

    def _wants_network(self) -> bool:
        w = self.window
        return w is not None and (w.landscape_view.request["model"] in ("slice", "pca")
                                  or w.race_view.settings["function"] == "network")

    @Slot()
    def _tick(self) -> None:
        if self.window is None or not self.window.isVisible():
            self.timer.stop()
        elif self.controller.session.active and self._wants_network() and self.pool.activeThreadCount() == 0:
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Compute what the landscape view asks for (and a race on the network, if that is chosen), with the
        running session's weights when one trains."""
        if self.window is None:
            return
        request = self.window.landscape_view.request
        if request["model"] not in ("slice", "pca"):
            self._submit("landscape", lambda: self._exact(request))
            if self.window.race_view.settings["function"] != "network":
                return
        lab = self.document.lab
        if lab is None:
            self._show("landscape", "Open a lab first: its network's landscape is drawn here")
            return
        self._run_on(self._new_request(), lab)

    def _with_weights(self, token: int, lab: Lab, checkpoint: dict[str, Any] | None, wanted: object) -> None:
        """The jobs on the network: its landscape and its race, as the views ask for them."""
        assert self.window is not None
        request = self.window.landscape_view.request
        race = self.window.race_view.settings
        if request["model"] in ("slice", "pca"):
            self._submit("landscape", lambda: self._network_landscape(lab, checkpoint, request["model"]))
        if race["function"] == "network":
            self._submit("race", lambda: self._network_race(lab, checkpoint, race))

    @Slot(dict)
    def _race_requested(self, settings: dict[str, Any]) -> None:
        if self.window is None:
            return
        if settings.pop("new_function", False):
            from playground.engine.insight.race import default_rates

            function = settings["function"]
            rates = NETWORK_RATES if function == "network" else default_rates(function)
            self.window.race_view.set_rates(rates["learning_rate"], rates["adaptive_rate"])
            settings.update(rates)
        if settings["function"] == "network":
            self.refresh()
        else:
            self._submit("race", lambda: self._function_race(settings))

    # Jobs, on the worker thread -----------------------------------------------------------------------------

    def _submit(self, kind: str, job: Callable[[], tuple[Any, str]]) -> None:
        self._latest[kind] += 1
        token = self._latest[kind]
        if self.window is not None:
            self.window.set_status("Computing…")

        def work() -> None:
            if token != self._latest[kind]:
                return  # overtaken by a newer request before it started
            try:
                record, status = job()
                self._computed.emit(kind, token, record, status)
            except Exception as e:  # an EngineError or any torch failure, shown as a message
                self._computed.emit(kind, token, error_text(e), "")

        self.pool.start(_Job(work))

    @staticmethod
    def _exact(request: dict[str, str]) -> tuple[Any, str]:
        from playground.engine.insight import landscape

        model = request["model"]
        rate = landscape.learning_rate_presets(model)[request["rate"]]
        if landscape.EXACT_MODELS[model].parameters == 1:
            return landscape.exact_cost_curve(model, learning_rate=rate), "Exact cost of a one-weight model"
        return landscape.exact_cost_surface(model, learning_rate=rate), "Exact cost of a two-weight model"

    def _network_landscape(self, lab: Lab, checkpoint: dict[str, Any] | None, kind: str) -> tuple[Any, str]:
        import torch

        from playground.engine.insight.landscape import random_slice, trajectory_slice

        started = time.perf_counter()
        net = self.network
        step = net.load(lab, checkpoint)
        problem = net.lab_loss.problem
        if kind == "pca" and len(net.history) >= 3:
            surface = trajectory_slice(problem, torch.stack([f for _s, f in net.history]), points=net.points)
        else:
            surface = random_slice(problem, points=net.points, directions=net.directions, seed=int(lab.seed))
        seconds = time.perf_counter() - started
        source = (f"Weights of the running session (step {step})" if checkpoint is not None
                  else f"Starting weights of seed {lab.seed} (press Play to train, and watch the landscape change)")
        status = f"{source}; {net.points}×{net.points} grid on {net.lab_loss.samples} samples in {seconds:.1f} s"
        if kind == "pca" and len(net.history) >= 3:
            status += f"; the path: {len(net.history)} readings of the weights since this window opened"
        elif kind == "pca":
            status += (". The training path needs 3 readings of the weights while it trains (one every "
                       f"{REFRESH_MS // 1000} s); until then, a random slice")
        return surface, status

    def _network_race(self, lab: Lab, checkpoint: dict[str, Any] | None, race: dict[str, Any]) -> tuple[Any, str]:
        from playground.engine.insight.landscape import slice_race

        net = self.network
        step = net.load(lab, checkpoint)
        result = slice_race(net.lab_loss.problem, seed=int(lab.seed), points=net.points, directions=net.directions,
                            learning_rate=race["learning_rate"], adaptive_rate=race["adaptive_rate"],
                            momentum=race["momentum"])
        return result, f"Race on a slice through your network's weights (step {step})"

    @staticmethod
    def _function_race(settings: dict[str, Any]) -> tuple[Any, str]:
        from playground.engine.insight.race import race

        return race(settings["function"], learning_rate=settings["learning_rate"],
                    adaptive_rate=settings["adaptive_rate"], momentum=settings["momentum"]), ""

    # Back on the GUI thread ---------------------------------------------------------------------------------

    @Slot(str, int, object, str)
    def _on_computed(self, kind: str, token: int, result: Any, status: str) -> None:
        if token != self._latest[kind] or self.window is None:
            return  # an older answer, overtaken by a newer request
        if isinstance(result, str):
            self._show(kind, result)
            return
        if kind == "race":
            self.window.race_view.show_race(result)
        else:
            self.window.landscape_view.show_snapshot(result)
        if status or kind == "landscape":
            self.window.set_status(status)
        elif self.window.status.text() == "Computing…":
            self.window.set_status("")

    def _show(self, kind: str, message: str) -> None:
        if self.window is None:
            return
        view = self.window.race_view if kind == "race" else self.window.landscape_view
        view.show_empty(message)
        self.window.set_status(message)

    def wait(self, timeout: float | None = 60.0) -> bool:
        """Block until the jobs end (for tests and scripts; the window never calls it)."""
        return bool(self.pool.waitForDone(-1 if timeout is None else int(timeout * 1000)))
