"""Divergence guards and early stopping of a Trainer (a mixin): restore points, the explosion threshold, and
going back to the last good weights when the loss blows up."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from .checkpointing import _flat

if TYPE_CHECKING:
    from .trainer_parts import TrainerParts
else:
    TrainerParts = object  # the declarations are for the type checker; at run time a mixin is a plain class


class Guards(TrainerParts):
    """The Trainer's watch over its loss; it uses the Trainer's attributes (task, history, probes...)."""

    def _reset_early_stopping(self) -> None:
        self._best_loss = float("inf")
        self._since_best = 0
        self._best_epoch = 0
        self._best_state: dict[str, Any] | None = None

    def _measure_start_loss(self) -> None:
        start = self.task.evaluate(self.x_train, self.y_train)["loss"]
        self._start_loss = start if np.isfinite(start) else float("inf")

    @property
    def _explode_above(self) -> float:
        """A finite loss this high means the run has blown up: ten times the untrained network's loss (for
        cross-entropy, the true class then gets about 0.1% probability on average). Saturating units or Adam's
        bounded steps can keep an exploded run finite forever, so waiting for NaN is not enough; a healthy run's
        spikes stay far below this."""
        return max(10.0 * self._start_loss, 1e-6) if self.task.explodes else float("inf")

    def _running_loss(self) -> float:
        """Mean loss of this epoch's batches so far (one device sync)."""
        return float(_flat(self._losses).mean()) if self._losses else 0.0

    def _check_running_loss(self) -> None:
        """At a snapshot mid-epoch: a divergence check, and a new restore point if all is well."""
        running = self._running_loss()
        if self._batches and (not np.isfinite(running) or running > self._explode_above):
            self._diverge(exploded=bool(np.isfinite(running)), loss=running)
        elif time.perf_counter() - self._good_time > 1.0:
            # A restore point at most once a second: cloning weights and optimizer state is not free.
            self._save_good()

    def _save_good(self) -> None:
        self._good_state = self._capture_state()
        self._good_step = (self.epoch, self.step)
        self._good_rows = len(self.history)
        self._good_time = time.perf_counter()

    def _diverge(self, exploded: bool = False, loss: float = float("nan")) -> None:
        epoch, step = self._good_step
        self._restore_state(self._good_state)
        lost = self.step - step
        # Go back in time as a whole: weights, optimizer, counters and curves all to the restore point.
        self.epoch, self.step = epoch, step
        self.history.truncate(self._good_rows)
        self._probes.truncate_gradients(step)
        self._reset_accumulators()
        self._perm = None  # start a fresh epoch after the restore
        self._state = "diverged"
        self._pending_batches, self._pending_epoch = 0, False
        what = (f"exploded to {loss:.3g} (it started at {self._start_loss:.3g})" if exploded
                else "became NaN or infinite")
        self._message = (
            f"Training diverged: the loss {what}"
            f" with learning rate {self.learning_rate:g}. "
            f"The weights were restored to the last good ones (epoch {epoch}, step {step}; {lost} steps "
            f"undone). Lower the learning rate, then press Play.")
