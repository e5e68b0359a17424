import numpy as np

from playground.snapshots import Neurons, ProbeResults
from playground.ui.views import NeuronGridView


def make(qtbot):
    view = NeuronGridView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    return view


def test_one_tile_per_hidden_unit_one_band_per_layer(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    assert view.layer_names == ["tanh_1", "tanh_2"]
    assert len(view.tiles) == 6 + 4
    assert {t.column for t in view.tiles} == {0, 1}
    first = [t for t in view.tiles if t.column == 0]
    second = [t for t in view.tiles if t.column == 1]
    assert max(t.top for t in first) < min(t.top for t in second)  # the first layer's band is above the second's
    row0 = sorted((t for t in first if t.top == first[0].top), key=lambda t: t.row)
    assert len(row0) > 1 and all(a.left < b.left for a, b in zip(row0, row0[1:]))  # units left to right
    assert tuple(view.grid_image.levels) == (-1.0, 1.0)


def test_units_wrap_to_fit_the_panel_shape(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.resize(900, 260)  # wide and short, like the bottom dock
    qtbot.wait(10)
    view.show_snapshot(spiral_snapshot)
    wide = len({t.left for t in view.tiles})
    view.resize(260, 700)  # tall and narrow
    qtbot.wait(10)
    view.show_snapshot(spiral_snapshot)
    narrow = len({t.left for t in view.tiles})
    assert wide > narrow


def test_tiles_are_upright_copies_of_the_probes(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    unit = spiral_snapshot.probes[Neurons].layers["tanh_2"][3]
    t = next(t for t in view.tiles if (t.column, t.row) == (1, 3))
    tile = view.grid_image.image[t.top:t.top + t.height, t.left:t.left + t.width]
    assert np.allclose(tile, unit[::-1])  # row 0 of the probe (bottom of the plane) at the tile's bottom


def test_hovering_a_tile_enlarges_that_unit(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    assert view.enlarged_title == "tanh_1 · unit 0"
    view._on_mouse_moved(view.tile_center(1, 2))  # what the scene's sigMouseMoved delivers
    assert view.selected == (1, 2)
    assert view.enlarged_title == "tanh_2 · unit 2"
    assert np.allclose(view.big_image.image, spiral_snapshot.probes[Neurons].layers["tanh_2"][2])
    assert view.highlight.isVisible()
    view.show_snapshot(spiral_snapshot)  # the choice survives the next frame
    assert view.selected == (1, 2)


def test_hover_with_the_real_mouse(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    qtbot.wait(10)
    gv = view.canvas
    pos = gv.mapFromScene(view.tile_center(0, 4))
    qtbot.mouseMove(gv.viewport(), pos)
    # The hover arrives as an event: wait for it (on a loaded machine 10 ms was not always enough).
    qtbot.waitUntil(lambda: view.selected == (0, 4), timeout=5000)


def test_fewer_layers_resets_an_out_of_range_choice(qtbot, spiral_snapshot):
    from types import SimpleNamespace
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    view.hover_at(view.tiles[-1].top + 1, view.tiles[-1].left + 1)
    first = spiral_snapshot.probes[Neurons].layers["tanh_1"]
    smaller = SimpleNamespace(**{**vars(spiral_snapshot),
                                 "probes": ProbeResults([Neurons({"tanh_1": first[:2]})])})
    view.show_snapshot(smaller)
    assert view.selected == (0, 0) and len(view.tiles) == 2
