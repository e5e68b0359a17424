import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests train with the ordinary loop unless they ask for the compiled fast path (Trainer(fast_path=True)): its
# background compile costs a minute of CPU, and runs that switch to it mid-way match to 1e-6, not bit for bit.
os.environ.setdefault("PLAYGROUND_FAST_PATH", "0")


@pytest.fixture(autouse=True)
def _garbage_collected_on_the_gui_thread(request):
    """As in the app: a test with Qt objects collects garbage on the GUI thread only (a worker thread that collects
    a closed window's Qt objects can deadlock with the GUI thread; see playground/ui/gui_thread_gc.py)."""
    if not {"qtbot", "qapp"} & set(request.fixturenames):
        yield
        return
    from playground.ui.gui_thread_gc import collect_on_gui_thread, restore_automatic_collection

    request.getfixturevalue("qapp")
    collect_on_gui_thread(0.2)
    yield
    restore_automatic_collection()
