"""A layer kind's parameters: their types, defaults, ranges and tooltips, and the check that normalises a value.

A value outside its range raises :class:`ParameterError` with a message that names the node, the field and what
the field accepts.
"""

from __future__ import annotations

import math
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

        def bad() -> ParameterError:
            return ParameterError(
                f"{where}: {self.name} must be {self.range_text()}. Received: {self.name}={shown(value)}",
                field=self.name,
            )

        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise bad()
        elif self.type == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad()
            try:
                value = float(value)
            except OverflowError:  # an integer beyond any float, e.g. 1 followed by 400 zeros in a lab file
                raise bad() from None
            if not math.isfinite(value):
                raise bad()
        elif self.type == "bool":
            if not isinstance(value, bool):
                raise bad()
            return value
        elif self.type == "choice":
            if value not in self.choices:
                raise bad()
            return value
        elif self.type == "shape":
            if not isinstance(value, (list, tuple)) or not value:
                raise bad()
            items = list(value)
            if any(isinstance(v, bool) or not isinstance(v, int) or (v < 1 and v != -1)
                   or (self.maximum is not None and v > self.maximum) for v in items):
                raise bad()
            if items.count(-1) > 1 or len(items) > 3:
                raise bad()
            return items
        if self.minimum is not None and value < self.minimum:
            raise bad()
        if self.maximum is not None and value > self.maximum:
            raise bad()
        return value


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
