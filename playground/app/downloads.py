"""Downloading the full image sets from the window: a worker thread, a progress dialog with Cancel, and a plain
message when it fails. Part of the composition root (it joins data/ and the widgets)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from playground.data import image_sets
from playground.data.download import DownloadCancelled
from playground.data.errors import DataError


class _DownloadThread(QThread):
    progressed = Signal(int, int)  # bytes done, bytes expected (0 when the server does not say)
    done = Signal(str, str)  # set name, error message ("" on success, "cancelled" when cancelled)

    def __init__(self, name: str, root: Path | None, base_url: str | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.root = root
        self.base_url = base_url
        self.cancel = threading.Event()

    def run(self) -> None:
        def progress(done: int, total: int | None) -> bool:
            self.progressed.emit(done, total or 0)
            return not self.cancel.is_set()

        try:
            image_sets.fetch_image_set(self.name, self.root, progress, self.base_url)
        except DownloadCancelled:
            self.done.emit(self.name, "cancelled")
        except (DataError, OSError) as e:
            self.done.emit(self.name, str(e) or type(e).__name__)
        else:
            self.done.emit(self.name, "")


class DownloadController(QObject):
    """Fetches one image set at a time into the cache; ``finished(name)`` after a complete download."""

    finished = Signal(str)
    failed = Signal(str, str)

    def __init__(self, parent_widget: QWidget, root: Path | None = None, base_url: str | None = None) -> None:
        super().__init__(parent_widget)
        self._parent = parent_widget
        self.root = root  # None: the per-user cache (or $PLAYGROUND_DATA_DIR)
        self.base_url = base_url  # None: the sets' own mirrors
        self.worker: _DownloadThread | None = None
        self.dialog: QProgressDialog | None = None
        self.show_errors: Callable[[str, str], None] = self._message_box

    @property
    def busy(self) -> bool:
        return self.worker is not None and self.worker.isRunning()

    def start(self, name: str) -> None:
        if self.busy:
            return
        info = image_sets.IMAGE_SETS[name]
        dialog = QProgressDialog(f"Downloading {info.title}…", "Cancel", 0, 0, self._parent)
        dialog.setObjectName("downloadDialog")
        dialog.setWindowTitle("Download")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        thread = _DownloadThread(name, self.root, self.base_url, self)
        thread.progressed.connect(self._on_progress)
        thread.done.connect(self._on_done)
        dialog.canceled.connect(thread.cancel.set)
        self.worker, self.dialog = thread, dialog
        dialog.show()
        thread.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel.set()

    def _on_progress(self, done: int, total: int) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        if total > 0:
            dialog.setLabelText(f"Downloading… {done / 1e6:.1f} of {total / 1e6:.1f} MB")
            # In kilobytes: a QProgressDialog counts in ints. Last, since a modal dialog's setValue runs the
            # event loop (the download may finish inside it).
            dialog.setMaximum(max(1, total // 1024))
            dialog.setValue(min(done, total) // 1024)
        else:
            dialog.setLabelText(f"Downloading… {done / 1e6:.1f} MB")

    def _on_done(self, name: str, error: str) -> None:
        if self.worker is not None:
            self.worker.wait(5000)
        self.worker = None
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        if not error:
            self.finished.emit(name)
        elif error != "cancelled":
            self.failed.emit(name, error)
            self.show_errors(name, error)

    def _message_box(self, name: str, error: str) -> None:
        title = image_sets.IMAGE_SETS[name].title
        QMessageBox.warning(self._parent, "Download failed",
                            f"{title} could not be downloaded.\n\n{error}\n\nNothing half-finished was kept; the "
                            f"built-in digits still work offline.")

    def shutdown(self) -> None:
        if self.worker is not None:
            self.worker.cancel.set()
            self.worker.wait(10000)
