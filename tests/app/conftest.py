"""The real window of the app with its training attached, as the Learning-menu windows' tests open it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, QSettings
from pytestqt.qtbot import QtBot

from playground.app import attach_training
from playground.app.presenters.insight_window import InsightWindowPresenter
from playground.ui import main_window as main_window_module


@pytest.fixture
def screen_1366x768(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's screen is 1366x768 (request it before ``app_window``): its first size and the layouts' shares
    come from the screen, whatever the test machine's is."""
    monkeypatch.setattr(main_window_module, "available_room", lambda _w: QRect(0, 0, 1366, 768))


@pytest.fixture
def app_window(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """``(window, training presenter)``: the window at 1366x768 with private settings, shown. Afterwards a running
    session is stopped, every Learning window's jobs are stopped and waited for and its window closed, and the
    window closes without asking to save."""
    from playground.app import new_window

    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    training = attach_training(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    yield win, training
    training.session.stop()
    for presenter in win.findChildren(InsightWindowPresenter):
        cancel = getattr(presenter, "cancel", None)
        if cancel is not None:  # a running optimisation stops at its next step
            cancel()
        presenter.wait(30)
        if presenter.shown is not None:
            presenter.shown.close()
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.close()
    win.deleteLater()
