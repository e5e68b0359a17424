"""Errors the engine reports to a user: each names what is wrong and how to fix it."""

from __future__ import annotations


class EngineError(Exception):
    """A lab that cannot be trained as set up (a head that does not fit the data, a missing device...)."""

    def __init__(self, message: str, *, node: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node
        self.field = field

    def __str__(self) -> str:
        return self.message
