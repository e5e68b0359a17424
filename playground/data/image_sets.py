"""The full MNIST and Fashion-MNIST sets (read from their IDX files) and CIFAR-10 (its binary batches): downloaded
once into the per-user cache.

The built-in 9,000 digits work offline; these two are optional, larger (70,000 images each) and need one download.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from playground.data import cifar
from playground.data.download import (
    FASHION_MNIST_BASE_URLS,
    FASHION_MNIST_FILES,
    MNIST_BASE_URLS,
    MNIST_FILES,
    Checksum,
    Progress,
    fetch_dataset,
)
from playground.data.errors import DataError
from playground.data.idx import load_idx_pair

#: Set this to keep downloaded sets somewhere else than the per-user cache (tests, shared lab machines).
CACHE_ENV = "PLAYGROUND_DATA_DIR"
VALIDATION = 5000  # taken from the end of the training files; the test files stay the test set


@dataclass(frozen=True)
class ImageSetInfo:
    name: str
    title: str
    description: str
    files: Mapping[str, Checksum]
    mirrors: tuple[str, ...]
    class_names: tuple[str, ...]
    credit: str
    image_shape: tuple[int, int, int] = (1, 28, 28)  # (channels, height, width) of each image


IMAGE_SETS: dict[str, ImageSetInfo] = {
    "mnist": ImageSetInfo(
        "mnist", "MNIST (70,000 digits)",
        "The full handwritten-digit set: 60,000 training and 10,000 test images, 28×28 (about 11 MB to download).",
        MNIST_FILES, MNIST_BASE_URLS, tuple(str(d) for d in range(10)),
        "Yann LeCun, Corinna Cortes and Christopher J.C. Burges, The MNIST database of handwritten digits; "
        "Creative Commons Attribution-Share Alike 3.0."),
    "fashion_mnist": ImageSetInfo(
        "fashion_mnist", "Fashion-MNIST (70,000 clothes)",
        "Zalando's drop-in replacement for MNIST: 10 kinds of clothing, 28×28, harder than digits (about 30 MB).",
        FASHION_MNIST_FILES, FASHION_MNIST_BASE_URLS,
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        "Han Xiao, Kashif Rasul and Roland Vollgraf, Fashion-MNIST (Zalando Research, 2017); MIT licence."),
    "cifar10": ImageSetInfo(
        "cifar10", "CIFAR-10 (60,000 colour photos)",
        "Natural colour photographs, 32×32: airplanes, cars, birds, cats, deer, dogs, frogs, horses, ships and "
        "trucks; 50,000 to train, 10,000 to test (about 163 MB to download, read without unpickling).",
        cifar.FILES, cifar.BASE_URLS, cifar.CLASS_NAMES, cifar.CREDIT, (3, 32, 32)),
}


def cache_root() -> Path:
    """Where downloaded sets live: $PLAYGROUND_DATA_DIR, else the per-user cache folder."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("neural-network-playground", appauthor=False)) / "datasets"


def _info(name: str) -> ImageSetInfo:
    try:
        return IMAGE_SETS[name]
    except KeyError:
        raise DataError(f"Unknown image set '{name}' (sets: {', '.join(IMAGE_SETS)})") from None


def set_folder(name: str, root: Path | None = None) -> Path:
    return (root or cache_root()) / _info(name).name


def is_downloaded(name: str, root: Path | None = None) -> bool:
    folder = set_folder(name, root)
    return all((folder / f).is_file() for f in _info(name).files)


def fetch_image_set(name: str, root: Path | None = None, progress: Progress | None = None,
                    base_url: str | None = None) -> Path:
    """Download the set's four files (checksummed, atomic; finished files are kept) and return its folder."""
    info = _info(name)
    folder = set_folder(name, root)
    folder.mkdir(parents=True, exist_ok=True)
    fetch_dataset(info.files, base_url or info.mirrors, folder, progress)
    return folder


@dataclass(frozen=True, eq=False)
class ImageSplits:
    x_train: np.ndarray  # (N, C, H, W) float32 in [0, 1]: (N, 1, 28, 28) for the MNIST sets, (N, 3, 32, 32) CIFAR
    y_train: np.ndarray  # (N,) int64
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]


def load_image_set(name: str, root: Path | None = None) -> ImageSplits:
    """The downloaded set as train / validation / test arrays. Raises DataError (saying how to get it) if the
    files are not there yet, or naming the file if one is damaged."""
    info = _info(name)
    folder = set_folder(name, root)
    if not is_downloaded(name, root):
        raise DataError(f"{info.title} is not on this computer yet: choose Data > Download {info.title.split(' (')[0]}"
                        f" (it needs the internet once). The built-in digits work offline.")
    stamp = tuple((folder / f).stat().st_mtime_ns for f in sorted(info.files))
    return _load(name, str(folder), stamp)


@lru_cache(maxsize=2)
def _load(name: str, folder: str, _stamp: tuple[int, ...]) -> ImageSplits:
    base = Path(folder)
    if name == "cifar10":
        cx, cy, tx, ty = cifar.read_archive(base / cifar.ARCHIVE)
        held = min(VALIDATION, len(cx) // 6)
        end = len(cx) - held
        return ImageSplits(cifar.scaled(cx[:end]), cy[:end], cifar.scaled(cx[end:]), cy[end:], cifar.scaled(tx), ty,
                           cifar.CLASS_NAMES)
    train_x, train_y = load_idx_pair(base / "train-images-idx3-ubyte.gz", base / "train-labels-idx1-ubyte.gz")
    test_x, test_y = load_idx_pair(base / "t10k-images-idx3-ubyte.gz", base / "t10k-labels-idx1-ubyte.gz")
    if train_x.shape[1:] != test_x.shape[1:]:
        raise DataError(f"The training and test images in {folder} differ in size: {train_x.shape[1:]} and "
                        f"{test_x.shape[1:]}")

    def scaled(images: np.ndarray) -> np.ndarray:
        return (images.astype(np.float32) / 255.0)[:, None, :, :]

    val = min(VALIDATION, len(train_x) // 6)
    cut = len(train_x) - val
    return ImageSplits(scaled(train_x[:cut]), train_y[:cut], scaled(train_x[cut:]), train_y[cut:],
                       scaled(test_x), test_y, IMAGE_SETS[name].class_names)
