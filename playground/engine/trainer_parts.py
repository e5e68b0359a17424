"""What the trainer's jobs (live changes, guards, the probe scheduler, checkpointing) use of one another and of the
:class:`~playground.engine.trainer.Trainer` that joins them.

Each job is a mixin in its own module; this class is their common base for the type checker only (at run time the
mixins derive from ``object``), so a mixin's use of an attribute or method another part owns is checked against one
declaration, and the Trainer is checked to provide all of it (the methods are abstract here).
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from playground.compile import CompiledNetwork
    from playground.graph import Lab, TrainingSettings
    from playground.snapshots import Record

    from .commands import Command, ContinueFrom, ShowMoment, WatchHealth
    from .datasets import DataBundle
    from .drawing_answers import DrawingAnswers
    from .probes import Probes
    from .snapshot import MetricHistory
    from .tasks import Task


class TrainerParts:
    lab: Lab
    settings: TrainingSettings
    device: torch.device
    seed: int
    epoch: int
    step: int
    probes: frozenset[str]
    data: DataBundle
    data_version: int
    networks: dict[str, CompiledNetwork]
    task: Task
    optimizers: dict[str, torch.optim.Optimizer]
    history: MetricHistory
    _params: list[torch.nn.Parameter]
    _weights: list[torch.nn.Parameter]
    _dataset_arrays: Mapping[str, np.ndarray]
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    _state: str
    _message: str
    _epoch_limit: int
    _perm: torch.Tensor | None
    _generator: torch.Generator
    _batches: int
    _losses: list[torch.Tensor]
    _start_loss: float
    _good_rows: int
    _commands: deque[Command]
    _wake: threading.Event
    _fixed_data: bool
    _grid_resolution: int
    _probes: Probes
    _probe_force: set[str]
    _probe_cache: dict[str, list[Record]]
    _probe_costs: dict[str, float]
    _probe_times: dict[str, float]
    _probe_cache_version: tuple[Any, ...]
    _answer_only: bool
    _drawing_answers: DrawingAnswers

    @property
    @abstractmethod
    def learning_rate(self) -> float: ...

    @abstractmethod
    def _set_rate(self, rate: float) -> None: ...

    @abstractmethod
    def _set_data(self, data: DataBundle) -> None: ...

    @abstractmethod
    def _data_tensors(self) -> None: ...

    @abstractmethod
    def _build(self, seed: int) -> None: ...

    @abstractmethod
    def _build_model(self, seed: int, keep: dict[str, dict[str, torch.Tensor]] | None = None) -> int: ...

    @abstractmethod
    def _make_optimizers(self) -> dict[str, torch.optim.Optimizer]: ...

    @abstractmethod
    def _reset_accumulators(self) -> None: ...

    @abstractmethod
    def _measure_start_loss(self) -> None: ...

    @abstractmethod
    def _reset_early_stopping(self) -> None: ...

    @abstractmethod
    def _save_good(self) -> None: ...

    @abstractmethod
    def _capture_state(self) -> dict[str, Any]: ...

    @abstractmethod
    def _restore_state(self, state: dict[str, Any]) -> None: ...

    @abstractmethod
    def checkpoint(self) -> dict[str, Any]: ...

    @abstractmethod
    def restore(self, checkpoint: dict[str, Any]) -> None: ...

    @abstractmethod
    def _apply_time_travel(self, command: ShowMoment | ContinueFrom | WatchHealth) -> None: ...

    @abstractmethod
    def checkpoint_to_save(self) -> dict[str, Any]: ...

    @abstractmethod
    def restore_moments(self, checkpoint: dict[str, Any]) -> None: ...

    @abstractmethod
    def state_dicts(self) -> dict[str, dict[str, torch.Tensor]]: ...
