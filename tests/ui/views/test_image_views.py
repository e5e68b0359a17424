import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from playground.snapshots import Confusion, DecisionBoundary, FeatureMaps, Filters, ProbeResults, Weights
from playground.ui.views import (
    IMAGE_VIEWS,
    ClassTemplateView,
    ConfusionMatrixView,
    FeatureMapView,
    FilterGridView,
    FilterLabView,
)

CLASSES = [str(i) for i in range(10)]


def snap(*records, epoch=1):
    return SimpleNamespace(state="running", epoch=epoch, task="classification", classes=CLASSES, metrics={},
                           probes=ProbeResults(records), dataset={})


def make(qtbot, cls, size=(700, 500)):
    view = cls()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    return view


def cnn_probes(seed=0):
    rng = np.random.default_rng(seed)
    image = np.zeros((1, 28, 28), np.float32)
    image[0, 6:22, 12:16] = 1.0
    probs = rng.random(10).astype(np.float32)
    return FeatureMaps(image, 1, {
        "conv_1": rng.random((6, 24, 24)).astype(np.float32),
        "pool_1": rng.random((6, 12, 12)).astype(np.float32),
        "conv_2": rng.random((16, 8, 8)).astype(np.float32),
        "dense_1": rng.normal(size=84).astype(np.float32),
    }, probs / probs.sum())


@pytest.mark.parametrize("cls", IMAGE_VIEWS)
def test_missing_keys_show_an_empty_state(qtbot, cls):
    view = make(qtbot, cls)
    view.show_snapshot(SimpleNamespace())
    assert view.is_empty and view.empty_message
    view.show_snapshot(snap(DecisionBoundary(np.zeros((3, 3)))))  # a record this view does not draw
    assert view.is_empty and view.empty_message
    assert view.objectName()


def test_filter_grid_tiles_levels_and_layers(qtbot):
    view = make(qtbot, FilterGridView)
    rng = np.random.default_rng(0)
    first = rng.normal(size=(6, 1, 5, 5)).astype(np.float32)
    second = rng.normal(size=(16, 6, 5, 5)).astype(np.float32)
    view.show_snapshot(snap(Filters({"conv_1": first, "conv_2": second})))
    assert not view.is_empty
    assert [view.layer_combo.itemText(i) for i in range(2)] == ["conv_1", "conv_2"]
    assert view.tile_count == 6
    lo, hi = view.image.levels
    assert lo == -hi and hi == pytest.approx(np.abs(first).max())
    before = view.image.image.copy()
    items = view.graphics_item_count()
    view.show_snapshot(snap(Filters({"conv_1": first * 2, "conv_2": second})))
    assert not np.array_equal(view.image.image, before, equal_nan=True)
    assert view.graphics_item_count() == items
    view.set_layer("conv_2")
    assert view.tile_count == 96 and view.columns == 6
    big = Filters({"conv_3": rng.normal(size=(64, 32, 3, 3)).astype(np.float32)})
    view.show_snapshot(snap(big))
    assert view.tile_count == 64 and "averaged" in view.caption.text()


def test_feature_maps_layers_tiles_strips_and_no_new_items(qtbot):
    view = make(qtbot, FeatureMapView, (900, 700))
    view.show_snapshot(snap(cnn_probes(0)))
    assert view.layer_names == ["input", "conv_1", "pool_1", "conv_2", "dense_1", "probabilities"]
    assert len(view.tiles) == 1 + 6 + 6 + 16
    assert view.strip_count == 2
    assert "true 1" in view.sample_label.text() and "predicted" in view.sample_label.text()
    first = view.grid_image.image.copy()
    items = view.graphics_item_count()
    for seed in (1, 2, 3):
        view.show_snapshot(snap(cnn_probes(seed)))
    assert not np.array_equal(view.grid_image.image, first, equal_nan=True)
    assert view.graphics_item_count() == items


def test_click_a_map_to_enlarge_it(qtbot):
    view = make(qtbot, FeatureMapView, (900, 700))
    probes = cnn_probes(0)
    view.show_snapshot(snap(probes))
    qtbot.wait(20)
    view.show_snapshot(snap(probes))  # laid out at its real size now
    pos = view.map_center("conv_2", 5)
    gv = view.canvas
    qtbot.mouseClick(gv.viewport(), Qt.LeftButton, pos=gv.mapFromScene(pos))
    assert view.enlarged_title == "conv_2 · channel 5"
    assert np.allclose(view.big_image.image, probes.layers["conv_2"][5] / probes.layers["conv_2"].max())
    assert view.big_image.image.shape == (8, 8)
    t = view.tiles[1]  # conv_1 channel 0, clicked without the mouse
    assert view.click_at(t.top + 1, t.left + 1)
    assert view.enlarged_title == "conv_1 · channel 0"
    dense = view.grid_box.mapSceneToView(view.map_center("dense_1", 10))
    assert view.click_at(dense.y(), dense.x())
    assert view.enlarged_title.startswith("dense_1 · unit 10")


def test_sample_chooser_emits_the_index(qtbot):
    view = make(qtbot, FeatureMapView)
    with qtbot.waitSignal(view.sample_requested) as blocker:
        view.next_button.click()
    assert blocker.args == [1]
    with qtbot.waitSignal(view.sample_requested) as blocker:
        view.sample_spin.setValue(42)
    assert blocker.args == [42]
    view.set_sample(7)  # shows it without asking again
    assert view.sample_spin.value() == 7


def test_drawing_is_labelled_as_such(qtbot):
    view = make(qtbot, FeatureMapView)
    probes = dataclasses.replace(cnn_probes(0), label=None, drawing=True)
    view.show_snapshot(snap(probes))
    assert "your drawing" in view.sample_label.text()


def test_class_templates(qtbot):
    view = make(qtbot, ClassTemplateView)
    rng = np.random.default_rng(0)
    w = rng.normal(size=(10, 784)).astype(np.float32)
    layers = {"hidden": rng.normal(size=(32, 784)).astype(np.float32), "out": w,
              "out_bias": np.zeros(10, np.float32)}
    view.show_snapshot(snap(Weights(layers)))
    assert view.layer == "out" and view.template_count == 10
    assert view.label_texts == CLASSES
    img = view.image.image
    assert img.shape == (2 * 28 + 3, 5 * 28 + 4 * 3)
    assert np.allclose(img[31:59, 31:59], w[6].reshape(28, 28))  # row 1, column 1: class 6
    lo, hi = view.image.levels
    assert lo == -hi
    items = view.graphics_item_count()
    layers["out"] = w * -1
    view.show_snapshot(snap(Weights(layers)))
    assert np.allclose(view.image.image[0:28, 0:28], -w[0].reshape(28, 28))
    assert view.graphics_item_count() == items
    view.show_snapshot(snap(Weights({"conv": rng.normal(size=(6, 1, 5, 5))})))
    assert view.is_empty and "784" in view.empty_message


def confusion_probes():
    m = np.array([[5, 1, 0], [2, 6, 2], [0, 0, 4]], np.int64)
    return Confusion(matrix=m, images=np.random.default_rng(0).random((3, 28, 28)).astype(np.float32),
                     true=np.array([0, 1, 1], np.int64), predicted=np.array([1, 0, 2], np.int64))


def test_confusion_matrix_counts_accuracy_and_gallery(qtbot):
    view = make(qtbot, ConfusionMatrixView)
    s = snap(confusion_probes())
    s.classes = ["a", "b", "c"]
    view.show_snapshot(s)
    assert view.cell_texts == ["5", "1", "", "2", "6", "2", "", "", "4"]
    assert view.accuracy_texts == ["a: 83.3%  (5/6)", "b: 60.0%  (6/10)", "c: 100.0%  (4/4)"]
    assert view.gallery_captions == ["true a → predicted b", "true b → predicted a", "true b → predicted c"]
    assert "75.0%" in view.caption.text()
    items = view.graphics_item_count()
    probes = confusion_probes()
    probes = dataclasses.replace(probes, matrix=probes.matrix * 2, true=probes.true[:1])
    s2 = snap(probes)
    s2.classes = ["a", "b", "c"]
    view.show_snapshot(s2)
    assert view.cell_texts[0] == "10"
    assert view.gallery_captions == ["true a → predicted b"]
    assert view.graphics_item_count() == items


def test_confusion_without_gallery_and_default_class_names(qtbot):
    view = make(qtbot, ConfusionMatrixView)
    empty = np.zeros((0, 28, 28), np.float32)
    s = snap(Confusion(np.eye(4, dtype=np.int64) * 3, empty, np.zeros(0, np.int64), np.zeros(0, np.int64)))
    s.classes = []
    view.show_snapshot(s)
    assert view.accuracy_texts[2] == "2: 100.0%  (3/3)"
    assert view.gallery_captions == []


def test_filter_lab_presets_on_a_tiny_image(qtbot):
    view = make(qtbot, FilterLabView)
    assert view.is_empty
    image = np.zeros((8, 8), np.float32)
    image[:, 4:] = 1.0  # a vertical edge
    view.set_image(image)
    assert not view.is_empty
    view.preset_combo.setCurrentText("vertical edge (dark left)")
    assert view.kernel.tolist() == [[-1, 1, 0], [-1, 1, 0], [-1, 1, 0]]
    assert np.argmax(view.output[4]) == 4 and view.output[4, 4] == 3.0
    assert np.allclose(view.output_image.image, view.output)
    view.preset_combo.setCurrentText("horizontal edge (dark above)")
    assert np.allclose(view.output[1:-1], 0)  # no horizontal edge inside
    view.preset_combo.setCurrentText("identity")
    assert np.allclose(view.output, image)
    view.preset_combo.setCurrentText("Laplacian")
    assert view.kernel.tolist() == [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
    view.cells[4].setValue(-3.0)  # a hand edit
    assert view.preset_combo.currentText() == "custom"
    assert view.kernel[1, 1] == -3.0


def test_filter_lab_follows_the_sample(qtbot):
    view = make(qtbot, FilterLabView)
    probes = cnn_probes(0)
    view.show_snapshot(snap(probes))
    assert not view.is_empty
    assert np.allclose(view.image, probes.input[0])
    items = view.graphics_item_count()
    probes = dataclasses.replace(probes, input=probes.input[:, ::-1, :].copy())
    view.show_snapshot(snap(probes))
    assert np.allclose(view.image, probes.input[0])
    assert view.graphics_item_count() == items
    view.show_snapshot(snap())  # keeps the last digit
    assert not view.is_empty


def test_image_demo_builds_and_fills_every_view(qtbot):
    from playground.ui.views.image_demo import ImageViewsDemo, SyntheticImageRun

    demo = ImageViewsDemo(SyntheticImageRun(0))
    qtbot.addWidget(demo)
    assert all(not view.is_empty for view in demo.views)
    demo.feature_maps.next_button.click()
    assert demo.feature_maps.sample_spin.value() == 8


def lenet_probes(seed=0):
    rng = np.random.default_rng(seed)
    probes = cnn_probes(seed)
    layers = dict(probes.layers)
    for name, size in (("relu_3", 120), ("dense_2", 84), ("relu_4", 84), ("dense_3", 10), ("flatten_1", 400)):
        layers[name] = rng.normal(size=size).astype(np.float32)
    return dataclasses.replace(probes, layers=layers)


@pytest.mark.parametrize("height", [230, 700])
def test_layer_labels_never_overprint_each_other(qtbot, height):
    from PySide6.QtGui import QFontMetrics

    # The layers run left to right, their labels side by side above the columns: no two may touch.
    view = make(qtbot, FeatureMapView, (400, height))
    view.activation_box.setChecked(True)  # a column, and a label, for every layer
    view.show_snapshot(snap(lenet_probes()))
    view.show_snapshot(snap(lenet_probes(1)))  # laid out for its real size
    qtbot.wait(10)
    shown = sorted(((label.mapRectToScene(label.boundingRect()), label.toPlainText().count("\n") + 1)
                    for label, _y, _layer in view._layer_labels if label.isVisible()), key=lambda item: item[0].left())
    assert shown, "some layer names must stay readable"
    for (rect, lines), (next_rect, _n) in zip(shown, shown[1:]):
        assert rect.right() <= next_rect.left(), (rect, next_rect)
        assert lines == 2  # name and shape
    line = QFontMetrics(view.label_font).height()
    assert all(rect.height() < 2.5 * line for rect, _n in shown)  # no name wrapped onto a third line
    assert len(shown) == len(view.layer_names) - 1  # every layer but the probabilities, which have their bars


@pytest.mark.parametrize("size", [(370, 230), (900, 700)])
def test_class_numbers_under_the_probabilities_never_overprint(qtbot, size):
    from PySide6.QtGui import QFontMetrics

    view = make(qtbot, FeatureMapView, size)
    view.show_snapshot(snap(lenet_probes()))
    view.show_snapshot(snap(lenet_probes(1)))  # laid out for its real size
    qtbot.wait(10)
    metrics = QFontMetrics(view.font())
    shown = sorted((label.getViewBox().mapViewToDevice(label.pos()).x(), label.toPlainText())
                   for label in view._class_labels if label.isVisible())
    assert shown and shown[0][1] == "0"  # at least where the classes start
    for (x, text), (next_x, _t) in zip(shown, shown[1:]):
        assert next_x - x >= metrics.horizontalAdvance(text), (x, text, next_x)
    if size[0] >= 900:
        assert len(shown) == 10  # room for all
