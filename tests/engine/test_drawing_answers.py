"""The drawing pad's answers beside the loop: while a classifier trains, a drawing is answered on a replica of the
weights of the last step, at once, even while the loop is inside a long piece of work; paused, the loop answers."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import torch

from playground.engine.commands import Classify, Pause, Reset, Stop
from playground.engine.drawing_answers import DrawingAnswers
from playground.engine.trainer import Trainer
from playground.graph.templates import build_template
from playground.snapshots import Prediction

WAIT_S = 60.0  # a bound for a hung test, not a measurement


def _image() -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:16] = 1.0
    return image


def _expected(trainer: Trainer, image: np.ndarray) -> np.ndarray:
    model = trainer.task.model
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            return trainer.task.predict(torch.as_tensor(image).reshape(1, 1, 28, 28))[0].numpy()
    finally:
        model.train(was)


class _Replies:
    def __init__(self) -> None:
        self.got: dict[int, tuple[Prediction | None, str]] = {}
        self.event = threading.Event()

    def __call__(self, number: int, prediction: Prediction | None) -> None:
        self.got[number] = (prediction, threading.current_thread().name)
        self.event.set()

    def wait(self, number: int) -> tuple[Prediction | None, str]:
        while number not in self.got:
            assert self.event.wait(WAIT_S), f"no answer to drawing {number}"
            self.event.clear()
        return self.got[number]


def test_a_drawing_is_answered_while_the_loop_is_held_inside_a_step() -> None:
    trainer = Trainer(build_template("mnist_1_layer"), fast_path=False)
    held, inside, release = threading.Event(), threading.Event(), threading.Event()
    real_batch = trainer._train_batch

    def train_batch() -> bool:
        if held.is_set():  # the weights stay those of the last step while it waits
            inside.set()
            release.wait(WAIT_S)
        return real_batch()

    trainer._train_batch = train_batch  # type: ignore[method-assign]
    worker = threading.Thread(target=lambda: list(trainer.run(stop_when_idle=False)), name="training")
    worker.start()
    replies = _Replies()
    try:
        trainer.send(Classify(image=_image(), number=1, reply=replies))
        first, thread = replies.wait(1)
        assert isinstance(first, Prediction) and thread == "training"  # no replica yet: the loop answers
        number = 1
        while replies.got[number][1] == "training" and number < 200:  # from the next step on, the replica answers
            number += 1
            trainer.send(Classify(image=_image(), number=number, reply=replies))
            replies.wait(number)
        assert replies.got[number][1] == "drawing-answers"
        held.set()
        assert inside.wait(WAIT_S)
        number += 1
        trainer.send(Classify(image=_image(), number=number, reply=replies))
        prediction, thread = replies.wait(number)
        assert not release.is_set() and thread == "drawing-answers"  # the loop is still held
        assert isinstance(prediction, Prediction)
        np.testing.assert_allclose(prediction.probabilities, _expected(trainer, _image()), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(prediction.input.reshape(28, 28), _image())
    finally:
        release.set()
        trainer.send(Stop())
        worker.join(WAIT_S)
    assert not worker.is_alive()


def test_paused_the_loop_answers_and_the_replica_is_let_go() -> None:
    trainer = Trainer(build_template("mnist_1_layer"), fast_path=False)
    answers = trainer._drawing_answers
    replies = _Replies()
    trainer.send(Classify(image=_image(), number=1, reply=replies))  # asked: the replica is kept from now on
    answers.refresh(trainer._probes, running=True)
    trainer.send(Pause())
    list(trainer.run(start=False))  # not running: the loop answers, and lets the replica go
    prediction, thread = replies.got[1]
    assert isinstance(prediction, Prediction) and thread == threading.current_thread().name
    assert not answers.offer(Classify(image=_image(), number=2, reply=replies), running=True)


def test_the_replica_follows_a_network_built_anew() -> None:
    trainer = Trainer(build_template("mnist_1_layer"), fast_path=False)
    answers = DrawingAnswers()
    replies = _Replies()
    command: Any = Classify(image=_image(), number=1, reply=replies)
    assert not answers.offer(command, running=True)  # nothing to answer on yet
    answers.refresh(trainer._probes, running=True)
    assert answers.offer(command, running=True)
    before, _thread = replies.wait(1)
    assert before is not None
    np.testing.assert_allclose(before.probabilities, _expected(trainer, _image()), rtol=1e-5, atol=1e-6)
    trainer.send(Reset(seed=trainer.seed + 1))
    trainer._drain()  # a new network, with other weights
    answers.refresh(trainer._probes, running=True)
    assert answers.offer(Classify(image=_image(), number=2, reply=replies), running=True)
    after, _thread = replies.wait(2)
    assert after is not None
    np.testing.assert_allclose(after.probabilities, _expected(trainer, _image()), rtol=1e-5, atol=1e-6)
    assert not np.allclose(after.probabilities, before.probabilities)
    assert answers.offer(Classify(image=np.zeros((5, 5), np.float32), number=3, reply=replies), running=True)
    wrong, _thread = replies.wait(3)
    assert wrong is None  # an image of another size: no answer, as the loop says
