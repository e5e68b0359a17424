"""An Embedding layer's vectors as a map: a 2-D PCA projection labelled with the tokens, and each token's nearest
neighbours by cosine similarity. Tokens that the network uses alike end up near each other as it learns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from torch import nn

from playground.graph import Lab
from playground.snapshots.unit_response import Embeddings

from ..errors import EngineError
from .maximise import trained_network

NEIGHBOURS = 8
# How a character token reads on a plot: the invisible ones by a visible sign.
SHOWN = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


def embedding_layers(lab: Lab) -> list[str]:
    """The names of the lab's Embedding layers (of its first network), in graph order."""
    if not lab.networks:
        return []
    return [n.name for n in lab.networks[0].graph.nodes.values() if n.kind == "Embedding"]


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``vectors`` (V, D) on their first two principal axes (V, 2), from the covariance's eigenvectors,
    each axis signed so its largest loading is positive (the map does not flip between two readings); and the
    share of the variance each axis explains (2,)."""
    v = np.asarray(vectors, dtype=np.float64)
    centred = v - v.mean(axis=0)
    covariance = centred.T @ centred / max(1, len(v) - 1)
    values, axes = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1][:2]
    axes = axes[:, order]
    if axes.shape[1] < 2:  # a 1-D embedding: the second axis is flat
        axes = np.concatenate([axes, np.zeros((axes.shape[0], 2 - axes.shape[1]))], axis=1)
    signs = np.sign(axes[np.argmax(np.abs(axes), axis=0), np.arange(2)])
    axes = axes * np.where(signs == 0, 1.0, signs)
    total = float(values.clip(min=0).sum())
    explained = np.array([max(0.0, float(values[i])) / total if total > 0 else 0.0 for i in order] + [0.0] * 2)[:2]
    return centred @ axes, explained


def nearest_neighbours(vectors: np.ndarray, k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``vectors`` (V, D), the ``k`` other rows most similar by cosine, most similar first (V, k),
    and those similarities (V, k). A zero vector is similar to nothing (0)."""
    v = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    unit = np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)
    cosine = unit @ unit.T
    np.fill_diagonal(cosine, -np.inf)  # a token is not its own neighbour
    k = max(0, min(k, len(v) - 1))
    order = np.argsort(-cosine, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(cosine, order, axis=1)


def shown_token(token: str) -> str:
    return SHOWN.get(token, token)


def embedding_map(vectors: np.ndarray, tokens: Sequence[str], layer: str, source: str = "",
                  k: int = NEIGHBOURS) -> Embeddings:
    """The record of an Embedding layer's weight matrix (V, D): tokens beyond ``tokens`` are named by their id."""
    v = np.asarray(vectors, dtype=np.float32)
    names = tuple(shown_token(tokens[i]) if i < len(tokens) else f"#{i}" for i in range(len(v)))
    points, explained = pca_2d(v)
    neighbours, similarities = nearest_neighbours(v, k)
    return Embeddings(layer=layer, tokens=names, vectors=v.copy(), points=points.astype(np.float32),
                      explained=explained.astype(np.float32), neighbours=neighbours.astype(np.int64),
                      similarities=similarities.astype(np.float32), source=source)


def lab_embeddings(lab: Lab, checkpoint: Mapping[str, Any] | None = None, layer: str = "",
                   tokens: Sequence[str] = ()) -> Embeddings:
    """The map of ``layer`` (default: the first Embedding layer) of the lab's network, with the weights of a
    running trainer's checkpoint or the lab's starting ones; ``tokens`` names the ids (the data's vocabulary)."""
    layers = embedding_layers(lab)
    if not layers:
        raise EngineError("This network has no Embedding layer: embeddings are what a network learns for tokens "
                          "(try the character-level LSTM template)")
    name = layer or layers[0]
    if name not in layers:
        raise EngineError(f"'{name}' is not an Embedding layer of this network (these are: {', '.join(layers)})")
    network = trained_network(lab, checkpoint)
    module = dict(network.module.named_children()).get(name)
    if not isinstance(module, nn.Embedding):
        raise EngineError(f"Layer '{name}' did not compile to an embedding")
    return embedding_map(module.weight.detach().float().numpy(), tokens, name, network.source)
