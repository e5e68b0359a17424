"""atomic_write: the whole file or the old one, with ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest

from playground.graph.files import atomic_write


def test_a_new_file_gets_the_permissions_of_any_new_file(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "lab.json", b"{}")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "lab.json").stat().st_mode) == 0o644
    assert (tmp_path / "lab.json").read_bytes() == b"{}"


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "lab.json"
    path.write_bytes(b"old")
    path.chmod(0o640)
    atomic_write(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_bytes() == b"new"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "lab.json"
    path.write_bytes(b"old")
    with pytest.raises(TypeError):
        atomic_write(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lab.json"]
