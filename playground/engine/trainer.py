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

from playground.compile import compile_network
from playground.graph import DatasetSettings, GraphError, Lab, TrainingSettings

from .commands import (
    Command,
    Pause,
    Recompile,
    Reset,
    Resume,
    SetDataset,
    SetProbes,
    SetSample,
    SetTraining,
    AddSamples,
    Restore,
    Step,
    Stop,
    TakeCheckpoint,
)
from .augment import augment_images, augmenting, image_shape
from .datasets import DataBundle, load_dataset
from .device import describe_device, resolve_device
from .errors import EngineError
from .fast_path import FastPath, Program, split_metrics
from .probes import Probes, check_probe_names
from .snapshot import MetricHistory, Snapshot, frozen
from .tasks import make_task
from .threads import configure_cpu_threads

# Small networks on small training sets are measured whole at each epoch's end instead of averaging batch
# losses: their steps cost mostly fixed overhead, so one extra pass is cheaper than metric kernels per batch.
# For a big network that pass would cost about a third of an epoch.
FULL_EVAL_SAMPLES = 4096
FULL_EVAL_PARAMETERS = 200_000
# While training runs, probes may take at most this share of the time: an expensive one (a confusion matrix
# over the test set, every feature map of a CNN) is then computed less often and its last result reused, instead
# of cutting training to a fifth. Cheap ones (a 2-D boundary) still come with every snapshot.
PROBE_BUDGET = 0.15

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
    if name in ("adam", "adamw"):
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        kwargs: dict[str, Any] = {"lr": lr}
        if name == "adamw":
            kwargs["weight_decay"] = settings.weight_decay
        # The fused kernel updates all tensors in one call: about 30% faster per step for the small networks of
        # the 2-D playground on a CPU. Not every device and dtype has it, so fall back quietly.
        try:
            return cls(params, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):
            return cls(params, **kwargs)
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
                 probes: Iterable[str] = (), grid_resolution: int = 100, fast_path: bool | None = None) -> None:
        self.lab = Lab.from_dict(lab.to_dict())  # our own copy: the editor may go on changing the original
        self.lab.check()
        self.settings = self.lab.training
        self.device = resolve_device(device or self.settings.device)
        self._grid_resolution = grid_resolution
        check_probe_names(probes)
        self.probes: frozenset[str] = frozenset(probes)
        self._commands: deque[Command] = deque()
        self._probe_force: set[str] = set()
        self._probe_cache: dict[str, dict[str, np.ndarray]] = {}
        self._probe_costs: dict[str, float] = {}
        self._probe_times: dict[str, float] = {}
        self._probe_cache_version: tuple[Any, ...] = ()
        self._wake = threading.Event()
        self._refresh = False
        self._sample_due = False  # a drawing (or chosen sample) waits for its answer
        self._answer_only = False  # the next snapshot computes only the probes that must be fresh
        self.data_version = 0
        self._fixed_data = data is not None
        # Small networks train whole epochs as one compiled function once it is built (in the background).
        self.fast_path = FastPath(fast_path)
        self._set_data(data if data is not None else load_dataset(self.lab.dataset, self.lab.seed, grid_resolution))
        self._build(self.lab.seed)

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

    def _running_loss(self) -> float:
        """Mean loss of this epoch's batches so far (one device sync)."""
        return float(_flat(self._losses).mean()) if self._losses else 0.0

    def _capture_state(self) -> dict[str, Any]:
        return {
            "modules": {n: {k: v.detach().clone() for k, v in m.state_dict().items()}
                        for n, m in self.task.modules().items()},
            "optimizers": {n: copy.deepcopy(o.state_dict()) for n, o in self.optimizers.items()},
        }

    def _restore_state(self, state: dict[str, Any]) -> None:
        for name, module in self.task.modules().items():
            module.load_state_dict(state["modules"][name])
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        # The saved optimizer state carries the learning rate of its time; the settings are the user's word.
        self._set_rate(scheduled_rate(self.settings, self.epoch))

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

    # Commands -------------------------------------------------------------------------------------------------

    def send(self, command: Command) -> None:
        """Queue a command (thread-safe). Bad settings raise here, in the caller's thread, before queueing."""
        if isinstance(command, SetTraining):
            self.settings.updated(**dict(command.changes))  # raises LabFormatError naming the field
        if isinstance(command, SetProbes):
            check_probe_names(command.names)
        if isinstance(command, SetDataset):
            self._merged_dataset(dict(command.changes))  # raises LabFormatError or EngineError naming the field
        if isinstance(command, AddSamples):
            images = np.asarray(command.images, dtype=np.float32)
            labels = np.asarray(command.labels).reshape(-1)
            size = int(np.prod(self.data.input_shape))
            if self.task.name != "classification" or images.ndim < 2 or len(images) != len(labels) or \
                    images[0].size != size:
                raise EngineError(f"Only images of {size} values with one class each can join this training set")
            if labels.min() < 0 or labels.max() >= max(1, self.data.classes):
                raise EngineError(f"Labels must be classes 0 to {self.data.classes - 1}")
        if isinstance(command, Recompile):
            if not isinstance(command.lab, Lab):
                raise EngineError("Recompile needs a Lab")
            command.lab.check()  # raises the graph's first problem, naming the node
            if command.device is not None:
                resolve_device(command.device)
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
            if self._state in ("running", "ready"):  # after a step the run has begun, and waits
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
            self._refresh = True  # a newly opened view should fill in even while paused
            self._probe_force.update(self.probes)
        elif isinstance(command, SetDataset):
            self._apply_dataset(dict(command.changes))
            self._refresh = True
        elif isinstance(command, Recompile):
            self._apply_recompile(command.lab, command.device)
            self._refresh = True
        elif isinstance(command, SetSample):
            self._sample = command
            self._probes.sample_index = command.index
            self._probes.sample_image = None if command.image is None else np.asarray(command.image, np.float32)
            self._refresh = True
            self._probe_force.add("feature_maps")  # a drawing's probabilities must not wait for the budget
            self._sample_due = True
        elif isinstance(command, AddSamples):
            self._add_samples(np.asarray(command.images, np.float32), np.asarray(command.labels, np.int64))
            self._refresh = True
        elif isinstance(command, TakeCheckpoint):
            command.reply(self.checkpoint())
        elif isinstance(command, Restore):
            try:
                self.restore(command.checkpoint)
            except EngineError as e:
                self._problem(str(e))
            self._refresh = True
            self._probe_force.update(self.probes)
        elif isinstance(command, Stop):
            self._stop = True

    def _apply_settings(self, changes: dict[str, Any]) -> None:
        old = self.settings
        new = old.updated(**changes)
        self.settings = new
        self.lab.training = new
        self.task.settings = new
        if set(changes) & _OPTIMIZER_FIELDS and (new.optimizer, new.momentum, new.weight_decay) != (
                old.optimizer, old.momentum, old.weight_decay):
            self.optimizers = self._make_optimizers()
        if "epochs" in changes:
            self._epoch_limit = max(self.epoch, new.epochs) if self._state != "finished" else self._epoch_limit
        self._set_rate(scheduled_rate(new, self.epoch))

    def _merged_dataset(self, changes: dict[str, Any]) -> DatasetSettings:
        merged = self.lab.dataset.to_dict()
        merged.update(changes)
        settings = DatasetSettings.from_dict(merged)
        if self._fixed_data:
            raise EngineError("This run was given its data directly; its dataset cannot change")
        if len(settings.features) != len(self.lab.dataset.features):
            raise EngineError(f"{len(settings.features)} input features instead of {len(self.lab.dataset.features)} "
                              f"change the Input layer: edit the network and apply it (recompile)",
                              field="features")
        return settings

    def _apply_dataset(self, changes: dict[str, Any]) -> None:
        settings = self._merged_dataset(changes)
        try:
            data = load_dataset(settings, self.lab.seed, self._grid_resolution)
        except EngineError as e:
            self._problem(str(e))
            return
        if data.kind != self.data.kind or data.input_shape != self.data.input_shape:
            self._problem(f"The dataset '{settings.name}' does not fit this network ({data.kind}, inputs "
                          f"{data.input_shape}); edit the network first")
            return
        if data.classes != self.data.classes:
            self._problem(f"The dataset '{settings.name}' has {data.classes} classes but this network's output has "
                          f"{self.data.classes}: edit the network first")
            return
        old = self.data
        self.lab.dataset = settings
        self._set_data(data)
        try:
            self.task.data = data
            kinds = {n.name: n.kind for n in self.lab.networks[0].graph.nodes.values()}
            self._probes = Probes(self.task, next(iter(self.networks.values())), kinds, data, self.device)
            self._data_tensors()
        except EngineError as e:  # pragma: no cover - a new set of the same kind and shape always fits
            self.data = old
            self._problem(str(e))
            return
        self._reset_accumulators()
        self._reset_early_stopping()
        self._measure_start_loss()

    def _apply_recompile(self, lab: Lab, device: str | None) -> None:
        """Rebuild from an edited lab; the weights of unchanged layers, the curves and the counters stay."""
        old = (self.lab, self.settings, self.device, self.data, self.networks, self.task, self.optimizers,
               self._probes, self._params, self._weights, self._dataset_arrays)
        keep = self.state_dicts()
        try:
            self.lab = Lab.from_dict(lab.to_dict())
            self.settings = self.lab.training
            if device is not None:
                self.device = resolve_device(device)
            data_changed = (self.lab.dataset, self.lab.seed) != (old[0].dataset, old[0].seed)
            if data_changed and not self._fixed_data:  # a new seed draws a new sample of the same set
                self._set_data(load_dataset(self.lab.dataset, self.lab.seed, self._grid_resolution))
            kept = self._build_model(self.seed, keep={n: {k: v.to(self.device) for k, v in sd.items()}
                                                      for n, sd in keep.items()})
        except (EngineError, GraphError) as e:
            (self.lab, self.settings, self.device, self.data, self.networks, self.task, self.optimizers,
             self._probes, self._params, self._weights, self._dataset_arrays) = old
            self._data_tensors()
            self._problem(f"The edited network cannot train: {e}")
            return
        total = sum(1 for m in self.task.modules().values() for c in m.children() if c.state_dict())
        self._reset_accumulators()
        self._reset_early_stopping()
        self._epoch_limit = max(self._epoch_limit, self.settings.epochs)
        self._set_rate(scheduled_rate(self.settings, self.epoch))
        self._save_good()
        self._measure_start_loss()
        self._message = f"Applied the edited network: {kept} of {total} layers with weights kept theirs."

    def _add_samples(self, images: np.ndarray, labels: np.ndarray) -> None:
        """Grow the training set by the given samples; they join the next epoch's shuffle."""
        shape = tuple(self.task.input_shape) or tuple(self.data.input_shape)
        x = torch.as_tensor(images, device=self.device).reshape(len(images), *shape)
        y = torch.as_tensor(labels.reshape(-1), device=self.device, dtype=self.task.target_dtype)
        self.x_train = torch.cat([self.x_train, x])
        self.y_train = torch.cat([self.y_train, y])
        self._eval_x = torch.cat([self.x_train, self.x_test])
        self._eval_y = torch.cat([self.y_train, self.y_test])
        self.added_samples = getattr(self, "added_samples", 0) + len(images)
        self._message = (f"Added {len(images)} drawing(s) to the training set ({self.x_train.shape[0]} samples "
                         f"now); they are used from the next epoch on.")

    def _problem(self, message: str) -> None:
        """Something the user asked for cannot be done: pause, say why, keep everything as it was."""
        if self._state == "running":
            self._state = "paused"
        self._message = message

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
                # Keep to a steady rate: the next snapshot is due one interval after this one was due, unless
                # we fell more than an interval behind (a slow consumer), then one interval from now.
                after = time.perf_counter()
                last = last + interval if interval is not None and after - last < 2 * interval else after

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
        except Exception as e:  # noqa: BLE001 - a guard miss or a failing kernel: the ordinary loop goes on
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
        if reg == "l1":
            total = sum(w.abs().sum() for w in weights)
        else:
            total = sum(w.pow(2).sum() for w in weights)
        return self.settings.regularization_rate * total

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
        self._message = (
            f"Training diverged: the loss "
            f"{f'exploded to {loss:.3g} (it started at {self._start_loss:.3g})' if exploded else 'became NaN or infinite'}"
            f" with learning rate {self.learning_rate:g}. "
            f"The weights were restored to the last good ones (epoch {epoch}, step {step}; {lost} steps "
            f"undone). Lower the learning rate, then press Play.")

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
        self.task.training_live = self._state == "running"
        return Snapshot(
            state=self._state, epoch=self.epoch, step=self.step, epoch_fraction=frac, elapsed=self._elapsed,
            learning_rate=self.learning_rate, metrics=frozen(metrics), history=frozen(self.history.downsampled()),
            probes=frozen(self._live_probes() if probes else self._cached_probes()), message=self._message,
            device=self.device_name,
            seed=self.seed, task=self.task.name, classes=self.data.classes, data_version=self.data_version,
            class_names=tuple(self.data.class_names),
            dataset=self._dataset_arrays,
        )

    def _cached_probes(self) -> dict[str, np.ndarray]:
        return {k: v for name in sorted(self.probes) for k, v in self._probe_cache.get(name, {}).items()}

    def _live_probes(self) -> dict[str, np.ndarray]:
        """The open views' probes, each computed only while it keeps within its share of PROBE_BUDGET (else its
        last result again). Paused, or after anything that changes what a probe shows, all are fresh."""
        names = sorted(self.probes)
        if self._state != "running" or self._probe_cache_version != self._probe_version():
            self._probe_force.update(names)
        share = PROBE_BUDGET / max(1, len(names))
        out: dict[str, np.ndarray] = {}
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
            out.update(self._probe_cache[name])
        self._probe_force.clear()
        self._probe_cache_version = self._probe_version()
        return out

    def _probe_version(self) -> tuple[Any, ...]:
        # Whatever makes a cached probe stale: another model or data (rebuilds make new Probes objects), a step
        # back in time (divergence), a new restore.
        return (id(self._probes), self.seed, self.data_version)

    def compute_probes(self, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        return self._probes.compute(self.probes if names is None else names)

    def boundary(self) -> np.ndarray:
        """The model's output over the input plane: P(class 1) (or the predicted value), res×res, rows = y."""
        if not self.data.is_plane:
            raise EngineError("The decision boundary needs a 2-D dataset")
        return self._probes.compute(["boundary"])["boundary"]

    @property
    def hidden_layers(self) -> list[str]:
        return self._probes.hidden_layers()

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

    def checkpoint(self) -> dict[str, Any]:
        """Everything needed to go on exactly where the run is: weights, optimizer states, random generators,
        the epoch's permutation and position, counters and curves. Tensors (CPU, contiguous) in a flat dict
        for safetensors; everything else plain JSON-able data. Taken between steps."""
        tensors: dict[str, torch.Tensor] = {}
        for name, module in self.task.modules().items():
            for key, value in module.state_dict().items():
                tensors[f"model/{name}/{key}"] = _copy(value)
        optimizers: dict[str, Any] = {}
        for name, optimizer in self.optimizers.items():
            sd = optimizer.state_dict()
            plain_state: dict[str, dict[str, Any]] = {}
            for index, entry in sd["state"].items():
                plain_state[str(index)] = {}
                for key, value in entry.items():
                    if isinstance(value, torch.Tensor):
                        tensors[f"optimizer/{name}/{index}/{key}"] = _copy(value)
                    else:
                        plain_state[str(index)][key] = value
            optimizers[name] = {"param_groups": sd["param_groups"], "state": plain_state}
        tensors["rng/torch"] = torch.get_rng_state()
        tensors["rng/generator"] = self._generator.get_state().cpu()
        if self.device.type == "cuda":
            tensors["rng/cuda"] = torch.cuda.get_rng_state(self.device)
        if self._perm is not None:
            tensors["perm"] = _copy(self._perm)
        if self._losses:
            tensors["running/losses"] = _flat(self._losses).detach().float().cpu()
        if self._corrects:
            tensors["running/corrects"] = _flat(self._corrects).detach().cpu()
        meta = {
            "epoch": self.epoch, "step": self.step, "elapsed": self._elapsed, "pos": self._pos, "seed": self.seed,
            "batches": self._batches, "seen": self._seen, "epoch_limit": self._epoch_limit,
            "state": self._state, "start_loss": self._start_loss if np.isfinite(self._start_loss) else None,
            "optimizers": optimizers, "data_version": self.data_version,
        }
        history = {name: self.history.column(name).tolist() for name in self.history.names}
        return {"tensors": tensors, "meta": meta, "history": history}

    def restore(self, checkpoint: dict[str, Any]) -> None:
        """Put a :meth:`checkpoint` back (of a run of the same lab). Raises EngineError, naming the network
        and the layer, if the weights do not fit; then nothing has changed."""
        try:
            tensors: dict[str, torch.Tensor] = checkpoint["tensors"]
            meta: dict[str, Any] = checkpoint["meta"]
            history: dict[str, list[float]] = checkpoint["history"]
        except (KeyError, TypeError):
            raise EngineError("The saved training state is incomplete (it needs tensors, meta and history)") \
                from None
        states: dict[str, dict[str, torch.Tensor]] = {}
        for name, module in self.task.modules().items():
            prefix = f"model/{name}/"
            theirs = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            mine = module.state_dict()
            if not theirs:
                raise EngineError(f"The saved weights have no network '{name}'", field="weights")
            for key in mine:
                if key not in theirs:
                    raise EngineError(f"The saved weights of network '{name}' lack '{key}': they were saved for "
                                      f"another architecture", node=key.split(".")[0], field="weights")
                if tuple(theirs[key].shape) != tuple(mine[key].shape):
                    raise EngineError(f"The saved '{key}' of network '{name}' has shape "
                                      f"{tuple(theirs[key].shape)}, but the graph makes {tuple(mine[key].shape)}",
                                      node=key.split(".")[0], field="weights")
            extra = sorted(set(theirs) - set(mine))
            if extra:
                raise EngineError(f"The saved weights of network '{name}' have '{extra[0]}', which this graph "
                                  f"does not have", field="weights")
            states[name] = theirs
        optimizer_states: dict[str, dict[str, Any]] = {}
        saved_optimizers = meta.get("optimizers", {})
        for name in self.optimizers:
            saved = saved_optimizers.get(name)
            if not isinstance(saved, dict):
                raise EngineError(f"The saved training state has no optimizer '{name}'")
            state: dict[int, dict[str, Any]] = {}
            params = [p for group in self.optimizers[name].param_groups for p in group["params"]]
            for index, plain in saved.get("state", {}).items():
                entry = dict(plain)
                prefix = f"optimizer/{name}/{index}/"
                entry.update({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
                _check_optimizer_entry(name, index, entry, params)
                state[int(index)] = entry
            optimizer_states[name] = {"state": state, "param_groups": saved["param_groups"]}
        # Checked; from here on nothing can fail on the user's data, so change everything.
        old = self._capture_state()
        try:
            for name, module in self.task.modules().items():
                module.load_state_dict({k: v.to(self.device) for k, v in states[name].items()})
            for name, optimizer in self.optimizers.items():
                optimizer.load_state_dict(optimizer_states[name])
        except (RuntimeError, ValueError, KeyError, TypeError) as e:
            self._restore_state(old)
            raise EngineError(f"The saved optimizer state does not fit this lab's optimizer: {e}") from None
        if "rng/torch" in tensors:
            torch.set_rng_state(tensors["rng/torch"])
        if "rng/generator" in tensors and tensors["rng/generator"].numel() == self._generator.get_state().numel():
            # Only a state of this kind of generator: a GPU run's (Philox) does not fit the CPU's (Mersenne
            # Twister), and the other way round; the generator then keeps its seed.
            self._generator.set_state(tensors["rng/generator"])
        if "rng/cuda" in tensors and self.device.type == "cuda":
            torch.cuda.set_rng_state(tensors["rng/cuda"], self.device)
        self.epoch, self.step = int(meta.get("epoch", 0)), int(meta.get("step", 0))
        self._elapsed = float(meta.get("elapsed", 0.0))
        self.seed = int(meta.get("seed", self.seed))
        self._epoch_limit = max(int(meta.get("epoch_limit", self.settings.epochs)), self.epoch)
        perm = tensors.get("perm")
        if perm is not None and perm.numel() == self.x_train.shape[0]:
            self._perm = perm.to(self.device)
            self._pos = int(meta.get("pos", 0))
        else:
            self._perm, self._pos = None, 0
        self._reset_accumulators()
        if "running/losses" in tensors and self._perm is not None:
            self._losses = list(tensors["running/losses"].to(self.device).unbind())
            if "running/corrects" in tensors:
                self._corrects = list(tensors["running/corrects"].to(self.device).unbind())
            self._batches, self._seen = int(meta.get("batches", 0)), int(meta.get("seen", 0))
        self.history.clear()
        columns = [history.get(name, []) for name in self.history.names]
        rows = min((len(c) for c in columns), default=0)
        for i in range(rows):
            self.history.append(**{name: float(col[i]) if col[i] is not None else float("nan")
                                   for name, col in zip(self.history.names, columns)})
        start = meta.get("start_loss")
        if isinstance(start, (int, float)):
            self._start_loss = float(start)
        # A restored run waits for Play (or, headless, starts when run() is asked to start).
        self._state = "finished" if meta.get("state") == "finished" else "ready"
        self._message = ""
        self._reset_early_stopping()
        self._set_rate(scheduled_rate(self.settings, self.epoch))
        self._save_good()

    def state_dicts(self) -> dict[str, dict[str, torch.Tensor]]:
        return {name: {k: v.detach().cpu().contiguous() for k, v in m.state_dict().items()}
                for name, m in self.task.modules().items()}


def _check_optimizer_entry(name: str, index: Any, entry: dict[str, Any], params: list[nn.Parameter]) -> None:
    """A saved optimizer state must match its parameter in shape and dtype: torch does not check, and a fused
    kernel given a buffer of another size reads and writes out of bounds (a crash, from a file)."""
    try:
        param = params[int(index)]
    except (ValueError, IndexError):
        raise EngineError(f"The saved state of optimizer '{name}' is for parameter {index!r}, which this lab's "
                          f"optimizer does not have") from None
    for key, value in entry.items():
        if not isinstance(value, torch.Tensor):
            continue
        if key == "step":
            ok = value.numel() == 1 and value.is_floating_point()
        else:
            ok = value.shape == param.shape and value.dtype == param.dtype
        if not ok:
            raise EngineError(f"The saved state '{key}' of optimizer '{name}' does not fit parameter {index} "
                              f"({tuple(value.shape)} {value.dtype}; the parameter is {tuple(param.shape)} "
                              f"{param.dtype})", field="optimizer")


def _flat(parts: list[torch.Tensor]) -> torch.Tensor:
    """Per-batch values kept as single values (ordinary steps) and runs of them (fast-path calls), in order."""
    if all(p.dim() == 0 for p in parts):
        return torch.stack(parts)
    return torch.cat([p.reshape(-1) for p in parts])


def _copy(t: torch.Tensor) -> torch.Tensor:
    """A CPU copy that training can no longer change (``.cpu()`` of a CPU tensor is the same memory)."""
    return t.detach().to("cpu", copy=True).contiguous()


def _transfer(module: nn.Module, old: dict[str, torch.Tensor]) -> int:
    """Copy into ``module`` every layer of ``old`` whose tensors all have the same names and shapes."""
    kept = 0
    for name, child in module.named_children():
        mine = child.state_dict()
        theirs = {k[len(name) + 1:]: v for k, v in old.items() if k.startswith(name + ".")}
        if mine and set(mine) == set(theirs) and all(mine[k].shape == theirs[k].shape for k in mine):
            child.load_state_dict(theirs)
            kept += 1
    return kept
