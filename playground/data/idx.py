"""The IDX file format of MNIST and Fashion-MNIST, read and written with numpy.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one big-endian 32-bit
size per dimension, then the values row-major and big-endian. The downloads come gzip-compressed; we recognise gzip by
its two magic bytes rather than by the file name, because users rename files (and some mirrors serve them unpacked).
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from playground.data.errors import DataError, shown_path

__all__ = ["IDX_DTYPES", "load_idx_pair", "read_idx", "write_idx"]

#: IDX type code -> numpy dtype (big-endian, as stored on disk).
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise DataError(f"IDX file {shown_path(path)} does not exist") from None
    except OSError as exc:
        raise DataError(f"Could not read IDX file {shown_path(path)}: {exc.strerror or exc}") from None
    except ValueError:  # a path with a NUL character
        raise DataError(f"Could not read IDX file {shown_path(path)}: a file name cannot hold a NUL "
                        f"character") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"IDX file {shown_path(path)} is gzip-compressed but damaged or truncated: "
                            f"{exc}") from None
    return raw


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (plain or gzip) into a native-endian numpy array with the shape its header gives."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataError(f"IDX file {shown_path(path)} is too short ({len(raw)} bytes) to hold a header")
    zero1, zero2, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero1 != 0 or zero2 != 0:
        raise DataError(f"{shown_path(path)} is not an IDX file: it starts with {raw[:4].hex()} instead of two zero "
                        f"bytes")
    if code not in IDX_DTYPES:
        raise DataError(f"IDX file {shown_path(path)} has unknown type code 0x{code:02X} "
                        f"(known: {', '.join(f'0x{c:02X}' for c in IDX_DTYPES)})")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataError(f"IDX file {shown_path(path)} is truncated: its header announces {ndim} dimensions "
                        f"but the file ends after {len(raw)} bytes")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header_size
    if actual < expected:
        raise DataError(f"IDX file {shown_path(path)} is truncated: shape {shape} needs {expected} bytes of data "
                        f"but only {actual} are there")
    if actual > expected:
        raise DataError(f"IDX file {shown_path(path)} is corrupt: shape {shape} needs {expected} bytes of data "
                        f"but {actual} are there")
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file, gzip-compressed when the name ends with ``.gz``. Returns the path."""
    path = Path(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise DataError(f"Cannot write {shown_path(path)}: IDX has no type for dtype {array.dtype} "
                        "(uint8, int8, int16, int32, float32, float64)")
    if array.ndim > 255:
        raise DataError(f"Cannot write {shown_path(path)}: IDX allows at most 255 dimensions, not {array.ndim}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    if path.name.endswith(".gz"):
        # mtime=0 makes the bytes (and so their checksum) depend on the data only.
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
    return path


def load_idx_pair(images_path: str | os.PathLike[str],
                  labels_path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST-style image file and its label file: images uint8 (N, H, W), labels int64 (N,)."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3:
        raise DataError(f"IDX image file {shown_path(images_path)} has shape {images.shape}; expected (N, height, "
                        f"width)")
    if images.dtype != np.uint8:
        raise DataError(f"IDX image file {shown_path(images_path)} holds {images.dtype}; expected uint8 pixels")
    if labels.ndim != 1:
        raise DataError(f"IDX label file {shown_path(labels_path)} has shape {labels.shape}; expected (N,)")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"IDX label file {shown_path(labels_path)} holds {labels.dtype}; expected integer labels")
    if len(images) != len(labels):
        raise DataError(f"IDX files do not match: {shown_path(images_path)} has {len(images)} images "
                        f"but {shown_path(labels_path)} has {len(labels)} labels")
    return images, labels.astype(np.int64)
