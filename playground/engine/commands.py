"""Commands a caller sends to a running trainer; the loop applies them between steps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Pause:
    """Stop stepping after the current batch; the run keeps all its state."""


@dataclass(frozen=True)
class Resume:
    """Go on training (after a pause, a divergence or the last epoch)."""


@dataclass(frozen=True)
class Step:
    """Train ``batches`` batches, or with ``epoch`` until the current epoch ends, then pause."""

    batches: int = 1
    epoch: bool = False


@dataclass(frozen=True)
class SetTraining:
    """Change training settings live (learning rate, optimizer, regularization, batch size...)."""

    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reset:
    """Start over with fresh weights: the same seed (same run again) or a new one."""

    new_seed: bool = False
    seed: int | None = None


@dataclass(frozen=True)
class SetProbes:
    """Which probes the open views want computed at snapshot time."""

    names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SetDataset:
    """Change the data live (noise, train/test ratio, sample count, which 2-D set, features of the same
    number); the weights are kept."""

    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Recompile:
    """Apply an edited lab: rebuild the networks, keeping the weights of every layer whose shapes are unchanged,
    and the curves so far. ``device`` moves training to another device."""

    lab: Any
    device: str | None = None


@dataclass(frozen=True)
class SetSample:
    """Which sample the feature-map view shows: test sample ``index``, or ``image`` (a drawing, 28×28 in [0, 1])."""

    index: int = 0
    image: Any = None


# The thread that answers drawings beside the training loop (drawing_answers.py): a reply can tell where it was made.
ANSWERING_THREAD = "drawing-answers"


@dataclass(frozen=True)
class Classify:
    """The drawing pad's answer, on its own: call ``reply(number, prediction)`` from the training thread, between
    two steps, with a :class:`playground.snapshots.Prediction` of ``image`` (a drawing, 28×28 in [0, 1]), or None
    when the model is no classifier of such images. One small forward pass, nothing else: no snapshot, no feature
    maps. While the run trains, drawings after the first are answered at once beside the loop, on a copy of the
    weights of the last step (``drawing_answers.py``), from another thread. ``number`` tells the answers of
    successive drawings apart (an answer to an older drawing that arrives late is dropped). ``reply`` must be quick
    and thread-safe."""

    image: Any = None
    number: int = 0
    reply: Any = None


@dataclass(frozen=True)
class AddSamples:
    """Add ``images`` (N, H, W) in [0, 1] with class ``labels`` (N,) to the training data (a student's drawings)."""

    images: Any = None
    labels: Any = None


@dataclass(frozen=True)
class Stop:
    """End the run; the generator returns after one last snapshot."""


@dataclass(frozen=True)
class TakeCheckpoint:
    """Call ``reply(trainer.checkpoint())`` from the training thread, between steps (to save a project while
    training goes on). ``reply`` must be quick and thread-safe, e.g. emit a Qt signal."""

    reply: Any = None


@dataclass(frozen=True)
class Restore:
    """Go on from a saved :meth:`Trainer.checkpoint` of the same lab (weights, optimizer, curves, counters)."""

    checkpoint: Any = None


@dataclass(frozen=True)
class ShowMoment:
    """Call ``reply`` (from the training thread) with the Snapshot of the kept moment at or last before ``step``,
    or with a message saying why there is none; the run itself does not change."""

    step: int = 0
    reply: Any = None


@dataclass(frozen=True)
class ContinueFrom:
    """Branch: go on from the kept moment at or last before ``step`` (its later moments are dropped); paused."""

    step: int = 0


@dataclass(frozen=True)
class WatchHealth:
    """Compute the network's health (dead units, saturation, gradient norms, NaN) with every snapshot, or stop."""

    on: bool = True


@dataclass(frozen=True)
class SetFrozen:
    """Lock or unlock layers live: ``frozen`` is the lab's new mapping, network name -> names of frozen layers."""

    frozen: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SetWeights:
    """Copy ``tensors`` (state-dict key -> tensor, shapes checked by weights_copy.match_layers) into ``network``
    between steps; the other layers, the optimizer and the curves go on as they were."""

    network: str = ""
    tensors: Mapping[str, Any] = field(default_factory=dict)


Command = (Pause | Resume | Step | SetTraining | Reset | SetProbes | SetDataset | Recompile | SetSample | Classify
           | AddSamples | TakeCheckpoint | Restore | ShowMoment | ContinueFrom | WatchHealth | SetFrozen | SetWeights
           | Stop)
