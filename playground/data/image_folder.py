"""A user's own images: a folder with one subfolder per class.

Every file Pillow can open counts (PNG, JPEG, BMP, GIF, WebP ...). Images are converted to grayscale or RGB as the
network's input layer asks and resized to its size with a Lanczos filter (no cropping: the learner sees the whole
picture, squeezed if its aspect ratio differs). Files that cannot be read are skipped and listed with the reason, so
one broken photo does not stop the rest from loading.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from playground.data.errors import DataError

__all__ = ["ImageFolderData", "load_image_folder"]


@dataclass(frozen=True)
class ImageFolderData:
    """Images float32 (N, C, H, W) in [0, 1], labels int64 (N,) indexing ``class_names``."""

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def _load_one(path: Path, mode: str, size: tuple[int, int]) -> np.ndarray:
    with warnings.catch_warnings():
        # A huge image is a user's photo, not an attack on this desktop app; still refuse the absurd ones below.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as opened:
            opened.load()
            image: Image.Image = opened
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                # Composite transparent pixels onto white, as a viewer shows them, instead of the black that
                # a plain convert() would give.
                rgba = image.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, rgba)
            converted = image.convert(mode)
    width, height = size[1], size[0]
    resized = converted.resize((width, height), Image.Resampling.LANCZOS)
    array = np.asarray(resized, dtype=np.float32) / 255.0
    return array[np.newaxis] if array.ndim == 2 else array.transpose(2, 0, 1)


def load_image_folder(root: str | os.PathLike[str], size: tuple[int, int] = (28, 28),
                      channels: int = 1) -> ImageFolderData:
    """Load ``root/<class>/<image>`` files; ``size`` is (height, width), ``channels`` 1 (grayscale) or 3 (RGB).

    The app reads one folder several times (to report it, for the samples view, for training): the decoded
    result is kept until a file in the folder or its class folders changes.
    """
    root = Path(root)
    try:
        stamp = tuple((str(p), p.stat().st_mtime_ns) for p in [root, *sorted(root.iterdir())] if p.is_dir())
    except OSError:
        stamp = ()
    if not stamp:
        return _load_image_folder(root, tuple(size), channels)
    return _cached(str(root), tuple(size), channels, stamp)


@lru_cache(maxsize=2)
def _cached(root: str, size: tuple[int, ...], channels: int, _stamp: tuple[tuple[str, int], ...]) -> ImageFolderData:
    return _load_image_folder(Path(root), size, channels)


def _load_image_folder(root: Path, size: tuple[int, ...], channels: int) -> ImageFolderData:
    if channels not in (1, 3):
        raise DataError(f"channels must be 1 (grayscale) or 3 (RGB), not {channels!r}")
    if len(size) != 2 or any(int(s) != s or s < 1 for s in size):
        raise DataError(f"size must be two positive integers (height, width), not {size!r}")
    size = (int(size[0]), int(size[1]))
    if not root.is_dir():
        raise DataError(f"Image folder {root} does not exist or is not a folder")
    class_dirs = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                        key=lambda p: p.name)
    if not class_dirs:
        raise DataError(f"Image folder {root} has no class subfolders: put each class's images in a subfolder "
                        "named after the class (for example cats/ and dogs/)")
    mode = "L" if channels == 1 else "RGB"
    images: list[np.ndarray] = []
    labels: list[int] = []
    skipped: list[tuple[Path, str]] = []
    for label, class_dir in enumerate(class_dirs):
        for path in sorted(class_dir.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            try:
                images.append(_load_one(path, mode, size))
            except UnidentifiedImageError:
                skipped.append((path, "not an image Pillow can read"))
                continue
            except Image.DecompressionBombError:
                skipped.append((path, "image is too large to load safely"))
                continue
            except (OSError, ValueError, SyntaxError) as exc:
                # Truncated or corrupt data surfaces as OSError (or SyntaxError from some plugins) on load().
                skipped.append((path, f"corrupt or truncated image ({exc})"))
                continue
            labels.append(label)
    if not images:
        raise DataError(f"Image folder {root} has no readable images in its class subfolders "
                        f"({', '.join(p.name for p in class_dirs)}); {len(skipped)} file(s) were skipped")
    return ImageFolderData(
        images=np.stack(images).astype(np.float32, copy=False),
        labels=np.asarray(labels, dtype=np.int64),
        class_names=tuple(p.name for p in class_dirs),
        skipped=skipped,
    )
