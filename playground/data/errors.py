"""Typed errors of the data package, so callers can show one clear message per cause."""


class DataError(ValueError):
    """A dataset request that cannot be satisfied: unknown name, value out of range, bad shape."""
