"""The composition root: builds the document, the window that shows it and the presenters that join them to the
training session, files, exports and your own data, and wires them together. Nothing else sets anything onto the
window: it gets its document through its constructor and its project files through a method; each presenter holds
what it needs and is a child of the window (Qt ownership), so it lives exactly as long."""

from __future__ import annotations

import contextlib
import os
from typing import Any, NamedTuple


def new_window(settings: Any = None) -> Any:
    """A main window with an empty document of its own."""
    from playground.app.document import LabDocument
    from playground.ui.main_window import MainWindow

    document = LabDocument()
    window = MainWindow(settings, document=document)
    document.setParent(window)
    return window


class Presenters(NamedTuple):
    training: Any  # presenters.training.TrainingPresenter
    projects: Any  # projects.ProjectFiles
    exporting: Any  # exporting.ExportActions
    own_data: Any  # own_data_window.OwnDataPresenter
    lessons: Any  # presenters.lessons.LessonPresenter


def attach_presenters(window: Any) -> Presenters:
    """Join a main window's document to the training session, project files, exports and your own data."""
    from playground.app.exporting import ExportActions
    from playground.app.own_data_window import OwnDataPresenter
    from playground.app.presenters.training import TrainingPresenter
    from playground.app.projects import ProjectFiles

    document = window.document
    training = TrainingPresenter(window, document)
    projects = ProjectFiles(window, document, training)
    window.set_project_files(projects)
    # On close, training stops first (waiting longer while a save awaits the worker's state), then the saves
    # whose state has arrived are written.
    window.closing.connect(lambda: training.shutdown(waiting_save=projects.awaiting_checkpoint()))
    window.closing.connect(projects.flush)
    exporting = ExportActions(window, document, training, projects)
    own_data = OwnDataPresenter(window, document, training)  # File > Open data…, dropped tables, drawn points
    from playground.app.presenters.lessons import LessonPresenter

    lessons = LessonPresenter(window, document, training)
    from playground.app.presenters.backprop import BackpropPresenter

    BackpropPresenter(window, document, training)  # Learning > Backpropagation step by step… (a window child)
    from playground.app.presenters.landscape import LandscapePresenter

    LandscapePresenter(window, document, training)  # Learning > Loss landscape and optimizer race… (a window child)
    from playground.app.presenters.embeddings import EmbeddingPresenter
    from playground.app.presenters.maximise import MaximisePresenter

    MaximisePresenter(window, document, training)  # Learning > What a unit responds to… (a window child)
    EmbeddingPresenter(window, document, training)  # Learning > Embeddings… (a window child)
    from playground.app.presenters.time_machine import TimeMachinePresenter

    TimeMachinePresenter(window, document, training)  # the time machine's slider and the canvas health badges
    from playground.app.presenters.transfer import TransferPresenter

    TransferPresenter(window, document, training)  # freezing layers, File > Copy weights from…
    from playground.app.presenters.training_settings import TrainingSettingsPresenter

    TrainingSettingsPresenter(window, document, training)  # Train > Training settings…
    from playground.app.presenters.comparison import ComparisonPresenter

    ComparisonPresenter(window, document, training, projects)  # Learning > Compare runs… (runs side by side)
    return Presenters(training, projects, exporting, own_data, lessons)


def attach_training(window: Any) -> Any:
    """Give a main window its training: toolbar, data panel, live views, and the worker-thread session, with
    project files, exports and your own data; returns the training presenter."""
    return attach_presenters(window).training


def attach_app(window: Any, lesson: str | None = None) -> Any:
    """Everything of the real app: training, project files, autosave, the offer to recover after a crash, and
    ``lesson`` (a name or a file) opened once the window shows."""
    from PySide6.QtCore import QTimer

    from playground.app.recovery import RecoveryManager

    presenters = attach_presenters(window)
    recovery = RecoveryManager(window, presenters.projects)
    QTimer.singleShot(0, recovery.offer)  # once the window shows
    if lesson:
        QTimer.singleShot(0, lambda: presenters.lessons.open_named(lesson))
    return presenters.training


def build_app_window(lesson: str | None = None) -> Any:
    """The real app's window, once the application exists, with everything attached at once (PyTorch included)."""
    window = new_window()
    attach_app(window, lesson)
    return window


def open_app_window(lesson: str | None = None, project: str | None = None) -> Any:
    """The real app's window, built without PyTorch so that it shows at once; the engine is imported in the
    background after the first paint and the app attached when it is there (see :mod:`playground.app.startup`).
    ``project``, a file only the engine can read (.nnp), opens then."""
    from playground.app.startup import DeferredStart

    window = new_window()
    DeferredStart(window, lambda: attach_app(window, lesson), project).start_after_first_paint()
    return window


def run_app(argv: list[str] | None = None) -> int:
    """Run the window until it closes, then end the process at once (see :func:`end_process`).
    ``--lesson NAME`` opens a lesson (``playground lesson open NAME``)."""
    from playground.ui.window_launch import launch

    argv = list(argv or [])
    lesson = None
    if "--lesson" in argv[:-1]:
        at = argv.index("--lesson")
        lesson = argv[at + 1]
        del argv[at:at + 2]
    # A project file needs the engine to read it: it opens once the engine is loaded.
    project = next((a for a in argv if a.endswith(".nnp") and not a.startswith("-")), None)
    if project is not None:
        argv.remove(project)
    code = launch(argv, lambda: open_app_window(lesson, project))
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
