"""Python's garbage collector, run on the GUI thread only.

Automatic collection runs on whichever thread happens to allocate. When it runs on a worker thread (training, an
export) and finds Qt objects in a garbage cycle (a closed window's menus and actions), it destroys them there, while
the GUI thread may be destroying their parents: each holds what the other waits for (Qt's object mutex, the GIL) and
the app hangs (seen with py-spy: an export thread importing onnxruntime, the GUI thread deleting a QMenu). So
automatic collection is switched off while the window runs, and a timer collects on the GUI thread instead, with the
collector's own thresholds (pyqtgraph's GarbageCollector).
"""

from __future__ import annotations

import gc

from pyqtgraph.util.garbage_collector import GarbageCollector

_active: GarbageCollector | None = None


def collect_on_gui_thread(interval_s: float = 0.5) -> None:
    """Switch automatic collection off and collect from a timer on this (the GUI) thread. Idempotent."""
    global _active
    if _active is None:
        gc.collect()  # what piled up before, while collection was still automatic
        _active = GarbageCollector(interval=interval_s)


def restore_automatic_collection() -> None:
    """Undo :func:`collect_on_gui_thread` (tests that leave the window behind call it)."""
    global _active
    if _active is not None:
        _active.timer.stop()
        _active = None
        gc.collect()
        gc.enable()
