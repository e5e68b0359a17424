"""The base of the Learning-menu presenters on its own, with a stand-in window, document and session: the window
opened once, jobs off the GUI thread, the session's weights through take_state, overtaken answers dropped."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from playground.app.presenters.insight_window import InsightWindowPresenter, error_text
from playground.engine.errors import EngineError
from playground.graph import Lab
from playground.graph.templates import build_template


class MainWindow(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.demo_action = QAction("Demo", self)


class Document(QObject):
    lab_replaced = Signal(object)
    graph_edited = Signal()

    def __init__(self, lab: Lab | None) -> None:
        super().__init__()
        self.lab = lab


class State:
    def __init__(self, lab: Lab, step: int) -> None:
        self.lab = lab
        self.checkpoint = {"meta": {"step": step}}


class Session:
    """A training session whose worker answers take_state from its own thread, as the real one does."""

    def __init__(self, active: bool = False, ended: bool = False) -> None:
        self.active = active
        self.ended = ended  # the run ended between the check and the command
        self.asked = 0

    def take_state(self, reply: Any) -> None:
        if self.ended:
            raise EngineError("no session")
        self.asked += 1
        threading.Thread(target=lambda: reply(State(build_template("spiral"), 7 * self.asked))).start()


class Controller:
    def __init__(self, session: Session) -> None:
        self.session = session


class DemoPresenter(InsightWindowPresenter[QLabel]):
    action = "demo_action"
    job_name = "demo-job"

    def __init__(self, window: Any, document: Any, controller: Any) -> None:
        super().__init__(window, document, controller)
        self.created = self.opened = self.followed = 0
        self.threads: list[threading.Thread] = []
        self.gate = threading.Event()
        self.gate.set()

    def _create(self) -> QLabel:
        self.created += 1
        return QLabel(self.main_window)

    def _opened(self, shown: QLabel) -> None:
        self.opened += 1

    def _follow_lab(self) -> None:
        self.followed += 1

    def ask(self, wanted: str) -> int:
        token = self._new_request()
        self._run_on(token, self.document.lab, wanted)
        return token

    def _with_weights(self, token: int, lab: Lab, checkpoint: dict[str, Any] | None, wanted: object) -> None:
        def job() -> object:
            self.threads.append(threading.current_thread())
            self.gate.wait(10)
            if wanted == "fail":
                raise EngineError("this lab cannot be shown so")
            step = None if checkpoint is None else checkpoint["meta"]["step"]
            return (wanted, lab.name, step, lab is self.document.lab)

        self._start(token, job)

    def _show_result(self, result: object) -> None:
        assert self.shown is not None
        self.shown.setText(repr(result))

    def _show_error(self, text: str) -> None:
        assert self.shown is not None
        self.shown.setText(f"error: {text}")


@pytest.fixture
def parts(qtbot: QtBot) -> Any:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()  # a Learning window is a child of the main window: visible only when it is
    lab = build_template("tensorflow_playground")
    document, session = Document(lab), Session()
    presenter = DemoPresenter(window, document, Controller(session))
    yield window, document, session, presenter
    presenter.wait(10)


def test_the_menu_action_opens_one_window_and_shows_it_again(parts: Any) -> None:
    window, _document, _session, presenter = parts
    window.demo_action.trigger()
    first = presenter.shown
    assert first is not None and first.isVisible()
    first.hide()
    assert presenter.open() is first and first.isVisible()
    assert (presenter.created, presenter.opened) == (1, 2)


def test_without_a_session_a_job_runs_off_the_gui_thread_on_a_copy_of_the_lab(qtbot: QtBot, parts: Any) -> None:
    _window, document, session, presenter = parts
    shown = presenter.open()
    presenter.ask("grid")
    qtbot.waitUntil(lambda: shown.text() != "", timeout=10_000)
    assert shown.text() == repr(("grid", document.lab.name, None, False))
    assert presenter.threads[0] is not threading.main_thread() and presenter.threads[0].name == "demo-job"
    assert session.asked == 0


def test_a_training_session_gives_its_weights_through_take_state(qtbot: QtBot, parts: Any) -> None:
    _window, _document, session, presenter = parts
    session.active = True
    shown = presenter.open()
    presenter.ask("grid")
    qtbot.waitUntil(lambda: shown.text() != "", timeout=10_000)
    assert shown.text() == repr(("grid", "Spiral", 7, False)) and session.asked == 1


def test_a_session_that_ended_meanwhile_leaves_the_labs_weights(qtbot: QtBot, parts: Any) -> None:
    _window, document, session, presenter = parts
    session.active, session.ended = True, True
    shown = presenter.open()
    presenter.ask("grid")
    qtbot.waitUntil(lambda: shown.text() != "", timeout=10_000)
    assert shown.text() == repr(("grid", document.lab.name, None, False))


def test_an_answer_overtaken_by_a_newer_request_is_dropped(qtbot: QtBot, parts: Any) -> None:
    _window, _document, _session, presenter = parts
    shown = presenter.open()
    presenter.gate.clear()
    presenter.ask("old")
    presenter.ask("new")
    presenter.gate.set()
    assert presenter.wait(10)
    qtbot.waitUntil(lambda: shown.text() != "", timeout=10_000)
    qtbot.wait(50)  # the old answer, queued too, has had its turn
    assert "'new'" in shown.text() and "'old'" not in shown.text()


def test_a_failing_job_shows_its_message(qtbot: QtBot, parts: Any) -> None:
    _window, _document, _session, presenter = parts
    shown = presenter.open()
    presenter.ask("fail")
    qtbot.waitUntil(lambda: shown.text() != "", timeout=10_000)
    assert shown.text() == "error: this lab cannot be shown so"
    assert error_text(ValueError()) == "ValueError"


def test_another_lab_redraws_an_open_window_only_and_edits_only_when_it_follows_them(parts: Any) -> None:
    _window, document, _session, presenter = parts
    document.lab_replaced.emit(None)
    assert presenter.followed == 0  # never opened
    shown = presenter.open()
    document.lab_replaced.emit(None)
    document.graph_edited.emit()
    assert presenter.followed == 1  # follows_edits is off
    shown.hide()
    document.lab_replaced.emit(None)
    assert presenter.followed == 1


def test_a_presenter_that_follows_edits_redraws_on_a_graph_edit(parts: Any) -> None:
    window, document, session, _presenter = parts

    class Following(DemoPresenter):
        follows_edits = True

    presenter = Following(window, document, Controller(session))
    presenter.open()
    document.graph_edited.emit()
    assert presenter.followed == 1
