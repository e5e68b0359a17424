"""The docks of the model families: shown for their tasks only, their settings controls edit the lab."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QLabel

from playground.app import attach_training
from playground.ui.views import registry
from playground.ui.views.registry import ViewSpec


class BetaView(QLabel):
    training_changed = Signal(object)
    probes = ()

    def show_snapshot(self, snapshot) -> None:
        self.setText(f"epoch {snapshot.epoch}")

    def show_empty(self, text: str) -> None:
        self.setText(text)


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    """Makes the app's window with its controller: with the real family views, or with ``specs`` instead."""
    from playground.app import new_window

    made = []

    def make(specs=None):
        if specs is not None:
            monkeypatch.setattr(registry, "family_views", lambda: specs)
        win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
        c = attach_training(win)
        win.resize(1500, 950)
        win.show()
        qtbot.waitExposed(win)
        made.append(win)
        return win, c

    yield make
    for win in made:
        win.undo_stack.setClean()
        win.document.discard_changes()  # nor its training: closing must not ask
        win.close()
        win.deleteLater()


@pytest.fixture
def window(make_window):
    """The window with two made-up family views instead of the real ones."""
    return make_window([ViewSpec("test_beta", "Beta", BetaView, tasks=("vae",)),
                        ViewSpec("test_right", "Right", BetaView, tasks=("vae", "autoencoder"), place="side")])


def test_family_docks_show_for_their_tasks_only(qtbot, window):
    win, c = window
    win.load_template("vae")
    qtbot.wait(20)
    assert c.docks["test_beta"].isVisible() and c.docks["test_right"].isVisible()
    assert not c.docks["confusion"].isVisible() and not c.docks["boundary"].isVisible()
    assert not c.draw_dock.isVisible()
    win.load_template("autoencoder")
    qtbot.wait(20)
    assert not c.docks["test_beta"].isVisible() and c.docks["test_right"].isVisible()
    win.load_template("spiral")
    qtbot.wait(20)
    assert not c.docks["test_beta"].isVisible() and not c.docks["test_right"].isVisible()
    assert c.docks["boundary"].isVisible() and c.docks["neurons"].isVisible()


def test_a_family_control_edits_the_lab_undoably(qtbot, window):
    win, c = window
    win.load_template("vae")
    c.views["test_beta"].training_changed.emit({"beta": 4.0})
    assert win.lab.training.beta == 4.0
    win.undo_stack.undo()
    assert win.lab.training.beta == 1.0


def test_family_views_show_only_for_data_they_can_draw(qtbot, make_window):
    """A 2-D GAN has no image samples to show; a text model no forecast."""
    win, c = make_window()
    win.load_template("gan")
    assert c.docks["gan_plane"].isVisible() and not c.docks["gan_samples"].isVisible()
    win.load_template("gan_digits")
    assert c.docks["gan_samples"].isVisible() and not c.docks["gan_plane"].isVisible()
    win.load_template("char_rnn")
    assert c.docks["seq_text"].isVisible() and not c.docks["seq_forecast"].isVisible()
    win.load_template("lstm_sequence")
    assert c.docks["seq_forecast"].isVisible() and not c.docks["seq_text"].isVisible()
    assert c.docks["seq_hidden"].isVisible()


def test_the_filters_dock_shows_where_there_are_convolutions(qtbot, make_window):
    win, c = make_window()
    win.load_template("gan")
    assert not c.docks["filters"].isVisible()
    win.load_template("conv_autoencoder")
    assert c.docks["filters"].isVisible()
    win.load_template("lenet")
    assert c.docks["filters"].isVisible()


@pytest.mark.slow
def test_no_stray_tab_bar_lies_over_a_view(qtbot, make_window):
    """Hiding, showing and resizing tabbed docks (opening an image lab, pressing Play) must not leave an old tab
    bar painted across a view."""
    from PySide6.QtWidgets import QDockWidget, QTabBar

    win, c = make_window()
    win.load_template("lenet")
    c.set_playing(True)
    qtbot.wait(400)
    c.set_playing(False)
    win.load_template("gan")
    qtbot.wait(200)
    docks = [d for d in win.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()]
    stray = [[bar.tabText(i) for i in range(bar.count())] for bar in win.findChildren(QTabBar)
             if bar.parent() is win and bar.isVisible() and bar.geometry().intersects(win.rect())
             and any(bar.geometry().intersects(d.geometry()) for d in docks)]
    assert not stray


def test_a_tab_bar_left_over_a_view_is_hidden(qtbot, make_window):
    """Under X11, Qt sometimes leaves an old tab bar where a tab group used to end (seen after Play resizes the
    bottom row of an image lab); the controller hides any tab bar lying over a visible dock."""
    from PySide6.QtWidgets import QTabBar

    win, c = make_window()
    win.load_template("lenet")
    qtbot.wait(100)
    dock = c.docks["feature_maps"]
    stale = QTabBar(win)
    stale.addTab("Weights")
    stale.addTab("Class templates")
    stale.setGeometry(dock.geometry().left(), dock.geometry().center().y(), 300, 26)
    stale.show()
    kept = [b for b in win.findChildren(QTabBar) if b.parent() is win and b.isVisible() and b is not stale]
    qtbot.waitUntil(lambda: not stale.isVisible(), timeout=2000)  # after the next relayout, by itself
    assert all(b.isVisible() for b in kept)  # the real tab bars stay


@pytest.mark.slow
def test_a_classifier_shows_the_views_of_its_data_only(qtbot, make_window):
    win, c = make_window()
    win.load_template("spiral")
    assert c.docks["neurons"].isVisible() and c.docks["hidden"].isVisible()
    assert not any(c.docks[k].isVisible() for k in ("feature_maps", "confusion", "templates", "filter_lab"))
    win.load_template("lenet")
    assert all(c.docks[k].isVisible() for k in ("feature_maps", "confusion", "filter_lab"))
    assert not c.docks["templates"].isVisible()  # no Dense from the pixels to the classes: no template to fold
    win.load_template("mnist_1_layer")
    assert c.docks["templates"].isVisible()
    win.load_template("lenet")
    assert not c.docks["neurons"].isVisible() and not c.docks["hidden"].isVisible()
    assert c.docks["weights"].isVisible() and c.docks["gradients"].isVisible()
