"""Typed graph errors: one class per cause, each naming the node and field it is about.

The editor turns these into a mark on the node; the CLI prints ``str(error)`` as one line.
"""

from __future__ import annotations

import math
import os
import reprlib


class _OneLine(reprlib.Repr):
    """repr with limits: strings escaped and quoted, long text and lists cut short, huge integers as 1e+400."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = 200
        self.maxother = 200
        self.maxlist = self.maxtuple = self.maxset = self.maxdict = 8
        self.maxlevel = 3

    def repr_int(self, x: int, level: int) -> str:
        if -10**16 < x < 10**16:
            return str(x)
        sign = "-" if x < 0 else ""
        try:
            digits = str(abs(x))
        except ValueError:  # more digits than Python turns into text: say roughly how large it is
            return f"{sign}about 1e+{round(math.log10(abs(x)))}"
        rest = digits[1:4].rstrip("0")
        return f"{sign}{digits[0]}{'.' + rest if rest else ''}e+{len(digits) - 1}"


_ONE_LINE = _OneLine()


def shown(value: object, *, quote: bool = True) -> str:
    """``value`` as it may appear in a one-line message.

    Printable text comes in single quotes as it is (``'dense_1'``, ``'C:\\data'``); text with a newline or another
    control character is escaped like repr (``'x\\n'``), so it cannot break the line. Long text and lists are
    shortened; an integer too large for a float reads ``1e+400``. With ``quote=False`` (for paths) printable text
    comes without quotes.
    """
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str) and value.isprintable():
        if len(value) > _ONE_LINE.maxstring:
            value = f"{value[:_ONE_LINE.maxstring // 2]}...{value[-_ONE_LINE.maxstring // 2:]}"
        return f"'{value}'" if quote else value
    return _ONE_LINE.repr(value)


class GraphError(Exception):
    """Base of every error the graph core raises.

    ``node`` is the node the error is about (or None for the whole graph or lab), ``field`` the parameter or
    port it concerns (or None). ``str(error)`` is a complete sentence that says how to fix it.
    """

    def __init__(self, message: str, *, node: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node
        self.field = field

    def __str__(self) -> str:
        return self.message


class UnknownKindError(GraphError):
    """A layer kind that the catalog does not have."""


class UnknownNodeError(GraphError):
    """A node name that is not in the graph."""


class UnknownPortError(GraphError):
    """A port name that the node's kind does not have."""


class DuplicateNameError(GraphError):
    """A node name that is already taken, or not a valid identifier."""


class ParameterError(GraphError):
    """A parameter value out of range, of the wrong type, or unknown."""


class CycleError(GraphError):
    """An edge that would close a cycle."""


class DuplicateEdgeError(GraphError):
    """An edge that already exists."""


class PortOccupiedError(GraphError):
    """An input port that already has an edge."""


class ShapeError(GraphError):
    """A node whose input shape it cannot take, or whose parameters do not fit its input."""


class MissingInputError(GraphError):
    """A node with an unconnected input port, or a network without an Input node."""


class MissingOutputError(GraphError):
    """A network without an Output node."""


class DisconnectedNodeError(GraphError):
    """A node that is not on any path from an Input to an Output."""


class LabFormatError(GraphError):
    """A lab file that is not valid JSON, of an unknown format or version, or with wrong fields."""
