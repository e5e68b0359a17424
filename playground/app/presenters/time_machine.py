"""The time machine and the health badges: the slider under the train toolbar scrubs back through the run, and the
canvas nodes carry live badges of the network's health.

A past moment is torch work on the trainer's own thread: the slider sends a command with a reply (``ShowMoment``)
and the worker answers between two steps with a Snapshot computed from that moment's saved weights, which goes to
every view as a live one does. Looking back pauses the run; Play goes on from now, "Continue from here" branches
from the moment shown (``ContinueFrom``: a restore of that moment, so what follows draws the same random numbers).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QToolBar

from playground.engine.commands import ContinueFrom, ShowMoment, WatchHealth
from playground.snapshots.health import NetworkHealth, Timeline
from playground.ui.health_badges import badge_for
from playground.ui.time_machine_bar import TimeMachineBar


class TimeMachinePresenter(QObject):
    """Joins the time machine's bar and the canvas badges to the training presenter's session."""

    _moment_ready = Signal(object)  # a past Snapshot, or the text saying why there is none (worker thread)

    def __init__(self, window: Any, document: Any, training: Any) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.training = training
        self.bar = TimeMachineBar()
        self.toolbar = QToolBar("Time machine", window)
        self.toolbar.setObjectName("timeMachineToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.addWidget(self.bar)
        window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.moment: Any = None  # the past Snapshot on screen, None while the views show now
        self._live: Any = None  # the newest snapshot of the run itself
        self._asked: int | None = None  # the step of the request in flight
        self._wanted: int | None = None  # the step to ask for once it answers (the slider moved meanwhile)
        self._moment_ready.connect(self._on_moment, Qt.ConnectionType.QueuedConnection)
        session = training.session
        session.snapshot.connect(self._on_snapshot)
        session.started.connect(lambda _device: self._send(WatchHealth(True)))
        self.bar.moment_requested.connect(self.show_moment)
        self.bar.now_requested.connect(self.show_now)
        self.bar.continue_requested.connect(self.continue_from)
        document.lab_replaced.connect(self._on_lab_replaced)
        # Step and Reset act on the run as it is now, so the views go back to now with them.
        for signal in (window.step_requested, window.reset_requested, training.toolbar.step_requested,
                       training.toolbar.reset_requested):
            signal.connect(self.bar.go_now)

    # Looking back ---------------------------------------------------------------------------------------------

    @Slot(int)
    def show_moment(self, step: int) -> None:
        if not self.training.session.active:
            return
        if self.training.playing:
            self.training.set_playing(False)  # the views show the past: the run waits
        if self._asked is not None:
            self._wanted = step  # one request at a time; a dragged slider asks for where it ends
            return
        self._asked = step
        if not self._send(ShowMoment(step, self._moment_ready.emit)):
            self._asked = None

    @Slot(object)
    def _on_moment(self, answer: Any) -> None:
        asked, self._asked = self._asked, None
        wanted, self._wanted = self._wanted, None
        if wanted is not None and wanted != asked:
            self.show_moment(wanted)
            return
        if self.bar.at_now:
            return  # back to now before the answer came
        if isinstance(answer, str):
            self.window.show_message(answer)
            return
        self.moment = answer
        self._show(answer)

    @Slot()
    def show_now(self) -> None:
        self.moment = None
        self._wanted = None
        if self._live is not None:
            self._show(self._live)

    @Slot(int)
    def continue_from(self, step: int) -> None:
        if not self.training.session.active:
            return
        if self._send(ContinueFrom(step)):
            self.moment = None
            self.bar.go_now()
            self.window.show_message(f"Continued from step {step:,}: the run goes on from that moment with the same "
                                     "random numbers; the later moments of the old run are gone.")
            self.training.set_playing(True)

    # The run ----------------------------------------------------------------------------------------------------

    def _on_snapshot(self, snap: Any) -> None:
        timeline = snap.probes.get(Timeline)
        if timeline is not None and timeline.showing >= 0:
            return  # a past moment passing through the views (they are fed from here too)
        self._live = snap
        if timeline is not None:
            self.bar.set_timeline(timeline.steps, timeline.epochs)
        if self.moment is not None:
            if snap.state == "running":  # Play: the run goes on from now
                self.moment = None
                self.bar.go_now()
            else:
                self._show(self.moment)  # a paused run's snapshot must not cover the moment being looked at
                return
        self._show_health(snap.probes.get(NetworkHealth))

    def _show(self, snap: Any) -> None:
        self.training.on_snapshot(snap)
        self._show_health(snap.probes.get(NetworkHealth))

    def _show_health(self, health: NetworkHealth | None) -> None:
        lab = self.document.lab
        canvas = self.window.canvas
        shown = lab is not None and lab.networks and canvas.graph is lab.networks[0].graph
        layers = health.layers if health is not None and shown else {}
        for name, item in canvas.arch_scene.node_items.items():
            item.set_health(badge_for(layers.get(name)))

    def _on_lab_replaced(self, _lab: object) -> None:
        self.moment = self._live = None
        self._asked = self._wanted = None
        self.bar.clear()
        self._show_health(None)

    def _send(self, command: Any) -> bool:
        if not self.training.session.active:
            return False
        return bool(self.training.send(command))
