"""Adversarial training: a share of each training batch replaced by FGSM examples made against the network as it is
at that step (Goodfellow et al. 2015), so it learns to answer the same within ε of each image."""

from __future__ import annotations

from typing import Any

import torch

from . import attacks
from .classifier import log_prob_forward, sample_image_shape

PIXEL_RANGE = (0.0, 1.0)  # every image set of the app holds pixels in [0, 1]; a fixed range costs no device sync


def adversarial_share(settings: Any) -> float:
    return float(getattr(settings, "adversarial_share", 0.0) or 0.0)


def adversarial_batch(task: Any, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``x`` with its first ``adversarial_share`` of samples (the batch is already in random order) replaced by
    their FGSM examples at ``adversarial_epsilon``; ``x`` itself when adversarial training is off or the inputs are
    not images."""
    share = adversarial_share(task.settings)
    eps = float(getattr(task.settings, "adversarial_epsilon", 0.0))
    n = min(int(x.shape[0]), max(1, round(share * int(x.shape[0])))) if share > 0 else 0
    if n == 0 or eps <= 0 or sample_image_shape(tuple(x.shape[1:])) is None:
        return x
    adv = attacks.attack(log_prob_forward(task), x[:n], y[:n], attacks.AttackSettings("fgsm", eps), PIXEL_RANGE)
    return torch.cat([adv, x[n:]]) if n < x.shape[0] else adv
