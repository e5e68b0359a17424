"""The probe scheduler of a Trainer (a mixin): which of the open views' probes a snapshot computes afresh, within
a share of the training time, and which reuse their last result."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from playground.snapshots import DecisionBoundary, ProbeResults, Record

from .errors import EngineError

if TYPE_CHECKING:
    from .trainer_parts import TrainerParts
else:
    TrainerParts = object  # the declarations are for the type checker; at run time a mixin is a plain class

# While training runs, probes may take at most this share of the time: an expensive one (a confusion matrix
# over the test set, every feature map of a CNN) is then computed less often and its last result reused, instead
# of cutting training to a fifth. Cheap ones (a 2-D boundary) still come with every snapshot.
PROBE_BUDGET = 0.15


class ProbeScheduler(TrainerParts):
    """The Trainer's probes; it uses the Trainer's attributes (probes, _probes, state, seed, data_version)."""

    def _cached_probes(self) -> list[Record]:
        return [r for name in sorted(self.probes) for r in self._probe_cache.get(name, [])]

    def _live_probes(self) -> list[Record]:
        """The open views' probes, each computed only while it keeps within its share of PROBE_BUDGET (else its
        last result again). Paused, or after anything that changes what a probe shows, all are fresh."""
        names = sorted(self.probes)
        if self._state != "running" or self._probe_cache_version != self._probe_version():
            self._probe_force.update(names)
        share = PROBE_BUDGET / max(1, len(names))
        out: list[Record] = []
        for name in names:
            now = time.perf_counter()
            due = now - self._probe_times.get(name, -np.inf) >= self._probe_costs.get(name, 0.0) / share
            due = due and not self._answer_only
            if name in self._probe_force or name not in self._probe_cache or due:
                result = self._probes.compute([name])
                done = time.perf_counter()
                self._probe_costs[name] = done - now
                self._probe_times[name] = done
                self._probe_cache[name] = result
            out.extend(self._probe_cache[name])
        self._probe_force.clear()
        self._probe_cache_version = self._probe_version()
        return out

    def _probe_version(self) -> tuple[Any, ...]:
        # Whatever makes a cached probe stale: another model or data (rebuilds make new Probes objects), a step
        # back in time (divergence), a new restore.
        return (id(self._probes), self.seed, self.data_version)

    def compute_probes(self, names: Iterable[str] | None = None) -> ProbeResults:
        return ProbeResults(self._probes.compute(self.probes if names is None else names))

    def boundary(self) -> np.ndarray:
        """The model's output over the input plane: P(class 1) (or the predicted value), res×res, rows = y."""
        if not self.data.is_plane:
            raise EngineError("The decision boundary needs a 2-D dataset")
        return ProbeResults(self._probes.compute(["boundary"]))[DecisionBoundary].values

    @property
    def hidden_layers(self) -> list[str]:
        return self._probes.hidden_layers()
