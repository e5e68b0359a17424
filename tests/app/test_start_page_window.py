"""The start page in the window: a card opens its template, a lesson button its lesson, and a finished lesson is
ticked after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from playground.app import new_window
from playground.app.main import attach_presenters
from playground.graph.templates import TEMPLATES
from playground.lessons import shipped_lessons


def _window(qtbot: QtBot, settings_path: Path) -> tuple[Any, Any]:
    win = new_window(QSettings(str(settings_path), QSettings.Format.IniFormat))
    presenters = attach_presenters(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    return win, presenters


def _close(win: Any) -> None:
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.close()
    win.deleteLater()


@pytest.mark.slow
def test_a_card_opens_its_template_and_a_lesson_button_its_lesson(qtbot: QtBot, tmp_path: Path) -> None:
    win, p = _window(qtbot, tmp_path / "settings.ini")
    try:
        page = win.start_page
        assert win.stack.currentWidget() is page
        card = page.cards["gan"]
        page.scroll_area.ensureWidgetVisible(card)
        QTest.mouseClick(card, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: win.document.lab is not None)
        assert win.document.lab.name == TEMPLATES["gan"].build().name
        win.show_start_page()
        second = shipped_lessons()[1]
        page.lesson_buttons[second.name].click()
        qtbot.waitUntil(lambda: p.lessons.lesson is not None and p.lessons.lesson.name == second.name)
    finally:
        _close(win)


@pytest.mark.slow
def test_a_finished_lesson_is_ticked_on_the_start_page_after_a_restart(qtbot: QtBot, tmp_path: Path) -> None:
    settings = tmp_path / "settings.ini"
    win, p = _window(qtbot, settings)
    first, second = shipped_lessons()[:2]
    p.lessons.open_named(first.name)
    p.lessons.panel.set_goal_state(True, "")
    p.lessons._save_progress(finished=True)
    _close(win)
    win, p = _window(qtbot, settings)
    try:
        page = win.start_page
        assert page.lesson_buttons[first.name].text().startswith("✓ ")
        assert second.title in page.first_lesson.text()
    finally:
        _close(win)


@pytest.mark.slow
def test_the_start_page_has_the_window_to_itself_and_a_lab_gets_its_panels_back(qtbot: QtBot, tmp_path: Path) -> None:
    """Before a lab is open, the layer palette, the inspector ("No lab open"), the problems list, the data controls,
    the training toolbars and "press Space to train" mean nothing and pushed the cards below the fold at 1366x768."""
    from PySide6.QtWidgets import QWidget

    from playground.ui.main_window import START_PAGE_HIDES

    win, _p = _window(qtbot, tmp_path / "settings.ini")
    try:
        def shown() -> dict[str, bool]:
            return {name: bool((w := win.findChild(QWidget, name)) is not None and w.isVisible())
                    for name in START_PAGE_HIDES}

        qtbot.waitUntil(lambda: not any(shown().values()))
        win.load_template("spiral")
        qtbot.waitUntil(lambda: all(shown().values()))
        win.show_start_page()
        qtbot.waitUntil(lambda: not any(shown().values()))
        assert win.stack.currentWidget() is win.start_page
    finally:
        _close(win)
