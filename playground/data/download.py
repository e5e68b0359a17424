"""Downloading data files: streamed, checksummed, cancellable, and atomic.

A download goes to a temporary file beside its destination and is renamed over it only once every byte has arrived
and the checksum matches, so a crash, a cancel or a bad mirror never leaves a half file where a good one is expected.
The caller decides where files live (the app uses the per-user cache from platformdirs); this module knows nothing
about Qt: ``progress`` is a plain callback, and returning False from it cancels.

A server cannot hold a download hostage: the body is read by a helper thread in small pieces (whatever has arrived),
while the calling thread waits on it a tenth of a second at a time, so it can stop at once when the caller cancels,
when nothing has arrived for ``stall_timeout`` seconds, when the whole download passes its ``deadline``, or when more
bytes arrive than the file has (each known file has a known size; a body that never ends is cut there).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import queue
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from playground.data.errors import DataError

__all__ = [
    "FASHION_MNIST_BASE_URLS",
    "FASHION_MNIST_FILES",
    "MNIST_BASE_URLS",
    "MNIST_FILES",
    "Checksum",
    "DownloadCancelled",
    "Progress",
    "download",
    "fetch_dataset",
    "file_checksum",
]

#: ``progress(done_bytes, total_bytes_or_None)``; return False to cancel.
Progress = Callable[[int, int | None], bool | None]

#: What a file is checked against: a SHA-256 hex string, an ``(algorithm, hexdigest)`` pair, or a triple that also
#: gives the file's size in bytes (then no more than that is ever read).
Checksum = str | tuple[str, str] | tuple[str, str, int]

_PIECE = 64 * 1024  # the most one read returns; it returns sooner with whatever has arrived
_POLL_S = 0.1  # how often a waiting download looks at Cancel and its timeouts
STALL_TIMEOUT_S = 30.0  # no byte for this long: the connection is dead
DEADLINE_BASE_S = 600.0  # a whole download may take this long plus its size at MIN_RATE
MIN_RATE = 16 * 1024  # bytes per second
MAX_UNSIZED_BYTES = 1024**3  # a file of unknown size, from a server that does not say either, is cut here

# MD5 and size of the four gzipped IDX files: the values Fashion-MNIST's own README and the MNIST page publish, and
# the ones torchvision checks for both sets (MD5 is what the publishers give; it guards against truncated or wrong
# files, not attacks).
MNIST_FILES: dict[str, Checksum] = {
    "train-images-idx3-ubyte.gz": ("md5", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422),
    "train-labels-idx1-ubyte.gz": ("md5", "d53e105ee54ea40749a09fcbcd1e9432", 28881),
    "t10k-images-idx3-ubyte.gz": ("md5", "9fb629c4189551a2d022fa330f9573f3", 1648877),
    "t10k-labels-idx1-ubyte.gz": ("md5", "ec29112dd5afa0611ce80d1b7f02629c", 4542),
}
FASHION_MNIST_FILES: dict[str, Checksum] = {
    "train-images-idx3-ubyte.gz": ("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26421880),
    "train-labels-idx1-ubyte.gz": ("md5", "25c81989df183df01b3e8a0aad5dffbe", 29515),
    "t10k-images-idx3-ubyte.gz": ("md5", "bef4ecab320f06d8554ea6380940ec79", 4422102),
    "t10k-labels-idx1-ubyte.gz": ("md5", "bb300cfdad3c16e7a12a480ee83cd310", 5148),
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


def _parse_checksum(checksum: Checksum | None) -> tuple[str, str] | None:
    """A bare hex string is SHA-256; a pair names the algorithm (``("md5", "...")``); a triple adds the size."""
    if checksum is None:
        return None
    algorithm, digest = ("sha256", checksum) if isinstance(checksum, str) else checksum[:2]
    algorithm = algorithm.lower()
    if algorithm not in hashlib.algorithms_available:
        raise DataError(f"Unknown checksum algorithm {algorithm!r}")
    return algorithm, digest.lower()


def _known_size(checksum: Checksum | None) -> int | None:
    if isinstance(checksum, tuple) and len(checksum) == 3:
        size = checksum[2]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise DataError(f"A file's size must be a non-negative integer, not {size!r}")
        return size
    return None


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


class _Reader(threading.Thread):
    """Opens ``url`` and reads its body in pieces into a small queue: first the response (or the error that
    stopped it), then the pieces, then ``b""`` at the end or the error that broke it off. Runs on its own so that
    the caller, waiting on the queue, can give up whenever it must; :meth:`abort` wakes a read that waits."""

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__(name="download-reader", daemon=True)
        self.url = url
        self.timeout = timeout
        self.items: queue.Queue[object] = queue.Queue(maxsize=32)
        self.stopped = threading.Event()
        self._response: http.client.HTTPResponse | None = None

    def _put(self, item: object) -> bool:
        while not self.stopped.is_set():
            try:
                self.items.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def run(self) -> None:
        try:
            response = urllib.request.urlopen(self.url, timeout=self.timeout)
        except BaseException as exc:  # handed to the caller, which names it
            self._put(exc)
            return
        with response:
            self._response = response
            if self.stopped.is_set() or not self._put(response):
                return
            read = getattr(response, "read1", response.read)
            while not self.stopped.is_set():
                try:
                    piece = read(_PIECE)
                except BaseException as exc:
                    self._put(exc)
                    return
                if not self._put(piece) or not piece:
                    return

    def abort(self) -> None:
        """Stop, and wake a read that waits on a silent server by shutting the socket (the thread then closes
        the response itself)."""
        self.stopped.set()
        raw = getattr(getattr(self._response, "fp", None), "raw", None)
        sock = getattr(raw, "_sock", None)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Transfer:
    """One download under way: the reader's items, the clocks and counts that Cancel, the stall check and the
    deadline read."""

    def __init__(self, url: str, reader: _Reader, progress: Progress | None, stall: float, deadline: float) -> None:
        self.url, self.reader, self.progress, self.stall, self.deadline = url, reader, progress, stall, deadline
        self.started = self.last = time.monotonic()
        self.done = 0
        self.total: int | None = None
        self.answered = False

    def check_cancel(self) -> None:
        if self.progress is not None and self.progress(self.done, self.total) is False:
            raise DownloadCancelled(f"Download of {self.url} cancelled")

    def wait(self) -> object:
        """The reader's next item; checks Cancel and the timeouts every _POLL_S while there is none."""
        while True:
            try:
                return self.reader.items.get(timeout=_POLL_S)
            except queue.Empty:
                pass
            now = time.monotonic()
            self.check_cancel()
            if now - self.last > self.stall and not self.answered:
                raise DataError(f"Could not reach {self.url}: no answer within {self.stall:g} s. You are probably "
                                "offline; the built-in digits still work.")
            if now - self.last > self.stall:
                raise DataError(f"Download of {self.url} stalled: nothing arrived for {self.stall:g} s after "
                                f"{self.done:,} bytes. The connection is too slow or broken; nothing was kept, and "
                                "the built-in digits still work.")
            if now - self.started > self.deadline:
                raise _too_slow(self.url, self.deadline, self.done, self.total)

    def answer(self, size: int | None) -> int:
        """Wait for the server's answer and check the size it announces; the most bytes the body may have."""
        self.total = size
        item = self.wait()
        if isinstance(item, BaseException):
            raise _unreachable(self.url, item)
        self.answered = True
        self.last = time.monotonic()  # the stall clock starts again for the body
        headers = getattr(item, "headers", None)
        length = headers.get("Content-Length") if headers is not None else None
        announced = int(length) if length and length.isdigit() else None
        if size is not None and announced is not None and announced != size:
            raise DataError(f"Download of {self.url}: the server announces {announced:,} bytes, but the file has "
                            f"{size:,}; nothing was kept (a wrong or broken mirror). The built-in digits still "
                            f"work.")
        self.total = size if size is not None else announced
        self.check_cancel()
        return self.total if self.total is not None else MAX_UNSIZED_BYTES

    def copy(self, out: IO[bytes], digest: hashlib._Hash | None, limit: int) -> None:
        """Write the body to ``out`` (and into ``digest``) as it arrives, up to ``limit`` bytes."""
        while True:
            item = self.wait()
            if isinstance(item, BaseException):
                raise DataError(f"Download of {self.url} broke off after {self.done} bytes: {_reason(item)}. "
                                "You are probably offline; the built-in digits still work.")
            assert isinstance(item, bytes)
            if not item:
                return
            self.done += len(item)
            self.last = time.monotonic()
            if self.done > limit:
                raise DataError(f"Download of {self.url} sent more than the {limit:,} bytes "
                                f"{'the file has' if self.total is not None else 'allowed'}; stopped, and nothing "
                                f"was kept. The built-in digits still work.")
            out.write(item)
            if digest is not None:
                digest.update(item)
            self.check_cancel()
            if self.last - self.started > self.deadline:
                raise _too_slow(self.url, self.deadline, self.done, self.total)


def download(url: str, dest: str | os.PathLike[str], sha256: Checksum | None = None,
             progress: Progress | None = None, timeout: float = 30, *, size: int | None = None,
             stall_timeout: float | None = None, deadline: float | None = None) -> Path:
    """Download ``url`` to ``dest`` atomically and return ``dest``.

    ``sha256`` is the expected hex digest (or an ``(algorithm, hexdigest)`` pair such as ``("md5", ...)``, or a
    triple that adds the size); on a mismatch nothing is written and ``dest`` keeps whatever it held. ``size`` (or
    the triple's) is the file's size: a server announcing or sending more is cut off there. ``progress(done,
    total)`` is called once before the first byte, after every piece, and every tenth of a second while nothing
    arrives (``total`` is None when the size is unknown); if it returns False the download stops at once with
    :class:`DownloadCancelled`. ``timeout`` bounds connecting; ``stall_timeout`` (default ``timeout``) is how long
    no byte may arrive; ``deadline`` (default ten minutes plus the size at 16 KB/s) bounds the whole download.
    """
    dest = Path(dest)
    expected = _parse_checksum(sha256)
    if size is None:
        size = _known_size(sha256)
    stall = float(timeout if stall_timeout is None else stall_timeout)
    if deadline is None:
        deadline = DEADLINE_BASE_S + (size if size is not None else MAX_UNSIZED_BYTES) / MIN_RATE
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise DataError(f"Cannot write into folder {dest.parent}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    # The socket's own timeout is only a backstop for the reader thread: the stall check here says it first.
    reader = _Reader(url, 2 * max(float(timeout), stall) + 1)
    try:
        digest = hashlib.new(expected[0]) if expected else None
        with os.fdopen(fd, "wb") as out:
            transfer = _Transfer(url, reader, progress, stall, deadline)
            reader.start()
            limit = transfer.answer(size)
            transfer.copy(out, digest, limit)
            done, total = transfer.done, transfer.total
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
    finally:
        reader.abort()
    return dest


def _too_slow(url: str, deadline: float, done: int, total: int | None) -> DataError:
    of = f" of {total:,}" if total is not None else ""
    return DataError(f"Download of {url} took longer than {deadline:g} s (got {done:,}{of} bytes); stopped, and "
                     "nothing was kept. The built-in digits still work.")


def fetch_dataset(files: Mapping[str, Checksum | None], base_url: str | Sequence[str],
                  folder: str | os.PathLike[str], progress: Progress | None = None,
                  timeout: float = 30, *, stall_timeout: float | None = None,
                  deadline: float | None = None) -> dict[str, Path]:
    """Make sure every file of ``files`` (name -> checksum) is in ``folder``; return name -> path.

    Files already there with the right checksum are kept; others are downloaded from ``base_url`` (or from each of
    several mirrors in turn until one works). ``progress(done, total)`` counts bytes across the files fetched in this
    call: ``done`` includes the files already finished, ``total`` is those plus the size of the current file (None
    when the server does not say), so the count never runs backwards; returning False cancels. ``timeout``,
    ``stall_timeout`` and ``deadline`` apply to each file as in :func:`download`.
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
        size = _known_size(checksum)
        if path.is_file() and (size is None or path.stat().st_size == size) and (
                expected is None or file_checksum(path, expected[0]) == expected[1]):
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
                download(url + name, paths[name], files[name], file_progress, timeout,
                         stall_timeout=stall_timeout, deadline=deadline)
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
