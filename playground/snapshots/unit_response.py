"""Records of what a trained network responds to: inputs optimised to excite its units, and its token embeddings.

Neither is a live probe of the training loop: the app computes them on request (on a thread of their own, from the
weights a running session hands over or from a lab's starting weights), but they travel to the views as the same
kind of frozen record, so the views read numpy arrays and plain values only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .records import Record


@dataclass(frozen=True)
class ActivationMaximisation(Record):
    """Inputs (N, C, H, W) optimised to excite N targets of one layer: its classes (``layer`` empty: the network's
    logits) or its units or channels. ``labels`` names each image ("3", "channel 2 of conv_1"); ``start`` and
    ``final`` are each target's activation on the start image and on the optimised one; ``steps_done`` of
    ``steps`` were run (fewer when cancelled); ``bounds`` is the data's value range the pixels were clipped to;
    ``source`` says where the weights came from; ``spatial`` how a channel's activation was read ("mean" over its
    map or its "centre" unit; empty for classes and dense units)."""

    probe = "activation_maximisation"
    images: np.ndarray
    labels: tuple[str, ...]
    layer: str
    start: np.ndarray
    final: np.ndarray
    steps: int
    steps_done: int
    cancelled: bool
    bounds: tuple[float, float]
    source: str = ""
    spatial: str = ""

    @property
    def is_classes(self) -> bool:
        return not self.layer


@dataclass(frozen=True)
class Embeddings(Record):
    """An Embedding layer's vectors (V, D) and their 2-D PCA projection (V, 2), with each token (``tokens``, as
    shown), the share of the variance each of the two axes explains, and for every token its ``neighbours`` (V, K)
    by cosine similarity, most similar first, with their ``similarities`` (V, K)."""

    probe = "embedding"
    layer: str
    tokens: tuple[str, ...]
    vectors: np.ndarray
    points: np.ndarray
    explained: np.ndarray
    neighbours: np.ndarray
    similarities: np.ndarray
    source: str = ""
