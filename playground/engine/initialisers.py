"""Weight initialisers a lab can choose (the training setting ``init``), applied when a model is built or reset.

"default" leaves torch's own initialisation (Kaiming-uniform with a = √5, biases uniform in ±1/√fan_in), so a lab
that never chose keeps the weights it always had. Every other choice sets the weights of the layers that multiply
(dense, convolutions, recurrent cells) and zeroes their biases, as the papers that name them do; normalisation
layers keep their scale of 1 and shift of 0.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .errors import EngineError

_WEIGHTED = (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd, nn.RNNBase, nn.Embedding)


def _xavier(w: torch.Tensor) -> None:
    nn.init.xavier_uniform_(w)


def _he(w: torch.Tensor) -> None:
    nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")


def _normal(w: torch.Tensor) -> None:
    nn.init.normal_(w, 0.0, 0.01)


def _uniform(w: torch.Tensor) -> None:
    nn.init.uniform_(w, -0.05, 0.05)


def _zeros(w: torch.Tensor) -> None:
    nn.init.zeros_(w)


INITIALISERS: dict[str, Callable[[torch.Tensor], None]] = {
    "xavier": _xavier,
    "he": _he,
    "normal": _normal,
    "uniform": _uniform,
    "zeros": _zeros,
}


def initialise(module: nn.Module, name: str) -> int:
    """Set the weights of ``module``'s multiplying layers by initialiser ``name`` and zero their biases (nothing
    for "default"). Returns how many tensors were set. Draws from torch's global generator, which the trainer
    seeds first, so a seed gives the same weights every time."""
    if name == "default":
        return 0
    fill = INITIALISERS.get(name)
    if fill is None:
        raise EngineError(f"Unknown weight initialiser {name!r} (initialisers: default, {', '.join(INITIALISERS)})",
                          field="init")
    count = 0
    with torch.no_grad():
        for layer in module.modules():
            if not isinstance(layer, _WEIGHTED):
                continue
            for p in layer.parameters(recurse=False):
                if p.dim() >= 2:
                    fill(p)
                else:
                    nn.init.zeros_(p)
                count += 1
    return count
