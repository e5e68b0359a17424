"""Start-up: the window first, PyTorch after.

Importing torch and the engine takes most of a cold start (seconds on a small machine), and the start page and the
editor need neither. So the window is built and painted without them; then a background thread imports them while
the student already reads the start page or edits a network, and the app (training, project files, exports) is
attached on the GUI thread once they are in. A request that needs the engine before then (Play, Step, an export)
is kept, the window says "Loading PyTorch…" with a busy bar, and the request goes on by itself when it can.

Only imports run on the background thread: every Qt object is still made on the GUI thread. Importing on another
thread cannot deadlock with Qt: the GUI thread holds no import lock while its event loop runs, and a module the GUI
thread asks for while the loader holds it (anything under torch) just waits for the loader to finish it.
"""

from __future__ import annotations

import importlib
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

# What the app needs that is slow to import and touches no Qt widget: torch, the engine and the runtime bridge.
# The presenters (Qt widgets) are imported on the GUI thread as they are attached, by then in a fraction of the time.
ENGINE_MODULES = ("torch", "playground.engine.trainer", "playground.engine.project", "playground.runtime.session")
# The window's requests that need the engine: kept while it loads, sent again once the app is attached. Each is
# (the window's part, "" for the window itself; its signal).
ENGINE_REQUESTS = (("", "train_requested"), ("", "step_requested"), ("", "reset_requested"),
                   ("", "export_requested"), ("", "import_requested"), ("start_page", "lesson_chosen"))
LOADING_TEXT = "Loading PyTorch…"
# Without a paint (a window that starts hidden or minimised) the loader still starts after this long.
FIRST_PAINT_FALLBACK_MS = 1500


class EngineLoader(QObject):
    """Imports :data:`ENGINE_MODULES` on a background thread; says ``loaded`` or ``failed`` (with why) on the
    GUI thread."""

    loaded = Signal()
    failed = Signal(str)

    def __init__(self, modules: tuple[str, ...] = ENGINE_MODULES, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.modules = modules
        self.seconds = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._import, name="import-engine", daemon=True)
            self._thread.start()

    def _import(self) -> None:
        t0 = time.perf_counter()
        try:
            for name in self.modules:
                importlib.import_module(name)
        except Exception as e:  # a broken torch install: the editor still works, the window says why
            traceback.print_exc()
            self.seconds = time.perf_counter() - t0
            self.failed.emit(f"PyTorch could not be loaded ({type(e).__name__}: {e}); training is unavailable")
            return
        self.seconds = time.perf_counter() - t0
        # A signal emitted from this thread reaches its receivers in the GUI thread's event loop.
        self.loaded.emit()


class LoadingIndicator(QWidget):
    """The status bar's "Loading PyTorch…" with a busy bar, while a request waits for the engine."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("engineLoading")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(LOADING_TEXT)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # no known end: Qt draws a busy indicator
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(90)
        self.bar.setMaximumHeight(self.label.sizeHint().height())
        row.addWidget(self.label)
        row.addWidget(self.bar)
        self.setToolTip("The window opens before PyTorch is loaded, so you can start at once; what you asked for "
                        "starts by itself as soon as it is ready.")


class DeferredStart(QObject):
    """Joins a main window to the app once the engine is imported: ``attach()`` builds the presenters; the
    window's engine requests made before then are kept and replayed; ``project`` (a .nnp file) opens then."""

    ready = Signal()

    def __init__(self, window: Any, attach: Callable[[], Any], project: str | None = None,
                 loader: EngineLoader | None = None) -> None:
        super().__init__(window)
        self.window = window
        self._attach = attach
        self._project = project
        self.loader = loader or EngineLoader(parent=self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.attached = False
        self.pending: list[tuple[str, tuple[Any, ...]]] = []
        self.indicator: LoadingIndicator | None = None
        self._recorders: list[tuple[Any, Callable[..., None]]] = []
        for part, name in ENGINE_REQUESTS:
            owner = getattr(window, part, None) if part else window
            if owner is None:
                continue
            recorder = self._recorder(part, name)
            getattr(owner, name).connect(recorder)
            self._recorders.append((getattr(owner, name), recorder))
        # Play, Step and Reset can be pressed at once: they wait for the engine here instead of being greyed out.
        window.set_training_available(True)
        self._fallback = QTimer(self)
        self._fallback.setSingleShot(True)
        self._fallback.timeout.connect(self.start)

    def _recorder(self, part: str, name: str) -> Callable[..., None]:
        def record(*args: Any) -> None:
            self.pending.append((f"{part}.{name}" if part else name, args))
            self._show_loading()
        return record

    def start_after_first_paint(self) -> None:
        """Start the loader once the window has painted itself, so the import does not slow the first paint."""
        self.window.installEventFilter(self)
        self._fallback.start(FIRST_PAINT_FALLBACK_MS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Paint:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self.start)  # after this paint is on screen
        return False

    def start(self) -> None:
        self._fallback.stop()
        self.loader.start()

    def _show_loading(self) -> None:
        if self.indicator is None and not self.attached:
            self.indicator = LoadingIndicator()
            self.window.statusBar().addPermanentWidget(self.indicator)
        self.window.show_message("What you asked for starts by itself as soon as PyTorch is loaded.")
        self.start()  # asked before the first paint (--play): load now

    def _hide_loading(self) -> None:
        if self.indicator is not None:
            self.window.statusBar().removeWidget(self.indicator)
            self.indicator.deleteLater()
            self.indicator = None

    def _on_loaded(self) -> None:
        for signal, recorder in self._recorders:
            signal.disconnect(recorder)
        self._recorders.clear()
        self._attach()
        self.attached = True
        self._hide_loading()
        if self._project is not None:
            self.window.open_lab(self._project)
        pending, self.pending = self.pending, []
        for request, args in pending:
            part, _dot, name = request.rpartition(".")
            owner = getattr(self.window, part) if part else self.window
            getattr(owner, name).emit(*args)
        self.ready.emit()

    def _on_failed(self, message: str) -> None:
        self._hide_loading()
        self.window.show_message(message, True)
