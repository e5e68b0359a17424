"""The start page's thumbnails, rendered by the app itself: each template opens in a real window, trains for a few
seconds from its own fixed seed, and its main view (the view with the dynamic property ``mainView``) is grabbed,
cropped to the card's shape and written small into playground/resources/thumbnails/.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m playground.app.thumbnails [KEY ...] [--seconds S]

The helpers here (a template's window, training it a while, its main view) serve docs/screenshots.py too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget

from playground.app.presenters.view_layout import MAIN_VIEW_PROPERTY
from playground.graph.templates import TEMPLATES
from playground.ui.start_page import THUMBNAIL_SIZE, THUMBNAILS

# The window a thumbnail is taken in: the smallest screen the layouts are designed for, so the main view is drawn
# at the size a student sees it.
WINDOW_SIZE = (1366, 768)


def settle(ms: int) -> None:
    """Let the window handle its events (snapshots, repaints, layout) for ``ms`` milliseconds. An event loop with a
    timer, not processEvents() in a loop: while snapshots arrive faster than a busy machine repaints, one
    processEvents() call can run for many seconds."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def open_template(key: str, size: tuple[int, int] = WINDOW_SIZE) -> tuple[Any, Any]:
    """A new window of ``size`` with template ``key`` open, and its training presenter. The settings live in a
    temporary file, so a run never reads or changes the user's own."""
    from playground.app import attach_training, new_window

    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    window = new_window(settings)
    controller = attach_training(window)
    # At the screen's top left: the window places itself for its default size, and a larger size from there would
    # run off the screen.
    window.setGeometry(0, 0, *size)
    window.show()
    window.load_template(key)
    settle(300)
    return window, controller


def last_step(controller: Any) -> int:
    return int(getattr(controller.last_snapshot, "step", 0) or 0)


def train_for(controller: Any, seconds: float, preparing: float = 45.0) -> int:
    """Train for ``seconds`` of wall time counted from the first step (preparing the data of an image set takes
    seconds of its own, up to ``preparing``), then pause and let the last snapshot arrive; returns its step."""
    controller.set_playing(True)
    end = time.monotonic() + preparing
    while last_step(controller) == 0 and time.monotonic() < end:
        settle(100)
    settle(int(seconds * 1000))
    controller.set_playing(False)
    settle(800)
    return last_step(controller)


def close_window(window: Any) -> None:
    # Training progress counts as unsaved work; a script has nothing to save and must not meet the question.
    window.document.discard_changes()
    window.close()
    window.deleteLater()
    settle(100)


def main_view_of(window: QWidget) -> QWidget | None:
    """The main view of the window's current layout: the visible widget marked with ``mainView``."""
    for widget in window.findChildren(QWidget):
        if widget.property(MAIN_VIEW_PROPERTY) is True and widget.isVisible():
            return widget
    return None


def thumbnail_of(widget: QWidget, size: tuple[int, int] = THUMBNAIL_SIZE) -> QImage:
    """The widget as drawn, scaled to cover ``size`` and cropped to it around its centre."""
    width, height = size
    image = widget.grab().toImage().scaled(QSize(width, height), Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                                           Qt.TransformationMode.SmoothTransformation)
    return image.copy((image.width() - width) // 2, (image.height() - height) // 2, width, height)


def save_small_png(image: QImage, path: Path) -> None:
    """``image`` as a PNG of at most 128 colours: a few kilobytes, where full colour takes ten times that. Pillow's
    median cut keeps a heatmap's gradients, which Qt's own 8-bit conversion bands."""
    from PIL import Image

    if not image.convertToFormat(QImage.Format.Format_RGB888).save(str(path)):
        raise OSError(f"Could not write {path}")
    with Image.open(path) as full:
        small = full.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT,
                                             dither=Image.Dither.FLOYDSTEINBERG)
    small.save(path, "PNG", optimize=True)


def write_thumbnail(window: QWidget, key: str, folder: Path = THUMBNAILS) -> Path | None:
    """Write the main view of ``window`` as the thumbnail of template ``key``; None when it has no main view."""
    view = main_view_of(window)
    if view is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.png"
    save_small_png(thumbnail_of(view), path)
    return path


def render_thumbnails(keys: list[str], seconds: float, folder: Path = THUMBNAILS) -> None:
    for key in keys:
        window, controller = open_template(key)
        steps = train_for(controller, seconds)
        # A template that could not train here (its data need a download) would show a placeholder: no thumbnail.
        path = write_thumbnail(window, key, folder) if steps > 0 else None
        close_window(window)
        where = f"{path} ({path.stat().st_size / 1024:.1f} KB)" if path else "no thumbnail"
        print(f"{key}: {steps} steps, {where}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the start page's template thumbnails.")
    parser.add_argument("keys", nargs="*", help="template keys (default: every template)")
    parser.add_argument("--seconds", type=float, default=8.0, help="training time per template")
    parser.add_argument("--out", type=Path, default=THUMBNAILS, help="folder of the PNGs")
    args = parser.parse_args(argv)
    unknown = [k for k in args.keys if k not in TEMPLATES]
    if unknown:
        parser.error(f"unknown template(s): {', '.join(unknown)}")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Neural Network Playground")
    from playground.ui.gui_thread_gc import collect_on_gui_thread

    collect_on_gui_thread()  # as in the app: a worker thread must never destroy Qt objects
    render_thumbnails(args.keys or list(TEMPLATES), args.seconds, args.out)
    return 0


if __name__ == "__main__":
    from playground.app import end_process

    # At once, as the app ends: a worker thread still winding down would otherwise abort the interpreter's exit.
    end_process(main())
