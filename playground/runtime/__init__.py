"""The QThread bridge between the engine and the window: commands in, snapshots out."""

from .session import TrainingSession, TrainingWorker

__all__ = ["TrainingSession", "TrainingWorker"]
