"""Bad input gets a DataError with a one-line message: an integer too large for a float (a lab file can hold 1
followed by 400 zeros) never reaches float() inside a range check, and a path or folder name with a newline or NUL
character is shown escaped."""

from __future__ import annotations

import numpy as np
import pytest

from playground.data import functions1d, gan2d, toy2d
from playground.data.errors import DataError

BIG = 10**400


def test_toy2d() -> None:
    with pytest.raises(DataError, match="noise"):
        toy2d.generate_2d("circle", 100, BIG, 0)
    x = np.zeros((10, 2), np.float32)
    with pytest.raises(DataError, match="train_ratio"):
        toy2d.split(x, np.zeros(10), BIG, 0)
    with pytest.raises(DataError, match="extent"):
        toy2d.grid_2d(10, BIG)


def test_gan2d() -> None:
    with pytest.raises(DataError, match="noise"):
        gan2d.sample_target("ring", 100, BIG, 0)
    with pytest.raises(DataError, match="pairs of numbers"):
        gan2d.drawn_points({"points": [[BIG, 0.0]] * 20})


def test_functions1d() -> None:
    with pytest.raises(DataError, match="noise"):
        functions1d.generate_1d(functions1d.DEFAULT_FUNCTION, 100, BIG, 0)


@pytest.mark.parametrize("name", ["no\nsuch", "no\x00such"])
def test_an_image_folder_path_is_echoed_on_one_line(tmp_path, name: str) -> None:
    from playground.data.image_folder import load_image_folder

    with pytest.raises(DataError) as info:
        load_image_folder(str(tmp_path / name))
    assert str(info.value).isprintable() and "does not exist" in str(info.value)


def test_class_folder_names_are_echoed_on_one_line(tmp_path) -> None:
    from playground.data.image_folder import load_image_folder

    (tmp_path / "cats\n").mkdir()
    (tmp_path / "cats\n" / "a.png").write_bytes(b"not an image")
    with pytest.raises(DataError) as info:
        load_image_folder(tmp_path)
    assert str(info.value).isprintable() and "'cats\\n'" in str(info.value)


@pytest.mark.parametrize("name", ["no\nsuch.idx", "no\x00such.idx"])
def test_an_idx_path_is_echoed_on_one_line(tmp_path, name: str) -> None:
    from playground.data.idx import read_idx

    with pytest.raises(DataError) as info:
        read_idx(str(tmp_path / name))
    assert str(info.value).isprintable() and "no\\" in str(info.value)
