"""Optimizers and learning-rate schedules of the training loop, and the check a saved optimizer state must pass."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from playground.graph import TrainingSettings

from .errors import EngineError


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
