"""Records of how a network learns, for the backpropagation view and the gradient check.

A :class:`BackpropTrace` is one training step of one sample (or a small batch) taken apart: the forward pass layer
by layer, the loss, the backward pass layer by layer, the update. Layer 0 is the input; layer ``l`` (1..L) is the
``l``-th Dense layer together with the activation that follows it, so its units have an input sum ``z = W·a + b``
and an activation ``a = f(z)``. Per-unit arrays have a leading batch axis; weights are ``(units, inputs)`` as in
``torch.nn.Linear``. Networks too large to read unit by unit carry only :class:`LayerSummary` norms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UnitLayer:
    """The units of one layer in one step. For the input layer only ``a`` (the inputs) is set."""

    name: str  # the Dense node's name ("input" for layer 0)
    activation: str  # the activation's kind after the Dense ("Identity" when none)
    a: np.ndarray  # (B, n) activations a = f(z)
    z: np.ndarray | None = None  # (B, n) input sums z = W·a_prev + b
    dloss_da: np.ndarray | None = None  # (B, n) ∂L/∂a, what the layer above sends back
    fprime: np.ndarray | None = None  # (B, n) f'(z)
    delta: np.ndarray | None = None  # (B, n) error terms δ = ∂L/∂z = ∂L/∂a · f'(z)


@dataclass(frozen=True)
class WeightLayer:
    """The weights into one layer: before, their gradients (∂L/∂w = Σ over the batch of δ·a_prev), after."""

    name: str
    weight: np.ndarray  # (n, m)
    grad_weight: np.ndarray  # (n, m)
    new_weight: np.ndarray  # (n, m), what the optimizer made of it
    bias: np.ndarray | None = None  # (n,)
    grad_bias: np.ndarray | None = None
    new_bias: np.ndarray | None = None


@dataclass(frozen=True)
class LayerSummary:
    """One layer of a network too large to show unit by unit: L2 norms over the batch and the layer."""

    name: str
    activation: str
    units: int
    z_norm: float
    a_norm: float
    delta_norm: float
    weight_norm: float
    grad_norm: float
    update_norm: float  # ‖w_new − w‖


@dataclass(frozen=True)
class GradientCheckEntry:
    """One weight's derivative two ways: the central difference (L(w+ε) − L(w−ε)) / 2ε and autograd's."""

    layer: str
    row: int
    column: int  # -1: the bias of unit ``row``
    weight: float
    numeric: float
    analytic: float
    relative_error: float  # |numeric − analytic| / max(|numeric|, |analytic|, floor)


@dataclass(frozen=True)
class GradientCheck:
    epsilon: float
    entries: tuple[GradientCheckEntry, ...]

    @property
    def worst(self) -> float:
        return max((e.relative_error for e in self.entries), default=0.0)

    def find(self, layer: str, row: int, column: int) -> GradientCheckEntry | None:
        return next((e for e in self.entries if (e.layer, e.row, e.column) == (layer, row, column)), None)


@dataclass(frozen=True)
class BackpropTrace:
    """One training step taken apart. ``units`` has L + 1 entries and ``weights`` L when ``detailed``; both are
    empty for a large network, which has ``summaries`` only."""

    network: str
    inputs: np.ndarray  # (B, m) what layer 0 holds
    targets: np.ndarray  # (B, K) numbers to predict, or (B,) classes
    outputs: np.ndarray  # (B, K) the last layer's activations
    loss: float
    loss_name: str  # "mse" (mean over the batch and the outputs) or "cross_entropy" (softmax folded in)
    optimizer: str
    learning_rate: float
    detailed: bool
    units: tuple[UnitLayer, ...]
    weights: tuple[WeightLayer, ...]
    summaries: tuple[LayerSummary, ...]
    gradient_check: GradientCheck
    new_loss: float = float("nan")  # the same batch's loss after the update
    note: str = ""  # what the student should know about this trace (a fresh optimizer state, a skipped dropout)

    @property
    def layer_count(self) -> int:
        """L, the number of layers with weights."""
        return len(self.summaries)

    @property
    def batch_size(self) -> int:
        return int(self.inputs.shape[0])
