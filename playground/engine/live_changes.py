"""Commands into a Trainer (a mixin): queued from any thread, checked there, applied between steps; the live
changes they make (settings, dataset, an edited network, added samples, checkpoints)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from playground.graph import DatasetSettings, GraphError, Lab

from .commands import (
    AddSamples,
    Classify,
    Command,
    ContinueFrom,
    Pause,
    Recompile,
    Reset,
    Restore,
    Resume,
    SetDataset,
    SetFrozen,
    SetProbes,
    SetSample,
    SetTraining,
    SetWeights,
    ShowMoment,
    Step,
    Stop,
    TakeCheckpoint,
    WatchHealth,
)
from .datasets import load_dataset
from .device import resolve_device
from .errors import EngineError
from .freezing import apply_freeze, carry_state
from .optimizers import scheduled_rate
from .probes import Probes, check_probe_names
from .weights_loading import load_into

if TYPE_CHECKING:
    from .trainer_parts import TrainerParts
else:
    TrainerParts = object  # the declarations are for the type checker; at run time a mixin is a plain class

# Settings that only change how the next steps run; the others rebuild the optimizer or the schedule.
_LIVE_FIELDS = {"regularization", "regularization_rate", "grad_clip", "batch_size", "epochs", "early_stopping",
                "patience"}
_OPTIMIZER_FIELDS = {"optimizer", "momentum", "weight_decay"}


class LiveChanges(TrainerParts):
    """The Trainer's command handling; it uses the Trainer's attributes and building methods."""

    def send(self, command: Command) -> None:
        """Queue a command (thread-safe). Bad settings raise here, in the caller's thread, before queueing."""
        if isinstance(command, Classify) and self._drawing_answers.offer(command, self._state == "running"):
            return  # answered beside the loop, without waiting for the step or the epoch's end under way
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
        if isinstance(command, SetFrozen):
            frozen = command.frozen
            if not isinstance(frozen, Mapping) or not all(
                    isinstance(v, (list, tuple)) and all(isinstance(n, str) for n in v) for v in frozen.values()):
                raise EngineError("SetFrozen needs a mapping: network name -> list of layer names")
        if isinstance(command, SetWeights):
            self._check_weights(command.network, command.tensors)
        if isinstance(command, Step) and command.batches < 1:
            raise EngineError("Step needs at least one batch")
        self._commands.append(command)
        self._wake.set()

    def _apply(self, command: Command) -> None:
        if isinstance(command, (Pause, Resume, Step)):
            self._apply_playback(command)
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
            self._probe_force.update(("feature_maps", "prediction"))  # a drawing's answer must not wait
            self._sample_due = True
        elif isinstance(command, SetWeights):
            load_into(self.task.modules()[command.network], command.tensors)
            self._message = f"Copied the weights of {len(command.tensors)} tensors into '{command.network}'"
            self._refresh = True
            self._probe_force.update(self.probes)
        elif isinstance(command, SetFrozen):
            self._apply_frozen({str(k): list(v) for k, v in command.frozen.items()})
        elif isinstance(command, (ShowMoment, ContinueFrom, WatchHealth)):
            self._apply_time_travel(command)
        elif isinstance(command, AddSamples):
            self._add_samples(np.asarray(command.images, np.float32), np.asarray(command.labels, np.int64))
            self._refresh = True
        elif isinstance(command, (TakeCheckpoint, Classify)):
            self._answer(command)
        elif isinstance(command, Restore):
            self._apply_restore(command)
        elif isinstance(command, Stop):
            self._stop = True

    @property
    def answered_aside(self) -> int:
        """How many drawings were answered beside the loop, on the replica of the weights (for the benchmark)."""
        return self._drawing_answers.answered_aside

    def _refresh_drawing_answers(self) -> None:
        """Between two steps: the replica the drawing pad's answers are read from follows the weights while
        drawings come."""
        self._drawing_answers.refresh(self._probes, self._state == "running")

    def _answer(self, command: TakeCheckpoint | Classify) -> None:
        """A reading with a reply: the state for a save, or the drawing pad's answer (one forward pass)."""
        if isinstance(command, Classify):
            command.reply(command.number, self._probes.classify(command.image))
        else:
            command.reply(self.checkpoint_to_save())

    def _apply_restore(self, command: Restore) -> None:
        try:
            self.restore(command.checkpoint)
            self.restore_moments(command.checkpoint)
        except EngineError as e:
            self._problem(str(e))
        self._refresh = True
        self._probe_force.update(self.probes)

    def _apply_playback(self, command: Pause | Resume | Step) -> None:
        if isinstance(command, Pause):
            if self._state == "running":
                self._state = "paused"
            self._pending_batches, self._pending_epoch = 0, False
        elif isinstance(command, Resume):
            if self._state == "finished" and self.epoch >= self._epoch_limit:
                self._epoch_limit = self.epoch + self.settings.epochs
            self._state, self._message = "running", ""
        else:
            if command.epoch:
                self._pending_epoch = True
            else:
                self._pending_batches += command.batches
            if self._state in ("running", "ready"):  # after a step the run has begun, and waits
                self._state = "paused"
            self._message = ""

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

    def _check_weights(self, network: str, tensors: Mapping[str, Any]) -> None:
        module = self.task.modules().get(network)
        if module is None:
            raise EngineError(f"The lab has no network '{network}' for the weights")
        own = module.state_dict()
        for key, value in tensors.items():
            if key not in own or not isinstance(value, torch.Tensor) or value.shape != own[key].shape:
                raise EngineError(f"The weights '{key}' do not fit network '{network}'")

    def _apply_frozen(self, frozen: dict[str, list[str]]) -> None:
        """Lock or unlock layers between two steps: frozen parameters stop needing gradients and leave the
        optimizers; the others keep their optimizer state."""
        before = self.lab.frozen
        self.lab.frozen = frozen
        try:
            apply_freeze(self.lab, self.task.modules())
        except EngineError as e:
            self.lab.frozen = before
            self._problem(str(e))
            return
        old = self.optimizers
        self.optimizers = self._make_optimizers()
        carry_state(old, self.optimizers)
        self._set_rate(scheduled_rate(self.settings, self.epoch))
        count = sum(len(v) for v in frozen.values())
        self._message = f"{count} layer{'s' if count != 1 else ''} frozen" if count else "No layer is frozen"

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
