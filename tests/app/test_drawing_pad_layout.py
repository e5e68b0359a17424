"""The drawing pad in the image layouts: a column of its own in the bottom row (never a tab behind the curves), as
tall as it needs once training starts, so at 1366x768 the pad is at least 280 px and its panel does not scroll."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_window(screen_1366x768, app_window):
    """The shared window (tests/app/conftest.py) on a 1366x768 screen."""
    return app_window


@pytest.mark.parametrize("key", ["lenet", "mnist_1_layer"])
def test_the_pad_is_whole_and_on_screen_once_training_starts_at_1366x768(qtbot, app_window, key):
    win, c = app_window
    win.load_template(key)
    qtbot.wait(40)
    dock = c.docks["draw"]
    assert not dock.visibleRegion().isEmpty()  # in front while editing too: a column, not a tab
    c._show_training_views()
    qtbot.wait(150)
    assert dock.isVisible() and not dock.visibleRegion().isEmpty()
    assert win.rect().contains(dock.geometry())
    panel = c.digit_panel
    assert panel.canvas.pad_rect().width() >= 280 and panel.canvas.pad_rect().height() >= 280
    scroll = panel._scroll
    assert scroll.verticalScrollBar().maximum() == 0 and scroll.horizontalScrollBar().maximum() == 0
    # The main view keeps the largest share of the window.
    main = c.docks[c.main_view_key]
    assert main.width() * main.height() > dock.width() * dock.height() * 0.9
