"""The composition root: builds the window and the training controller and connects them."""

from __future__ import annotations

from typing import Any


def attach_training(window: Any) -> Any:
    """Give a main window its training: toolbar, data panel, live views, and the worker-thread session."""
    from playground.controller import TrainingController

    controller = TrainingController(window)
    window.closing.connect(controller.shutdown)
    window.training_controller = controller
    return controller


def run_app(argv: list[str] | None = None) -> int:
    from playground.ui.main_window import launch

    return launch(argv or [], setup=attach_training)
