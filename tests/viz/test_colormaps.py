import numpy as np
import pytest

from playground.viz.colormaps import (
    TF_BLUE,
    TF_ORANGE,
    class_color,
    diverging_lut,
    hex_to_rgba,
    interpolated_lut,
    map_values,
    sequential_lut,
)


def test_diverging_table_runs_orange_to_white_to_blue():
    lut = diverging_lut()
    assert lut.shape == (256, 4) and lut.dtype == np.uint8
    assert tuple(lut[0]) == (0xF5, 0x93, 0x22, 255)
    assert tuple(lut[-1]) == (0x08, 0x77, 0xBD, 255)
    middle = lut[127:129].astype(int).mean(axis=0)
    assert np.all(middle[:3] > 225)  # near white in the middle: "undecided"
    assert np.all(lut[:, 3] == 255)


def test_sequential_table_gets_darker():
    lut = sequential_lut()
    brightness = lut[:, :3].astype(int).sum(axis=1)
    assert lut.shape == (256, 4)
    assert np.all(np.diff(brightness) <= 0)


def test_class_colours_match_the_boundary():
    assert class_color(0) == TF_ORANGE and class_color(1) == TF_BLUE
    assert class_color(2) not in (TF_ORANGE, TF_BLUE)


def test_map_values_hits_the_ends_clips_and_hides_nan():
    lut = diverging_lut()
    out = map_values(np.array([-1.0, 1.0, -5.0, 5.0, np.nan]), lut, -1, 1)
    assert np.array_equal(out[0], lut[0]) and np.array_equal(out[1], lut[-1])
    assert np.array_equal(out[2], lut[0]) and np.array_equal(out[3], lut[-1])
    assert out[4, 3] == 0


def test_bad_colours_and_tables_are_rejected():
    with pytest.raises(ValueError):
        hex_to_rgba("#fff")
    with pytest.raises(ValueError):
        interpolated_lut(["#000000"])
