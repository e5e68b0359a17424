"""The training loop as a generator: headless, commanded between steps, yielding numpy-only snapshots.

Performance rules (DESIGN.md): the data lives on the device as tensors and is indexed with a fresh random
permutation per epoch; nothing syncs with the device per step (losses accumulate on the device); the loop
syncs, checks for divergence and computes probes only when an epoch ends or a snapshot is due.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from playground.compile import CompiledNetwork, compile_network
from playground.graph import Lab, TrainingSettings

from .commands import Command, Pause, Reset, Resume, SetProbes, SetTraining, Step, Stop
from .datasets import DataBundle, load_dataset
from .device import describe_device, resolve_device
from .errors import EngineError
from .snapshot import MetricHistory, Snapshot
from .tasks import Task, make_task
from .threads import configure_cpu_threads

PROBES = ("boundary",)

# Settings that only change how the next steps run; the others rebuild the optimizer or the schedule.
_LIVE_FIELDS = {"regularization", "regularization_rate", "grad_clip", "batch_size", "epochs", "early_stopping",
                "patience"}
_OPTIMIZER_FIELDS = {"optimizer", "momentum", "weight_decay"}


def make_optimizer(settings: TrainingSettings, params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    lr, name = settings.learning_rate, settings.optimizer
    params = list(params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=settings.momentum)
    if name == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=settings.momentum, nesterov=settings.momentum > 0)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=settings.weight_decay)
    raise EngineError(f"Unknown optimizer '{name}'", field="optimizer")


def scheduled_rate(settings: TrainingSettings, epoch: int) -> float:
    """The learning rate for the epoch that starts after ``epoch`` completed epochs."""
    base = settings.learning_rate
    if settings.schedule == "step":
        return base * settings.gamma ** (epoch // settings.step_size)
    if settings.schedule == "cosine":
        progress = min(epoch, settings.epochs) / max(1, settings.epochs)
        return base * 0.5 * (1.0 + float(np.cos(np.pi * progress)))
    return base


class Trainer:
    """Trains one lab. Build it (validation happens here, before anything runs), then iterate :meth:`run`.

    ``send`` is safe to call from another thread; the loop applies commands between steps.
    """

    def __init__(self, lab: Lab, *, device: str | None = None, data: DataBundle | None = None,
                 probes: Iterable[str] = (), grid_resolution: int = 100) -> None:
        self.lab = Lab.from_dict(lab.to_dict())  # our own copy: the editor may go on changing the original
        self.lab.check()
        self.settings = self.lab.training
        self.device = resolve_device(device or self.settings.device)
        self.data = data if data is not None else load_dataset(self.lab.dataset, self.lab.seed, grid_resolution)
        self.probes: frozenset[str] = frozenset(probes)
        self._commands: deque[Command] = deque()
        self._wake = threading.Event()
        self.seed = self.lab.seed
        self._build(self.seed)

    # Building -------------------------------------------------------------------------------------------------

    def _build(self, seed: int) -> None:
        self.seed = seed
        torch.manual_seed(seed)
        self.networks: dict[str, CompiledNetwork] = {
            net.name: compile_network(net.graph, net.name) for net in self.lab.networks
        }
        for net in self.networks.values():
            net.module.to(self.device)
            net.module.train()
        self.task: Task = make_task(self.lab, self.networks, self.data)
        dev = self.device
        self.x_train = torch.as_tensor(self.data.x_train, device=dev)
        self.y_train = torch.as_tensor(self.data.y_train, device=dev, dtype=self.task.target_dtype)
        self.x_test = torch.as_tensor(self.data.x_test, device=dev)
        self.y_test = torch.as_tensor(self.data.y_test, device=dev, dtype=self.task.target_dtype)
        self._grid = (torch.as_tensor(self.data.grid_inputs, device=dev)
                      if self.data.grid_inputs is not None else None)
        self._params = [p for m in self.task.modules().values() for p in m.parameters()]
        self.cpu_threads = configure_cpu_threads(sum(p.numel() for p in self._params), dev)
        self._weights = [p for m in self.task.modules().values() for n, p in m.named_parameters()
                         if (n.endswith("weight") and p.dim() >= 2) or "weight_" in n]
        self.optimizer = make_optimizer(self.settings, self._params)
        gen_device = dev if dev.type == "cuda" else torch.device("cpu")
        self._generator = torch.Generator(device=gen_device)
        self._generator.manual_seed(seed)
        self._gen_device = gen_device
        self.history = MetricHistory(tuple(f"{split}_{m}" for split in ("train", "test")
                                           for m in self.task.metrics))
        self.epoch = 0
        self.step = 0
        self._epoch_limit = self.settings.epochs
        self._perm: torch.Tensor | None = None
        self._pos = self.x_train.shape[0]
        self._reset_accumulators()
        self._elapsed = 0.0
        self._state = "ready"
        self._message = ""
        self._pending_batches = 0
        self._pending_epoch = False
        self._stop = False
        self._best_loss = float("inf")
        self._since_best = 0
        self._best_state: dict[str, Any] | None = None
        self._save_good()
        self._set_rate(scheduled_rate(self.settings, 0))
        # The loss before any training: a loss a thousand times larger means the run has blown up even when
        # it is still finite (Adam's bounded steps explode slowly enough never to reach infinity).
        start = self.task.evaluate(self.x_train, self.y_train)["loss"]
        self._explode_above = max(1000.0 * start, 1.0) if np.isfinite(start) else float("inf")

    def _reset_accumulators(self) -> None:
        self._loss_sum = torch.zeros((), device=self.device)
        self._correct_sum = torch.zeros((), device=self.device, dtype=torch.int64)
        self._batches = 0
        self._seen = 0

    def _capture_state(self) -> dict[str, Any]:
        return {
            "modules": {n: {k: v.detach().clone() for k, v in m.state_dict().items()}
                        for n, m in self.task.modules().items()},
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
        }

    def _restore_state(self, state: dict[str, Any]) -> None:
        for name, module in self.task.modules().items():
            module.load_state_dict(state["modules"][name])
        self.optimizer.load_state_dict(state["optimizer"])

    def _set_rate(self, rate: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = rate

    @property
    def learning_rate(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    @property
    def state(self) -> str:
        return self._state

    @property
    def device_name(self) -> str:
        return describe_device(self.device)

    # Commands -------------------------------------------------------------------------------------------------

    def send(self, command: Command) -> None:
        """Queue a command (thread-safe). Bad settings raise here, in the caller's thread, before queueing."""
        if isinstance(command, SetTraining):
            self.settings.updated(**dict(command.changes))  # raises LabFormatError naming the field
        if isinstance(command, SetProbes):
            unknown = set(command.names) - set(PROBES)
            if unknown:
                raise EngineError(f"Unknown probe '{sorted(unknown)[0]}' (probes: {', '.join(PROBES)})")
        if isinstance(command, Step) and command.batches < 1:
            raise EngineError("Step needs at least one batch")
        self._commands.append(command)
        self._wake.set()

    def _apply(self, command: Command) -> None:
        if isinstance(command, Pause):
            if self._state == "running":
                self._state = "paused"
            self._pending_batches, self._pending_epoch = 0, False
        elif isinstance(command, Resume):
            if self._state == "finished" and self.epoch >= self._epoch_limit:
                self._epoch_limit = self.epoch + self.settings.epochs
            self._state, self._message = "running", ""
        elif isinstance(command, Step):
            if command.epoch:
                self._pending_epoch = True
            else:
                self._pending_batches += command.batches
            if self._state == "running":
                self._state = "paused"
            self._message = ""
        elif isinstance(command, SetTraining):
            self._apply_settings(dict(command.changes))
        elif isinstance(command, Reset):
            seed = command.seed if command.seed is not None else (
                secrets.randbelow(2**31) if command.new_seed else self.lab.seed)
            self.lab.seed = seed
            self._build(seed)
        elif isinstance(command, SetProbes):
            self.probes = frozenset(command.names)
        elif isinstance(command, Stop):
            self._stop = True

    def _apply_settings(self, changes: dict[str, Any]) -> None:
        old = self.settings
        new = old.updated(**changes)
        self.settings = new
        self.lab.training = new
        if set(changes) & _OPTIMIZER_FIELDS and (new.optimizer, new.momentum, new.weight_decay) != (
                old.optimizer, old.momentum, old.weight_decay):
            self.optimizer = make_optimizer(new, self._params)
        if "epochs" in changes:
            self._epoch_limit = max(self.epoch, new.epochs) if self._state != "finished" else self._epoch_limit
        self._set_rate(scheduled_rate(new, self.epoch))

    def _drain(self) -> None:
        while self._commands:
            self._apply(self._commands.popleft())

    # The loop -------------------------------------------------------------------------------------------------

    def run(self, *, interval: float | None = 1 / 30, every_epoch: bool = False, start: bool = True,
            stop_when_idle: bool = True) -> Iterator[Snapshot]:
        """Train, yielding a snapshot every ``interval`` seconds (and after every epoch with ``every_epoch``).

        With ``stop_when_idle`` the generator returns once training pauses or finishes (headless use);
        without it, it waits for commands (the GUI's worker thread).
        """
        if start and self._state == "ready":
            self._state = "running"
        yield self.snapshot()
        last = time.perf_counter()
        announced = True
        while True:
            if self._commands:
                before = (self._state, self.step, self.seed)
                self._drain()
                announced = announced and before == (self._state, self.step, self.seed)
            if self._stop:
                self._state = "stopped"
                yield self.snapshot()
                return
            stepping = self._pending_batches > 0 or self._pending_epoch
            if self._state != "running" and not stepping:
                if not announced:
                    yield self.snapshot()
                    announced = True
                if stop_when_idle:
                    return
                self._wake.wait(0.25)
                self._wake.clear()
                last = time.perf_counter()
                continue
            t0 = time.perf_counter()
            epoch_ended = self._train_batch()
            if epoch_ended:
                self._end_epoch()
            if stepping:
                if self._pending_batches > 0:
                    self._pending_batches -= 1
                if epoch_ended:
                    self._pending_epoch = False
                if self._pending_batches == 0 and not self._pending_epoch and self._state == "running":
                    self._state = "paused"
            now = time.perf_counter()
            self._elapsed += now - t0
            if self._state != "running" and not (self._pending_batches or self._pending_epoch):
                announced = False
                continue
            if (epoch_ended and every_epoch) or (interval is not None and now - last >= interval):
                if not epoch_ended:
                    self._check_running_loss()
                yield self.snapshot()
                last = time.perf_counter()

    def _train_batch(self) -> bool:
        """One optimizer step on the next batch; True when that batch ended an epoch."""
        n = self.x_train.shape[0]
        if self._pos >= n:
            self._perm = torch.randperm(n, generator=self._generator, device=self._gen_device).to(self.device)
            self._pos = 0
        assert self._perm is not None
        bs = self.settings.batch_size
        idx = self._perm[self._pos:self._pos + bs]
        self._pos += bs
        loss, correct = self.task.batch_loss(self.x_train[idx], self.y_train[idx])
        total = loss
        reg = self.settings.regularization
        if reg != "none" and self.settings.regularization_rate > 0:
            if reg == "l1":
                penalty = sum(w.abs().sum() for w in self._weights)
            else:
                penalty = sum(w.pow(2).sum() for w in self._weights)
            total = loss + self.settings.regularization_rate * penalty
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        if self.settings.grad_clip > 0:
            nn.utils.clip_grad_norm_(self._params, self.settings.grad_clip)
        self.optimizer.step()
        self.step += 1
        self._batches += 1
        self._loss_sum += loss.detach()
        if correct is not None:
            self._correct_sum += correct
        self._seen += int(idx.shape[0])
        return self._pos >= n

    def _check_running_loss(self) -> None:
        """At a snapshot mid-epoch: a divergence check, and a new restore point if all is well."""
        if self._batches and not bool(torch.isfinite(self._loss_sum)):
            self._diverge()
        elif time.perf_counter() - self._good_time > 1.0:
            # A restore point at most once a second: cloning weights and optimizer state is not free.
            self._save_good()

    def _save_good(self) -> None:
        self._good_state = self._capture_state()
        self._good_step = (self.epoch, self.step)
        self._good_rows = len(self.history)
        self._good_time = time.perf_counter()

    def _end_epoch(self) -> None:
        sums = torch.stack([self._loss_sum, self._correct_sum.to(self._loss_sum.dtype)]).tolist()
        train_loss = sums[0] / max(1, self._batches)
        train_acc = sums[1] / max(1, self._seen)
        if not np.isfinite(train_loss) or train_loss > self._explode_above:
            self._diverge(exploded=np.isfinite(train_loss))
            return
        test = self.task.evaluate(self.x_test, self.y_test) if self.x_test.shape[0] else {}
        if not all(np.isfinite(v) for v in test.values()):
            self._diverge()
            return
        self.epoch += 1
        row = {"epoch": self.epoch, "step": self.step, "time": self._elapsed, "learning_rate": self.learning_rate,
               "train_loss": train_loss}
        if "accuracy" in self.task.metrics:
            row["train_accuracy"] = train_acc
        row.update({f"test_{k}": v for k, v in test.items()})
        self.history.append(**row)
        self._reset_accumulators()
        if time.perf_counter() - self._good_time > 0.25:
            self._save_good()
        if self.settings.early_stopping and "loss" in test:
            if test["loss"] < self._best_loss - 1e-9:
                self._best_loss, self._since_best = test["loss"], 0
                self._best_state = self._capture_state()
                self._best_epoch = self.epoch
            else:
                self._since_best += 1
                if self._since_best >= self.settings.patience and self._best_state is not None:
                    self._restore_state(self._best_state)
                    self._state = "finished"
                    self._message = (f"Early stopping: the test loss has not improved for {self._since_best} "
                                     f"epochs; restored the best weights, from epoch {self._best_epoch} "
                                     f"(test loss {self._best_loss:.4g}).")
                    return
        if self.epoch >= self._epoch_limit:
            self._state = "finished"
            self._message = f"Finished {self.epoch} epochs."
        self._set_rate(scheduled_rate(self.settings, self.epoch))

    def _diverge(self, exploded: bool = False) -> None:
        epoch, step = self._good_step
        self._restore_state(self._good_state)
        lost = self.step - step
        # Go back in time as a whole: weights, optimizer, counters and curves all to the restore point.
        self.epoch, self.step = epoch, step
        self.history.truncate(self._good_rows)
        self._reset_accumulators()
        self._pos = self.x_train.shape[0]  # start a fresh epoch after the restore
        self._state = "diverged"
        self._pending_batches, self._pending_epoch = 0, False
        self._message = (
            f"Training diverged: the loss {'grew over a thousandfold' if exploded else 'became NaN or infinite'} "
            f"(learning rate {self.learning_rate:g}). "
            f"The weights were restored to the last finite ones (epoch {epoch}, step {step}; {lost} steps "
            f"undone). Lower the learning rate, then press Play.")

    # Snapshots and probes -------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        metrics: dict[str, float] = {}
        if len(self.history):
            for name in self.history.names[4:]:
                metrics[name] = self.history.last(name)
        if self._batches:
            metrics["running_loss"] = float(self._loss_sum) / self._batches
        n = self.x_train.shape[0]
        frac = 0.0 if self._pos >= n else self._pos / n
        return Snapshot(
            state=self._state, epoch=self.epoch, step=self.step, epoch_fraction=frac, elapsed=self._elapsed,
            learning_rate=self.learning_rate, metrics=_frozen(metrics), history=_frozen(self.history.downsampled()),
            probes=_frozen(self.compute_probes()), message=self._message, device=self.device_name, seed=self.seed,
        )

    def compute_probes(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        if "boundary" in self.probes and self._grid is not None:
            out["boundary"] = self.boundary()
        return out

    def boundary(self) -> np.ndarray:
        """The model's output over the input plane: P(class 1) (or the predicted value), res×res, rows = y."""
        if self._grid is None:
            raise EngineError("The decision boundary needs a 2-D dataset")
        model = self.task.model
        was = model.training
        model.eval()
        try:
            with torch.no_grad():
                pred = self.task.predict(self._grid)
        finally:
            model.train(was)
        if self.task.name == "classification":
            values = pred[:, 1] if pred.shape[1] == 2 else pred.argmax(1).to(pred.dtype)
        else:
            values = pred[:, 0]
        res = self.data.grid_resolution
        return values.reshape(res, res).float().cpu().numpy().copy()

    # Convenience ----------------------------------------------------------------------------------------------

    def train(self, epochs: int | None = None) -> Snapshot:
        """Train headless until finished (or ``epochs`` more epochs) and return the last snapshot."""
        if epochs is not None:
            self._epoch_limit = self.epoch + epochs
            if self._state == "finished":
                self._state = "ready"
        snap = self.snapshot()
        for snap in self.run(interval=None, every_epoch=False):
            pass
        return snap

    def state_dicts(self) -> dict[str, dict[str, torch.Tensor]]:
        return {name: {k: v.detach().cpu().contiguous() for k, v in m.state_dict().items()}
                for name, m in self.task.modules().items()}


def _frozen(d: dict[str, Any]) -> Any:
    from types import MappingProxyType

    return MappingProxyType(d)
