"""A user's own images: a folder with one subfolder per class.

Every file Pillow can open counts (PNG, JPEG, BMP, GIF, WebP ...). Images are converted to grayscale or RGB as the
network's input layer asks and resized to its size with a Lanczos filter (no cropping: the learner sees the whole
picture, squeezed if its aspect ratio differs). Files that cannot be read are skipped and listed with the reason, so
one broken photo does not stop the rest from loading.

Only what lies inside the chosen folder is read: a link (a class folder or a file) whose target lies outside it is
not followed, nor a link to a folder anywhere (a loop, or a class counted twice); named pipes, devices and sockets
are never opened (a pipe would block forever). Each of these is listed as skipped, with its reason. Hidden files
and files beside the class folders are not images of a class and are passed over without a word. A folder with
more than :data:`MAX_FILES` files (a link to a system folder, a whole photo library) is refused with a message
before anything is decoded.
"""

from __future__ import annotations

import os
import stat
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from playground.data.errors import DataError, shown_path

__all__ = ["MAX_FILES", "ImageFolderData", "load_image_folder"]

#: The most files (images or not) the class folders may hold together; a module attribute so tests can lower it.
MAX_FILES = 100_000
#: The most memory the decoded images may take (float32, at the asked size), checked before the first is decoded.
MAX_DECODED_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class ImageFolderData:
    """Images float32 (N, C, H, W) in [0, 1], labels int64 (N,) indexing ``class_names``."""

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    skipped: list[tuple[Path, str]] = field(default_factory=list)


class _NotAFile(Exception):
    """The path turned into something that is not a regular file between the listing and the opening."""


def _load_one(path: Path, mode: str, size: tuple[int, int]) -> np.ndarray:
    # Opened without blocking and checked on the open descriptor: a file swapped for a pipe after the folder was
    # listed must not hang the load.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise _NotAFile
        return _decode(handle, mode, size)


def _decode(handle: BinaryIO, mode: str, size: tuple[int, int]) -> np.ndarray:
    with warnings.catch_warnings():
        # A huge image is a user's photo, not an attack on this desktop app; still refuse the absurd ones below.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(handle) as opened:
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
    except (OSError, ValueError):  # ValueError: a path with a NUL character, refused below as not a folder
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
        raise DataError(f"Image folder {shown_path(root)} does not exist or is not a folder")
    skipped: list[tuple[Path, str]] = []
    class_dirs, files = _list_classes(root, skipped)
    if not class_dirs:
        links = f" ({len(skipped)} linked folder(s) outside it were not followed)" if skipped else ""
        raise DataError(f"Image folder {shown_path(root)} has no class subfolders{links}: put each class's images in a "
                        "subfolder named after the class (for example cats/ and dogs/)")
    count = sum(len(f) for f in files)
    need = count * channels * size[0] * size[1] * 4
    if need > MAX_DECODED_BYTES:
        raise DataError(f"Image folder {shown_path(root)}: {count:,} images at {size[0]}x{size[1]}x{channels} "
                        f"would take "
                        f"{need / 1024**3:.1f} GB of memory, more than the {MAX_DECODED_BYTES / 1024**3:.1f} GB "
                        f"allowed: choose a smaller image size or fewer images")
    mode = "L" if channels == 1 else "RGB"
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label, class_files in enumerate(files):
        for path in class_files:
            try:
                images.append(_load_one(path, mode, size))
            except _NotAFile:
                skipped.append((path, "not a regular file"))
                continue
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
        raise DataError(f"Image folder {shown_path(root)} has no readable images in its class subfolders "
                        f"({', '.join(shown_path(p.name) for p in class_dirs)}); {len(skipped)} file(s) were skipped")
    return ImageFolderData(
        images=np.stack(images).astype(np.float32, copy=False),
        labels=np.asarray(labels, dtype=np.int64),
        class_names=tuple(p.name for p in class_dirs),
        skipped=skipped,
    )


def _special(mode: int) -> str | None:
    """Why a file of this kind is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    return "not a regular file"


class _Walk:
    """Lists the class folders' files without leaving the chosen folder, counting against MAX_FILES."""

    def __init__(self, root: Path, skipped: list[tuple[Path, str]]) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.skipped = skipped
        self.count = 0

    def inside(self, target: str) -> bool:
        return target == self.real_root or target.startswith(self.real_root.rstrip(os.sep) + os.sep)

    def tally(self) -> None:
        self.count += 1
        if self.count > MAX_FILES:
            raise DataError(f"Image folder {self.root} holds more than {MAX_FILES:,} files in its class subfolders, "
                            f"the limit for an image folder: choose a folder with fewer images")

    def target(self, entry: os.DirEntry[str]) -> tuple[str, os.stat_result] | None:
        """The real path and status an entry stands for; None (and the entry listed as skipped) for a link out of
        the folder or a link that leads nowhere."""
        path = Path(entry.path)
        if not entry.is_symlink():
            return entry.path, entry.stat(follow_symlinks=False)
        real = os.path.realpath(entry.path)
        if not self.inside(real):
            self.skipped.append((path, f"a link to {real!r}, outside the chosen folder; not followed"))
            return None
        try:
            return real, os.stat(real)
        except OSError as exc:
            self.skipped.append((path, f"a link that leads nowhere ({exc.strerror or exc})"))
            return None

    def files(self, folder: str, followed_link: bool = False) -> list[Path]:
        found: list[Path] = []
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            self.skipped.append((Path(folder), f"a folder that cannot be listed ({exc.strerror or exc})"))
            return found
        for entry in entries:
            if entry.name.startswith("."):
                continue
            self.tally()
            path = Path(entry.path)
            try:
                resolved = self.target(entry)
            except OSError as exc:
                self.skipped.append((path, f"cannot be read ({exc.strerror or exc})"))
                continue
            if resolved is None:
                continue
            status = resolved[1]
            if stat.S_ISDIR(status.st_mode):
                if entry.is_symlink():
                    self.skipped.append((path, "a link to a folder; not followed"))
                else:
                    found += self.files(entry.path)
                continue
            why = _special(status.st_mode)
            if why is not None:
                self.skipped.append((path, why))
                continue
            found.append(path)
        return found


def _list_classes(root: Path, skipped: list[tuple[Path, str]]) -> tuple[list[Path], list[list[Path]]]:
    """The class folders (sorted by name) and each one's files, every one inside ``root``."""
    walk = _Walk(root, skipped)
    class_dirs: list[Path] = []
    files: list[list[Path]] = []
    try:
        with os.scandir(root) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        raise DataError(f"Image folder {root} cannot be listed: {exc.strerror or exc}") from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if not entry.is_dir():  # follows a link: a link to a file beside the classes is no class either
                continue
        except OSError:
            continue
        resolved = walk.target(entry)
        if resolved is None:
            continue
        class_dirs.append(Path(entry.path))
        files.append(walk.files(resolved[0]))
    return class_dirs, files
