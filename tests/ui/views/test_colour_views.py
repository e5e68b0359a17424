"""The image views with colour data: RGB filters, colour misclassified images, colour samples."""

from types import SimpleNamespace

import numpy as np

from playground.snapshots import Confusion, FeatureMaps, Filters, ProbeResults
from playground.ui.views import ConfusionMatrixView, FilterGridView
from playground.ui.views.confusion import gray_pixmap
from playground.ui.views.data_samples import DataSampleView
from playground.viz.colormaps import diverging_lut
from playground.viz.convolution import rgb_filter_tiles


def make(qtbot, cls):
    view = cls()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    return view


def test_rgb_filter_tiles_grey_is_zero_and_each_filter_uses_its_range():
    w = np.zeros((2, 3, 3, 3), np.float32)
    w[0, 0, 1, 1] = 2.0  # a red centre
    w[1, 2] = -0.1  # all "not blue"
    tiles = rgb_filter_tiles(w)
    assert tiles.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(tiles[0, 0, 0], [0.5, 0.5, 0.5])
    np.testing.assert_allclose(tiles[0, 1, 1], [1.0, 0.5, 0.5])
    np.testing.assert_allclose(tiles[1, 0, 0], [0.5, 0.5, 0.0])


def test_filters_of_a_colour_layer_show_as_colour_tiles(qtbot):
    view = make(qtbot, FilterGridView)
    rng = np.random.default_rng(0)
    probes = ProbeResults([Filters({"conv_1": rng.normal(size=(16, 3, 3, 3)).astype(np.float32),
                                    "conv_2": rng.normal(size=(8, 16, 3, 3)).astype(np.float32)})])
    view.show_snapshot(SimpleNamespace(probes=probes, epoch=1))
    assert view.image.image.ndim == 3 and view.image.image.shape[2] == 3 and view.image.lut is None
    assert view.tile_count == 16 and "colour tile per filter" in view.caption.text()
    assert not view.rgb_checkbox.isHidden()
    view.set_layer("conv_2")  # 16 input channels: the diverging tiles again
    assert view.image.image.ndim == 2 and np.array_equal(view.image.lut, diverging_lut())
    assert view.rgb_checkbox.isHidden()
    view.set_layer("conv_1")
    view.rgb_checkbox.setChecked(False)  # one tile per channel
    assert view.image.image.ndim == 2 and view.tile_count == 48


def test_misclassified_colour_images_keep_their_colour(qtbot):
    red = np.zeros((3, 8, 8))
    red[0] = 1.0
    image = gray_pixmap(red).toImage()
    colour = image.pixelColor(5, 5)
    assert (colour.red(), colour.green(), colour.blue()) == (255, 0, 0)
    view = make(qtbot, ConfusionMatrixView)
    probes = ProbeResults([Confusion(matrix=np.eye(10, dtype=np.int64) * 5, images=np.stack([red] * 3),
                                     true=np.array([1, 2, 3]), predicted=np.array([2, 3, 4]))])
    view.show_snapshot(SimpleNamespace(probes=probes, classes=10, class_names=[str(i) for i in range(10)],
                                       epoch=1, metrics={}))
    assert view.gallery.count() >= 3


def test_samples_view_draws_colour_images(qtbot):
    view = make(qtbot, DataSampleView)
    images = np.zeros((10, 3, 32, 32), np.float32)
    images[:, 2] = 1.0  # blue
    view.set_data(images, np.arange(10), ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                                          "ship", "truck"], "CIFAR-10")
    tile = view.tiles.images[0]
    c = tile.pixelColor(3, 3)
    assert (c.red(), c.green(), c.blue()) == (0, 0, 255)
    assert view.tiles.captions[0] == "airplane"


def test_feature_maps_enlarge_a_colour_input_as_its_picture(qtbot):
    from playground.ui.views import FeatureMapView

    view = make(qtbot, FeatureMapView)
    sample = np.zeros((3, 32, 32), np.float32)
    sample[1] = 1.0  # green
    probes = ProbeResults([FeatureMaps(sample, 3, {"conv_1": np.random.default_rng(0).random((4, 32, 32)).astype(
        np.float32)}, np.full(10, 0.1, np.float32))])
    view.show_snapshot(SimpleNamespace(probes=probes, classes=10, epoch=1))
    assert view.enlarged_title == "input · colour image"
    assert view.big_image.image.shape == (32, 32, 3) and view.big_image.lut is None
    assert tuple(view.big_image.image[5, 5]) == (0, 255, 0)
    point = view.grid_box.mapSceneToView(view.map_center("conv_1", 2))
    assert view.click_at(point.y(), point.x())
    assert view.enlarged_title == "conv_1 · channel 2" and view.big_image.lut is not None
    assert view.big_image.image.shape == (32, 32)
