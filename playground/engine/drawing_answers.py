"""The drawing pad's answers, given beside the training loop while a classifier trains.

A ``Classify`` queued for the loop waits for the work under way: a step (10-60 ms for LeNet at batch 64 on two
cores), and now and then much longer ones, the epoch's end measuring the test set (100-200 ms) or the probes of a
snapshot. Those long waits were the answers' p95. So while a student draws, the loop copies the network's weights
between two steps into a replica (tens of microseconds for LeNet), and a thread of its own answers each drawing on
that replica at once, whatever the loop is doing. The answer is the network as it was after the last step: the
same weights the queued answer would have used a moment later.

The replica is kept only while drawings come (:data:`ACTIVE_S` after the last one) and only while the run is
running: a paused loop answers at once anyway, and commands that change the weights while paused (Reset, a
checkpoint restored, the time machine) are then seen by the answer.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from playground.snapshots import Prediction

from .commands import ANSWERING_THREAD, Classify
from .tasks import ClassificationTask

if TYPE_CHECKING:
    from .probes import Probes

# After the last drawing, the replica follows the weights this long: a stroke sends an image every few tens of ms,
# and a student draws the next digit within seconds.
ACTIVE_S = 2.0


class _Replica:
    """A copy of one classifier network in eval mode, with what an answer needs to read its output."""

    def __init__(self, probes: Probes, task: ClassificationTask) -> None:
        self.source = probes.network.module
        self.module = copy.deepcopy(self.source).eval()
        for parameter in self.module.parameters():
            parameter.grad = None
            parameter.requires_grad_(False)
        self.pairs = _pairs(self.module, self.source)
        self.task = task
        self.input_shape = tuple(probes.input_shape)
        self.device = probes.device

    def follows(self, probes: Probes) -> bool:
        """Whether this replica is of the network the probes read now, tensor for tensor."""
        if probes.network.module is not self.source or probes.task is not self.task:
            return False
        return all(mine.shape == theirs.shape for mine, theirs in _pairs(self.module, self.source))

    def copy_weights(self) -> None:
        with torch.no_grad():
            for mine, theirs in self.pairs:
                mine.copy_(theirs)

    def answer(self, image: object) -> Prediction | None:
        x = torch.as_tensor(np.asarray(image, dtype=np.float32), device=self.device)
        if not self.input_shape or x.numel() != int(np.prod(self.input_shape)):
            return None
        x = x.reshape(1, *self.input_shape)
        with torch.inference_mode():
            # The task's own reading of the output (a Softmax layer at the end, or raw scores).
            probabilities = self.task._log_probs(self.module(x)).exp()[0].float().cpu().numpy().copy()
        return Prediction(x[0].float().cpu().numpy().copy(), probabilities)


def _pairs(replica: nn.Module, source: nn.Module) -> list[tuple[torch.Tensor, torch.Tensor]]:
    mine = [*replica.parameters(), *replica.buffers()]
    theirs = [*source.parameters(), *source.buffers()]
    if len(mine) != len(theirs):
        return []
    return list(zip(mine, theirs))


class DrawingAnswers:
    """Answers ``Classify`` commands on a replica of the network, on a thread of its own. The loop calls
    :meth:`refresh` between steps; :meth:`offer` (any thread) takes a command when the replica is up to date."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the replica: copied into by the loop, read by the answering thread
        self._queue = threading.Condition()
        self._pending: deque[Classify] = deque()
        self._replica: _Replica | None = None
        self._fresh = False  # the replica holds the weights of the last step
        self._asked_at = -ACTIVE_S
        self._thread: threading.Thread | None = None
        self.answered_aside = 0

    def offer(self, command: Classify, running: bool) -> bool:
        """Take ``command`` to answer beside the loop; False when the loop must answer it (it is not running, or
        no replica is up to date yet: the loop starts keeping one from its next step)."""
        self._asked_at = time.perf_counter()
        with self._queue:
            if not running or not self._fresh:
                return False
            self._pending.append(command)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=ANSWERING_THREAD, daemon=True)
                self._thread.start()
            self._queue.notify()
        return True

    def refresh(self, probes: Probes, running: bool) -> None:
        """Between two steps (the loop's thread): bring the replica up to date while drawings come; drop it
        otherwise."""
        wanted = running and isinstance(probes.task, ClassificationTask) and \
            time.perf_counter() - self._asked_at < ACTIVE_S
        if not wanted:
            if self._replica is not None:
                with self._queue:
                    self._fresh = False
                    idle = not self._pending  # drawings taken already are answered on the replica they expect
                if idle:
                    with self._lock:
                        self._replica = None
            return
        assert isinstance(probes.task, ClassificationTask)
        with self._lock:
            if self._replica is None or not self._replica.follows(probes):
                self._replica = _Replica(probes, probes.task)
            else:
                self._replica.copy_weights()
        with self._queue:
            self._fresh = True

    def _serve(self) -> None:
        while True:
            with self._queue:
                if not self._pending:
                    self._queue.wait(ACTIVE_S)
                if not self._pending:
                    self._thread = None
                    return
                command = self._pending.popleft()
            try:
                with self._lock:
                    prediction = None if self._replica is None else self._replica.answer(command.image)
            except Exception:  # a drawing the network cannot read: no answer, as for a wrong size
                prediction = None
            self.answered_aside += 1
            command.reply(command.number, prediction)
