"""The GAN views offscreen, on synthetic snapshots: the plane (heatmap, points, noise grid, arrows, target chooser,
drawing with the mouse), the samples grid and the curves with their controls."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from playground.data import gan2d
from playground.snapshots import GanPlane, GanSamples, GanSettings, ProbeResults
from playground.ui.views import gan_views
from playground.ui.views.families import family_views
from playground.ui.views.gan_views import FAKE_COLOR, REAL_COLOR, GanCurvesView, GanPlaneView, GanSamplesView


def plane_snapshot(step: int = 10, target: str = "ring", heat_value: float = 0.5) -> SimpleNamespace:
    rng = np.random.default_rng(step)
    angle = rng.uniform(0, 2 * np.pi, 200)
    real = np.stack([np.cos(angle), np.sin(angle)], axis=1).astype(np.float32)
    probes = ProbeResults([GanPlane(
        real=real, fake=rng.normal(0, 0.3, (100, 2)).astype(np.float32),
        discriminator=np.full((40, 40), heat_value, np.float32), extent=2.0,
        noise_grid=rng.normal(0, 1, (22, 40, 2)).astype(np.float32),
        gradients=rng.normal(0, 1, (50, 2)).astype(np.float32), target=target)])
    return SimpleNamespace(task="gan", step=step, epoch=1, probes=probes, history={},
                           metrics={"train_d_real": 0.61, "train_d_fake": 0.42})


def make(qtbot, cls):
    view = cls()
    qtbot.addWidget(view)
    view.resize(500, 500)
    view.show()
    return view


def test_the_views_are_registered_for_gan_labs():
    keys = {v.key: v for v in family_views()}
    for key in ("gan_plane", "gan_samples", "gan_curves"):
        assert keys[key].tasks == ("gan",)


def test_the_target_list_matches_the_data_package():
    assert [(n, t) for n, t in gan_views.TARGETS] == [(n, i.title) for n, i in gan2d.TARGETS.items()]
    assert gan_views.MIN_DRAWN_POINTS == gan2d.MIN_DRAWN_POINTS


def test_plane_draws_heatmap_points_grid_and_arrows(qtbot):
    view = make(qtbot, GanPlaneView)
    snap = plane_snapshot(heat_value=0.8)
    view.show_snapshot(snap)
    assert not view.is_empty
    assert view.image.image.shape == (40, 40) and tuple(view.image.levels) == (0.0, 1.0)
    rect = view.image.mapRectToParent(view.image.boundingRect())
    assert (rect.left(), rect.top(), rect.width()) == (-2.0, -2.0, 4.0)
    x, _ = view.real_scatter.getData()
    assert np.allclose(x, snap.probes[GanPlane].real[:, 0])
    assert len(view.fake_scatter.getData()[0]) == 100
    gx, _ = view.grid_curve.getData()
    assert len(gx) == 22 * 41 and np.isnan(gx).sum() == 22  # one gap after each line
    ax, _ = view.arrow_curve.getData()
    assert len(ax) == 100  # a start and an end per arrow
    assert "D(real) 0.61" in view.caption.text()
    items = view.graphics_item_count()
    view.show_snapshot(plane_snapshot(step=11))
    assert view.graphics_item_count() == items  # redraws reuse their items
    view.grid_checkbox.click()
    assert not view.grid_curve.isVisible()


def test_choosing_a_target_emits_dataset_changed(qtbot):
    view = make(qtbot, GanPlaneView)
    view.show_snapshot(plane_snapshot())
    with qtbot.waitSignal(view.dataset_changed) as blocker:
        view.set_target("two_gaussians")
    assert blocker.args == [{"name": "two_gaussians"}]
    # A snapshot still in flight with the old target does not flip the chooser back.
    view.show_snapshot(plane_snapshot(target="ring"))
    assert view.target == "two_gaussians"
    view.show_snapshot(plane_snapshot(target="two_gaussians"))
    assert view.target == "two_gaussians"


def test_the_chooser_follows_the_run(qtbot):
    view = make(qtbot, GanPlaneView)
    view.show_snapshot(plane_snapshot(target="spiral_arm"))
    assert view.target == "spiral_arm"


def test_drawing_with_the_mouse_emits_the_points(qtbot):
    view = make(qtbot, GanPlaneView)
    view.show_snapshot(plane_snapshot())
    emitted = []
    view.dataset_changed.connect(emitted.append)
    view.set_target("drawn")
    assert emitted == []  # nothing drawn yet: the run keeps its target
    assert view.clear_button.isVisible()
    view.show_snapshot(plane_snapshot(target="ring"))
    assert view.target == "drawn"  # still drawing
    vp = view.plot.viewport()
    vb = view.plot.getPlotItem().vb

    def pixel(x: float, y: float) -> QPoint:
        """The widget pixel of plane point (x, y)."""
        return view.plot.mapFromScene(vb.mapViewToScene(pg.Point(x, y)))

    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pixel(-1.0, 0.0))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pixel(-1.0, 0.0))
    assert emitted == [] and "2 more" in view.caption.text()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pixel(0.0, 1.0))
    for i in range(1, 11):  # a drag lays down points along the stroke
        QTest.mouseMove(vp, pixel(0.1 * i, 1.0 - 0.1 * i))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pixel(1.0, 0.0))
    assert len(emitted) == 1
    change = emitted[0]
    assert change["name"] == "drawn"
    points = np.asarray(change["options"]["points"])
    assert len(points) >= 5
    assert np.allclose(points[0], [-1.0, 0.0], atol=0.05)
    assert np.allclose(points[1], [0.0, 1.0], atol=0.05)
    assert np.abs(points).max() < 1.1
    # The drawing is valid data for the engine's sampler.
    assert gan2d.sample_target("drawn", 50, 0.0, 1, change["options"]).shape == (50, 2)
    view.clear_drawing()
    assert view.drawn == [] and len(view.drawn_scatter.getData()[0]) == 0


def test_plane_is_empty_for_image_gans(qtbot):
    view = make(qtbot, GanPlaneView)
    view.show_snapshot(SimpleNamespace(task="gan", step=1, probes=ProbeResults([GanSamples(np.zeros((4, 28, 28)))])))
    assert view.is_empty and "samples view" in view.empty_message


def test_samples_view_tiles_the_samples(qtbot):
    view = make(qtbot, GanSamplesView)
    images = np.random.default_rng(0).uniform(0, 1, (64, 28, 28)).astype(np.float32)
    view.show_snapshot(SimpleNamespace(task="gan", step=5, probes=ProbeResults([GanSamples(images)])))
    assert view.image.image.shape == (8 * 28 + 7 * 2, 8 * 28 + 7 * 2)
    assert np.allclose(view.image.image[:28, :28], images[0])
    assert "64 samples" in view.caption.text()
    view.show_snapshot(plane_snapshot())
    assert view.is_empty and "GAN plane" in view.empty_message


def test_curves_and_controls(qtbot):
    view = make(qtbot, GanCurvesView)
    history = {"step": np.array([10.0, 20.0, 30.0]), "train_d_loss": np.array([1.3, 1.2, 1.35]),
               "train_g_loss": np.array([0.7, 0.9, 0.7]), "train_d_real": np.array([0.6, 0.55, 0.5]),
               "train_d_fake": np.array([0.4, 0.45, 0.5])}
    settings = ProbeResults([GanSettings(d_steps=2, discriminator_learning_rate=0.003, learning_rate=0.001,
                                         freeze="none")])
    snap = SimpleNamespace(task="gan", epoch=3, step=30, history=history, probes=settings,
                           metrics={"train_d_loss": 1.35, "train_g_loss": 0.7})
    view.show_snapshot(snap)
    x, y = view.d_fake_curve.getData()
    assert list(x) == [10.0, 20.0, 30.0] and list(y) == [0.4, 0.45, 0.5]
    assert view.k_spin.value() == 2 and abs(view.d_lr_spin.value() - 0.003) < 1e-9
    emitted = []
    view.training_changed.connect(emitted.append)
    view.k_spin.setValue(5)
    view.d_lr_spin.setValue(0.0005)
    view.freeze_combo.setCurrentIndex(1)
    view.freeze_combo.activated.emit(1)
    assert emitted == [{"d_steps": 5}, {"discriminator_learning_rate": 0.0005}, {"freeze": "generator"}]
    view.show_snapshot(snap)  # the run has not caught up yet: the controls keep the user's values
    assert view.k_spin.value() == 5 and view.freeze_combo.currentData() == "generator"
    caught_up = ProbeResults([GanSettings(d_steps=5, discriminator_learning_rate=0.0005, learning_rate=0.001,
                                          freeze="generator")])
    view.show_snapshot(SimpleNamespace(**{**vars(snap), "probes": caught_up}))
    assert view.k_spin.value() == 5 and view.freeze_combo.currentData() == "generator"
    assert len(emitted) == 3  # following the run emits nothing


def test_the_plane_has_a_legend_for_its_marks_and_shading(qtbot):
    view = make(qtbot, GanPlaneView)
    view.show_snapshot(plane_snapshot())
    legend = view.legend
    assert legend.isVisible() and legend.objectName() == "ganPlaneLegend"
    text = legend.text()
    assert "real data" in text and "generated G(z)" in text and "D(x)" in text
    assert REAL_COLOR in text and FAKE_COLOR in text  # each name in the colour of its points
    view.grid_checkbox.setChecked(False)
    assert "noise grid" not in view.legend_entries() and "noise grid" not in legend.text()
    view.target_combo.setCurrentIndex(view.target_combo.findData("drawn"))
    assert "your points" in legend.text()
