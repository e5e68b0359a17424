"""The loss-landscape and optimizer-race views, drawn from hand-made records (no torch here)."""

from __future__ import annotations

import numpy as np
import pytest

from playground.snapshots.landscape import CostCurve, LossSurface, OptimizerPath, OptimizerRace, frozen_array
from playground.ui.landscape_window import LandscapeWindow
from playground.ui.views.landscape_views import (
    OPTIMIZER_COLORS,
    LossLandscapeView,
    OptimizerRaceView,
    contour_levels,
    hill_shade,
    shown_values,
)


def bowl(log_scale: bool = False, kind: str = "exact") -> LossSurface:
    xs = np.linspace(-2, 2, 21)
    ys = np.linspace(-1, 3, 17)
    gx, gy = np.meshgrid(xs, ys)
    losses = (gx - 0.5) ** 2 + 3 * (gy - 1) ** 2 + 0.1
    t = np.linspace(0, 1, 9)
    path = np.column_stack([-1.5 + 2 * t, 2.5 - 1.5 * t])
    return LossSurface(title="A bowl", kind=kind, x_label="w₁", y_label="w₂", xs=frozen_array(xs),
                       ys=frozen_array(ys), losses=frozen_array(losses), path=frozen_array(path),
                       path_losses=frozen_array((path[:, 0] - 0.5) ** 2 + 3 * (path[:, 1] - 1) ** 2 + 0.1),
                       minimum=(0.5, 1.0), convex=True, learning_rate=0.1, log_scale=log_scale, note="Convex.")


def a_race(surface: LossSurface, steps: int = 12) -> OptimizerRace:
    paths = []
    for k, name in enumerate(OPTIMIZER_COLORS):
        t = np.linspace(0, 1, steps + 1)[:, None]
        points = np.array([-1.5, 2.5]) * (1 - t) + np.array([0.5, 1.0]) * t ** (1 + k / 3)
        paths.append(OptimizerPath(name=name, title=name.upper(), learning_rate=0.1, points=frozen_array(points),
                                   losses=frozen_array(np.linspace(5, 0.1 * k, steps + 1))))
    return OptimizerRace(function="bowl", surface=surface, paths=tuple(paths), start=(-1.5, 2.5), momentum=0.9,
                         steps=steps)


def test_a_surface_is_a_heatmap_with_contours_colour_bar_axes_and_the_path(qtbot):
    view = LossLandscapeView()
    qtbot.addWidget(view)
    view.show_surface(bowl())
    assert view.objectName() == "lossLandscapeView" and not view.is_empty
    plot = view.surface_plot
    assert plot.image.image.shape == (17, 21) and plot.image.isVisible()
    rect = plot.image.mapRectToParent(plot.image.boundingRect())
    assert rect.left() == pytest.approx(-2.1) and rect.right() == pytest.approx(2.1)  # pixels centred on the grid
    assert plot.color_bar.isVisible() and plot.color_bar.levels()[0] == pytest.approx(bowl().losses.min())
    assert "loss" in plot.color_bar.getAxis("left").labelText
    assert plot.plot.getAxis("bottom").labelText == "w₁" and plot.plot.getAxis("left").labelText == "w₂"
    levels = [iso.level for iso in plot.contours]
    assert levels == sorted(levels) and len(set(levels)) == len(levels)
    assert view.player.steps == 8 and view.path_line.xData is not None and len(view.path_line.xData) == 9
    assert "convex" in view.caption.text()
    before = view.graphics_item_count()
    view.show_surface(bowl())
    assert view.graphics_item_count() == before  # items are made once, then updated


def test_stepping_shows_the_path_up_to_that_step(qtbot):
    view = LossLandscapeView()
    qtbot.addWidget(view)
    view.show_surface(bowl())
    view.player.set_position(3)
    assert len(view.path_line.xData) == 4
    assert view.head.data["x"][0] == pytest.approx(view._path[3, 0])
    view.player.back_button.click()
    assert len(view.path_line.xData) == 3
    view.player.step_button.click()
    view.player.step_button.click()
    assert view.player.position == 4 and view.player.label.text() == "step 4 / 8"
    view.player.play_button.setChecked(True)
    qtbot.waitUntil(lambda: not view.player.playing, timeout=5000)
    assert view.player.position == 8 and len(view.path_line.xData) == 9


def test_a_one_weight_model_is_a_curve_with_the_path_as_points(qtbot):
    view = LossLandscapeView()
    qtbot.addWidget(view)
    view.show_surface(bowl())
    w = np.linspace(-1, 3, 41)
    path = np.array([-1.0, 0.2, 0.9, 1.2])
    curve = CostCurve(title="Linear fit", weight_label="w", weights=frozen_array(w),
                      losses=frozen_array((w - 1.5) ** 2), path_weights=frozen_array(path),
                      path_losses=frozen_array((path - 1.5) ** 2), learning_rate=0.3, minimum=1.5, convex=True)
    view.show_curve(curve)
    assert not view.surface_plot.image.isVisible() and not view.surface_plot.color_bar.isVisible()
    assert not any(iso.isVisible() for iso in view.surface_plot.contours)
    assert len(view.curve.xData) == 41
    assert np.allclose(view.path_points.data["x"], path) and np.allclose(view.path_points.data["y"],
                                                                         (path - 1.5) ** 2)
    assert "weight w" in view.surface_plot.plot.getAxis("bottom").labelText
    view.show_surface(bowl())
    assert view.surface_plot.image.isVisible() and len(view.curve.xData or []) == 0


def test_the_landscape_asks_for_the_model_and_rate_chosen(qtbot):
    view = LossLandscapeView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.request_changed) as blocker:
        view.model_combo.setCurrentIndex(view.model_combo.findData("logistic"))
    assert blocker.args[0] == {"model": "logistic", "rate": "right"}
    assert view.rate_combo.isEnabled()
    view.model_combo.setCurrentIndex(view.model_combo.findData("slice"))
    assert not view.rate_combo.isEnabled()  # a network's slice has no path of its own to set a rate for


def test_surfaces_over_many_decades_are_coloured_by_their_logarithm():
    surface = bowl(log_scale=True)
    values, label = shown_values(surface)
    assert np.allclose(values, np.log10(surface.losses)) and label == "log₁₀ loss"
    zero = LossSurface(title="z", kind="function", x_label="x", y_label="y", xs=surface.xs, ys=surface.ys,
                       losses=frozen_array(surface.losses - surface.losses.min()), log_scale=True)
    values, label = shown_values(zero)
    assert np.isfinite(values).all() and "+ 0.01" in label
    levels = contour_levels(np.array([[0.0, 1.0], [2.0, 1000.0]]))
    assert levels.max() < 1000  # a huge corner does not take every line


def test_the_race_draws_each_optimizer_in_its_colour_with_a_legend(qtbot):
    view = OptimizerRaceView()
    qtbot.addWidget(view)
    view.show()
    race = a_race(bowl(kind="function"))
    view.show_race(race)
    assert view.objectName() == "optimizerRaceView" and not view.is_empty
    for name, color in OPTIMIZER_COLORS.items():
        assert view.lines[name].opts["pen"].color().name() == color
        assert len(view.lines[name].xData) == 13
        label = view.legend_labels[name]
        assert label.isVisible() and name.upper() in label.text() and color in label.text()
    view.player.set_position(4)
    assert all(len(line.xData) == 5 for line in view.lines.values())
    assert f"{race.path('adam').losses[4]:.3g}" in view.legend_labels["adam"].text()
    standings = view.standings()
    assert [s[1] for s in standings] == sorted(s[1] for s in standings)


def test_the_race_settings_are_live(qtbot):
    view = OptimizerRaceView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.race_requested, timeout=2000) as blocker:
        view.momentum_spin.setValue(0.5)
        view.lr_spin.setValue(0.05)
    assert blocker.args[0]["momentum"] == pytest.approx(0.5) and blocker.args[0]["learning_rate"] == 0.05
    with qtbot.waitSignal(view.race_requested) as blocker:
        view.function_combo.setCurrentIndex(view.function_combo.findData("beale"))
    assert blocker.args[0]["function"] == "beale" and blocker.args[0]["new_function"]
    with qtbot.assertNotEmitted(view.race_requested, wait=300):
        view.set_rates(0.01, 0.1)
    assert view.settings["adaptive_rate"] == pytest.approx(0.1)


def test_the_window_holds_both_views_side_by_side_at_1366x768(qtbot):
    window = LandscapeWindow()
    qtbot.addWidget(window)
    window.resize(1366, 740)
    window.show()
    qtbot.waitExposed(window)
    window.landscape_view.show_surface(bowl())
    window.race_view.show_race(a_race(bowl(kind="function")))
    left, right = window.landscape_view.geometry(), window.race_view.geometry()
    assert left.right() < right.left() and min(left.width(), right.width()) >= 420
    for view in (window.landscape_view, window.race_view):
        assert view.surface_plot.widget.height() >= 400
    with qtbot.waitSignal(window.closed):
        window.close()


def test_hill_shading_lights_the_slopes_that_face_the_upper_left(qtbot):
    surface = bowl()
    shade = hill_shade(np.asarray(surface.losses))
    middle = shade.shape[0] // 2
    # Inside a bowl the right wall faces left, towards the light, and is lit (negative); the left wall turns away.
    assert shade[middle, -1] < 0 < shade[middle, 0]
    assert shade[0, shade.shape[1] // 2] < 0 < shade[-1, shade.shape[1] // 2]  # the lower wall faces up: lit
    assert not hill_shade(np.ones((5, 5))).any()
    view = LossLandscapeView()
    qtbot.addWidget(view)
    view.show_surface(surface)
    assert view.surface_plot.shade.image.shape == surface.losses.shape and view.surface_plot.shade.isVisible()
