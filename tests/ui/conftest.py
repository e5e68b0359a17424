import pytest
from PySide6.QtCore import QSettings


@pytest.fixture
def settings(tmp_path):
    # A private ini file: tests never read or write the user's real settings.
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    from playground.app import new_window

    win = new_window(settings)
    # Not qtbot.addWidget: qtbot would close it before this fixture can mark it saved, and the close would ask.
    win.resize(1300, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.document.discard_changes()
    win.close()
    win.deleteLater()
