import numpy as np

from playground.snapshots import DecisionBoundary
from playground.ui.views import DecisionBoundaryView
from playground.ui.views.synthetic import SyntheticRun, empty_snapshot
from playground.viz.colormaps import diverging_lut


def make(qtbot):
    view = DecisionBoundaryView()
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    return view


def test_boundary_image_changes_with_training_and_levels_stay_fixed(qtbot):
    run = SyntheticRun(hidden=(6,), seed=3)
    view = make(qtbot)
    run.train_epoch()
    view.show_snapshot(run.snapshot())
    first = view.image.image.copy()
    assert first.shape == (100, 100)
    assert tuple(view.image.levels) == (0.0, 1.0)
    for _ in range(5):
        run.train_epoch()
    view.show_snapshot(run.snapshot())
    assert not np.array_equal(view.image.image, first)
    assert tuple(view.image.levels) == (0.0, 1.0)
    assert np.array_equal(view.image.lut, diverging_lut())


def test_image_covers_the_plane_with_row_zero_at_the_bottom(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    rect = view.image.mapRectToParent(view.image.boundingRect())
    assert (rect.left(), rect.bottom(), rect.width()) == (-6.0, 6.0, 12.0)
    assert rect.top() == -6.0  # in plot coordinates y grows upwards: image row 0 sits at y = -6


def test_points_are_drawn_with_class_colours(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    train = spiral_snapshot.dataset["train_points"]
    x, y = view.train_scatter.getData()
    assert np.allclose(x, train[:, 0]) and np.allclose(y, train[:, 1])
    brushes = {b.color().name() for b in view.train_scatter.data["brush"]}
    assert brushes == {"#f59322", "#0877bd"}
    assert view.train_scatter.opts["pen"].color().name() == "#ffffff"


def test_show_test_data_toggle(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    assert not view.test_scatter.isVisible()
    view.show_test_checkbox.click()
    assert view.test_scatter.isVisible()
    assert len(view.test_scatter.getData()[0]) == len(spiral_snapshot.dataset["test_points"])
    assert view.test_scatter.opts["pen"].color().name() == "#000000"


def test_discretize_toggle(qtbot, spiral_snapshot):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    view.discretize_checkbox.click()
    assert set(np.unique(view.image.image)) <= {0.0, 1.0}
    assert np.array_equal(view.image.image, (spiral_snapshot.probes[DecisionBoundary].values >= 0.5).astype(np.float32))
    view.discretize_checkbox.click()
    assert np.array_equal(view.image.image, spiral_snapshot.probes[DecisionBoundary].values)


def test_points_are_set_only_when_the_data_changes(qtbot, spiral_snapshot, monkeypatch):
    view = make(qtbot)
    view.show_snapshot(spiral_snapshot)
    calls = []
    monkeypatch.setattr(view.train_scatter, "setData", lambda *a, **k: calls.append(1))
    view.show_snapshot(spiral_snapshot)
    assert calls == []
    from types import SimpleNamespace
    changed = SimpleNamespace(**{**vars(spiral_snapshot), "data_version": 2})
    view.show_snapshot(changed)
    assert calls == [1]


def test_regression_uses_symmetric_levels_and_sign(qtbot):
    run = SyntheticRun(hidden=(4,), task="regression")
    run.train_epoch()
    view = make(qtbot)
    view.show_snapshot(run.snapshot())
    assert tuple(view.image.levels) == (-1.0, 1.0)
    view.discretize_checkbox.click()
    assert set(np.unique(view.image.image)) <= {-1.0, 0.0, 1.0}


def test_non_plane_data_says_so(qtbot):
    view = make(qtbot)
    view.show_snapshot(empty_snapshot(state="running"))
    assert view.is_empty and "2-D dataset" in view.empty_message


def test_a_second_lab_with_the_same_data_version_draws_its_own_points(qtbot):
    # Every new trainer counts its data versions from the same number: the points must follow the data itself.
    first, second = SyntheticRun(hidden=(4,), seed=1), SyntheticRun(hidden=(4,), seed=2)
    assert not np.array_equal(first.train_points, second.train_points)
    view = make(qtbot)
    view.show_snapshot(first.snapshot(data_version=1))
    view.show_empty("Press Play")  # the window opens the next lab
    assert len(view.train_scatter.getData()[0]) == 0
    view.show_snapshot(second.snapshot(data_version=1))
    assert np.allclose(view.train_scatter.getData()[0], second.train_points[:, 0])
    view.show_snapshot(first.snapshot(data_version=1))  # no placeholder in between: still the new points
    assert np.allclose(view.train_scatter.getData()[0], first.train_points[:, 0])
