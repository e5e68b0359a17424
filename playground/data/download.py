"""Downloading data files: streamed, checksummed, cancellable, and atomic.

A download goes to a temporary file beside its destination and is renamed over it only once every byte has arrived
and the checksum matches, so a crash, a cancel or a bad mirror never leaves a half file where a good one is expected.
The caller decides where files live (the app uses the per-user cache from platformdirs); this module knows nothing
about Qt or threads: ``progress`` is a plain callback, and returning False from it cancels.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from playground.data.errors import DataError

__all__ = [
    "FASHION_MNIST_BASE_URLS",
    "FASHION_MNIST_FILES",
    "MNIST_BASE_URLS",
    "MNIST_FILES",
    "DownloadCancelled",
    "Progress",
    "download",
    "fetch_dataset",
    "file_checksum",
]

#: ``progress(done_bytes, total_bytes_or_None)``; return False to cancel.
Progress = Callable[[int, int | None], bool | None]

_CHUNK = 64 * 1024

# MD5 of the four gzipped IDX files: the values Fashion-MNIST's own README publishes, and the ones torchvision
# checks for both sets (MD5 is what the publishers give; it guards against truncated or wrong files, not attacks).
MNIST_FILES: dict[str, str | tuple[str, str]] = {
    "train-images-idx3-ubyte.gz": ("md5", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train-labels-idx1-ubyte.gz": ("md5", "d53e105ee54ea40749a09fcbcd1e9432"),
    "t10k-images-idx3-ubyte.gz": ("md5", "9fb629c4189551a2d022fa330f9573f3"),
    "t10k-labels-idx1-ubyte.gz": ("md5", "ec29112dd5afa0611ce80d1b7f02629c"),
}
FASHION_MNIST_FILES: dict[str, str | tuple[str, str]] = {
    "train-images-idx3-ubyte.gz": ("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    "train-labels-idx1-ubyte.gz": ("md5", "25c81989df183df01b3e8a0aad5dffbe"),
    "t10k-images-idx3-ubyte.gz": ("md5", "bef4ecab320f06d8554ea6380940ec79"),
    "t10k-labels-idx1-ubyte.gz": ("md5", "bb300cfdad3c16e7a12a480ee83cd310"),
}
#: Mirrors tried in order (yann.lecun.com no longer serves the files reliably; these are the ones torchvision uses).
MNIST_BASE_URLS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
FASHION_MNIST_BASE_URLS: tuple[str, ...] = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)


class DownloadCancelled(DataError):
    """The user cancelled a download; nothing was written."""


def _parse_checksum(checksum: str | tuple[str, str] | None) -> tuple[str, str] | None:
    """A bare hex string is SHA-256; a pair names the algorithm (``("md5", "...")``)."""
    if checksum is None:
        return None
    algorithm, digest = ("sha256", checksum) if isinstance(checksum, str) else checksum
    algorithm = algorithm.lower()
    if algorithm not in hashlib.algorithms_available:
        raise DataError(f"Unknown checksum algorithm {algorithm!r}")
    return algorithm, digest.lower()


def file_checksum(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, BaseException):
            return _reason(reason)
        return str(reason)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _unreachable(url: str, exc: BaseException) -> DataError:
    return DataError(f"Could not reach {url}: {_reason(exc)}. "
                     "You are probably offline; the built-in digits still work.")


def download(url: str, dest: str | os.PathLike[str], sha256: str | tuple[str, str] | None = None,
             progress: Progress | None = None, timeout: float = 30) -> Path:
    """Download ``url`` to ``dest`` atomically and return ``dest``.

    ``sha256`` is the expected hex digest (or an ``(algorithm, hexdigest)`` pair such as ``("md5", ...)``); on a
    mismatch nothing is written and ``dest`` keeps whatever it held. ``progress(done, total)`` is called once before
    the first byte and after every chunk (``total`` is None when the server does not say); if it returns False the
    download stops with :class:`DownloadCancelled`.
    """
    dest = Path(dest)
    expected = _parse_checksum(sha256)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise DataError(f"Cannot write into folder {dest.parent}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        digest = hashlib.new(expected[0]) if expected else None
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 (http/https only by caller)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
                raise _unreachable(url, exc) from None
            with response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                done = 0
                if progress is not None and progress(done, total) is False:
                    raise DownloadCancelled(f"Download of {url} cancelled")
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except (OSError, http.client.HTTPException) as exc:
                        raise DataError(f"Download of {url} broke off after {done} bytes: {_reason(exc)}. "
                                        "You are probably offline; the built-in digits still work.") from None
                    if not chunk:
                        break
                    out.write(chunk)
                    if digest is not None:
                        digest.update(chunk)
                    done += len(chunk)
                    if progress is not None and progress(done, total) is False:
                        raise DownloadCancelled(f"Download of {url} cancelled")
            if total is not None and done != total:
                raise DataError(f"Download of {url} is incomplete: got {done} of {total} bytes")
            out.flush()
            os.fsync(out.fileno())
        if expected is not None and digest is not None:
            actual = digest.hexdigest()
            if actual != expected[1]:
                raise DataError(f"Checksum mismatch for {url} ({dest.name}): expected {expected[0]} "
                                f"{expected[1]}, got {actual}. The file was not saved.")
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def fetch_dataset(files: Mapping[str, str | tuple[str, str] | None], base_url: str | Sequence[str],
                  folder: str | os.PathLike[str], progress: Progress | None = None,
                  timeout: float = 30) -> dict[str, Path]:
    """Make sure every file of ``files`` (name -> checksum) is in ``folder``; return name -> path.

    Files already there with the right checksum are kept; others are downloaded from ``base_url`` (or from each of
    several mirrors in turn until one works). ``progress(done, total)`` counts bytes across the files fetched in this
    call: ``done`` includes the files already finished, ``total`` is those plus the size of the current file (None
    when the server does not say), so the count never runs backwards; returning False cancels.
    """
    folder = Path(folder)
    mirrors = [base_url] if isinstance(base_url, str) else list(base_url)
    if not mirrors:
        raise DataError("No download address given")
    paths: dict[str, Path] = {}
    missing: list[str] = []
    for name, checksum in files.items():
        path = folder / name
        paths[name] = path
        expected = _parse_checksum(checksum)
        if path.is_file() and (expected is None or file_checksum(path, expected[0]) == expected[1]):
            continue
        missing.append(name)

    finished = 0  # bytes of files already completed in this call

    def file_progress(done: int, total: int | None) -> bool:
        if progress is None:
            return True
        return progress(finished + done, None if total is None else finished + total) is not False

    for name in missing:
        errors: list[DataError] = []
        for mirror in mirrors:
            url = mirror if mirror.endswith("/") else mirror + "/"
            try:
                download(url + name, paths[name], files[name], file_progress, timeout)
            except DownloadCancelled:
                raise
            except DataError as exc:
                errors.append(exc)
                continue
            break
        else:
            raise errors[0] if len(errors) == 1 else DataError(
                f"Could not download {name} from any mirror: " + " | ".join(str(e) for e in errors))
        finished += paths[name].stat().st_size
    return paths
