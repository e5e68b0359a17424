"""Flatten and Reshape: layers that only move a sample's numbers into another shape."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from playground.graph import Shape

from ..modules import Reshape
from .base import CodeWriter, Imported, ImportPattern, KindHome, Params, first

RESHAPE_SOURCE = '''
class Reshape(nn.Module):
    """Reshape each sample to ``shape`` (the batch dimension is kept)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)
'''

FLATTEN = KindHome(
    "Flatten", lambda p, inputs: nn.Flatten(),
    (CodeWriter(nn.Flatten, lambda m: "nn.Flatten()"),),
    (ImportPattern("Flatten", ("start_dim", "end_dim"), lambda a: Imported("Flatten", {}),
                   {"start_dim": 1, "end_dim": -1}, functional=("flatten",)),),
)


def _reshape(p: Params, inputs: Sequence[Shape]) -> nn.Module:
    target = list(p["shape"])
    if -1 in target:
        known = 1
        for d in target:
            if d != -1:
                known *= d
        target[target.index(-1)] = first(inputs).size // known
    return Reshape(tuple(target))


RESHAPE = KindHome(
    "Reshape", _reshape,
    (CodeWriter(Reshape, lambda m: f"Reshape({tuple(m.shape)!r})", RESHAPE_SOURCE),),
    (ImportPattern("Reshape", ("shape",), lambda a: Imported("Reshape", {"shape": list(a["shape"])}), helper=True),
     ImportPattern("Unflatten", ("dim", "unflattened_size"),
                   lambda a: Imported("Reshape", {"shape": list(a["unflattened_size"])}), {"dim": 1})),
)

HOMES = (FLATTEN, RESHAPE)
