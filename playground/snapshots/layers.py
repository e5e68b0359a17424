"""Records of a network's layers and of image classifiers: weights, gradients, filters, feature maps, the drawing
pad's answer, the confusion matrix, augmented samples."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .records import Record


@dataclass(frozen=True)
class Weights(Record):
    """layer -> weight, Dense (out, in), Conv2d (out, in, k, k), ..., float32, in network order."""

    probe = "weights"
    layers: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Gradients(Record):
    """The gradient norm of each layer's parameters at each recorded step: ``steps`` (T,) and layer -> (T,)
    float64 (NaN where a layer had none), in network order."""

    probe = "gradients"
    steps: np.ndarray
    layers: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Filters(Record):
    """Conv2d node -> kernels (out_channels, in_channels, k, k) float32, in network order."""

    probe = "filters"
    layers: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class FeatureMaps(Record):
    """One sample through the network: its input (C, H, W) or (F,), its true class (None for a drawing or a
    sample without a class), every layer's output (C, H, W) or (F,) in network order, for a classifier the class
    probabilities, and whether the sample is the drawing pad's drawing rather than a test sample."""

    probe = "feature_maps"
    input: np.ndarray
    label: int | None
    layers: Mapping[str, np.ndarray]
    probabilities: np.ndarray | None = None
    drawing: bool = False


@dataclass(frozen=True)
class Prediction(Record):
    """The classifier's answer for the drawing pad's drawing: the drawing as the network reads it and the class
    probabilities."""

    probe = "prediction"
    input: np.ndarray
    probabilities: np.ndarray


@dataclass(frozen=True)
class Confusion(Record):
    """The test set's confusion ``matrix`` (classes, classes) int64, rows true, columns predicted; up to a few
    misclassified test images (M, H, W) or, in colour, (M, 3, H, W), with their true and predicted classes."""

    probe = "confusion"
    matrix: np.ndarray
    images: np.ndarray
    true: np.ndarray
    predicted: np.ndarray


@dataclass(frozen=True)
class AugmentedSamples(Record):
    """The first training images as the network sees them under the augmentation settings: (N, C, H, W) float32
    and their labels (N,) int64."""

    probe = "augmented"
    images: np.ndarray
    labels: np.ndarray
