"""Tensor shapes as the graph sees them: per sample, without the batch dimension."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod


@dataclass(frozen=True)
class Shape:
    """The shape of one sample flowing along an edge.

    Rank 1 is a vector (features), rank 2 a sequence (steps x features), rank 3 an image (channels x height x
    width). ``dtype`` is ``"float"`` for values and ``"index"`` for token ids (what an Embedding reads).
    """

    dims: tuple[int, ...]
    dtype: str = "float"

    @property
    def rank(self) -> int:
        return len(self.dims)

    @property
    def size(self) -> int:
        return prod(self.dims)

    @property
    def is_vector(self) -> bool:
        return self.rank == 1 and self.dtype == "float"

    @property
    def is_sequence(self) -> bool:
        return self.rank == 2 and self.dtype == "float"

    @property
    def is_image(self) -> bool:
        return self.rank == 3 and self.dtype == "float"

    @property
    def is_tokens(self) -> bool:
        return self.dtype == "index"

    def __str__(self) -> str:
        return "×".join(str(d) for d in self.dims)

    def describe(self) -> str:
        """A phrase a student reads: "a vector of 784", "an image 1×28×28", "a sequence 20×8"."""
        if self.is_tokens:
            return f"a sequence of {self.dims[0]} token ids" if self.rank == 1 else f"token ids {self}"
        if self.rank == 1:
            return f"a vector of {self.dims[0]}"
        if self.rank == 2:
            return f"a sequence {self} (steps×features)"
        if self.rank == 3:
            return f"an image {self} (C×H×W)"
        return f"a tensor {self}"

    def to_list(self) -> list[int]:
        return list(self.dims)


def vector(n: int) -> Shape:
    return Shape((n,))


def image(c: int, h: int, w: int) -> Shape:
    return Shape((c, h, w))


def sequence(t: int, f: int) -> Shape:
    return Shape((t, f))


def tokens(t: int) -> Shape:
    return Shape((t,), "index")
