"""Records of the sequence family: forecasts, recurrent states and gates, generated text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .records import Record


@dataclass(frozen=True)
class Forecast(Record):
    """A fresh test series (T,) float32: the truth, one-step predictions from the true past (NaN at 0) and, from
    ``start`` on, the free-running continuation (NaN before); mean squared errors of both and of the baseline."""

    probe = "forecast"
    truth: np.ndarray
    one_step: np.ndarray
    free: np.ndarray
    start: int
    one_step_error: float
    free_error: float
    baseline_error: float


@dataclass(frozen=True)
class SequenceStates(Record):
    """One test sequence through the recurrent layers: each layer's output at each step (steps, units), the input
    (values, or Unicode code points for text) and, for a sequence classifier, its label and class probabilities."""

    probe = "hidden_states"
    layers: Mapping[str, np.ndarray]
    input: np.ndarray
    text: bool = False
    label: int | None = None
    probabilities: np.ndarray | None = None


@dataclass(frozen=True)
class Gates(Record):
    """GRU and LSTM gates over the same sequence: layer -> gate name -> (steps, units)."""

    probe = "gates"
    layers: Mapping[str, Mapping[str, np.ndarray]]


@dataclass(frozen=True)
class GeneratedText(Record):
    """Text the network wrote: Unicode code points of the prompt then the sampled characters, the prompt's length,
    and the temperature it was sampled at."""

    probe = "text_sample"
    codes: np.ndarray
    prompt_length: int
    temperature: float

    @property
    def text(self) -> str:
        return "".join(map(chr, self.codes.tolist()))
