"""CIFAR-10 in its binary version: 60,000 colour photographs of 32×32 pixels in 10 classes.

The binary archive (``cifar-10-binary.tar.gz``) holds five training batches and one test batch of fixed-size records:
one label byte, then 3,072 pixel bytes (the red plane, then green, then blue, each 32 rows of 32). Reading it needs
no unpickling (the Python version of the set is pickled, and a pickle can run code): the records are plain bytes,
read from the archive's members without extracting anything to disk.

Credit: Alex Krizhevsky, Learning Multiple Layers of Features from Tiny Images (2009),
https://www.cs.toronto.edu/~kriz/cifar.html.
"""

from __future__ import annotations

import tarfile
from pathlib import Path, PurePosixPath

import numpy as np

from playground.data.errors import DataError

ARCHIVE = "cifar-10-binary.tar.gz"
# MD5 (it guards against truncated or wrong files) and size of the archive as published on the CIFAR page (the size
# caps what a download reads).
FILES: dict[str, tuple[str, str, int]] = {ARCHIVE: ("md5", "c32a1d4ab5d03f1284b67883e8d87530", 170052171)}
BASE_URLS = ("https://www.cs.toronto.edu/~kriz/",)
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CREDIT = ("Alex Krizhevsky, Learning Multiple Layers of Features from Tiny Images (2009); "
          "https://www.cs.toronto.edu/~kriz/cifar.html.")
SIDE, CHANNELS = 32, 3
RECORD = 1 + CHANNELS * SIDE * SIDE  # label byte + pixels
TRAIN_BATCHES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_BATCH = "test_batch.bin"
MAX_BATCH_BYTES = 10_000 * RECORD * 2  # a real batch holds 10,000 records; anything far larger is not one


def read_batch(data: bytes, name: str = "batch") -> tuple[np.ndarray, np.ndarray]:
    """One binary batch: images uint8 (N, 3, 32, 32) and labels int64 (N,). DataError naming ``name`` if the bytes
    are not whole records or hold a label outside 0-9."""
    if not data or len(data) % RECORD:
        raise DataError(f"{name} is not a CIFAR-10 batch: {len(data):,} bytes is not a whole number of "
                        f"{RECORD:,}-byte records")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= len(CLASS_NAMES):
        bad = int(np.argmax(labels >= len(CLASS_NAMES)))
        raise DataError(f"{name}: record {bad + 1} has label {int(labels[bad])}; CIFAR-10 labels run from 0 to 9")
    images = records[:, 1:].reshape(-1, CHANNELS, SIDE, SIDE).copy()
    return images, labels


def read_archive(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels) from the binary archive, images uint8 (N, 3, 32, 32).
    Members are found by file name wherever the archive puts them (``cifar-10-batches-bin/`` in the real one)."""
    wanted = set(TRAIN_BATCHES) | {TEST_BATCH}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                name = PurePosixPath(member.name).name
                if name not in wanted or not member.isfile() or name in found:
                    continue
                if member.size > MAX_BATCH_BYTES:
                    raise DataError(f"{path}: {name} is {member.size:,} bytes, too large for a CIFAR-10 batch")
                stream = tar.extractfile(member)
                if stream is None:  # pragma: no cover - isfile() members always have a stream
                    continue
                found[name] = stream.read()
    except (tarfile.TarError, OSError, EOFError) as e:
        raise DataError(f"{path} is not a readable CIFAR-10 archive: {e}") from None
    missing = sorted(wanted - set(found))
    if missing:
        raise DataError(f"{path} lacks {missing[0]}: it is not the CIFAR-10 binary archive")
    parts = [read_batch(found[n], n) for n in TRAIN_BATCHES]
    test_x, test_y = read_batch(found[TEST_BATCH], TEST_BATCH)
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), test_x, test_y)


def scaled(images: np.ndarray) -> np.ndarray:
    """uint8 pixels as float32 in [0, 1], (N, 3, 32, 32)."""
    out: np.ndarray = images.astype(np.float32) / 255.0
    return out
