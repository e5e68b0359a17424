"""The window fits a 1366x768 laptop and a 1280x720 projector for every template: a first start takes the size of a
small screen instead of the default 1400x860, nothing in it asks for more room than 1280x720, and every dock, toolbar
and the status bar lie inside the window, while editing and once the training views are in front."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import QDockWidget, QToolBar

from playground.app import attach_training
from playground.graph.templates import TEMPLATES
from playground.ui import main_window as main_window_module


def outside(win) -> list[str]:
    """The visible parts of the window that do not lie wholly inside it."""
    room = win.rect()
    parts = [d for d in win.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()]
    parts += [t for t in win.findChildren(QToolBar) if t.isVisible()]
    parts += [win.statusBar(), win.centralWidget()]
    # Qt parks the docks of a tab group that are not in front above and left of the window: not shown, not cut.
    return [f"{p.objectName() or type(p).__name__} at {p.geometry().getRect()}" for p in parts
            if p.parent() is win and not room.contains(p.geometry())
            and not (p.geometry().right() < 0 and p.geometry().bottom() < 0)]


@pytest.fixture
def small_screen_window(qtbot, tmp_path, monkeypatch):
    from playground.app import new_window

    monkeypatch.setattr(main_window_module, "available_room", lambda _w: QRect(0, 0, 1366, 768))
    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    c = attach_training(win)
    yield win, c
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.close()
    win.deleteLater()


@pytest.mark.slow
def test_a_first_start_on_a_small_screen_takes_the_screen_not_the_default_size(small_screen_window):
    win, _c = small_screen_window
    assert win.small_screen  # launch() shows it maximised
    assert (win.width(), win.height()) == (1366, 768)


def test_a_first_start_on_a_large_screen_takes_most_of_it_centred(qtbot, tmp_path, monkeypatch):
    from playground.app import new_window
    from playground.ui.main_window import DEFAULT_SIZE

    room = QRect(0, 40, 1920, 1040)  # a 1920x1080 screen under a 40 px panel
    monkeypatch.setattr(main_window_module, "available_room", lambda _w: room)
    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    assert not win.small_screen
    assert win.width() >= 0.85 * room.width() and win.height() >= 0.85 * room.height()
    assert win.width() >= DEFAULT_SIZE[0] and win.height() >= DEFAULT_SIZE[1]
    assert room.contains(win.geometry())
    assert abs(win.geometry().center().x() - room.center().x()) <= 1


def test_a_screen_just_larger_than_the_default_gets_at_least_the_default(qtbot, tmp_path, monkeypatch):
    from playground.app import new_window
    from playground.ui.main_window import DEFAULT_SIZE

    monkeypatch.setattr(main_window_module, "available_room", lambda _w: QRect(0, 0, 1440, 870))
    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    assert not win.small_screen and (win.width(), win.height()) == DEFAULT_SIZE


@pytest.mark.parametrize("key", list(TEMPLATES))
@pytest.mark.slow
def test_every_template_fits_1366x768_and_1280x720(qtbot, small_screen_window, key):
    win, c = small_screen_window
    win.show()
    qtbot.waitExposed(win)
    win.load_template(key)
    problems = []
    for stage in ("editing", "training"):
        if stage == "training":
            c._show_training_views()  # what Play does to the docks, without training
        qtbot.wait(40)  # the docks' relayout and the controller's deferred resizes
        hint = win.minimumSizeHint()
        if hint.width() > 1280 or hint.height() > 720:
            problems.append(f"{stage}: the window needs at least {hint.width()}x{hint.height()}")
        for size in ((1366, 768), (1280, 720)):
            if (win.width(), win.height()) != size:
                win.resize(*size)
                qtbot.wait(10)
            if (win.width(), win.height()) != size:
                problems.append(f"{stage}: asked for {size}, got {win.width()}x{win.height()}")
            problems += [f"{stage}, {size}: {p} is outside" for p in outside(win)]
        win.resize(1366, 768)
    assert not problems, "\n".join(problems)
