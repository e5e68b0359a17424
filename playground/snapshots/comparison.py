"""Records of runs side by side: what the comparison's worker thread sends to the window, and the table of the
runs' settings. Plain, frozen data (numbers, strings and the runs' snapshots), safe to cross threads."""

from __future__ import annotations

from dataclasses import dataclass

from .snapshot import Snapshot


@dataclass(frozen=True)
class RunProgress:
    """The latest snapshot of one run of a comparison, ``run`` being its id (unique within the comparison)."""

    run: int
    snapshot: Snapshot


@dataclass(frozen=True)
class RunFailed:
    """A run that could not be built or trained: ``message`` says why (the other runs go on)."""

    run: int
    message: str


@dataclass(frozen=True)
class SettingRow:
    """One setting across the runs: its label, each run's value as text (in the runs' order), and whether they
    differ (the table highlights those rows)."""

    name: str
    values: tuple[str, ...]
    differs: bool


@dataclass(frozen=True)
class SettingsTable:
    """The runs' settings, ``runs`` their ids in column order."""

    runs: tuple[int, ...]
    rows: tuple[SettingRow, ...]

    @property
    def differing(self) -> tuple[str, ...]:
        return tuple(row.name for row in self.rows if row.differs)
