"""The composition root: builds the window and the training controller and connects them."""

from __future__ import annotations

from typing import Any


def attach_training(window: Any) -> Any:
    """Give a main window its training: toolbar, data panel, live views, and the worker-thread session."""
    from playground.controller import TrainingController

    controller = TrainingController(window)
    window.closing.connect(controller.shutdown)
    window.training_controller = controller
    from playground.exporting import attach_exporting

    attach_exporting(window, controller)
    from playground.projects import attach_projects

    attach_projects(window, controller)  # after the controller: on close, its shutdown comes first
    return controller


def attach_app(window: Any) -> Any:
    """Everything of the real app: training, project files, autosave, and the offer to recover after a crash."""
    from PySide6.QtCore import QTimer

    from playground.recovery import attach_recovery

    controller = attach_training(window)
    recovery = attach_recovery(window, window.project_handler)
    QTimer.singleShot(0, recovery.offer)  # once the window shows
    return controller


def run_app(argv: list[str] | None = None) -> int:
    from playground.ui.main_window import launch

    return launch(argv or [], setup=attach_app)
