"""Train > Training settings…: the dialog joined to the document. Its changes are the training presenter's undoable
settings edits (lab_settings.py), which reach a running trainer live; any change of the lab's training settings,
an undo included, shows in the open dialog."""

from __future__ import annotations

from typing import Any

from playground.app.document import LabDocument
from playground.ui.training_settings import TrainingSettingsDialog


class TrainingSettingsPresenter:
    def __init__(self, window: Any, document: LabDocument, training: Any) -> None:
        self.window, self.document, self.training = window, document, training
        self.dialog: TrainingSettingsDialog | None = None
        window.training_settings_action.triggered.connect(self.open)
        document.settings_changed.connect(self._follow)
        document.lab_replaced.connect(lambda _lab: self._follow("training", {}))

    def open(self) -> TrainingSettingsDialog | None:
        lab = self.document.lab
        if lab is None:
            return None
        if self.dialog is None:
            self.dialog = TrainingSettingsDialog(self.window)
            self.dialog.settings_changed.connect(lambda changes: self.training.change_settings("training", changes))
        self.dialog.set_settings(lab.training)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _follow(self, section: str, _changes: dict[str, Any]) -> None:
        lab = self.document.lab
        if section == "training" and lab is not None and self.dialog is not None and self.dialog.isVisible():
            self.dialog.set_settings(lab.training)
