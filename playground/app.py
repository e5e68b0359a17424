"""The composition root: builds the window and the controller and connects them."""

from __future__ import annotations


def run_app(argv: list[str] | None = None) -> int:
    from playground.ui.main_window import launch

    return launch(argv or [])
