"""Downloads from a local HTTP server on 127.0.0.1: progress, checksums, cancel, offline, and atomic writes."""

import functools
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest

from playground.data import (
    FASHION_MNIST_FILES,
    MNIST_FILES,
    DataError,
    DownloadCancelled,
    download,
    fetch_dataset,
    load_idx_pair,
    write_idx,
)

NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the base class's name
        pass


@pytest.fixture()
def served(tmp_path):
    """A temp folder with four small MNIST-style IDX files, served over HTTP on 127.0.0.1."""
    root = tmp_path / "served"
    root.mkdir()
    rng = np.random.default_rng(0)
    write_idx(root / NAMES[0], rng.integers(0, 256, (40, 28, 28), dtype=np.uint8))
    write_idx(root / NAMES[1], rng.integers(0, 10, 40, dtype=np.uint8))
    write_idx(root / NAMES[2], rng.integers(0, 256, (10, 28, 28), dtype=np.uint8))
    write_idx(root / NAMES[3], rng.integers(0, 10, 10, dtype=np.uint8))
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_reports_progress_and_verifies(served, tmp_path):
    root, base = served
    source = root / NAMES[0]
    dest = tmp_path / "out" / "images.gz"
    calls = []
    got = download(base + NAMES[0], dest, _sha256(source), progress=lambda d, t: calls.append((d, t)))
    assert got == dest
    assert dest.read_bytes() == source.read_bytes()
    size = source.stat().st_size
    # Before the server answers, progress may be asked (for Cancel) with no total yet; then it counts to the size.
    assert (0, size) in calls and all(c == (0, None) for c in calls[:calls.index((0, size))])
    assert calls[-1] == (size, size)
    assert len(calls) >= 2
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert _leftovers(dest.parent) == ["images.gz"]


def test_download_md5_pair(served, tmp_path):
    root, base = served
    md5 = hashlib.md5(root.joinpath(NAMES[3]).read_bytes()).hexdigest()
    dest = download(base + NAMES[3], tmp_path / "labels.gz", ("md5", md5))
    assert dest.read_bytes() == root.joinpath(NAMES[3]).read_bytes()


def test_checksum_mismatch_leaves_no_file(served, tmp_path):
    _, base = served
    folder = tmp_path / "out"
    dest = folder / "images.gz"
    with pytest.raises(DataError, match="Checksum mismatch.*expected sha256 0{64}, got [0-9a-f]{64}"):
        download(base + NAMES[0], dest, "0" * 64)
    assert _leftovers(folder) == []


def test_checksum_mismatch_keeps_the_old_file(served, tmp_path):
    _, base = served
    dest = tmp_path / "images.gz"
    dest.write_bytes(b"the old good file")
    with pytest.raises(DataError, match="Checksum mismatch"):
        download(base + NAMES[0], dest, "f" * 64)
    assert dest.read_bytes() == b"the old good file"
    assert _leftovers(tmp_path) == ["images.gz", "served"]


def test_cancel_leaves_no_file(served, tmp_path):
    root, base = served
    folder = tmp_path / "out"
    seen = []

    def progress(done, total):
        seen.append(done)
        return done == 0  # let it start, cancel after the first chunk

    with pytest.raises(DownloadCancelled):
        download(base + NAMES[0], folder / "images.gz", None, progress)
    assert seen[-1] > 0 and all(done == 0 for done in seen[:-1])  # stopped at the first piece
    assert _leftovers(folder) == []
    assert issubclass(DownloadCancelled, DataError)


def test_http_error(served, tmp_path):
    _, base = served
    with pytest.raises(DataError, match=r"Could not reach .*missing\.gz: HTTP 404"):
        download(base + "missing.gz", tmp_path / "missing.gz")
    assert _leftovers(tmp_path) == ["served"]


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connection_says_offline(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/train-images-idx3-ubyte.gz"
    with pytest.raises(DataError) as info:
        download(url, tmp_path / "x.gz", timeout=5)
    message = str(info.value)
    assert message.startswith(f"Could not reach {url}: ")
    assert "You are probably offline; the built-in digits still work." in message
    assert _leftovers(tmp_path) == []


def test_fetch_dataset_downloads_then_skips(served, tmp_path):
    root, base = served
    files = {name: _sha256(root / name) for name in NAMES}
    folder = tmp_path / "cache" / "mnist"
    progress = []
    paths = fetch_dataset(files, base, folder, lambda d, t: progress.append((d, t)))
    assert set(paths) == set(NAMES)
    for name, path in paths.items():
        assert path == folder / name
        assert path.read_bytes() == (root / name).read_bytes()
    total = sum((root / n).stat().st_size for n in NAMES)
    assert progress[-1] == (total, total)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    images, labels = load_idx_pair(paths[NAMES[0]], paths[NAMES[1]])
    assert images.shape == (40, 28, 28) and labels.shape == (40,)

    # A second call finds every file in place with the right checksum and downloads nothing.
    again = []
    assert fetch_dataset(files, base, folder, lambda d, t: again.append(d)) == paths
    assert again == []

    # A damaged file is fetched again; the good ones are left alone.
    paths[NAMES[3]].write_bytes(b"damaged")
    assert fetch_dataset(files, base, folder) == paths
    assert paths[NAMES[3]].read_bytes() == (root / NAMES[3]).read_bytes()


def test_fetch_dataset_falls_back_to_the_next_mirror(served, tmp_path):
    root, base = served
    files = {NAMES[1]: _sha256(root / NAMES[1])}
    dead = f"http://127.0.0.1:{_closed_port()}/"
    paths = fetch_dataset(files, [dead, base], tmp_path / "m")
    assert paths[NAMES[1]].read_bytes() == (root / NAMES[1]).read_bytes()
    with pytest.raises(DataError, match="probably offline"):
        fetch_dataset(files, dead, tmp_path / "n")


def test_known_checksums_are_well_formed():
    for table in (MNIST_FILES, FASHION_MNIST_FILES):
        assert sorted(table) == sorted(NAMES)
        for algorithm, digest, size in table.values():
            # 32 lower-case hex digits ("int(digest, 16) >= 0" could never fail: it only raised on a bad digit).
            assert algorithm == "md5" and len(digest) == 32 and set(digest) <= set("0123456789abcdef")
            assert isinstance(size, int) and 4000 < size < 30_000_000


def test_fetch_dataset_cancel_keeps_finished_files_only(served, tmp_path):
    root, base = served
    files = {name: _sha256(root / name) for name in NAMES}
    first_size = (root / NAMES[0]).stat().st_size
    folder = tmp_path / "c"
    # Cancel as soon as the second file has started sending bytes.
    with pytest.raises(DownloadCancelled):
        fetch_dataset(files, base, folder, lambda done, total: done <= first_size)
    assert _leftovers(folder) == [NAMES[0]]


# Hostile servers: endless, too big, trickling, silent ------------------------------------------------------------

class _HostileHandler(http.server.BaseHTTPRequestHandler):
    """/endless: no length, zeros forever; /endless-1000: the same for a file of 1,000 bytes; /announce-huge: says
    10**12 bytes; /trickle-N: a length of N, one byte every 0.2 s; /one-then-silent: a length of 100, one byte,
    then nothing; /fast-trickle: one byte every 0.02 s of 10,000; /no-answer: never answers."""

    stop: threading.Event

    def log_message(self, format, *args):
        pass

    def _head(self, length=None):
        self.send_response(200)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send(self, data, pause=0.0):
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client hung up, as it should
            return False
        return not self.stop.wait(pause)

    def do_GET(self):  # the base class's name
        path = self.path
        if path == "/no-answer":
            self.stop.wait(60)
            return
        if path.startswith("/endless"):
            self._head()
            while self._send(bytes(16 * 1024)):
                pass
        elif path == "/announce-huge":
            self._head(10**12)
            self._send(bytes(1000))
        elif path.startswith("/trickle-"):
            n = int(path.rsplit("-", 1)[1])
            self._head(n)
            for _ in range(n):
                if not self._send(b"x", 0.2):
                    return
        elif path == "/fast-trickle":
            self._head(10_000)
            for _ in range(10_000):
                if not self._send(b"x", 0.02):
                    return
        elif path == "/one-then-silent":
            self._head(100)
            self._send(b"x", 60)


@pytest.fixture()
def hostile():
    stop = threading.Event()
    handler = type("Handler", (_HostileHandler,), {"stop": stop})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_an_endless_body_stops_past_the_known_size(hostile, tmp_path):
    with pytest.raises(DataError, match=r"sent more than the 1,000 bytes the file has; stopped, and nothing was kept\. "
                                        r"The built-in digits still work\.") as info:
        download(hostile + "endless-1000", tmp_path / "f.gz", ("md5", "0" * 32, 1000))
    assert "\n" not in str(info.value)
    assert _leftovers(tmp_path) == []


def test_an_endless_body_of_unknown_size_stops_at_the_cap(hostile, tmp_path, monkeypatch):
    import importlib

    monkeypatch.setattr(importlib.import_module("playground.data.download"), "MAX_UNSIZED_BYTES", 200_000)
    with pytest.raises(DataError, match=r"sent more than the 200,000 bytes allowed"):
        download(hostile + "endless", tmp_path / "f.gz")
    assert _leftovers(tmp_path) == []


def test_a_server_announcing_more_than_the_file_has_is_refused_unread(hostile, tmp_path):
    with pytest.raises(DataError, match=r"announces 1,000,000,000,000 bytes, but the file has 1,000"):
        download(hostile + "announce-huge", tmp_path / "f.gz", ("md5", "0" * 32, 1000))
    assert _leftovers(tmp_path) == []


def test_a_stalled_body_times_out(hostile, tmp_path):
    with pytest.raises(DataError, match=r"stalled: nothing arrived for 0\.3 s after 1 bytes\. .*built-in digits"):
        download(hostile + "one-then-silent", tmp_path / "f.gz", stall_timeout=0.3)
    assert _leftovers(tmp_path) == []


def test_a_server_that_never_answers_times_out_and_can_be_cancelled(hostile, tmp_path):
    with pytest.raises(DataError,
                       match=r"Could not reach .*no-answer: no answer within 0\.3 s\. You are probably offline"):
        download(hostile + "no-answer", tmp_path / "f.gz", stall_timeout=0.3)
    calls = []
    with pytest.raises(DownloadCancelled):
        download(hostile + "no-answer", tmp_path / "f.gz", progress=lambda d, t: calls.append(d) or len(calls) < 3)
    assert calls == [0, 0, 0]
    assert _leftovers(tmp_path) == []


def test_cancel_is_honoured_while_a_server_trickles(hostile, tmp_path):
    """One byte every 0.2 s of 10,000: a read that waited for a whole chunk never came back to look at Cancel.
    Cancel is set from another thread, as the app's dialog does, between two bytes."""
    cancel = threading.Event()
    timers = []

    def progress(done, total):
        if done >= 1 and not timers:
            timers.append(threading.Timer(0.05, cancel.set))
            timers[0].start()
        return not cancel.is_set()

    with pytest.raises(DownloadCancelled):
        download(hostile + "trickle-10000", tmp_path / "f.gz", progress=progress)
    assert cancel.is_set() and _leftovers(tmp_path) == []


def test_a_download_past_its_deadline_stops(hostile, tmp_path):
    with pytest.raises(DataError, match=r"took longer than 0\.5 s \(got [0-9,]+ of 10,000 bytes\); stopped"):
        download(hostile + "fast-trickle", tmp_path / "f.gz", deadline=0.5)
    assert _leftovers(tmp_path) == []


def test_fetch_dataset_keeps_nothing_of_an_endless_mirror_and_uses_the_next(hostile, served, tmp_path):
    root, base = served
    data = (root / NAMES[3]).read_bytes()
    files = {NAMES[3]: ("md5", hashlib.md5(data).hexdigest(), len(data))}
    # The hostile server answers every name with an endless body; the next mirror has the file.
    paths = fetch_dataset(files, [hostile + "endless/", base], tmp_path / "m")
    assert paths[NAMES[3]].read_bytes() == data
    assert _leftovers(tmp_path / "m") == [NAMES[3]]
