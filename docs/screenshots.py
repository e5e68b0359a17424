"""Screenshots of the real window for the README, made the way a user would see them: the app trains a template
for a few seconds, a digit is drawn on the pad with mouse strokes, and the window is grabbed.

    ../shared/tools/snap -w 300 -n 1 shots/x.png -- env QT_QPA_PLATFORM=xcb .venv/bin/python docs/screenshots.py
    [names...]      (under Xvfb: the offscreen platform paints some things a real screen does not)

Writes docs/screenshots/<name>.png. Names: draw, filters, and each family template given as template:<key>.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from playground.app import attach_training, new_window
from playground.ui.main_window import MainWindow

OUT = Path(__file__).parent / "screenshots"


def _window(template: str, size: tuple[int, int] = (1500, 950)) -> tuple[MainWindow, object]:
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    win = new_window(settings)
    controller = attach_training(win)
    win.resize(*size)
    win.show()
    win.load_template(template)
    QApplication.processEvents()
    return win, controller


def _train(controller: object, seconds: float) -> None:
    controller.set_playing(True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)
    controller.set_playing(False)
    for _ in range(50):
        QApplication.processEvents()
        time.sleep(0.01)


def _save(widget, path: Path) -> None:
    """What the screen shows (widget.grab() would also paint tab bars that Qt keeps hidden)."""
    widget.window().raise_()
    _settle(200)
    pixmap = widget.screen().grabWindow(widget.window().winId())
    if widget is not widget.window():
        top_left = widget.mapTo(widget.window(), widget.rect().topLeft())
        pixmap = pixmap.copy(top_left.x(), top_left.y(), widget.width(), widget.height())
    pixmap.save(str(path))


def _settle(ms: int = 600) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def _draw_seven(canvas) -> None:
    """A hand-drawn 7, as mouse strokes on the pad."""
    rect = canvas.pad_rect()

    def at(fx: float, fy: float) -> QPoint:
        return QPoint(int(rect.left() + fx * rect.width()), int(rect.top() + fy * rect.height()))

    path = [(0.25, 0.22), (0.45, 0.21), (0.7, 0.22), (0.66, 0.35), (0.58, 0.5), (0.5, 0.66), (0.45, 0.8)]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(*path[0]))
    for a, b in zip(path, path[1:]):
        for t in (0.25, 0.5, 0.75, 1.0):
            QTest.mouseMove(canvas, at(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(*path[-1]))


def shot_draw() -> None:
    win, c = _window("lenet")
    _train(c, 25)
    c.draw_dock.show()
    c.draw_dock.raise_()
    c.docks["feature_maps"].raise_()
    _settle()
    _draw_seven(c.digit_panel.canvas)
    _settle(1500)
    _save(win, OUT / "draw.png")
    win.close()


def shot_filters() -> None:
    win, c = _window("lenet")
    _train(c, 20)
    c.docks["filters"].raise_()
    c.docks["filter_lab"].raise_()
    _settle(1000)
    _save(win, OUT / "filters.png")
    win.close()


def shot_samples() -> None:
    win, c = _window("mnist_2_layers", (1300, 850))
    c.docks["samples"].raise_()
    _settle(800)
    _save(c.docks["samples"], OUT / "samples.png")
    win.close()


def shot_template(key: str, seconds: float = 30) -> None:
    win, c = _window(key)
    _train(c, seconds)
    _settle(1000)
    _save(win, OUT / f"{key.replace('_', '-')}.png")
    win.close()


def main(names: list[str]) -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Neural Network Playground")
    OUT.mkdir(exist_ok=True)
    for name in names or ["draw", "filters"]:
        if name.startswith("template:"):
            shot_template(name.split(":", 1)[1])
        else:
            globals()[f"shot_{name}"]()
        print(f"wrote {name}", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    main(sys.argv[1:])
