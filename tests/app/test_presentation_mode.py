"""Presentation mode (View > Presentation mode, F5): every font, plot line, point and control at least 1.5x larger,
the editing chrome hidden, the main view large beside the network, readable at 1280x720; turning it off gives back
the window exactly as it was."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QToolBar

CHROME = ("layersDock", "inspectorDock", "problemsDock", "dataDock")


@pytest.fixture
def app_window(screen_1366x768, app_window):
    """The shared window (tests/app/conftest.py) on a 1366x768 screen."""
    yield app_window
    win, _c = app_window
    win.set_presentation_mode(False)


def size_of(font: QFont) -> float:
    return font.pointSizeF() if font.pointSizeF() > 0 else float(font.pixelSize())


def docks_on_screen(win) -> dict[str, tuple[object, int]]:
    """Which docks show, in which area, how wide (the columns; a split inside a column may shift, see report)."""
    return {d.objectName(): (win.dockWidgetArea(d), d.width()) for d in win.findChildren(QDockWidget)
            if d.isVisible() and not d.visibleRegion().isEmpty()}


def same_layout(win, before: dict[str, tuple[object, int]]) -> bool:
    now = docks_on_screen(win)
    return now.keys() == before.keys() and all(now[k][0] == before[k][0] and abs(now[k][1] - before[k][1]) <= 6
                                               for k in now)


def open_trained_layout(qtbot, win, c, key: str) -> None:
    win.load_template(key)
    c._show_training_views()  # what Play does to the docks, without training
    qtbot.wait(150)  # the presenter's deferred splits of the column and tab bars


@pytest.mark.slow
def test_the_action_is_in_the_view_menu_with_a_key_and_a_tooltip(app_window):
    win, _c = app_window
    action = win.findChild(QAction, "presentationModeAction")
    assert action is not None and action.isCheckable()
    assert QKeySequence("F5") in action.shortcuts()
    assert "projector" in action.toolTip()
    view_menu = next(a.menu() for a in win.menuBar().actions() if a.text().replace("&", "") == "View")
    assert action in view_menu.actions()


@pytest.mark.slow
def test_presentation_mode_enlarges_fonts_lines_and_points_and_hides_the_editing_chrome(qtbot, app_window):
    win, c = app_window
    open_trained_layout(qtbot, win, c, "spiral")
    boundary = c.views["boundary"]
    label = c.toolbar.epoch_label
    before = {
        "window": size_of(win.font()), "label": size_of(label.font()), "menu": size_of(win.menuBar().font()),
        "points": boundary.train_scatter.opts["size"],
        "pen": boundary.train_scatter.opts["pen"].widthF(),
        "icons": c.toolbar.iconSize().width(),
    }
    layout = docks_on_screen(win)
    win.findChild(QAction, "presentationModeAction").trigger()
    qtbot.wait(40)
    assert win.presentation.active and win.findChild(QAction, "presentationModeAction").isChecked()
    after = {
        "window": size_of(win.font()), "label": size_of(label.font()), "menu": size_of(win.menuBar().font()),
        "points": boundary.train_scatter.opts["size"],
        "pen": boundary.train_scatter.opts["pen"].widthF(),
        "icons": c.toolbar.iconSize().width(),
    }
    for key, value in before.items():
        assert after[key] >= 1.5 * value, key
    assert all(not win.findChild(QDockWidget, name).isVisible() for name in CHROME)
    assert not win.findChild(QToolBar, "mainToolbar").isVisible()
    assert win.findChild(QToolBar, "trainToolbar").isVisible()
    assert not c.toolbar.device_combo.isVisible() and c.toolbar.lr_combo.isVisible()  # the toolbar fits
    assert c.toolbar.step_label.minimumWidth() >= c.toolbar.step_label.sizeHint().width()  # no digit cut
    main = win.presentation.main_view_dock()
    assert main is not None and main.isVisible()
    # Half the window, or for a square plot (the decision boundary) at least its height: wider would only widen the
    # empty sides of the plot. Either way the largest view on screen.
    assert main.width() >= min(0.5 * win.width(), main.height())
    area = main.width() * main.height()
    assert all(d.width() * d.height() <= area for d in win.findChildren(QDockWidget) if d.isVisible())
    assert win.canvas.isVisible()  # the network stays on screen, beside the main view

    win.findChild(QAction, "presentationModeAction").trigger()
    qtbot.wait(40)
    assert not win.presentation.active
    assert {"window": size_of(win.font()), "label": size_of(label.font()), "menu": size_of(win.menuBar().font()),
            "points": boundary.train_scatter.opts["size"], "pen": boundary.train_scatter.opts["pen"].widthF(),
            "icons": c.toolbar.iconSize().width()} == before
    qtbot.waitUntil(lambda: same_layout(win, layout))
    assert win.findChild(QToolBar, "mainToolbar").isVisible() and c.toolbar.device_combo.isVisible()


@pytest.mark.slow
def test_axis_labels_and_ticks_grow_and_shrink_back(qtbot, app_window):
    import pyqtgraph as pg

    win, c = app_window
    open_trained_layout(qtbot, win, c, "spiral")
    axes = [item for view in c.views["loss"].findChildren(pg.GraphicsView) for item in view.scene().items()
            if isinstance(item, pg.AxisItem) and item.isVisible()]
    assert axes
    base = size_of(QFont(win.font()))
    labels = [size_of(a.label.font()) for a in axes]
    win.set_presentation_mode(True)
    qtbot.wait(20)
    for axis, label in zip(axes, labels, strict=True):
        assert axis.style["tickFont"] is not None and size_of(axis.style["tickFont"]) >= 1.5 * base
        assert size_of(axis.label.font()) >= 1.5 * label
    win.set_presentation_mode(False)
    assert [size_of(a.label.font()) for a in axes] == labels
    assert all(a.style["tickFont"] is None for a in axes)


@pytest.mark.slow
def test_own_fonts_grow_once_however_deep_they_sit(qtbot, app_window):
    win, c = app_window
    open_trained_layout(qtbot, win, c, "lenet")
    digit = c.digit_panel.prediction_label
    before = size_of(digit.font())
    win.set_presentation_mode(True)
    qtbot.wait(20)
    assert 1.5 * before <= size_of(digit.font()) <= 1.7 * before
    win.set_presentation_mode(False)
    assert size_of(digit.font()) == before


@pytest.mark.slow
@pytest.mark.parametrize("key", ["spiral", "lenet", "gan", "char_rnn"])
def test_presentation_mode_fits_a_1280x720_projector(qtbot, app_window, key):
    win, c = app_window
    open_trained_layout(qtbot, win, c, key)
    win.resize(1280, 720)
    labels = {w: size_of(w.font()) for w in win.findChildren(QLabel)}
    win.set_presentation_mode(True)
    qtbot.wait(60)
    hint = win.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, f"needs {hint.width()}x{hint.height()}"
    assert (win.width(), win.height()) == (1280, 720)
    room = win.rect()
    for dock in win.findChildren(QDockWidget):
        if dock.isVisible() and not dock.isFloating() and dock.geometry().right() >= 0:
            assert room.contains(dock.geometry()), dock.objectName()
    main = win.presentation.main_view_dock()
    assert main is not None and main.width() >= 0.45 * win.width()
    small = [(w.objectName() or w.text()[:20], size, size_of(w.font())) for w, size in labels.items()
             if w.isVisible() and size_of(w.font()) < 1.5 * size]
    assert not small


@pytest.mark.slow
def test_opening_another_lab_while_presenting_keeps_the_chrome_hidden_and_leaving_brings_it_back(qtbot,
                                                                                               app_window):
    win, c = app_window
    open_trained_layout(qtbot, win, c, "spiral")
    win.set_presentation_mode(True)
    qtbot.wait(20)
    win.load_template("lenet")
    qtbot.wait(40)
    assert not win.inspector_dock.isVisible() and not win.palette_dock.isVisible()
    win.set_presentation_mode(False)
    qtbot.wait(20)
    assert win.inspector_dock.isVisible() and win.findChild(QToolBar, "mainToolbar").isVisible()
