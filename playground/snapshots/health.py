"""Records of the time machine and of the network's health: the moments a run keeps of its weights, and per layer
what its units and gradients look like (dead ReLUs, saturated units, vanishing or exploding gradients, NaN)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .records import Record


@dataclass(frozen=True)
class LayerHealth:
    """One layer's health. Shares are of the layer's units (features, or channels of an image), in [0, 1]; a
    value that does not apply to the layer's kind is None. ``problems`` are short labels ("dead", "saturated",
    "vanishing", "exploding", "nan"), empty when the layer looks healthy."""

    kind: str
    units: int
    dead: float | None = None
    saturated: float | None = None
    gradient_norm: float | None = None
    nan: bool = False
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkHealth(Record):
    """node name -> its :class:`LayerHealth`, in network order, measured on a probe batch of ``samples`` inputs."""

    probe = "health"
    layers: Mapping[str, LayerHealth]
    samples: int = 0

    def flagged(self) -> dict[str, LayerHealth]:
        return {name: layer for name, layer in self.layers.items() if layer.problems}


@dataclass(frozen=True)
class Timeline(Record):
    """The moments the time machine keeps of this run: each one's step and epoch, oldest first, (M,) int64.
    ``showing`` is the step of the moment this snapshot shows, or -1 for the run as it is now."""

    probe = "timeline"
    steps: np.ndarray
    epochs: np.ndarray
    showing: int = -1

    def __len__(self) -> int:
        return int(self.steps.shape[0])
