"""A layer kind's parameters: their types, defaults, ranges and tooltips, and the check that normalises a value.

A value outside its range raises :class:`ParameterError` with a message that names the node, the field and what
the field accepts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ParameterError, shown

PARAM_TYPES = ("int", "float", "bool", "choice", "shape")


@dataclass(frozen=True)
class Param:
    """One parameter of a layer kind: its type, default, range and a tooltip."""

    name: str
    type: str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def range_text(self) -> str:
        if self.type == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.type == "bool":
            return "true or false"
        if self.type == "shape":
            most = f" up to {_fmt(self.maximum)}" if self.maximum is not None else ""
            return f"a list of positive integers{most} (one of them may be -1)"
        kind = "an integer" if self.type == "int" else "a number"
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            return f"{kind} from {_fmt(lo)} to {_fmt(hi)}"
        if lo is not None:
            return f"{kind} of at least {_fmt(lo)}"
        return kind

    def check(self, value: Any, where: str) -> Any:
        """Return ``value`` normalised to this parameter's type, or raise a ParameterError naming ``where``."""
        try:
            normal = _NORMALISERS[self.type](self, value)
            if self.type in ("int", "float") and (self.minimum is not None and normal < self.minimum
                                                  or self.maximum is not None and normal > self.maximum):
                raise _Refused
        except _Refused:
            raise ParameterError(
                f"{where}: {self.name} must be {self.range_text()}. Received: {self.name}={shown(value)}",
                field=self.name,
            ) from None
        return normal


class _Refused(Exception):
    """A value its parameter does not take: :meth:`Param.check` names the field and what it accepts."""


def _as_int(p: Param, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise _Refused
    return value


def _as_float(p: Param, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Refused
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float, e.g. 1 followed by 400 zeros in a lab file
        raise _Refused from None
    if not math.isfinite(number):
        raise _Refused
    return number


def _as_bool(p: Param, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Refused
    return value


def _as_choice(p: Param, value: Any) -> Any:
    if value not in p.choices:
        raise _Refused
    return value


def _as_shape(p: Param, value: Any) -> list[int]:
    if not isinstance(value, (list, tuple)) or not value:
        raise _Refused
    items = list(value)
    if any(isinstance(v, bool) or not isinstance(v, int) or (v < 1 and v != -1)
           or (p.maximum is not None and v > p.maximum) for v in items):
        raise _Refused
    if items.count(-1) > 1 or len(items) > 3:
        raise _Refused
    return items


_NORMALISERS: dict[str, Callable[[Param, Any], Any]] = {
    "int": _as_int, "float": _as_float, "bool": _as_bool, "choice": _as_choice, "shape": _as_shape}

def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
