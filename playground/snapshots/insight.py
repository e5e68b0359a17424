"""Records of the insight probes: adversarial examples, an attack's success curve, saliency maps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .records import Record


@dataclass(frozen=True)
class Adversarial(Record):
    """The current sample (C, H, W) attacked: the original, the adversarial image, their difference, the class
    probabilities before and after; the sample's true class (None for a drawing, attacked against the network's
    own answer); the attack's settings; the input's value bounds; and the run's adversarial-training settings."""

    probe = "adversarial"
    original: np.ndarray
    adversarial: np.ndarray
    perturbation: np.ndarray
    before: np.ndarray
    after: np.ndarray
    label: int | None
    method: str
    epsilon: float
    steps: int
    target: int
    bounds: tuple[float, float]
    training_share: float
    training_epsilon: float


@dataclass(frozen=True)
class AdversarialCurve(Record):
    """The attack's success rate (E,) over the first test images at each ε (E,), how many were attacked (those the
    network had right), and the attack's settings."""

    probe = "adversarial_curve"
    epsilons: np.ndarray
    success: np.ndarray
    attacked: int
    method: str
    steps: int
    target: int


@dataclass(frozen=True)
class Saliency(Record):
    """Every attribution method's map (H, W) of the current sample (C, H, W) for class ``target_class``; the
    sample's true class (None for a drawing) and the class probabilities."""

    probe = "saliency"
    image: np.ndarray
    target_class: int
    label: int | None
    probabilities: np.ndarray
    maps: Mapping[str, np.ndarray]
