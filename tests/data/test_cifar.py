"""CIFAR-10 from its binary batches: batches made here, packed like the real archive, served from 127.0.0.1,
downloaded (checksummed, atomic) and read without unpickling."""

import dataclasses
import functools
import hashlib
import http.server
import io
import tarfile
import threading

import numpy as np
import pytest

from playground.data import cifar, image_sets
from playground.data.errors import DataError


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def make_batch(n, seed):
    """n records: label byte, then the red, green and blue planes of a 32x32 image."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    records = np.concatenate([labels[:, None], images.reshape(n, -1)], axis=1)
    return records.tobytes(), images, labels


def make_archive(path, per_batch=12, names=None):
    """A tar.gz like cifar-10-binary.tar.gz: cifar-10-batches-bin/ with five training batches and a test batch."""
    made = {}
    names = names or list(cifar.TRAIN_BATCHES) + [cifar.TEST_BATCH]
    with tarfile.open(path, "w:gz") as tar:
        for i, name in enumerate(names):
            data, images, labels = make_batch(per_batch, i)
            made[name] = (images, labels)
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        meta = b"airplane\nautomobile\n"
        info = tarfile.TarInfo("cifar-10-batches-bin/batches.meta.txt")
        info.size = len(meta)
        tar.addfile(info, io.BytesIO(meta))
    return made


@pytest.fixture()
def served(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    made = make_archive(root / cifar.ARCHIVE)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/", made
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_read_batch_decodes_planes_and_labels():
    data, images, labels = make_batch(5, 1)
    x, y = cifar.read_batch(data)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert x.dtype == np.uint8 and y.dtype == np.int64 and x.shape == (5, 3, 32, 32)
    # The first pixel bytes after the label are the red plane, row by row.
    raw = np.frombuffer(data, np.uint8)
    assert x[0, 0, 0, 1] == raw[2] and x[0, 1, 0, 0] == raw[1 + 1024] and x[0, 2, 31, 31] == raw[3072]


def test_bad_batches_are_named():
    data, _, _ = make_batch(3, 2)
    with pytest.raises(DataError, match="data_batch_1.bin is not a CIFAR-10 batch: 9,218 bytes"):
        cifar.read_batch(data[:-1], "data_batch_1.bin")
    bad = bytearray(data)
    bad[cifar.RECORD] = 12  # the second record's label
    with pytest.raises(DataError, match="record 2 has label 12"):
        cifar.read_batch(bytes(bad), "test_batch.bin")


def test_archive_missing_a_batch_or_not_an_archive(tmp_path):
    make_archive(tmp_path / "short.tar.gz", names=list(cifar.TRAIN_BATCHES))
    with pytest.raises(DataError, match="lacks test_batch.bin"):
        cifar.read_archive(tmp_path / "short.tar.gz")
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar at all")
    with pytest.raises(DataError, match="not a readable CIFAR-10 archive"):
        cifar.read_archive(tmp_path / "junk.tar.gz")


def test_the_published_checksum_is_the_md5_of_the_binary_archive():
    assert image_sets.IMAGE_SETS["cifar10"].files == {"cifar-10-binary.tar.gz":
                                                      ("md5", "c32a1d4ab5d03f1284b67883e8d87530", 170052171)}
    assert image_sets.IMAGE_SETS["cifar10"].image_shape == (3, 32, 32)
    assert "Krizhevsky" in image_sets.IMAGE_SETS["cifar10"].credit


def test_download_from_127_0_0_1_then_load(served, tmp_path, monkeypatch):
    root, base, made = served
    md5 = hashlib.md5((root / cifar.ARCHIVE).read_bytes()).hexdigest()
    info = dataclasses.replace(image_sets.IMAGE_SETS["cifar10"], files={cifar.ARCHIVE: ("md5", md5)},
                               mirrors=(base,))
    monkeypatch.setitem(image_sets.IMAGE_SETS, "cifar10", info)
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="CIFAR-10 .* is not on this computer yet: choose Data > Download CIFAR-10"):
        image_sets.load_image_set("cifar10", cache)
    seen = []
    folder = image_sets.fetch_image_set("cifar10", cache, lambda done, total: seen.append(done) or True)
    assert sorted(p.name for p in folder.iterdir()) == [cifar.ARCHIVE]  # no temporary left behind
    assert seen and seen[-1] == (root / cifar.ARCHIVE).stat().st_size
    assert image_sets.is_downloaded("cifar10", cache)
    s = image_sets.load_image_set("cifar10", cache)
    # 5 x 12 training records: 10 (a sixth) held out for validation from the end; 12 test records.
    assert s.x_train.shape == (50, 3, 32, 32) and s.x_val.shape == (10, 3, 32, 32) and s.x_test.shape == (12, 3, 32, 32)
    assert s.x_train.dtype == np.float32 and s.x_train.min() >= 0.0 and s.x_train.max() <= 1.0
    train_images = np.concatenate([made[n][0] for n in cifar.TRAIN_BATCHES])
    np.testing.assert_allclose(s.x_train[0], train_images[0] / 255.0, atol=1e-6)
    np.testing.assert_array_equal(s.y_test, made[cifar.TEST_BATCH][1])
    assert s.class_names == cifar.CLASS_NAMES


def test_a_damaged_download_is_refused_and_leaves_nothing(served, tmp_path, monkeypatch):
    _, base, _ = served
    info = dataclasses.replace(image_sets.IMAGE_SETS["cifar10"], mirrors=(base,))  # the real MD5: no match
    monkeypatch.setitem(image_sets.IMAGE_SETS, "cifar10", info)
    # Not the published archive: refused for its size (known in advance) or its MD5, and nothing is kept.
    with pytest.raises(DataError, match="(?i)checksum|md5|but the file has"):
        image_sets.fetch_image_set("cifar10", tmp_path / "cache")
    assert not image_sets.is_downloaded("cifar10", tmp_path / "cache")
    assert not any((tmp_path / "cache" / "cifar10").iterdir())
