"""Play, pause, step and reset; the session's start; edits of the network while training (apply or start over);
refusals and failures shown in the message banner. A mixin of TrainingPresenter (see presenters/training.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QToolBar

from playground.app.presenters.lab_settings import LabSettingsCommand
from playground.engine.commands import Pause, Recompile, Reset, Resume, Step
from playground.engine.errors import EngineError
from playground.graph import GraphError, Lab, LabFormatError
from playground.snapshots import metric_phrases
from playground.ui.training_toolbar import TrainToolbar

# What the status bar's training hint says, from a lab's opening to a run that ended by itself.
READY_HINT = "Press Space (or ▶ Play) to train"
PREPARING_HINT = "Preparing the data and the first step…"
PAUSED_HINT = "Paused: Space goes on training"
GAN_PHRASES = (("train_d_loss", "D loss", ".3f"), ("train_g_loss", "G loss", ".3f"), ("train_d_real", "D(real)", ".2f"),
               ("train_d_fake", "D(fake)", ".2f"))


def status_metrics(snap: Any) -> str:
    """The latest metrics for the status bar. A GAN has no test loss to speak of (its 'loss' is D's plus G's, on
    other noise): it shows its two players' losses and D's verdicts instead."""
    if getattr(snap, "task", "") == "gan":
        metrics = snap.metrics
        return "  ·  ".join(f"{label} {format(metrics[key], fmt)}" for key, label, fmt in GAN_PHRASES
                            if key in metrics and metrics[key] == metrics[key])
    return "  ·  ".join(metric_phrases(snap.metrics))


def stop_hint(snap: Any) -> str:
    """Why a run ended by itself, and how to go on."""
    why = snap.message or f"Finished {snap.epoch} epochs."
    # Short enough for the status bar at 1366 px beside the metrics; the tooltip is the same text.
    if why.startswith("Early stopping"):
        return f"{why} Press Space to train on anyway, or Reset."
    return f"{why} Press Space to train as many again."

if TYPE_CHECKING:
    from .training_parts import TrainingParts
else:
    TrainingParts = object  # the declarations are for the type checker; at run time a mixin is a plain class


class PlaybackMixin(TrainingParts):
    """The train toolbar and the Train menu's requests, turned into commands for the one TrainingSession."""

    def _add_train_toolbar(self) -> None:
        window = self.window
        self.toolbar = TrainToolbar(window)
        window.addToolBarBreak()
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        main_toolbar = window.findChild(QToolBar, "mainToolbar")
        if main_toolbar is not None:  # the train toolbar shows these, with icons
            for action in (window.play_action, window.step_action, window.reset_action):
                main_toolbar.removeAction(action)
        window.set_training_available(True)
        # A hint that is never a placeholder panel: what to press now, what the run is doing, why it stopped.
        self.train_hint = QLabel(READY_HINT)
        self.train_hint.setObjectName("trainingHint")
        self.train_hint.setStyleSheet("font-weight: bold; color: #1f3a5f;")
        window.statusBar().addPermanentWidget(self.train_hint)
        self.document.lab_replaced.connect(lambda _lab: self.show_hint(READY_HINT))
        self.session.snapshot.connect(self._hint_for_snapshot)
        self.session.failed.connect(lambda _message: self.show_hint(""))

    def show_hint(self, text: str) -> None:
        self.train_hint.setText(text)
        self.train_hint.setToolTip(text)

    def _hint_for_snapshot(self, snap: Any) -> None:
        state = getattr(snap, "state", "")
        if state == "running":
            self.show_hint("")
        elif state == "paused":
            self.show_hint(PAUSED_HINT)
        elif state == "finished":
            self.show_hint(stop_hint(snap))
        elif state == "diverged":
            self.show_hint("The run diverged: lower the learning rate, then Reset")

    def ensure_session(self, run: bool) -> bool:
        """Start a trainer for the current lab unless one is running for it; False if the lab cannot train."""
        lab = self.lab
        if lab is None:
            return False
        if self.session.active:
            return True
        try:
            lab.check()
        except GraphError as e:
            self.refuse(f"The network cannot train yet: {e}")
            return False
        self.message_banner.hide()
        self.show_hint(PREPARING_HINT)
        self.session.start(Lab.from_dict(lab.to_dict()), probes=self.open_probes(), run=run)
        self._stale = False
        return True

    def set_playing(self, playing: bool) -> None:
        if playing:
            if self._stale and self.session.active:
                self.apply_edit()
                return
            if self.session.active:
                self.send(Resume())
            elif not self.ensure_session(run=True):
                return
            self.message_banner.hide()
            self._playing = True
            self._show_training_views()
        else:
            if self.session.active:
                self.send(Pause())
            self._playing = False
        self.toolbar.set_playing(self._playing)

    def step(self, epoch: bool) -> None:
        if self._stale and self.session.active:
            self.apply_edit(resume=False)
        if not self.session.active and not self.ensure_session(run=False):
            return
        self._playing = False
        self.toolbar.set_playing(False)
        self.send(Step(epoch=epoch))

    def reset(self, new_seed: bool) -> None:
        if not self.session.active:
            self.toolbar.show_counters(0, 0)
            return
        if self._stale:
            self.restart()
            return
        self._playing = False
        self.toolbar.set_playing(False)
        self.send(Pause())
        self.send(Reset(new_seed=new_seed))

    def _send_if_active(self, command: Any) -> None:
        if self.session.active:
            self.send(command)

    @property
    def playing(self) -> bool:
        """Whether the run trains now (not paused, stepping or stopped)."""
        return self._playing

    def send(self, command: Any) -> bool:
        """Hand ``command`` to the running trainer; False (and the reason, shown) if it refuses."""
        try:
            self.session.send(command)
            return True
        except (GraphError, EngineError, LabFormatError) as e:
            self.refuse(str(e))
            return False

    def refuse(self, text: str) -> None:
        self.message_banner.show_text(text)
        self.window.show_message(text, True)

    # Graph edits while training -------------------------------------------------------------------------------

    def _on_edit(self, index: int) -> None:
        self._sync_layers()
        if self._settings_only(index) and not self._stale:
            return  # a settings change (done, undone or redone) was already applied live

        if not self.session.active:
            return
        self._stale = True
        if self._playing:
            self.send(Pause())
            self._playing = False
            self.toolbar.set_playing(False)
        self.apply_banner.show()

    def _settings_only(self, index: int) -> bool:
        """Whether the command just done, undone or redone (the stack moved to ``index``) changed only settings."""
        stack = self.document.undo_stack
        previous, self._edit_index = self._edit_index, index
        command = stack.command(index if index < previous else index - 1)
        if command is None:
            return False
        children = [command.child(i) for i in range(command.childCount())] or [command]
        return all(isinstance(c, LabSettingsCommand) for c in children)

    def apply_edit(self, resume: bool = True) -> None:
        lab = self.lab
        if lab is None:
            return
        try:
            lab.check()
        except GraphError as e:
            self.refuse(f"Fix the network first: {e}")
            return
        if not self.send(Recompile(Lab.from_dict(lab.to_dict()), device=lab.training.device)):
            return
        self._stale = False
        self.apply_banner.hide()
        if resume:
            self.send(Resume())
            self._playing = True
            self.toolbar.set_playing(True)

    def restart(self) -> None:
        self.apply_banner.hide()
        self.session.stop()
        self._stale = False
        self._playing = False
        self.set_playing(True)

    def _say_where_training_runs_once(self, device: str) -> None:
        """The first training on a machine says where it runs (the toolbar keeps showing it afterwards)."""
        settings = self.window.settings
        if not device or settings.value("device_announced", False, type=bool):
            return
        settings.setValue("device_announced", True)
        if device == "CPU":
            text = "Training runs on the CPU: no CUDA or Apple GPU found (fine for every built-in lab)."
        else:
            text = f"Training runs on {device} (the Device menu can move it to the CPU)."
        self.window.show_message(text)

    def on_failed(self, message: str) -> None:
        self._playing = False
        self.toolbar.set_playing(False)
        self.refuse(message)
