"""The training loop as a generator: headless, commanded between steps, yielding numpy-only snapshots.

Performance rules (DESIGN.md): the data lives on the device as tensors and is indexed with a fresh random
permutation per epoch; nothing syncs with the device per step (losses accumulate on the device); the loop
syncs, checks for divergence and computes probes only when an epoch ends or a snapshot is due.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from playground.compile import compile_network
from playground.graph import Lab
from playground.snapshots import ProbeResults, Record

from .augment import augment_images, augmenting, image_shape
from .checkpointing import Checkpointing, _copy, _flat, _transfer
from .commands import Command
from .datasets import DataBundle, load_dataset
from .device import describe_device, resolve_device
from .drawing_answers import DrawingAnswers
from .fast_path import FastPath, Program, split_metrics
from .guards import Guards
from .initialisers import initialise
from .insight.backprop import load_given_weights
from .live_changes import _LIVE_FIELDS, _OPTIMIZER_FIELDS, LiveChanges
from .optimizers import _check_optimizer_entry, make_optimizer, scheduled_rate
from .probe_schedule import PROBE_BUDGET, ProbeScheduler
from .probes import Probes, check_probe_names
from .snapshot import MetricHistory, Snapshot, frozen
from .tasks import make_task
from .threads import configure_cpu_threads
from .time_machine import TimeTravel

# Names that moved to the modules of their job, still importable from here.
__all__ = [
    "FULL_EVAL_PARAMETERS",
    "FULL_EVAL_SAMPLES",
    "PROBE_BUDGET",
    "_LIVE_FIELDS",
    "_OPTIMIZER_FIELDS",
    "Trainer",
    "_check_optimizer_entry",
    "_copy",
    "_flat",
    "_transfer",
    "make_optimizer",
    "scheduled_rate",
]

# Small networks on small training sets are measured whole at each epoch's end instead of averaging batch
# losses: their steps cost mostly fixed overhead, so one extra pass is cheaper than metric kernels per batch.
# For a big network that pass would cost about a third of an epoch.
FULL_EVAL_SAMPLES = 4096
FULL_EVAL_PARAMETERS = 200_000


class Trainer(LiveChanges, Guards, ProbeScheduler, Checkpointing, TimeTravel):
    """Trains one lab. Build it (validation happens here, before anything runs), then iterate :meth:`run`.

    With ``moments`` the time machine keeps moments of the run (time_machine); with ``health`` every snapshot
    carries the network's health (health).

    ``send`` is safe to call from another thread; the loop applies commands between steps.

    The loop lives here; its other jobs are mixins in their own modules: commands and live changes
    (live_changes), divergence guards and early stopping (guards), the probe scheduler (probe_schedule), checkpoint
    and restore (checkpointing); optimizers and schedules are in optimizers, the compiled epochs in fast_path.
    """

    def __init__(self, lab: Lab, *, device: str | None = None, data: DataBundle | None = None,
                 probes: Iterable[str] = (), grid_resolution: int = 100, fast_path: bool | None = None,
                 moments: bool = False, health: bool = False) -> None:
        self.lab = Lab.from_dict(lab.to_dict())  # our own copy: the editor may go on changing the original
        self.lab.check()
        self.settings = self.lab.training
        self.device = resolve_device(device or self.settings.device)
        self._grid_resolution = grid_resolution
        check_probe_names(probes)
        self.probes: frozenset[str] = frozenset(probes)
        self._commands: deque[Command] = deque()
        self._probe_force: set[str] = set()
        self._probe_cache: dict[str, list[Record]] = {}
        self._probe_costs: dict[str, float] = {}
        self._probe_times: dict[str, float] = {}
        self._probe_cache_version: tuple[Any, ...] = ()
        self._wake = threading.Event()
        self._refresh = False
        self._sample_due = False  # a drawing (or chosen sample) waits for its answer
        self._answer_only = False  # the next snapshot computes only the probes that must be fresh
        self._drawing_answers = DrawingAnswers()  # the drawing pad's answers, beside the loop while it trains
        self.data_version = 0
        self._fixed_data = data is not None
        # Small networks train whole epochs as one compiled function once it is built (in the background).
        self.fast_path = FastPath(fast_path)
        self._set_data(data if data is not None else load_dataset(self.lab.dataset, self.lab.seed, grid_resolution))
        self._build(self.lab.seed)
        self._init_time_travel(moments, health)  # the time machine keeps moments; health: the canvas badges

    # Building -------------------------------------------------------------------------------------------------

    def _set_data(self, data: DataBundle) -> None:
        self.data = data
        self.data_version += 1
        arrays: dict[str, np.ndarray] = {}
        if data.is_plane:
            assert data.points_train is not None and data.points_test is not None
            arrays = {"train_points": data.points_train, "train_labels": data.y_train,
                      "test_points": data.points_test, "test_labels": data.y_test,
                      "extent": np.array([data.grid_extent], dtype=np.float32)}
            arrays = {k: np.array(v, copy=True) for k, v in arrays.items()}
            for v in arrays.values():
                v.flags.writeable = False  # shared by every snapshot, so nobody may change it
        self._dataset_arrays = frozen(arrays)

    def _data_tensors(self) -> None:
        dev, dtype = self.device, self.task.target_dtype
        params = sum(p.numel() for m in self.task.modules().values() for p in m.parameters())
        # Not for convolutions: few parameters, but most of a step's time is their arithmetic (LeNet on 2,000
        # digits spent a third more time in that pass than in training).
        convolutional = any(isinstance(m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d))
                            for net in self.task.modules().values() for m in net.modules())
        self._full_train_eval = (self.data.x_train.shape[0] <= FULL_EVAL_SAMPLES and params <= FULL_EVAL_PARAMETERS
                                 and self.task.whole_set_eval and not convolutional)
        shape = tuple(self.task.input_shape) or tuple(self.data.input_shape)

        def inputs(x: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(x, device=dev).reshape(len(x), *shape)

        self.x_train = inputs(self.data.x_train)
        self.y_train = torch.as_tensor(self.data.y_train, device=dev, dtype=dtype)
        self.x_test = inputs(self.data.x_test)
        self.y_test = torch.as_tensor(self.data.y_test, device=dev, dtype=dtype)
        if self.data.x_val is not None and self.data.y_val is not None:
            self.x_val: torch.Tensor | None = inputs(self.data.x_val)
            self.y_val: torch.Tensor | None = torch.as_tensor(self.data.y_val, device=dev, dtype=dtype)
        else:
            self.x_val = self.y_val = None
        if hasattr(self, "_probes"):
            self._probes.set_split(self.x_test, self.y_test, shape)
            sample = getattr(self, "_sample", None)
            if sample is not None:
                self._probes.sample_index = sample.index
                self._probes.sample_image = None if sample.image is None else np.asarray(sample.image, np.float32)
        self._eval_x = torch.cat([self.x_train, self.x_test])
        self._eval_y = torch.cat([self.y_train, self.y_test])
        self._perm = None  # None: the next step starts a new epoch with a fresh permutation
        self._pos = 0

    def _build_model(self, seed: int, keep: dict[str, dict[str, torch.Tensor]] | None = None) -> int:
        """Compile the lab's networks (initialised from ``seed``) and make task, optimizer and probes.

        With ``keep`` (state dicts of an earlier build), every layer whose tensors have the same shapes keeps
        its weights; returns how many layers kept theirs.
        """
        torch.manual_seed(seed)
        networks = {net.name: compile_network(net.graph, net.name) for net in self.lab.networks}
        kept = 0
        for name, net in networks.items():
            initialise(net.module, self.settings.init)  # before the given or kept weights, which win
            if not keep:
                load_given_weights(self.lab, name, net.module)  # a worked example starts where its text does
            net.module.to(self.device)
            net.module.train()
            if keep and name in keep:
                kept += _transfer(net.module, keep[name])
        task = make_task(self.lab, networks, self.data)  # raises before anything of ours changed
        task.settings = self.settings
        self.networks, self.task = networks, task
        self._params = [p for m in task.modules().values() for p in m.parameters()]
        self.cpu_threads = configure_cpu_threads(sum(p.numel() for p in self._params), self.device)
        self._weights = [p for m in task.modules().values() for n, p in m.named_parameters()
                         if (n.endswith("weight") and p.dim() >= 2) or "weight_" in n]
        self.optimizers = self._make_optimizers()
        first = self.lab.networks[0]
        kinds = {n.name: n.kind for n in first.graph.nodes.values()}
        self._probes = Probes(task, networks[first.name], kinds, self.data, self.device)
        self._data_tensors()
        return kept

    def _make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {name: make_optimizer(self.settings, params)
                for name, params in self.task.parameter_groups().items()}

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        """The first (for most tasks the only) optimizer."""
        return next(iter(self.optimizers.values()))

    def _build(self, seed: int) -> None:
        self.seed = seed
        self._build_model(seed)
        gen_device = self.device if self.device.type == "cuda" else torch.device("cpu")
        self._generator = torch.Generator(device=gen_device)
        self._generator.manual_seed(seed)
        self._gen_device = gen_device
        self.history = MetricHistory(tuple(f"{split}_{m}" for split in ("train", "test")
                                           for m in self.task.metrics))
        self.epoch = 0
        self.step = 0
        self._epoch_limit = self.settings.epochs
        self._reset_accumulators()
        self._elapsed = 0.0
        self._state = "ready"
        self._message = ""
        self._pending_batches = 0
        self._pending_epoch = False
        self._stop = False
        self._reset_early_stopping()
        self._save_good()
        self._set_rate(scheduled_rate(self.settings, 0))
        self._measure_start_loss()

    def _reset_accumulators(self) -> None:
        # Per-step results stay on the device in plain lists (appending launches no kernel); they are summed
        # only when an epoch ends or a snapshot is due.
        self._losses: list[torch.Tensor] = []
        self._corrects: list[torch.Tensor] = []
        self._batches = 0
        self._seen = 0
        self._fast_measured: torch.Tensor | None = None  # the epoch-end measurement a compiled epoch made
        if hasattr(self, "task"):
            self.task.clear_running()

    def _set_rate(self, rate: float) -> None:
        for name, optimizer in self.optimizers.items():
            for group in optimizer.param_groups:
                group["lr"] = self.task.group_rate(name, rate)

    @property
    def learning_rate(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    @property
    def state(self) -> str:
        return self._state

    @property
    def device_name(self) -> str:
        return describe_device(self.device)

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
                self._refresh = False
                self._drain()
                announced = announced and before == (self._state, self.step, self.seed) and not self._refresh
                if self._sample_due:
                    self._sample_due = False
                    if self._state == "running":
                        # A drawing's answer at once, not after the next snapshot interval's worth of steps, and
                        # without the other probes that happen to be due (a confusion matrix over the test set).
                        self._answer_only = True
                        try:
                            snap = self.snapshot()
                        finally:
                            self._answer_only = False
                        yield snap
                        last = time.perf_counter()
            self._refresh_drawing_answers()
            if self._stop:
                self._state = "stopped"
                # No fresh probes: nobody draws this last snapshot, and computing them (every probe is due once
                # the run is no longer running) made each stop, and so each quit, wait for seconds.
                yield self.snapshot(probes=False)
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
            # An augmented batch is transformed in the ordinary loop, which the compiled fast path skips.
            fast = None if stepping or augmenting(self.settings) else self.fast_path.program(self, self._perm is None)
            epoch_ended = self._train_fast(fast) if fast is not None else self._train_batch()
            if epoch_ended:
                self._end_epoch()
            if stepping:
                self._count_step(epoch_ended)
            now = time.perf_counter()
            self._elapsed += now - t0
            if self._state != "running" and not (self._pending_batches or self._pending_epoch):
                announced = False
                continue
            if (epoch_ended and every_epoch) or (interval is not None and now - last >= interval):
                if not epoch_ended:
                    self._check_running_loss()
                yield self.snapshot()
                # Keep to a steady rate: the next snapshot is due one interval after this one was due, unless
                # we fell more than an interval behind (a slow consumer), then one interval from now.
                after = time.perf_counter()
                last = last + interval if interval is not None and after - last < 2 * interval else after

    def _count_step(self, epoch_ended: bool) -> None:
        """One of the steps Step asked for is done: count it off, and pause after the last."""
        if self._pending_batches > 0:
            self._pending_batches -= 1
        if epoch_ended:
            self._pending_epoch = False
        if self._pending_batches == 0 and not self._pending_epoch and self._state == "running":
            self._state = "paused"

    def _train_batch(self) -> bool:
        """One optimizer step on the next batch; True when that batch ended an epoch."""
        if self._perm is None:
            # The epoch covers the training set as it is now; samples added meanwhile join the next one.
            n = self.x_train.shape[0]
            self._perm = torch.randperm(n, generator=self._generator, device=self._gen_device).to(self.device)
            self._pos = 0
        bs = self.settings.batch_size
        idx = self._perm[self._pos:self._pos + bs]
        self._pos += bs
        x = self._augmented(self.x_train[idx])
        if self.task.custom_step:
            loss, correct = self.task.train_step(x, self.y_train[idx], self.optimizers, not self._full_train_eval)
        else:
            loss, correct = self._default_step(x, self.y_train[idx])
        self.step += 1
        self._batches += 1
        self._losses.append(loss.detach())
        if correct is not None:
            self._corrects.append(correct)
        self._seen += int(idx.shape[0])
        if self._pos >= len(self._perm):
            self._perm = None
            return True
        return False

    def _augmented(self, x: torch.Tensor) -> torch.Tensor:
        """A training batch as the network sees it: randomly transformed on the device while augmentation is on
        (image data only); the test set and the epoch-end measurements always see the images as they are."""
        shape = image_shape(tuple(self.data.input_shape))
        if shape is None or not augmenting(self.settings):
            return x
        return augment_images(x, self.settings, self._generator, shape)

    def _train_fast(self, program: Program) -> bool:
        """The program's steps (a whole epoch, or a block of a long one) in one call; True when the epoch ended.
        Counters and per-batch losses come out as from the same steps of :meth:`_train_batch`."""
        if self._perm is None:
            n = self.x_train.shape[0]
            self._perm = torch.randperm(n, generator=self._generator, device=self._gen_device).to(self.device)
            self._pos = 0
        count = program.plan.samples
        idx = self._perm[self._pos:self._pos + count]
        try:
            losses, corrects = program(idx, self.learning_rate, self.settings.regularization_rate,
                                       self.settings.grad_clip)
        except Exception as e:  # a guard miss or a failing kernel: the ordinary loop goes on
            self.fast_path.failed(program, e)
            return self._train_batch()
        steps = program.plan.steps
        self._pos += count
        self.step += steps
        self._batches += steps
        self._losses.append(losses)
        if corrects is not None:
            self._corrects.append(corrects)
        self._seen += count
        if self._pos >= len(self._perm):
            self._perm = None
            self._fast_measured = program.measured
            return True
        return False

    def _default_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        loss, correct = self.task.batch_loss(x, y, not self._full_train_eval)
        penalty = self.penalty()
        total = loss if isinstance(penalty, float) else loss + penalty
        optimizer = self.optimizer
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        if self.settings.grad_clip > 0:
            nn.utils.clip_grad_norm_(self._params, self.settings.grad_clip)
        optimizer.step()
        return loss, correct

    def penalty(self, weights: list[nn.Parameter] | None = None) -> torch.Tensor | float:
        """The L1 or L2 term of the settings over ``weights`` (default: every weight matrix and kernel)."""
        reg = self.settings.regularization
        if reg == "none" or self.settings.regularization_rate <= 0:
            return 0.0
        weights = self._weights if weights is None else weights
        total = sum(w.abs().sum() for w in weights) if reg == "l1" else sum(w.pow(2).sum() for w in weights)
        return self.settings.regularization_rate * total

    def _end_epoch(self) -> None:
        test: dict[str, float] = {}
        extra = self.task.pop_running()  # a family's own per-batch metrics (a VAE's KL term...)
        if self._full_train_eval:
            # A small training set is measured whole at the epoch's end, as TensorFlow Playground does: the loss
            # of the weights as they are now (dropout off), together with the test set in one pass.
            sums, self._fast_measured = self._fast_measured, None
            if sums is not None:  # measured inside the compiled epoch, in the same call
                measured, test = split_metrics(sums.tolist(), self.x_train.shape[0], self._eval_x.shape[0])
            else:
                measured, test = self.task.evaluate_together(self._eval_x, self._eval_y, self.x_train.shape[0])
            train_loss = measured["loss"]
            train_acc = measured.get("accuracy", float("nan"))
        else:
            train_loss = self._running_loss()
            train_acc = (float(_flat(self._corrects).sum()) / max(1, self._seen)) if self._corrects else \
                float("nan")
        if not np.isfinite(train_loss) or train_loss > self._explode_above:
            self._diverge(exploded=np.isfinite(train_loss), loss=train_loss)
            return
        if not self._full_train_eval and self.x_test.shape[0]:
            test = self.task.evaluate(self.x_test, self.y_test)
        if not all(np.isfinite(v) for v in test.values()):
            self._diverge()
            return
        self.epoch += 1
        row = {"epoch": self.epoch, "step": self.step, "time": self._elapsed, "learning_rate": self.learning_rate,
               "train_loss": train_loss}
        if "accuracy" in self.task.metrics:
            row["train_accuracy"] = train_acc
        row.update({f"train_{k}": v for k, v in extra.items() if k != "loss"})
        row.update({f"test_{k}": v for k, v in test.items()})
        self.history.append(**row)
        self._keep_moment()
        self._reset_accumulators()
        if time.perf_counter() - self._good_time > 0.25:
            self._save_good()
        watched = test
        if self.x_val is not None and self.y_val is not None and self.settings.early_stopping:
            watched = self.task.evaluate(self.x_val, self.y_val)
        if self.settings.early_stopping and "loss" in watched:
            if watched["loss"] < self._best_loss - 1e-9:
                self._best_loss, self._since_best = watched["loss"], 0
                self._best_state = self._capture_state()
                self._best_epoch = self.epoch
            else:
                self._since_best += 1
                if self._since_best >= self.settings.patience and self._best_state is not None:
                    self._restore_state(self._best_state)
                    self._state = "finished"
                    which = "validation" if self.x_val is not None else "test"
                    self._message = (f"Early stopping: the {which} loss has not improved for {self._since_best} "
                                     f"epochs; restored the best weights, from epoch {self._best_epoch} "
                                     f"({which} loss {self._best_loss:.4g}).")
                    return
        if self.epoch >= self._epoch_limit:
            self._state = "finished"
            self._message = f"Finished {self.epoch} epochs."
        self._set_rate(scheduled_rate(self.settings, self.epoch))

    # Snapshots and probes -------------------------------------------------------------------------------------

    def snapshot(self, probes: bool = True) -> Snapshot:
        """The run as it is now; ``probes=False`` reuses the probes' last results instead of computing any."""
        metrics: dict[str, float] = {}
        if len(self.history):
            for name in self.history.names[4:]:
                metrics[name] = self.history.last(name)
        if self._batches:
            metrics["running_loss"] = self._running_loss()
        frac = 0.0 if self._perm is None else self._pos / max(1, len(self._perm))
        if self.step:
            self._probes.record_gradients(self.step)
        self._keep_moment()
        self.task.training_live = self._state == "running"
        return Snapshot(
            state=self._state, epoch=self.epoch, step=self.step, epoch_fraction=frac, elapsed=self._elapsed,
            learning_rate=self.learning_rate, metrics=frozen(metrics), history=frozen(self.history.downsampled()),
            probes=ProbeResults([*(self._live_probes() if probes else self._cached_probes()), *self._time_records()]),
            message=self._message,
            device=self.device_name,
            seed=self.seed, task=self.task.name, classes=self.data.classes, data_version=self.data_version,
            class_names=tuple(self.data.class_names),
            dataset=self._dataset_arrays,
        )

    # Convenience ----------------------------------------------------------------------------------------------

    def train(self, epochs: int | None = None) -> Snapshot:
        """Train headless until finished (or ``epochs`` more epochs) and return the last snapshot."""
        if epochs is not None:
            self._epoch_limit = self.epoch + epochs
            if self._state == "finished":
                self._state = "ready"
        last = self.snapshot()
        for snap in self.run(interval=None, every_epoch=False):
            last = snap
        return last

