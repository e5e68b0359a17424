"""The composition root: the document, the presenters that join the window to it and to the training session, and
``main.py`` that builds the window and wires them. The one package that may import every layer."""

from playground.app.main import attach_app, attach_presenters, attach_training, end_process, new_window, run_app

__all__ = ["attach_app", "attach_presenters", "attach_training", "end_process", "new_window", "run_app"]
