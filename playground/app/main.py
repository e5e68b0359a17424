"""The composition root: builds the window and the training controller and connects them."""

from __future__ import annotations

import contextlib
import os
from typing import Any


def attach_training(window: Any) -> Any:
    """Give a main window its training: toolbar, data panel, live views, and the worker-thread session."""
    from playground.app.presenters.training import TrainingController

    controller = TrainingController(window)
    window.closing.connect(controller.shutdown)
    window.training_controller = controller
    from playground.app.exporting import attach_exporting

    attach_exporting(window, controller)
    from playground.app.own_data_window import attach_own_data

    attach_own_data(window, controller)  # File > Open data…, dropped tables, points drawn on the plane
    from playground.app.projects import attach_projects

    attach_projects(window, controller)  # after the controller: on close, its shutdown comes first
    from playground.app.presenters.backprop import BackpropPresenter

    BackpropPresenter(window, window, controller)  # Learning > Backpropagation step by step… (a window child)
    return controller


def attach_app(window: Any) -> Any:
    """Everything of the real app: training, project files, autosave, and the offer to recover after a crash."""
    from PySide6.QtCore import QTimer

    from playground.app.recovery import attach_recovery

    controller = attach_training(window)
    recovery = attach_recovery(window, window.project_handler)
    QTimer.singleShot(0, recovery.offer)  # once the window shows
    return controller


def run_app(argv: list[str] | None = None) -> int:
    """Run the window until it closes, then end the process at once (see :func:`end_process`)."""
    from playground.ui.main_window import launch

    code = launch(argv or [], setup=attach_app)
    end_process(code)
    return code  # not reached


def end_process(code: int) -> None:
    """End the GUI process now that its window has closed.

    By then the close has done everything that matters: settings written, pending saves flushed, the recovery
    file removed, and every worker told to stop. Left to itself the interpreter would now spend 1 to 5 s (on a busy
    machine) freeing torch's objects one by one, and wait up to 10 s for a worker still inside a long step (see
    runtime.session's atexit hook): a quit seemed to hang. The operating system frees it all at once instead.
    """
    import logging
    import sys

    from playground.runtime.session import stop_all

    stop_all(0)  # anything still training gets its Stop; nothing waits for it
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # closed or detached: nothing left to lose
            stream.flush()
    os._exit(code)
