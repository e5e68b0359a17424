"""How the window starts: the command line of ``playground open``, ``launch()`` and the hook that turns an uncaught
exception into one sentence in the window instead of a traceback dialog. The application's names it gives Qt live in
``app_names``."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from typing import Any, cast

from PySide6.QtWidgets import QApplication

from playground.graph.templates import TEMPLATES

from .app_names import APP_TITLE, APPLICATION, ORGANIZATION
from .gui_thread_gc import collect_on_gui_thread
from .main_window import MainWindow
from .style import app_icon


def _show_uncaught(exc_type: Any, exc: BaseException, tb: Any) -> None:
    """No traceback dialogs for users: print it for developers, show one sentence in the window."""
    traceback.print_exception(exc_type, exc, tb)
    app = QApplication.instance()
    window = next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)), None) if app else None
    if window is not None:
        window.show_message(f"Something went wrong: {exc}", True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="playground open", description="Open the Neural Network Playground window.")
    parser.add_argument("lab", nargs="?", help="a lab (.json) or project (.nnp) file to open")
    parser.add_argument("--template", "-t", choices=sorted(TEMPLATES), help="open a built-in template")
    parser.add_argument("--network", help="show this network of the lab (e.g. decoder)")
    parser.add_argument("--set", action="append", default=[], metavar="NODE.FIELD=VALUE",
                        help="change a parameter after opening, as an undoable edit (e.g. conv_2.kernel_size=15)")
    parser.add_argument("--select", help="select this node")
    parser.add_argument("--play", action="store_true", help="start training as soon as the lab is open")
    return parser.parse_args(argv)


def launch(argv: list[str], make_window: Callable[[], MainWindow]) -> int:
    """Open the window that ``make_window()`` builds once the application exists: the composition root gives it
    its document and attaches what this package must not import."""
    args = parse_args(argv)
    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1]))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APP_TITLE)
    app.setWindowIcon(app_icon())
    sys.excepthook = _show_uncaught
    collect_on_gui_thread()  # a worker thread must never destroy Qt objects (it can hang the app)
    window = make_window()
    if window.small_screen:
        window.showMaximized()
    else:
        window.show()
    if args.template:
        window.load_template(args.template)
    elif args.lab:
        window.open_lab(args.lab)
    if args.network:
        window.show_network(args.network)
    for assignment in args.set:
        window.apply_setting(assignment)
    if args.select:
        window.canvas.select_nodes([args.select], center=False)
    if args.play and window.lab is not None:
        window.train_requested.emit()
    return app.exec()
