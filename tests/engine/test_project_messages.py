"""A project file's name and its zip entries are echoed escaped: one error is always one line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from playground.engine.project import ProjectError, load_project, read_project


def _one_line(message: str) -> None:
    assert all(c.isprintable() for c in message), repr(message)


def test_an_entry_name_with_a_newline(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lab\n.json", b"{}")
    with pytest.raises(ProjectError) as info:
        read_project(buf.getvalue(), "p.nnp")
    _one_line(str(info.value))
    assert "entry 'lab\\n.json'" in str(info.value)


def test_a_file_name_with_a_newline_or_nul(tmp_path: Path) -> None:
    path = tmp_path / "two\nlines.nnp"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ProjectError) as info:
        load_project(path)
    _one_line(str(info.value))
    assert "two\\nlines.nnp" in str(info.value)
    with pytest.raises(ProjectError, match="cannot hold a NUL character"):
        load_project(str(tmp_path / "a\x00b.nnp"))
