"""A lesson's 'open view lossLandscapeView' (or optimizerRaceView) opens the landscape window, whose two views are
not docks of the main window."""

import pytest
from PySide6.QtCore import QSettings

from playground.app import new_window
from playground.app.main import attach_presenters
from playground.app.presenters.landscape import LandscapePresenter
from playground.lessons import parse_actions


@pytest.mark.slow
def test_show_me_opens_the_landscape_window_for_either_of_its_views(qtbot, tmp_path):
    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    presenters = attach_presenters(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    try:
        assert presenters.lessons.open_named("optimizer-race")
        landscape = win.findChild(LandscapePresenter)
        assert landscape.window is None
        (action,) = parse_actions("open view optimizerRaceView")
        presenters.lessons.perform(action)
        assert landscape.window is not None and landscape.window.isVisible()
        assert landscape.window.findChild(type(landscape.window.race_view), "optimizerRaceView").isVisible()
        landscape.window.close()
        presenters.lessons.perform(parse_actions("open view lossLandscapeView")[0])
        assert landscape.window.isVisible() and landscape.window.landscape_view.objectName() == "lossLandscapeView"
        landscape.wait()
    finally:
        opened = win.findChild(LandscapePresenter)
        if opened is not None and opened.window is not None:
            opened.window.close()
        win.undo_stack.setClean()
        win.document.discard_changes()
        win.close()
        win.deleteLater()
