"""Typed errors of the data package, so callers can show one clear message per cause."""

from __future__ import annotations

import os


class DataError(ValueError):
    """A dataset request that cannot be satisfied: unknown name, value out of range, bad shape."""


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path or name as it may appear in a one-line message: as it is when printable, else escaped like repr
    (``'a\\nb'``), so a file name with a newline cannot split the message. The data package's twin of
    ``playground.graph.errors.shown(path, quote=False)``, which the layer rules keep it from importing."""
    text = os.fspath(path)
    return text if text.isprintable() else repr(text)
