"""Datasets as numpy arrays: the 2-D toy sets, images, sequences, text."""

from playground.data.errors import DataError
from playground.data.toy2d import (
    DATASETS_2D,
    FEATURES,
    DatasetInfo,
    Split,
    generate_2d,
    grid_2d,
    make_features,
    split,
    thumbnail,
)

__all__ = [
    "DATASETS_2D",
    "FEATURES",
    "DataError",
    "DatasetInfo",
    "Split",
    "generate_2d",
    "grid_2d",
    "make_features",
    "split",
    "thumbnail",
]
