"""Garbage is collected on the GUI thread only while the window runs (a worker thread that collects Qt objects can
deadlock with the GUI thread: see playground/ui/gui_thread_gc.py)."""

import gc
import threading
import weakref

from PySide6.QtWidgets import QMenu, QWidget


def test_a_cycle_of_qt_objects_is_collected_by_the_gui_thread_not_by_a_worker(qtbot):
    assert not gc.isenabled()  # automatic collection is off (the test fixture does what launch() does)

    collected_on = []

    class Cycle(QWidget):
        def __init__(self) -> None:
            super().__init__()
            self.menu = QMenu(self)
            self.me = self  # a reference cycle: only the cyclic collector frees it

        def __del__(self) -> None:
            collected_on.append(threading.current_thread() is threading.main_thread())

    ref = weakref.ref(Cycle())
    assert ref() is not None
    worker = threading.Thread(target=lambda: [[i] * 10 for i in range(200_000)])  # allocations that used to collect
    worker.start()
    worker.join()
    kept = [[i] for i in range(2 * gc.get_threshold()[0])]  # enough new objects for the collector's next round
    qtbot.waitUntil(lambda: ref() is None, timeout=10000)
    assert len(kept) > 0
    assert collected_on == [True]
