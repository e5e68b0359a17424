"""A guard against a PySide6 6.12.0 bug on Python 3.11: every ``Signal.emit`` drops one reference to ``True``, and
``processEvents`` (and timers) one to ``None``.

After a few thousand emits (pyqtgraph emits on every ``setData``) the count reaches zero and the interpreter aborts
with "Fatal Python error: bool_dealloc" (or "none_dealloc"). 6.11.3 does not have the bug, and from Python 3.12 on ``True`` is
immortal, so the lost references do no harm there. The real fix is to avoid PySide6 6.12.0; until then processes that
run the views (demo, benchmark, tests) call :func:`guard_bool_refcounts` once at start.
"""

from __future__ import annotations

import ctypes
import sys

import PySide6

_guarded = False


def needs_guard() -> bool:
    return sys.version_info < (3, 12) and PySide6.__version__.startswith("6.12.")


def guard_bool_refcounts() -> None:
    """Give ``True``, ``False`` and ``None`` so many references that the leak can never reach zero (CPython < 3.12 only)."""
    global _guarded
    if _guarded or not needs_guard():
        return
    for obj in (True, False, None):
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
    _guarded = True
