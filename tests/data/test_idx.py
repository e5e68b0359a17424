"""IDX files: round trips for every type code, gzip by content, and clear errors for broken files."""

import gzip
import struct

import numpy as np
import pytest

from playground.data import DataError, load_idx_pair, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def _random(dtype, shape, rng):
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    array = _random(dtype, (5, 3, 4), rng)
    path = write_idx(tmp_path / f"a.idx{suffix}", array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)
    assert back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    head = path.read_bytes()[:2]
    assert (head == b"\x1f\x8b") == (suffix == ".gz")


@pytest.mark.parametrize("shape", [(7,), (2, 3), (1, 2, 3, 4), (0, 28, 28)])
def test_shapes(tmp_path, shape):
    array = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "x", array)), array)


def test_header_is_the_standard_one(tmp_path):
    path = write_idx(tmp_path / "labels", np.array([1, 2, 3], dtype=np.uint8))
    assert path.read_bytes() == b"\x00\x00\x08\x01" + struct.pack(">I", 3) + b"\x01\x02\x03"
    path = write_idx(tmp_path / "f", np.array([1.5], dtype=np.float32))
    assert path.read_bytes() == b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + struct.pack(">f", 1.5)


def test_gzip_is_detected_by_content_not_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gz = write_idx(tmp_path / "a.gz", array)
    renamed = tmp_path / "plain-looking-name"
    renamed.write_bytes(gz.read_bytes())
    np.testing.assert_array_equal(read_idx(renamed), array)
    plain = write_idx(tmp_path / "b", array)
    misnamed = tmp_path / "not-really.gz"
    misnamed.write_bytes(plain.read_bytes())
    np.testing.assert_array_equal(read_idx(misnamed), array)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_truncated_data_names_the_file(tmp_path, suffix):
    path = write_idx(tmp_path / "full", np.zeros((4, 5, 5), dtype=np.uint8))
    cut = tmp_path / f"cut-file{suffix}"
    raw = path.read_bytes()[:-10]
    cut.write_bytes(gzip.compress(raw) if suffix else raw)
    with pytest.raises(DataError, match=r"cut-file.*truncated"):
        read_idx(cut)


def test_truncated_gzip_stream(tmp_path):
    path = write_idx(tmp_path / "img.gz", np.random.default_rng(1).integers(0, 255, (50, 28, 28), dtype=np.uint8))
    raw = path.read_bytes()
    broken = tmp_path / "broken.gz"
    broken.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match=r"broken\.gz.*(damaged|truncated)"):
        read_idx(broken)


def test_truncated_header(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x02")
    with pytest.raises(DataError, match=r"short.*truncated"):
        read_idx(path)
    tiny = tmp_path / "tiny"
    tiny.write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match="tiny.*too short"):
        read_idx(tiny)


def test_trailing_bytes_are_corrupt(tmp_path):
    path = write_idx(tmp_path / "x", np.zeros(3, dtype=np.uint8))
    path.write_bytes(path.read_bytes() + b"junk")
    with pytest.raises(DataError, match=r"x.*corrupt"):
        read_idx(path)


def test_bad_magic(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    with pytest.raises(DataError, match=r"picture\.png is not an IDX file"):
        read_idx(path)


def test_unknown_type_code(tmp_path):
    path = tmp_path / "odd"
    path.write_bytes(b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(DataError, match=r"odd.*type code 0x07"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="nope.*does not exist"):
        read_idx(tmp_path / "nope")


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(DataError, match="uint16"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.uint16))


def test_load_idx_pair(tmp_path):
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 6, dtype=np.uint8)
    img_path = write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    lbl_path = write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    got_images, got_labels = load_idx_pair(img_path, lbl_path)
    assert got_images.dtype == np.uint8 and got_images.shape == (6, 28, 28)
    assert got_labels.dtype == np.int64 and got_labels.shape == (6,)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_load_idx_pair_count_mismatch(tmp_path):
    img = write_idx(tmp_path / "img", np.zeros((5, 2, 2), dtype=np.uint8))
    lbl = write_idx(tmp_path / "lbl", np.zeros(4, dtype=np.uint8))
    with pytest.raises(DataError, match=r"img has 5 images.*lbl has 4 labels"):
        load_idx_pair(img, lbl)


def test_load_idx_pair_wrong_shapes(tmp_path):
    flat = write_idx(tmp_path / "flat", np.zeros((5, 4), dtype=np.uint8))
    lbl = write_idx(tmp_path / "lbl", np.zeros(5, dtype=np.uint8))
    with pytest.raises(DataError, match="flat.*expected \\(N, height, width\\)"):
        load_idx_pair(flat, lbl)
    img = write_idx(tmp_path / "img", np.zeros((5, 2, 2), dtype=np.uint8))
    with pytest.raises(DataError, match="img.*expected \\(N,\\)"):
        load_idx_pair(img, img)
