"""Snapshots: frozen, numpy-only pictures of a training run that may safely cross to the GUI thread."""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

import numpy as np

from .records import ProbeResults

STATES = ("ready", "running", "paused", "finished", "diverged", "stopped")


V = TypeVar("V")


def frozen(d: Mapping[str, V] | None = None) -> Mapping[str, V]:
    """A read-only view of a copy of ``d``: what snapshots hold instead of dicts."""
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True)
class Snapshot:
    """What a view may know about the run at one moment. Holds only plain numbers and numpy arrays (copies)."""

    state: str
    epoch: int
    step: int
    epoch_fraction: float
    elapsed: float
    learning_rate: float
    metrics: Mapping[str, float] = field(default_factory=frozen)
    history: Mapping[str, np.ndarray] = field(default_factory=frozen)
    probes: ProbeResults = field(default_factory=ProbeResults)  # the open views' records, looked up by type
    message: str = ""
    device: str = "cpu"
    seed: int = 0
    task: str = "classification"
    classes: int = 0
    class_names: tuple[str, ...] = ()  # the data's names of its classes (a table's label values), for legends
    data_version: int = 0
    dataset: Mapping[str, np.ndarray] = field(default_factory=frozen)


class MetricHistory:
    """Per-epoch curves, every point kept in compact arrays; views get a downsampled copy."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = ("epoch", "step", "time", "learning_rate") + tuple(names)
        self._columns: dict[str, array[float]] = {n: array("d") for n in self.names}

    def __len__(self) -> int:
        return len(self._columns["epoch"])

    def append(self, **values: float) -> None:
        for name in self.names:
            self._columns[name].append(float(values.get(name, np.nan)))

    def last(self, name: str) -> float:
        col = self._columns[name]
        return col[-1] if col else float("nan")

    def column(self, name: str) -> np.ndarray:
        return np.frombuffer(self._columns[name], dtype=np.float64).copy()

    def as_arrays(self) -> dict[str, np.ndarray]:
        return {n: self.column(n) for n in self.names}

    def downsampled(self, max_points: int = 2000) -> dict[str, np.ndarray]:
        """Every column thinned to at most ``max_points`` by keeping evenly spaced rows (and always the last)."""
        n = len(self)
        if n <= max_points:
            return self.as_arrays()
        idx = np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))
        return {name: np.frombuffer(col, dtype=np.float64)[idx].copy() for name, col in self._columns.items()}

    def truncate(self, rows: int) -> None:
        for col in self._columns.values():
            del col[rows:]

    def clear(self) -> None:
        self.truncate(0)

    def to_csv(self) -> str:
        lines = [",".join(self.names)]
        cols = [self._columns[n] for n in self.names]
        for i in range(len(self)):
            lines.append(",".join(_num(c[i]) for c in cols))
        return "\n".join(lines) + "\n"


def metric_phrases(metrics: Mapping[str, float]) -> list[str]:
    """The latest metrics as short phrases for a status line or a progress bar."""
    parts = []
    for key, label, fmt in (("train_loss", "training loss", ".3f"), ("test_loss", "test loss", ".3f"),
                            ("train_accuracy", "training accuracy", ".1%"), ("test_accuracy", "test accuracy",
                                                                             ".1%")):
        if key in metrics and metrics[key] == metrics[key]:  # present and not NaN
            parts.append(f"{label} {format(metrics[key], fmt)}")
    return parts


def _num(x: float) -> str:
    if x != x:  # NaN
        return ""
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
