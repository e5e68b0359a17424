import numpy as np

from playground.snapshots import HiddenSpace
from playground.ui.views import HiddenSpaceView
from playground.viz.projection import fit_pca


def make(qtbot):
    view = HiddenSpaceView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    return view


def test_layers_come_from_the_snapshot_and_the_last_is_chosen(qtbot, spiral_snapshot):
    view = make(qtbot)
    with qtbot.waitSignal(view.probe_changed) as blocker:
        view.show_snapshot(spiral_snapshot)
    assert [view.layer_combo.itemText(i) for i in range(view.layer_combo.count())] == ["tanh_1", "tanh_2"]
    assert view.layer == "tanh_2" and blocker.args == ["hidden:tanh_2"]
    assert view.probes == ("hidden:tanh_2",)


def test_choosing_a_layer_asks_for_its_probe(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.set_layers(["tanh_1", "tanh_2"])
    with qtbot.waitSignal(view.probe_changed) as blocker:
        view.layer_combo.setCurrentText("tanh_1")
    assert blocker.args == ["hidden:tanh_1"]
    assert view.probes == ("hidden:tanh_1",)
    view.show_snapshot(spiral_snapshot)  # has only tanh_2's probe: waits for tanh_1's
    assert view.is_empty


def test_pca_and_units_modes(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    points = spiral_snapshot.probes[HiddenSpace].layers["tanh_2"].points
    assert view.mode == "pca" and not view.unit_x.isEnabled()
    assert view.unit_x.isHidden() and view.unit_y.isHidden()  # no room taken from the choosers in a narrow dock
    x, y = view.scatter.getData()
    expected = fit_pca(points).transform(points)
    assert np.allclose(np.abs(x), np.abs(expected[:, 0]), atol=1e-5)
    assert np.allclose(np.abs(y), np.abs(expected[:, 1]), atol=1e-5)
    assert view.plot.getPlotItem().getAxis("bottom").labelText.startswith("PC 1")

    view.set_mode("units")
    assert view.unit_x.isEnabled() and not view.unit_x.isHidden()
    view.set_units(2, 3)
    x, y = view.scatter.getData()
    assert np.allclose(x, points[:, 2]) and np.allclose(y, points[:, 3])
    assert view.plot.getPlotItem().getAxis("left").labelText == "unit 3"
    assert view.unit_x.maximum() == points.shape[1] - 1


def test_grid_lines_are_drawn_through_the_layer(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    view.set_mode("units")
    view.set_units(0, 1)
    lines = spiral_snapshot.probes[HiddenSpace].layers["tanh_2"].lines
    x, _y = view.horizontal_lines.getData()
    half = len(lines) // 2
    assert len(x) == half * (lines.shape[1] + 1) - 1
    assert np.allclose(x[:lines.shape[1]], lines[0, :, 0])


def test_points_coloured_by_class(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    colours = [b.color().name() for b in view.scatter.data["brush"]]
    labels = spiral_snapshot.dataset["train_labels"]
    assert colours[int(np.argmax(labels == 1))] == "#0877bd"
    assert colours[int(np.argmax(labels == 0))] == "#f59322"
