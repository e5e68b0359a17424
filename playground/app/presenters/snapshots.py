"""Which probes the open views need, and each snapshot fanned out to the views on screen, the metrics line and the
drawing pad. A mixin of TrainingPresenter (see presenters/training.py)."""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from playground.engine.commands import SetProbes
from playground.engine.probes import ACTIVATION_KINDS

from .neuron_network import network_outline
from .playback import status_metrics

if TYPE_CHECKING:
    from .training_parts import TrainingParts
else:
    TrainingParts = object  # the declarations are for the type checker; at run time a mixin is a plain class


class SnapshotMixin(TrainingParts):
    """Probes asked of the engine, snapshots handed to the views."""

    def _on_dock_shown(self, key: str, visible: bool) -> None:
        self._tab_bar_timer.start()
        if key == "samples" and visible:
            QTimer.singleShot(0, self._refresh_samples)  # once the dock's tab is really in front
        if visible and self._last_snapshot is not None and key in self.views:
            self.views[key].show_snapshot(self._last_snapshot)
        self._probe_timer.start()

    def _send_probes(self) -> None:
        if self.session.active:
            self.send(SetProbes(self.open_probes()))

    def on_snapshot(self, snap: Any) -> None:
        self._last_snapshot = snap
        if snap.epoch > 0 or snap.step > 0:
            # A run with a past (a reopened project, a restored one) shows its curves and views at once, as Play does.
            self._show_training_views()
        self.toolbar.show_snapshot(snap)
        self._playing = snap.state == "running"
        for key, view in self.views.items():
            if self._shown(key):
                try:
                    view.show_snapshot(snap)
                except Exception as e:  # one view's bug must not stop the others or the run
                    if key not in self._broken_views:
                        self._broken_views.add(key)
                        traceback.print_exc()
                        view.show_empty(f"This view could not draw the run ({type(e).__name__}: {e}).")
        self.metrics_label.setText(status_metrics(snap))
        if snap.state == "diverged":
            self.message_banner.show_text(snap.message)
        elif snap.state in ("finished", "paused") and snap.message and snap.message.startswith(("The ", "Applied",
                                                                                                  "Early")):
            self.window.show_message(snap.message)

    def _sync_layers(self) -> None:
        lab = self.lab
        if "neuron_network" in self.views:
            self.views["neuron_network"].set_outline(network_outline(lab))
        if lab is None or not lab.networks:
            return
        graph = lab.networks[0].graph
        order = graph.topological_order()
        layers = [n for n in order if graph.node(n).kind in ACTIVATION_KINDS]
        self.views["hidden"].set_layers(layers)
