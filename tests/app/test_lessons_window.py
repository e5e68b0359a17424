"""A lesson in the window: it opens its lab, its goal is ticked while training, Show me acts, a broken file is
refused with its line, and progress survives a restart."""

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel

from playground.app import new_window
from playground.app.main import attach_presenters
from playground.lessons import shipped_lessons


def _window(qtbot, settings_path):
    win = new_window(QSettings(str(settings_path), QSettings.IniFormat))
    presenters = attach_presenters(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    return win, presenters


def _close(win):
    win.undo_stack.setClean()
    win.document.discard_changes()
    win.close()
    win.deleteLater()


@pytest.fixture
def lesson_window(qtbot, tmp_path):
    win, presenters = _window(qtbot, tmp_path / "settings.ini")
    yield win, presenters
    _close(win)


@pytest.mark.slow
def test_a_lesson_opens_its_lab_and_its_goal_is_ticked_while_training(qtbot, lesson_window):
    win, p = lesson_window
    first = shipped_lessons()[0]
    assert p.lessons.open_named(first.name)
    panel = win.findChild(type(p.lessons.panel), "lessonPanel")
    assert panel is not None and panel.isVisible()
    goal = win.findChild(QLabel, "lessonGoal")
    assert goal.property("met") is False
    assert win.document.lab.dataset.to_dict() == first.start_lab().dataset.to_dict()
    p.training.set_playing(True)
    qtbot.waitUntil(lambda: goal.property("met") is True, timeout=60000)
    p.training.set_playing(False)
    assert goal.text().startswith("✓ Goal met")
    assert panel.steps.item(0).text().startswith("✓")


@pytest.mark.slow
def test_show_me_performs_the_steps_action_as_an_undoable_edit(qtbot, lesson_window):
    win, p = lesson_window
    first = shipped_lessons()[0]
    p.lessons.open_named(first.name)
    p.lessons.go_to(1)  # its Show me sets the noise to 40, then plays
    before = win.document.lab.dataset.noise
    p.lessons.panel.show_button.click()
    assert win.document.lab.dataset.noise == 40 != before
    qtbot.waitUntil(lambda: p.training.last_snapshot is not None and p.training.last_snapshot.epoch >= 10,
                    timeout=60000)
    qtbot.waitUntil(lambda: p.training.last_snapshot.state in ("paused", "finished"), timeout=60000)
    win.undo_stack.undo()
    assert win.document.lab.dataset.noise == before


@pytest.mark.slow
def test_a_broken_lesson_file_is_refused_with_its_line_and_the_lab_stays(qtbot, lesson_window, tmp_path):
    win, p = lesson_window
    win.load_template("spiral")
    bad = tmp_path / "bad.lesson"
    bad.write_text("# Bad\n@chapter Linear models\n@teaches x\n@template spiral\n\n## One\nText\n"
                   "@goal test acuracy >= 0.9\n@solution play 1 epochs\n", encoding="utf-8")
    shown = []
    win.show_message = lambda text, error=False: shown.append(text)
    assert not p.lessons.open_named(str(bad))
    assert shown and "line 8" in shown[0] and "@goal" in shown[0]
    assert win.document.lab.name.lower().startswith("spiral")


@pytest.mark.slow
def test_progress_survives_a_restart(qtbot, tmp_path):
    settings = tmp_path / "settings.ini"
    win, p = _window(qtbot, settings)
    first = shipped_lessons()[0]
    p.lessons.open_named(first.name)
    p.lessons.panel.set_goal_state(True, "")
    p.lessons._save_progress()
    _close(win)
    win, p = _window(qtbot, settings)
    try:
        p.lessons.open_named(first.name)
        assert 0 in p.lessons.panel.done_steps()
        assert p.lessons.panel.steps.item(0).text().startswith("✓")
    finally:
        _close(win)
