"""Screenshots of the real window, made the way a user sees it: under Xvfb (the offscreen platform paints some
things a real screen does not), every template opens at 1366x768 and at 1920x1080, trains a while from its fixed
seed, and the window is grabbed. The start page too. For each template the script measures the main view (the
widget with the dynamic property ``mainView``) and prints a table of its size and its share of the window.

    .venv/bin/python docs/screenshots.py                  # every template, both sizes, into shots/screens/
    .venv/bin/python docs/screenshots.py spiral gan --sizes 1366x768 --seconds 8
    .venv/bin/python docs/screenshots.py --readme         # also the README's subset into docs/screenshots/
    .venv/bin/python docs/screenshots.py --thumbnails     # also the start page's thumbnails (at 1366x768)
    .venv/bin/python docs/screenshots.py draw filters     # the README's drawing-pad and filter shots

Each size runs in a child process on its own Xvfb screen of that size (Xvfb must be installed; ../shared/tools/snap
installs it). Output goes outside git by default (shots/screens/<W>x<H>/, with table.md beside the PNGs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README_SHOTS = ROOT / "docs" / "screenshots"
DEFAULT_OUT = ROOT / "shots" / "screens"
SIZES = ("1366x768", "1920x1080")
README_SIZE = "1366x768"
# The README's screens, at 1366x768: what it shows of each family, under the names it links.
README_SUBSET = {"start-page": "start-page.png", "start-page-cards": "start-page-cards.png", "spiral": "training.png",
                 "tensorflow_playground": "tensorflow-playground.png", "lenet": "lenet.png", "vae": "vae.png",
                 "gan": "gan.png", "universal_approximation": "universal-approximation.png",
                 "char_rnn": "char-rnn.png", "lstm_sequence": "lstm-sequence.png"}
EXTRA_SHOTS = ("draw", "filters")

sys.path.insert(0, str(ROOT))


# The parent: one Xvfb and one child per size ------------------------------------------------------------------

def free_display() -> int:
    number = 99
    while Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
        number += 1
    return number


def run_size(size: str, child_args: list[str]) -> int:
    """Run the child for one screen size on a fresh Xvfb screen of that size."""
    if shutil.which("Xvfb") is None:
        sys.exit("Xvfb is not installed (../shared/tools/snap installs it, or: apt-get install xvfb)")
    display = free_display()
    server = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        env = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb", LANG=os.environ.get("LANG", "C.UTF-8"))
        command = [sys.executable, str(Path(__file__).resolve()), "--child", size, *child_args]
        return subprocess.call(command, env=env, cwd=ROOT)
    finally:
        server.terminate()
        server.wait()


# The child: one QApplication on one screen --------------------------------------------------------------------

def close_modal_dialogs(found: list[str]) -> None:
    """A dialog the script did not ask for would wait for a click for ever: note its text and close it."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    dialog = QApplication.activeModalWidget()
    if dialog is None:
        return
    text = dialog.text() if isinstance(dialog, QMessageBox) else dialog.windowTitle()
    found.append(f"modal dialog: {text[:120]}")
    dialog.close()


def grab(window: Any, path: Path) -> None:
    """What the screen shows (widget.grab() would also paint tab bars that Qt keeps hidden)."""
    from playground.app.thumbnails import settle

    window.raise_()
    settle(300)
    window.screen().grabWindow(window.winId()).save(str(path))


def visible_docks(window: Any) -> list[str]:
    from PySide6.QtWidgets import QDockWidget

    return [d.windowTitle() for d in window.findChildren(QDockWidget)
            if d.isVisible() and not d.visibleRegion().isEmpty()]


def shot_start_page(size: tuple[int, int], out: Path) -> None:
    """The window as it first opens: the start page, no lab yet."""
    import tempfile

    from PySide6.QtCore import QSettings

    from playground.app import attach_training, new_window
    from playground.app.thumbnails import close_window, settle

    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    window = new_window(settings)
    attach_training(window)
    window.setGeometry(0, 0, *size)
    window.show()
    window.show_start_page()
    settle(1000)
    grab(window, out / "start-page.png")
    # Below the fold: the cards of the first chapters, as a student scrolls to them.
    page = window.start_page
    first = page.cards[page.card_order()[1]]
    page.scroll_area.verticalScrollBar().setValue(first.parentWidget().mapTo(page.scroll_area.widget(),
                                                                              first.pos()).y() - 60)
    settle(500)
    grab(window, out / "start-page-cards.png")
    close_window(window)


def shot_template(key: str, size: tuple[int, int], seconds: float, out: Path, thumbnails: bool) -> str:
    """Open ``key`` in the window, train, grab; returns the table's row for this template."""
    from PySide6.QtCore import QTimer

    from playground.app.thumbnails import close_window, main_view_of, open_template, settle, train_for, write_thumbnail

    started = time.monotonic()
    dialogs: list[str] = []
    watchdog = QTimer()
    watchdog.timeout.connect(lambda: close_modal_dialogs(dialogs))
    watchdog.start(500)
    # A window of its own for each template: opening one template after another in the same window keeps some
    # of the last lab's data on screen (docs/screens.md), and a screenshot should show the template alone.
    window, controller = open_template(key, size)
    opened = time.monotonic()
    steps = train_for(controller, seconds)
    trained = time.monotonic()
    settle(1000)
    grab(window, out / f"{key.replace('_', '-')}.png")
    view = main_view_of(window)
    if thumbnails and steps > 0:  # one that could not train (its data need a download) shows a placeholder
        write_thumbnail(window, key)
    area = window.width() * window.height()
    if view is None:
        measured = "none | - | -"
    else:
        share = 100 * view.width() * view.height() / area
        measured = f"{controller.main_view_key} | {view.width()}×{view.height()} | {share:.0f}%"
    docks = ", ".join(visible_docks(window))
    grabbed = time.monotonic()
    close_window(window)
    watchdog.stop()
    # Where the wall time went: on a busy machine a window that cannot keep up with its snapshots shows here.
    dialogs.append(f"open {opened - started:.0f} s, train {trained - opened:.0f} s, grab {grabbed - trained:.0f} s, "
                   f"close {time.monotonic() - grabbed:.0f} s")
    notes = "; ".join(dialogs)
    return f"| {key} | {measured} | {steps} | {time.monotonic() - started:.0f} s | {docks} | {notes} |"


def shot_draw(size: tuple[int, int], out: Path) -> None:
    """LeNet trained a while, a 7 drawn on the pad with mouse strokes."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from playground.app.thumbnails import close_window, open_template, settle, train_for

    window, controller = open_template("lenet", size)
    train_for(controller, 20)
    controller.draw_dock.show()
    controller.draw_dock.raise_()
    settle(600)
    canvas = controller.digit_panel.canvas
    rect = canvas.pad_rect()

    def at(fx: float, fy: float) -> QPoint:
        return QPoint(int(rect.left() + fx * rect.width()), int(rect.top() + fy * rect.height()))

    path = [(0.25, 0.22), (0.45, 0.21), (0.7, 0.22), (0.66, 0.35), (0.58, 0.5), (0.5, 0.66), (0.45, 0.8)]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(*path[0]))
    for a, b in zip(path, path[1:], strict=False):
        for t in (0.25, 0.5, 0.75, 1.0):
            QTest.mouseMove(canvas, at(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(*path[-1]))
    settle(1500)
    grab(window, out / "draw.png")
    close_window(window)


def shot_filters(size: tuple[int, int], out: Path) -> None:
    """LeNet trained a while with its filters and the filter lab in front."""
    from playground.app.thumbnails import close_window, open_template, settle, train_for

    window, controller = open_template("lenet", size)
    train_for(controller, 20)
    for key in ("filters", "filter_lab"):
        if key in controller.docks:
            controller.docks[key].show()
            controller.docks[key].raise_()
    settle(1000)
    grab(window, out / "filters.png")
    close_window(window)


def child(size_text: str, args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from playground.graph.templates import TEMPLATES
    from playground.ui.gui_thread_gc import collect_on_gui_thread

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Neural Network Playground")
    collect_on_gui_thread()
    width, height = (int(v) for v in size_text.split("x"))
    out = args.out / size_text
    out.mkdir(parents=True, exist_ok=True)
    names = args.names or [*TEMPLATES, "start-page"]  # the start page last: it shows the new thumbnails
    rows = ["| template | main view | size | share of window | steps | wall time | docks on screen | notes |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    print(rows[0], rows[1], sep="\n", flush=True)
    for name in names:
        try:
            if name == "start-page":
                shot_start_page((width, height), out)
                continue
            if name in EXTRA_SHOTS:
                globals()[f"shot_{name}"]((width, height), out)
                continue
            row = shot_template(name, (width, height), args.seconds, out,
                                args.thumbnails and size_text == README_SIZE)
        except Exception as exc:  # one broken template must not cost the others their screenshots
            row = f"| {name} | failed | - | - | - | - | - | {type(exc).__name__}: {exc} |"
        rows.append(row)
        print(row, flush=True)
    (out / "table.md").write_text("\n".join(rows) + "\n", encoding="utf-8")
    if args.readme and size_text == README_SIZE:
        for key, target in {**README_SUBSET, **{n: f"{n}.png" for n in EXTRA_SHOTS}}.items():
            source = out / f"{key.replace('_', '-')}.png"
            if source.exists() and key.removesuffix("-cards") in names:
                shutil.copyfile(source, README_SHOTS / target)
                print(f"README: {README_SHOTS / target}", flush=True)
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="template keys, start-page, draw, filters (default: the start "
                                                 "page and every template)")
    parser.add_argument("--sizes", default=",".join(SIZES), help="screen sizes, WxH, comma-separated")
    parser.add_argument("--seconds", type=float, default=12.0, help="training time per template, from its first "
                                                                     "step")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder of the screenshots")
    parser.add_argument("--readme", action="store_true", help="copy the README's subset into docs/screenshots/")
    parser.add_argument("--thumbnails", action="store_true", help="write the start page's thumbnails too")
    parser.add_argument("--child", metavar="WxH", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args.child, args)
    passed: list[str] = []
    skip = False
    for arg in argv:  # the child gets everything but the sizes
        if skip or arg.startswith("--sizes="):
            skip = False
            continue
        skip = arg == "--sizes"
        if not skip:
            passed.append(arg)
    code = 0
    for size in args.sizes.split(","):
        code = run_size(size, passed) or code
    return code


if __name__ == "__main__":
    code = main(sys.argv[1:])
    if "--child" in sys.argv:
        from playground.app import end_process

        end_process(code)  # at once: a worker thread winding down would otherwise abort the interpreter's exit
    sys.exit(code)
