"""The drawing pad in the image layouts: a column of its own in the bottom row (never a tab behind the curves), as
tall as it needs once training starts, so at 1366x768 the pad is at least 280 px and its panel does not scroll."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSettings

from playground.app import attach_training
from playground.ui import main_window as main_window_module


@pytest.fixture
def app_window(qtbot, tmp_path, monkeypatch):
    from playground.app import new_window

    monkeypatch.setattr(main_window_module, "available_room", lambda _w: QRect(0, 0, 1366, 768))
    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    c = attach_training(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    yield win, c
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.close()
    win.deleteLater()


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
