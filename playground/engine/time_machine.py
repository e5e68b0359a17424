"""The time machine of a Trainer (a mixin): moments of the run (weights, optimizer, random streams, counters) kept
while it trains, in bounded memory; every view computed at a past moment; and going on from one ("Continue from
here": a restore of that moment, so what follows draws the same random numbers as the first time).

Bounded: at most ``MAX_MOMENTS`` per run. When full, every other moment goes (the first and the newest stay) and
the gap between moments doubles, so a long run keeps moments spread evenly over all of it. A moment larger than
``SPILL_BYTES`` lives in a safetensors file in a temporary folder instead of memory. Keeping moments costs at most
``TIME_BUDGET`` of the training time: a moment waits until the time since the last one is that many times its cost.

Saved with a project: :meth:`TimeTravel.checkpoint_to_save` adds the kept moments to a checkpoint (thinned the same
way until they fit in ``SAVED_MOMENT_BYTES``), and a restore of such a checkpoint puts them back, so a reopened
project's slider scrubs the run it was saved with.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from playground.snapshots import Gradients, ProbeResults, Record, Snapshot, frozen
from playground.snapshots.health import NetworkHealth, Timeline

from .commands import ContinueFrom, ShowMoment, WatchHealth
from .device import describe_device
from .errors import EngineError
from .health import network_health

if TYPE_CHECKING:
    from .trainer_parts import TrainerParts
else:
    TrainerParts = object  # the declarations are for the type checker; at run time a mixin is a plain class

MAX_MOMENTS = 200
SPILL_BYTES = 4 << 20
TIME_BUDGET = 0.02
# The health badges' probe runs with a snapshot only while it keeps within this share of the training time (else
# its last result again): the probe scheduler's budget is for the views, and the badges must not take from it.
HEALTH_BUDGET = 0.02
HISTORY_POINTS = 2000
# What a project file may spend on moments: a dense MNIST network with Adam takes about 5 MB a moment, so a long
# run keeps about a dozen of them, spread over all of it, instead of a gigabyte.
SAVED_MOMENT_BYTES = 64 << 20


@dataclass
class Moment:
    """One kept moment: a :meth:`Trainer.checkpoint` without its curves (``rows``: how many rows they had)."""

    step: int
    epoch: int
    rows: int
    meta: dict[str, Any]
    tensors: dict[str, torch.Tensor] | None = None
    path: str | None = None
    nbytes: int = 0

    def load(self) -> dict[str, torch.Tensor]:
        if self.tensors is not None:
            return self.tensors
        assert self.path is not None
        from safetensors.torch import load_file

        return load_file(self.path)


@dataclass
class MomentStore:
    """The moments of one run, oldest first, thinned to stay within ``limit``."""

    limit: int = MAX_MOMENTS
    spill_bytes: int = SPILL_BYTES
    budget: float | None = TIME_BUDGET  # None: keep every due moment whatever it costs (tests)
    gap: int = 1  # fewest steps between two moments; doubles at each thinning
    moments: list[Moment] = field(default_factory=list)
    cost: float = 0.0
    last_time: float = -np.inf
    _folder: str | None = None
    _counter: int = 0

    def __len__(self) -> int:
        return len(self.moments)

    def due(self, step: int, now: float) -> bool:
        if self.moments and step < self.moments[-1].step + self.gap:
            return False
        return self.budget is None or now - self.last_time >= self.cost / self.budget

    def add(self, step: int, epoch: int, rows: int, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        nbytes = sum(t.numel() * t.element_size() for t in tensors.values())
        moment = Moment(step, epoch, rows, meta, nbytes=nbytes)
        if nbytes > self.spill_bytes:
            from safetensors.torch import save_file

            self._counter += 1
            moment.path = os.path.join(self._spill_folder(), f"moment-{self._counter}.safetensors")
            save_file(tensors, moment.path)
        else:
            moment.tensors = tensors
        self.moments.append(moment)
        if len(self.moments) > self.limit:
            self._thin()

    def _thin(self) -> None:
        rest = self.moments[1:]
        keep = set(range(len(rest) - 1, -1, -2))  # the newest and every other one before it
        kept = [self.moments[0]]
        for i, moment in enumerate(rest):
            if i in keep:
                kept.append(moment)
            else:
                _forget(moment)
        self.moments = kept
        self.gap *= 2

    def find(self, step: int) -> Moment:
        """The moment at ``step``, else the last one before it (the first if there is none before)."""
        if not self.moments:
            raise EngineError("The time machine has no moments of this run yet")
        before = [m for m in self.moments if m.step <= step]
        return before[-1] if before else self.moments[0]

    def drop_after(self, step: int) -> int:
        """Forget the moments later than ``step`` (the run went back in time); returns how many."""
        later = [m for m in self.moments if m.step > step]
        for moment in later:
            _forget(moment)
        self.moments = [m for m in self.moments if m.step <= step]
        return len(later)

    def clear(self) -> None:
        self.drop_after(-1)
        self.gap = 1

    def to_save(self, max_bytes: int = SAVED_MOMENT_BYTES) -> dict[str, Any]:
        """The moments for a project file: plain data and tensors (or a spilled moment's file), thinned as
        :meth:`_thin` does (the first and the newest stay) until they fit in ``max_bytes``. Taken between steps;
        the tensors are the moments' own (never changed in place), so writing them later on another thread is
        safe."""
        chosen = list(self.moments)
        gap = self.gap
        while len(chosen) > 2 and sum(m.nbytes for m in chosen) > max_bytes:
            rest = chosen[1:]
            chosen = [chosen[0]] + [m for i, m in enumerate(rest) if (len(rest) - 1 - i) % 2 == 0]
            gap *= 2
        if sum(m.nbytes for m in chosen) > max_bytes:
            chosen = chosen[-1:] if chosen and chosen[-1].nbytes <= max_bytes else []
        saved: list[dict[str, Any]] = []
        for m in chosen:
            # A spilled moment goes by its file, read only when the project is written (this is also the reading
            # the landscape window takes every few seconds); a thinning may remove it before then.
            where = {"tensors": m.tensors} if m.tensors is not None else {"path": m.path}
            saved.append({"step": m.step, "epoch": m.epoch, "rows": m.rows, "meta": m.meta, **where})
        return {"gap": gap, "moments": saved}

    def put_back(self, saved: dict[str, Any]) -> None:
        """Moments read from a project (``to_save``'s form), oldest first, in place of the ones kept now."""
        self.clear()
        for m in sorted(saved.get("moments", []), key=lambda m: int(m["step"])):
            self.add(int(m["step"]), int(m["epoch"]), int(m["rows"]), dict(m["tensors"]), dict(m["meta"]))
        self.gap = max(1, int(saved.get("gap", 1)), self.gap)

    def timeline(self, showing: int = -1) -> Timeline:
        return Timeline(np.array([m.step for m in self.moments], np.int64),
                        np.array([m.epoch for m in self.moments], np.int64), showing)

    def _spill_folder(self) -> str:
        if self._folder is None:
            self._folder = tempfile.mkdtemp(prefix="playground-moments-")
            weakref.finalize(self, shutil.rmtree, self._folder, True)
        return self._folder


def _forget(moment: Moment) -> None:
    moment.tensors = None
    if moment.path is not None:
        with contextlib.suppress(OSError):  # already gone with its folder
            os.remove(moment.path)


class TimeTravel(TrainerParts):
    """The Trainer's moments and health watch; it uses the Trainer's checkpoint, restore, probes and history."""

    def _init_time_travel(self, keep_moments: bool, health: bool) -> None:
        self.moments: MomentStore | None = MomentStore() if keep_moments else None
        self._health_on = health
        self._health: NetworkHealth | None = None
        self._health_cost = 0.0
        self._health_time = -np.inf
        self._moments_of: tuple[int, int] = (id(self.task), self.seed)

    def _keep_moment(self) -> None:
        """Called where the loop syncs anyway (snapshots, epoch ends): keep a moment when one is due."""
        store = self.moments
        if store is None:
            return
        if self._moments_of != (id(self.task), self.seed):  # another model (a reset, an edit): another run
            store.clear()
            self._moments_of = (id(self.task), self.seed)
        elif store.moments and self.step < store.moments[-1].step:
            store.drop_after(self.step)  # went back: a divergence's restore point, a restored project
        now = time.perf_counter()
        if not store.due(self.step, now):
            return
        checkpoint = self.checkpoint()
        store.add(self.step, self.epoch, len(self.history), checkpoint["tensors"], checkpoint["meta"])
        done = time.perf_counter()
        store.cost, store.last_time = done - now, done

    def _time_records(self) -> list[Record]:
        """The timeline of kept moments and the network's health, for a live snapshot."""
        records: list[Record] = [self.moments.timeline()] if self.moments is not None else []
        if self._health_on:
            now = time.perf_counter()
            # A stopped run's last snapshot is drawn by no one: it reuses the last result.
            if self._health is None or self._state not in ("running", "stopped") or \
                    now - self._health_time >= self._health_cost / HEALTH_BUDGET:
                self._health = network_health(self._probes)
                done = time.perf_counter()
                self._health_cost, self._health_time = done - now, done
            records.append(self._health)
        return records

    def _apply_time_travel(self, command: ShowMoment | ContinueFrom | WatchHealth) -> None:
        if isinstance(command, WatchHealth):
            self._health_on, self._health = command.on, None
        elif isinstance(command, ShowMoment):
            try:
                answer: Snapshot | str = self.moment_snapshot(command.step)
            except EngineError as e:
                answer = e.message
            if command.reply is not None:
                command.reply(answer)
        else:
            try:
                self.continue_from(command.step)
            except EngineError as e:
                self._message = e.message
            self._refresh = True

    def _moment_store(self) -> MomentStore:
        if self.moments is None:
            raise EngineError("This run keeps no moments (the time machine is off)")
        return self.moments

    def checkpoint_to_save(self) -> dict[str, Any]:
        """:meth:`checkpoint` with the kept moments (``"moments"``) when there are any: what a project saves."""
        checkpoint = self.checkpoint()
        if self.moments is not None and self.moments.moments:
            checkpoint["moments"] = self.moments.to_save()
        return checkpoint

    def restore_moments(self, checkpoint: dict[str, Any]) -> None:
        """After a restore of ``checkpoint``: its saved moments (if it has them) become this run's, so the slider
        scrubs the run as it was saved. Moments after the restored step cannot belong to it and are left out."""
        saved = checkpoint.get("moments") if isinstance(checkpoint, dict) else None
        if self.moments is None or not isinstance(saved, dict):
            return
        kept = [m for m in saved.get("moments", []) if int(m["step"]) <= self.step]
        self.moments.put_back({**saved, "moments": kept})
        self._moments_of = (id(self.task), self.seed)

    def moment_snapshot(self, step: int) -> Snapshot:
        """The run as it was at the kept moment at (or last before) ``step``: every open view's probes computed
        from that moment's weights, the curves up to there. The run itself is left exactly as it is."""
        moment = self._moment_store().find(step)
        saved = moment.load()
        modules = self.task.modules()
        now = {n: {k: v.detach().clone() for k, v in m.state_dict().items()} for n, m in modules.items()}
        try:
            for name, module in modules.items():
                prefix = f"model/{name}/"
                module.load_state_dict({k[len(prefix):]: v.to(self.device) for k, v in saved.items()
                                        if k.startswith(prefix)})
            names = set(self.probes)
            records = self._probes.compute(sorted(names - {"health"}))
            if "health" in names or self._health_on:
                records.append(network_health(self._probes, moment.step))
        finally:
            for name, module in modules.items():
                module.load_state_dict(now[name])
        records = [_gradients_until(r, moment.step) if isinstance(r, Gradients) else r for r in records]
        records.append(self._moment_store().timeline(showing=moment.step))
        history = {n: c[:moment.rows] for n, c in self.history.as_arrays().items()}
        if moment.rows > HISTORY_POINTS:
            idx = np.unique(np.linspace(0, moment.rows - 1, HISTORY_POINTS).round().astype(np.int64))
            history = {n: c[idx] for n, c in history.items()}
        metrics = {n: float(c[moment.rows - 1]) for n, c in self.history.as_arrays().items()
                   if n in self.history.names[4:] and moment.rows}
        rate = float(history["learning_rate"][-1]) if moment.rows else self.learning_rate
        return Snapshot(
            state="paused" if self._state == "running" else self._state, epoch=moment.epoch, step=moment.step,
            epoch_fraction=0.0, elapsed=float(moment.meta.get("elapsed", 0.0)), learning_rate=rate,
            metrics=frozen(metrics), history=frozen(history), probes=ProbeResults(records),
            message=f"Showing the run at step {moment.step} (epoch {moment.epoch})",
            device=describe_device(self.device), seed=self.seed, task=self.task.name, classes=self.data.classes,
            data_version=self.data_version, class_names=tuple(self.data.class_names), dataset=self._dataset_arrays)

    def continue_from(self, step: int) -> None:
        """Branch: the run goes on from the moment at (or last before) ``step``, as a restore of that moment
        (weights, optimizer, random streams, the epoch's order, the curves up to there). The later moments go."""
        store = self._moment_store()
        moment = store.find(step)
        history = {n: self.history.column(n)[:moment.rows].tolist() for n in self.history.names}
        self.restore({"tensors": dict(moment.load()), "meta": dict(moment.meta), "history": history})
        self._probes.truncate_gradients(moment.step)
        dropped = store.drop_after(moment.step)
        self._moments_of = (id(self.task), self.seed)
        self._message = (f"Continued from step {moment.step} (epoch {moment.epoch}): the run goes on from there "
                         f"with the same random numbers; the {dropped} later moments of the old branch are gone.")
        self._probe_force.update(self.probes)
        self._health = None


def _gradients_until(record: Gradients, step: int) -> Gradients:
    keep = record.steps <= step
    return Gradients(record.steps[keep].copy(), {n: v[keep].copy() for n, v in record.layers.items()})
