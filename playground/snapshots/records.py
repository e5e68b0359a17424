"""The base of every probe record and the typed collection a snapshot carries them in.

A record is a frozen dataclass of numpy arrays, plain numbers and strings. The engine copies each array once when
it builds the record; the record then marks its arrays read-only, so the GUI thread can draw them without a copy and
nothing on either side can change what the other sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

import numpy as np


def _frozen_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
        return value
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen_value(v) for k, v in value.items()})
    return value


@dataclass(frozen=True)
class Record:
    """One probe's result. ``probe`` is the kind a view asks the engine for (the name before any ':')."""

    probe: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            frozen = _frozen_value(value)
            if frozen is not value:
                object.__setattr__(self, f.name, frozen)

    def merged(self, newer: Record) -> Record:
        """This record and a newer one of the same kind as one record; most kinds keep the newer."""
        return newer


R = TypeVar("R", bound=Record)


class ProbeResults:
    """The probe records of one snapshot, at most one per record type, looked up by type:
    ``snapshot.probes.get(DecisionBoundary)`` is a ``DecisionBoundary`` or None."""

    __slots__ = ("_records",)

    def __init__(self, records: Iterable[Record] = ()) -> None:
        by_type: dict[type[Record], Record] = {}
        for record in records:
            old = by_type.get(type(record))
            by_type[type(record)] = record if old is None else old.merged(record)
        self._records: Mapping[type[Record], Record] = MappingProxyType(by_type)

    def get(self, kind: type[R]) -> R | None:
        record = self._records.get(kind)
        return None if record is None else record  # type: ignore[return-value]  # keyed by its own type

    def __getitem__(self, kind: type[R]) -> R:
        record = self.get(kind)
        if record is None:
            raise KeyError(getattr(kind, "__name__", kind))
        return record

    def __contains__(self, kind: object) -> bool:
        """A record type, or the name of a probe kind as views ask for it (``"boundary" in probes``)."""
        if isinstance(kind, str):
            return any(t.probe == kind for t in self._records)
        return kind in self._records

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records.values())

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"ProbeResults({', '.join(t.__name__ for t in self._records)})"


EMPTY = ProbeResults()
