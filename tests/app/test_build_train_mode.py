"""The Build / Train switch: the editor gets the room while building, the live views while training (issue 13).
Play switches to Train once per lab; in Train the main view (dynamic property ``mainView``) is the largest dock and
the editing chrome gives up its room; Build gives the editing layout back."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QToolBar, QToolButton, QWidget

from playground.ui.main_window import BUILD_MODE, TRAIN_MODE


@pytest.fixture
def app_window(screen_1366x768, app_window):
    """The shared window (tests/app/conftest.py) on a 1366x768 screen."""
    return app_window


def docks_on_screen(win) -> dict[str, QDockWidget]:
    return {d.objectName(): d for d in win.findChildren(QDockWidget)
            if d.isVisible() and not d.isFloating() and not d.visibleRegion().isEmpty()}


def main_view(win) -> QWidget:
    views = [w for w in win.findChildren(QWidget) if w.property("mainView") is True and w.isVisible()]
    assert len(views) == 1
    return views[0]


def area(widget: QWidget) -> int:
    return widget.width() * widget.height()


def test_the_switch_is_two_exclusive_actions_in_the_toolbar_and_the_view_menu(app_window):
    win, _c = app_window
    build = win.findChild(QAction, "buildModeAction")
    train = win.findChild(QAction, "trainModeAction")
    assert build.isCheckable() and train.isCheckable() and build.isChecked() and not train.isChecked()
    assert build.shortcut().toString() == "Ctrl+1" and train.shortcut().toString() == "Ctrl+2"
    assert "editor" in build.toolTip() and "views" in train.toolTip()
    view_menu = next(a.menu() for a in win.menuBar().actions() if a.text().replace("&", "") == "View")
    assert build in view_menu.actions() and train in view_menu.actions()
    toolbar = win.findChild(QToolBar, "mainToolbar")
    buttons = [b for b in toolbar.findChildren(QToolButton) if b.defaultAction() in (build, train)]
    assert len(buttons) == 2
    train.trigger()
    assert train.isChecked() and not build.isChecked() and win.workspace_mode == TRAIN_MODE
    build.trigger()
    assert build.isChecked() and win.workspace_mode == BUILD_MODE


@pytest.mark.parametrize("key", ["spiral", "lenet", "gan", "vae", "char_rnn"])
def test_play_switches_to_train_where_the_main_view_is_the_largest_and_build_gives_the_editor_back(
        qtbot, app_window, key):
    win, c = app_window
    win.load_template(key)
    qtbot.wait(60)
    assert win.workspace_mode == BUILD_MODE
    editor_before = area(win.centralWidget())
    assert win.palette_dock.isVisible() and win.inspector_dock.isVisible()
    c._show_training_views()  # what Play does to the docks, without training
    qtbot.wait(120)
    assert win.workspace_mode == TRAIN_MODE and win.findChild(QAction, "trainModeAction").isChecked()
    main = main_view(win)
    docks = docks_on_screen(win)
    main_dock = c.docks[c.main_view_key]
    assert main_dock.objectName() in docks
    others = {n: area(d) for n, d in docks.items() if d is not main_dock}
    assert all(area(main_dock) > a for a in others.values()), (key, area(main_dock), others)
    if c.view_specs[c.main_view_key].aspect == "square":
        # A square plot fills no wider dock: the main view gets the top row's height and a width near it (a GAN,
        # with only two views for the lower row, keeps half the row: a lone view below would outgrow it).
        assert main_dock.height() >= 376 and main_dock.width() <= 1.85 * main_dock.height(), (key, main_dock.size())
    else:
        assert area(main) >= 0.30 * win.width() * win.height(), (key, main.size())
    # The editing chrome gave up its room; the editor is a compact diagram, still on screen.
    for dock in (win.palette_dock, c.data_dock, win.inspector_dock, win.problems_dock):
        assert not dock.isVisible(), dock.objectName()
    editor = win.centralWidget()
    assert editor.isVisible() and 0 < area(editor) < editor_before / 2 and area(editor) < area(main) / 2
    assert win.canvas.width() <= editor.width()  # the diagram fits its column, not cut off at the right
    # Every view on screen stays readable.
    small = {n: (d.width(), d.height()) for n, d in docks.items() if d.width() < 240 or d.height() < 200}
    assert not small, small
    win.findChild(QAction, "buildModeAction").trigger()
    qtbot.wait(120)
    assert win.workspace_mode == BUILD_MODE
    assert win.palette_dock.isVisible() and win.inspector_dock.isVisible() and win.problems_dock.isVisible()
    assert area(win.centralWidget()) >= 0.9 * editor_before
    assert win.dockWidgetArea(c.docks[c.main_view_key]) == Qt.DockWidgetArea.RightDockWidgetArea


def test_play_switches_once_per_lab_and_another_lab_opens_to_be_built(qtbot, app_window):
    win, c = app_window
    win.load_template("spiral")
    c._show_training_views()
    qtbot.wait(40)
    assert win.workspace_mode == TRAIN_MODE
    win.set_workspace_mode(BUILD_MODE)
    c._show_training_views()  # Play again: the user chose Build, and it stays
    qtbot.wait(40)
    assert win.workspace_mode == BUILD_MODE and win.palette_dock.isVisible()
    win.set_workspace_mode(TRAIN_MODE)
    qtbot.wait(40)
    win.load_template("lenet")
    qtbot.wait(60)
    assert win.workspace_mode == BUILD_MODE and win.palette_dock.isVisible() and win.inspector_dock.isVisible()
    c._show_training_views()
    qtbot.wait(60)
    assert win.workspace_mode == TRAIN_MODE and not win.palette_dock.isVisible()


def test_the_drawing_pad_stays_whole_beside_the_feature_maps_in_train_mode(qtbot, app_window):
    win, c = app_window
    win.load_template("lenet")
    c._show_training_views()
    qtbot.wait(150)
    pad = c.docks["draw"]
    assert not pad.visibleRegion().isEmpty() and win.rect().contains(pad.geometry())
    canvas = c.digit_panel.canvas
    assert canvas.pad_rect().width() >= 280 and canvas.pad_rect().height() >= 280
    scroll = c.digit_panel._scroll
    assert scroll.verticalScrollBar().maximum() == 0 and scroll.horizontalScrollBar().maximum() == 0
    # Never a tab: no other dock shares its place.
    assert not [d for d in win.tabifiedDockWidgets(pad) if d.isVisible()]
    maps = c.docks["feature_maps"]
    assert abs(pad.geometry().top() - maps.geometry().top()) < 4 and pad.geometry().right() < maps.geometry().left()


def test_a_node_selected_in_the_compact_diagram_brings_the_inspector(qtbot, app_window):
    win, c = app_window
    win.load_template("spiral")
    c._show_training_views()
    qtbot.wait(60)
    assert not win.inspector_dock.isVisible()
    win.canvas.select_nodes([next(iter(win.canvas.arch_scene.node_items))])
    qtbot.wait(20)
    assert not win.inspector_dock.visibleRegion().isEmpty()
    assert win.workspace_mode == TRAIN_MODE and not win.palette_dock.isVisible()


def test_presentation_mode_works_in_train_mode_and_leaving_keeps_train_mode(qtbot, app_window):
    win, c = app_window
    win.load_template("spiral")
    c._show_training_views()
    qtbot.wait(100)
    win.resize(1280, 720)
    qtbot.wait(60)
    win.set_presentation_mode(True)
    qtbot.wait(60)
    hint = win.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720
    main = win.presentation.main_view_dock()
    assert main is not None and main.width() >= 0.45 * win.width()
    win.set_workspace_mode(BUILD_MODE)  # switching while presenting: arranged again, the chrome stays hidden
    qtbot.wait(60)
    assert not win.palette_dock.isVisible()
    win.set_workspace_mode(TRAIN_MODE)
    qtbot.wait(60)
    win.set_presentation_mode(False)
    qtbot.wait(100)
    assert win.workspace_mode == TRAIN_MODE
    assert not win.palette_dock.isVisible() and not win.inspector_dock.isVisible()
    assert win.findChild(QToolBar, "mainToolbar").isVisible()


def test_switching_modes_moves_no_toolbar_button(qtbot, app_window):
    win, _c = app_window
    win.load_template("spiral")
    qtbot.wait(40)
    toolbar = win.findChild(QToolBar, "mainToolbar")

    def places() -> list[tuple[int, int, int, int]]:
        return [(w.x(), w.y(), w.width(), w.height()) for w in toolbar.findChildren(QToolButton) if w.isVisible()]

    before = places()
    win.set_workspace_mode(TRAIN_MODE)
    qtbot.wait(40)
    assert places() == before


@pytest.mark.parametrize("key", ["spiral", "tensorflow_playground"])
def test_a_square_output_gets_a_width_that_fits_it_and_the_network_beside_it_in_train_mode(qtbot, app_window, key):
    """The decision boundary keeps a square plot: a dock as wide as the old 66% of the window left its sides empty;
    the width it does not need goes to the Network view, in the top row before it (issue 13)."""
    win, c = app_window
    win.load_template(key)
    c._show_training_views()
    qtbot.wait(120)
    assert c.main_view_key == "boundary"
    output, network, curves = c.docks["boundary"], c.docks["neuron_network"], c.docks["loss"]
    assert output.width() <= 1.6 * output.height() and output.height() >= 376, output.size()
    assert all(c._shown(k) for k in ("boundary", "neuron_network", "loss"))
    tops = {d.objectName(): d.geometry().top() for d in (output, network, curves)}
    assert max(tops.values()) - min(tops.values()) < 4, tops
    # In the order the data flow: the network, its output, the curves.
    assert network.geometry().right() < output.geometry().left() < output.geometry().right() < curves.x()
    assert all(area(output) > area(d) for d in docks_on_screen(win).values() if d is not output)
