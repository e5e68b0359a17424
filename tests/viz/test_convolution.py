import numpy as np
import pytest

from playground.viz.confusion import most_confused, overall_accuracy, per_class_accuracy
from playground.viz.convolution import (
    KERNEL_PRESETS,
    convolve2d,
    filter_tiles,
    normalize_symmetric,
    resize_nearest,
)


def reference(image, kernel, padding):
    """Plain loops: out[i, j] = sum_k,l image[i + k - top, j + l - left] * kernel[k, l], zeros outside."""
    h, w = image.shape
    kh, kw = kernel.shape
    top, left = ((kh - 1) // 2, (kw - 1) // 2) if padding == "same" else (0, 0)
    oh, ow = (h, w) if padding == "same" else (h - kh + 1, w - kw + 1)
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            total = 0.0
            for k in range(kh):
                for m in range(kw):
                    y, x = i + k - top, j + m - left
                    if 0 <= y < h and 0 <= x < w:
                        total += image[y, x] * kernel[k, m]
            out[i, j] = total
    return out


def test_hand_computed_example():
    image = np.arange(9, dtype=np.float32).reshape(3, 3)  # [[0 1 2] [3 4 5] [6 7 8]]
    kernel = np.array([[1, 0, 0], [0, 0, 0], [0, 0, -1]], dtype=np.float32)
    # Cross-correlation, not convolution: out[1, 1] = image[0, 0] * 1 + image[2, 2] * -1 = 0 - 8.
    assert convolve2d(image, kernel, padding="valid").tolist() == [[-8.0]]
    same = convolve2d(image, kernel)
    assert same.shape == (3, 3)
    assert same[1, 1] == -8.0
    assert same[0, 0] == -4.0  # the top-left neighbour is padding: only -image[1, 1]
    assert same[2, 2] == 4.0  # only +image[1, 1]


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kshape", [(3, 3), (5, 5), (2, 2), (1, 3), (4, 3)])
def test_matches_reference_loops(padding, kshape):
    rng = np.random.default_rng(sum(kshape))
    image = rng.normal(size=(9, 8)).astype(np.float32)
    kernel = rng.normal(size=kshape).astype(np.float32)
    assert np.allclose(convolve2d(image, kernel, padding), reference(image, kernel, padding), atol=1e-5)


def test_matches_torch_conv2d():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    image = rng.normal(size=(7, 6)).astype(np.float32)
    kernel = rng.normal(size=(3, 3)).astype(np.float32)
    expected = torch.nn.functional.conv2d(torch.from_numpy(image)[None, None], torch.from_numpy(kernel)[None, None],
                                          padding="same")[0, 0].numpy()
    assert np.allclose(convolve2d(image, kernel), expected, atol=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError):
        convolve2d(np.zeros((3, 3)), np.zeros((3, 3)), padding="full")
    with pytest.raises(ValueError):
        convolve2d(np.zeros((2, 2)), np.zeros((3, 3)), padding="valid")
    with pytest.raises(ValueError):
        convolve2d(np.zeros(3), np.zeros((3, 3)))


def test_presets_are_the_lecture_kernels():
    assert KERNEL_PRESETS["horizontal edge (dark above)"].tolist() == [[-1, -1, -1], [1, 1, 1], [0, 0, 0]]
    assert KERNEL_PRESETS["horizontal edge (dark below)"].tolist() == [[0, 0, 0], [1, 1, 1], [-1, -1, -1]]
    assert KERNEL_PRESETS["vertical edge (dark left)"].tolist() == [[-1, 1, 0], [-1, 1, 0], [-1, 1, 0]]
    assert KERNEL_PRESETS["vertical edge (dark right)"].tolist() == [[0, 1, -1], [0, 1, -1], [0, 1, -1]]
    assert KERNEL_PRESETS["Laplacian"].tolist() == [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
    assert np.allclose(KERNEL_PRESETS["box blur"], 1 / 9)
    image = np.random.default_rng(1).random((6, 6)).astype(np.float32)
    assert np.allclose(convolve2d(image, KERNEL_PRESETS["identity"]), image)


def test_vertical_edge_kernel_finds_a_vertical_edge():
    image = np.zeros((8, 8), dtype=np.float32)
    image[:, 4:] = 1.0  # dark left half, light right half
    vertical = convolve2d(image, KERNEL_PRESETS["vertical edge (dark left)"])
    assert np.argmax(vertical[3]) == 4 and vertical[3, 4] == 3.0
    assert np.allclose(vertical[1:-1, :4], 0) and np.allclose(vertical[1:-1, 5:], 0)
    horizontal = convolve2d(image, KERNEL_PRESETS["horizontal edge (dark above)"])
    assert np.allclose(horizontal[1:-1], 0)  # no horizontal edge inside the image


def test_filter_tiles():
    first = np.random.default_rng(0).normal(size=(6, 1, 5, 5))
    tiles, columns, how = filter_tiles(first)
    assert tiles.shape == (6, 5, 5) and columns >= 2
    second = np.random.default_rng(0).normal(size=(16, 6, 5, 5))
    tiles, columns, _ = filter_tiles(second)
    assert tiles.shape == (96, 5, 5) and columns == 6
    assert np.allclose(tiles[7], second[1, 1])
    big = np.random.default_rng(0).normal(size=(64, 32, 3, 3))
    tiles, _, how = filter_tiles(big)
    assert tiles.shape == (64, 3, 3) and "averaged" in how
    assert np.allclose(tiles[3], big[3].mean(axis=0))


def test_resize_and_normalize():
    small = np.arange(4, dtype=np.float32).reshape(1, 2, 2)
    big = resize_nearest(small, 4, 4)
    assert big.shape == (1, 4, 4) and big[0, 0, 0] == 0 and big[0, 3, 3] == 3 and big[0, 1, 2] == 1
    assert np.allclose(normalize_symmetric(np.array([-2.0, 1.0])), [-1.0, 0.5])
    assert np.allclose(normalize_symmetric(np.zeros(3)), 0)


def test_confusion_numbers():
    m = np.array([[8, 2, 0], [1, 9, 0], [0, 0, 0]])
    acc = per_class_accuracy(m)
    assert np.allclose(acc[:2], [0.8, 0.9]) and np.isnan(acc[2])
    assert overall_accuracy(m) == 17 / 20
    assert most_confused(m) == [(0, 1, 2), (1, 0, 1)]
