"""The built-in handwritten digits: 9,000 real MNIST samples shipped in playground/resources/data (CC BY-SA 3.0, see its
README), with a fixed train/validation/test split so every machine trains on the same data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError

BUILTIN_DIGITS = Path(__file__).resolve().parents[1] / "resources" / "data" / "mnist-9k.npz"
TRAIN, VALIDATION = 7000, 1000  # the rest (1,000) is the test set
CLASS_NAMES = [str(d) for d in range(10)]


@dataclass(frozen=True, eq=False)
class DigitSplits:
    """Images as float32 (N, 1, 28, 28) in [0, 1], white ink on black; labels int64 (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits(path: Path | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The digits as stored: images uint8 (N, 28, 28) and labels int64 (N,)."""
    source = Path(path) if path is not None else BUILTIN_DIGITS
    try:
        with np.load(source, allow_pickle=False) as data:
            images, labels = data["images"], data["labels"]
    except FileNotFoundError:
        raise DataError(f"The built-in digits are missing: {source} does not exist (reinstall the app)") from None
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"{source} is not a readable digits file: {e}") from None
    if images.ndim != 3 or images.shape[0] != labels.shape[0]:
        raise DataError(f"{source}: expected images (N, H, W) and N labels, found {images.shape} and "
                        f"{labels.shape}")
    return images.astype(np.uint8, copy=False), labels.astype(np.int64)


def digit_splits(path: Path | str | None = None) -> DigitSplits:
    images, labels = load_digits(path)
    x = (images.astype(np.float32) / 255.0)[:, None, :, :]
    a, b = TRAIN, TRAIN + VALIDATION
    if len(x) <= b:
        raise DataError(f"The digits file holds {len(x)} samples; the fixed split needs more than {b}")
    return DigitSplits(x[:a], labels[:a], x[a:b], labels[a:b], x[b:], labels[b:])
