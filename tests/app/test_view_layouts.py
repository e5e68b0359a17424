"""The window's views come from the registry: for each lab only the views that can show something for it, one main
view (the dynamic property ``mainView``) that gets the largest share once training starts, and probes asked only for
the views on screen."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from playground.app.presenters.view_layout import lab_traits
from playground.ui.commands import AddNodeCommand
from playground.ui.views.registry import probe_kind, views_for


@pytest.fixture
def app_window(screen_1366x768, app_window):
    """The shared window (tests/app/conftest.py) on a 1366x768 screen."""
    return app_window


def visible_views(c) -> set[str]:
    return {k for k, d in c.docks.items() if d.isVisible()}


def marked_main(win) -> list[QWidget]:
    return [w for w in win.findChildren(QWidget) if w.property("mainView") is True]


FAMILIES = {"spiral": "boundary", "regression_plane": "boundary", "lenet": "feature_maps",
            "mnist_1_layer": "feature_maps", "universal_approximation": "function_fit", "gan": "gan_plane",
            "gan_digits": "gan_samples", "autoencoder": "ae_reconstructions", "vae": "ae_reconstructions",
            "lstm_sequence": "seq_forecast", "char_rnn": "seq_text", "sequence_classifier": "loss"}


@pytest.mark.slow
def test_each_lab_shows_the_views_of_the_registry_for_it_and_marks_its_main_view(qtbot, app_window):
    win, c = app_window
    for key, main in FAMILIES.items():
        win.load_template(key)
        qtbot.wait(20)
        expected = {s.key for s in views_for(lab_traits(win.lab))}
        assert visible_views(c) == expected, key
        assert c.main_view_key == main, key
        assert marked_main(win) == [c.views.get(main, c.docks[main].widget())], key


@pytest.mark.slow
def test_a_dense_network_gets_no_filters_dock_and_a_plane_no_image_docks(qtbot, app_window):
    win, c = app_window
    win.load_template("mnist_1_layer")  # dense: its filters would only say "No convolutional layer"
    assert not c.docks["filters"].isVisible() and c.draw_dock.isVisible()
    assert not c.docks["filters"].toggleViewAction().isVisible()  # nor offered in the View menu
    win.load_template("spiral")
    image_docks = ("feature_maps", "filters", "templates", "confusion", "filter_lab", "samples", "draw")
    assert not any(c.docks[k].isVisible() for k in image_docks)


@pytest.mark.slow
def test_a_first_convolution_brings_the_filters_and_undo_takes_them_away(qtbot, app_window):
    win, c = app_window
    win.load_template("mnist_1_layer")
    graph = win.lab.networks[0].graph
    win.undo_stack.push(AddNodeCommand(graph, "Conv2d", "conv_9", {}, (0.0, 0.0)))
    qtbot.wait(20)
    assert c.docks["filters"].isVisible()
    win.undo_stack.undo()
    qtbot.wait(20)
    assert not c.docks["filters"].isVisible()


@pytest.mark.parametrize("key", ["spiral", "lenet", "gan", "char_rnn"])
@pytest.mark.slow
def test_once_training_starts_the_main_view_is_the_largest_thing_in_the_window(qtbot, app_window, key):
    win, c = app_window
    win.load_template(key)
    c._show_training_views()  # what Play does to the docks, without training
    qtbot.wait(60)  # the docks' relayout and the deferred resizes
    main = c.docks[c.main_view_key]
    area = main.width() * main.height()
    others = {k: d.width() * d.height() for k, d in c.docks.items() if c._shown(k) and d is not main}
    central = win.centralWidget()
    assert all(area >= a for a in others.values()), (key, area, others)
    assert area >= central.width() * central.height(), (key, area, central.size())


@pytest.mark.slow
def test_only_the_views_on_screen_ask_for_probes(qtbot, app_window):
    win, c = app_window
    win.load_template("spiral")
    qtbot.wait(20)
    asked = c.open_probes()
    assert {"boundary", "neurons", "weights"} <= asked
    assert not {probe_kind(p) for p in asked} & {"feature_maps", "filters", "confusion", "augmented"}
    hidden_tab = next(k for k, d in c.docks.items() if d.isVisible() and not c._shown(k))
    assert not set(c.view_specs[hidden_tab].probes) & {probe_kind(p) for p in asked}  # a tab behind another view
    win.load_template("lenet")
    qtbot.wait(20)
    shown = {k for k in c.docks if c._shown(k)}
    kinds = {probe_kind(p) for p in c.open_probes()}
    assert kinds == {p for k in shown for p in c.view_specs[k].probes} - {"augmented"}  # samples: augmentation off
    assert "saliency" not in kinds and not c._shown("saliency")


@pytest.mark.slow
def test_an_image_lab_shows_its_samples_as_soon_as_it_opens_again_and_again(qtbot, app_window):
    """The samples are data, not training: they show before Play, also when the same lab opens a second time."""
    win, c = app_window
    for _ in range(2):
        win.load_template("lenet")
        qtbot.waitUntil(lambda: not c.views["samples"].is_empty, timeout=10000)


@pytest.mark.parametrize("key", ["spiral", "lenet"])
@pytest.mark.slow
def test_once_training_starts_each_view_below_stays_wide_enough_to_read(qtbot, app_window, key):
    win, c = app_window
    win.load_template(key)
    c._show_training_views()
    qtbot.wait(60)
    bottom = win.dockWidgetArea(win.problems_dock)
    low = {k: d.width() for k, d in c.docks.items() if c._shown(k) and win.dockWidgetArea(d) == bottom}
    # A digit lab's row starts with the drawing pad whole (about 560 px: see test_drawing_pad_layout.py), which
    # leaves room for one more column at 1366 px; other labs keep three.
    assert len(low) >= (2 if "draw" in low else 3) and all(w >= 220 for w in low.values()), low


@pytest.mark.parametrize(("key", "curves"), [("spiral", "loss"), ("lenet", "loss"), ("gan", "gan_curves"),
                                             ("vae", "vae_loss")])
@pytest.mark.slow
def test_play_brings_the_familys_own_curves_in_front_of_the_inspector(qtbot, app_window, key, curves):
    win, c = app_window
    win.load_template(key)
    qtbot.wait(20)
    assert not c._shown(curves)  # editing: the inspector is in front
    c._show_training_views()
    qtbot.wait(60)
    assert c._shown(curves)
