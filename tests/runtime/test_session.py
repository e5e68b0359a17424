"""The QThread bridge: training runs off the GUI thread, snapshots arrive by signal, commands apply live."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QCoreApplication, QThread

from playground.engine.commands import Pause, Resume, SetTraining
from playground.engine.errors import EngineError
from playground.graph.templates import tensorflow_playground
from playground.runtime import TrainingSession


def lab(epochs=100000, **training):
    lab = tensorflow_playground()
    lab.training = lab.training.updated(epochs=epochs, **training)
    return lab


@pytest.fixture
def session(qtbot):
    s = TrainingSession()
    yield s
    assert s.stop()


def test_training_runs_on_a_worker_thread_and_snapshots_arrive(qtbot, session):
    snaps = []
    threads = []
    session.snapshot.connect(lambda s: (snaps.append(s), threads.append(threading.current_thread())))
    session.start(lab(), probes=["boundary"])
    qtbot.waitUntil(lambda: len(snaps) >= 5 and snaps[-1].epoch >= 3, timeout=20000)
    assert all(t is threading.main_thread() for t in threads)  # delivered on the GUI thread
    trainer = session.trainer
    assert trainer is not None
    assert "boundary" in snaps[-1].probes
    assert snaps[-1].state == "running"
    assert QThread.currentThread() is QCoreApplication.instance().thread()


def test_pause_stops_updates_and_learning_rate_changes_apply_live(qtbot, session):
    snaps = []
    session.snapshot.connect(snaps.append)
    session.start(lab())
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].epoch >= 2, timeout=20000)
    session.send(SetTraining({"learning_rate": 0.1}))
    qtbot.waitUntil(lambda: snaps[-1].learning_rate == pytest.approx(0.1), timeout=5000)
    step = snaps[-1].step
    assert step > 0  # no reset happened
    session.send(Pause())
    qtbot.waitUntil(lambda: snaps[-1].state == "paused", timeout=5000)
    count, step = len(snaps), snaps[-1].step
    qtbot.wait(400)
    assert len(snaps) == count and session.trainer.step == step
    session.send(Resume())
    qtbot.waitUntil(lambda: snaps[-1].step > step, timeout=5000)


def test_bad_lab_reports_a_message_instead_of_crashing(qtbot, session):
    bad = lab()
    bad.dataset.features = ["x1", "x2", "sin_x1"]
    with qtbot.waitSignal(session.failed, timeout=10000) as blocker:
        session.start(bad)
    assert "expects samples of shape 2" in blocker.args[0]


def test_bad_command_raises_in_the_callers_thread(qtbot, session):
    session.start(lab(), run=False)
    qtbot.waitUntil(lambda: session.trainer is not None, timeout=10000)
    with pytest.raises(Exception, match="learning_rate"):
        session.send(SetTraining({"learning_rate": -5}))


def test_send_without_a_run_is_a_clear_error():
    with pytest.raises(EngineError, match="press Play"):
        TrainingSession().send(Pause())


def test_stop_while_training_ends_the_thread_promptly(qtbot):
    session = TrainingSession()
    snaps = []
    session.snapshot.connect(snaps.append)
    session.start(lab())
    qtbot.waitUntil(lambda: len(snaps) >= 2, timeout=20000)
    assert session.stop(timeout_ms=5000)
    assert not session.active


def test_restarting_replaces_the_previous_run(qtbot, session):
    session.start(lab())
    qtbot.waitUntil(lambda: session.trainer is not None, timeout=10000)
    first = session.trainer
    session.start(lab())
    qtbot.waitUntil(lambda: session.trainer is not None, timeout=10000)
    assert session.trainer is not first


def test_take_state_answers_on_the_worker_thread_with_copies(qtbot, session):
    with pytest.raises(EngineError, match="Nothing is training"):
        session.take_state(lambda _state: None)
    snaps = []
    session.snapshot.connect(snaps.append)
    session.start(lab())
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].step > 10, timeout=20000)
    answers = []
    session.take_state(lambda state: answers.append((threading.current_thread(), state)))
    qtbot.waitUntil(lambda: bool(answers), timeout=10000)
    thread, state = answers[0]
    assert thread is not threading.main_thread()  # between two steps, where the trainer lives
    trainer = session.trainer
    assert state.lab is not trainer.lab and state.lab.to_dict() == trainer.lab.to_dict()
    weight = state.checkpoint["tensors"]["model/model/dense_1.weight"]
    live = trainer.task.modules()["model"].state_dict()["dense_1.weight"]
    assert weight.data_ptr() != live.data_ptr()  # a copy: training on does not change it
    assert state.checkpoint["meta"]["step"] > 10


def test_stop_all_stops_every_worker_within_its_bound(qtbot):
    from playground.runtime.session import stop_all

    sessions = [TrainingSession(), TrainingSession()]
    seen = [[], []]
    for s, snaps in zip(sessions, seen):
        s.snapshot.connect(snaps.append)
        s.start(lab())
    qtbot.waitUntil(lambda: all(snaps and snaps[-1].step > 0 for snaps in seen), timeout=30000)
    assert stop_all(10000)
    assert not any(s.active for s in sessions)
