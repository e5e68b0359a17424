"""An image classifier as the attacks, the attributions and adversarial training see it: its input as an image
(also a flat square one) and its output as log-probabilities. Below both the insight probes and the tasks, whose
adversarial training uses it."""

from __future__ import annotations

from typing import Any

import torch

from ..augment import image_shape
from . import attacks


def sample_image_shape(input_shape: tuple[int, ...]) -> tuple[int, int, int] | None:
    """(C, H, W) of the network's input if it is an image, also a flat square one (784 values: 1×28×28)."""
    shape = image_shape(tuple(input_shape))
    if shape is None and len(input_shape) == 1:
        side = round(input_shape[0] ** 0.5)
        if side >= 4 and side * side == input_shape[0]:
            shape = (1, side, side)
    return shape


def log_prob_forward(task: Any) -> attacks.Forward:
    """The classifier of ``task`` as inputs -> log-probabilities, whether its network ends in scores or in a
    Softmax (what the attacks' loss and the attributions differentiate)."""
    model = task.model
    log_probs = getattr(task, "_log_probs", None)

    def forward(v: torch.Tensor) -> torch.Tensor:
        out = model(v)
        return log_probs(out) if log_probs is not None else torch.log_softmax(out, dim=-1)

    return forward
