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

from playground.data.download import (
    FASHION_MNIST_BASE_URLS,
    FASHION_MNIST_FILES,
    MNIST_BASE_URLS,
    MNIST_FILES,
    DownloadCancelled,
    download,
    fetch_dataset,
    file_checksum,
)
from playground.data.idx import load_idx_pair, read_idx, write_idx
from playground.data.image_folder import ImageFolderData, load_image_folder

__all__ += [
    "FASHION_MNIST_BASE_URLS",
    "FASHION_MNIST_FILES",
    "MNIST_BASE_URLS",
    "MNIST_FILES",
    "DownloadCancelled",
    "ImageFolderData",
    "download",
    "fetch_dataset",
    "file_checksum",
    "load_idx_pair",
    "load_image_folder",
    "read_idx",
    "write_idx",
]
