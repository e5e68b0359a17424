"""Garbage is collected on the GUI thread only while the window runs (a worker thread that collects Qt objects can
deadlock with the GUI thread: see playground/ui/gui_thread_gc.py)."""

import gc
import threading
import weakref

from PySide6.QtWidgets import QMenu, QWidget


def test_a_worker_thread_never_collects_qt_objects_the_gui_thread_does(qtbot):
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
    # A worker that allocates far more than a collection round: with automatic collection it would collect here.
    worker = threading.Thread(target=lambda: [[i] * 10 for i in range(20 * gc.get_threshold()[0])])
    worker.start()
    worker.join()
    assert ref() is not None and collected_on == []
    gc.collect()  # what the GUI thread's timer does (playground.ui.gui_thread_gc)
    assert ref() is None and collected_on == [True]


def test_the_window_collects_on_a_timer_of_its_own(qtbot):
    from playground.ui import gui_thread_gc

    assert gui_thread_gc._active is not None and gui_thread_gc._active.timer.isActive()
