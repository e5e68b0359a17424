"""The document: what the user is working on (the open lab, its file, the undo stack, and whether any of it is
unsaved, the training included), with one Qt signal for each kind of change.

Nothing else holds a copy of these that must be kept in step by hand: the window, the toolbar, the panels and the
presenters read them here and follow the signals. The lab's graphs and settings already say when they change
(``Graph.subscribe``, ``Lab.subscribe``); the document forwards those as signals of its own, so a widget does not
have to re-subscribe when the lab is replaced.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from playground.graph import GraphEvent, Lab, SettingsChanged
from playground.graph.lab import SETTINGS_SECTIONS


class LabDocument(QObject):
    lab_replaced = Signal(object)  # the new Lab: another file, template or project was opened
    graph_edited = Signal(str, object)  # the network's name and the GraphEvent
    settings_changed = Signal(str, dict)  # the section (training, dataset, task, seed) and the fields that changed
    path_changed = Signal(object)  # the file the lab is saved in, or None
    dirty_changed = Signal(bool)  # whether closing now would lose something
    changed = Signal()  # any of the above

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self._lab: Lab | None = None
        self._path: str | None = None
        self._unsaved_new = False  # recovered or failed-to-save work that is in no file of the user's
        self._unsaved_training = ""  # what the training did since the last save ("" = nothing)
        self._graph_listeners: list[tuple[Any, Any]] = []
        self._was_dirty = False
        self.undo_stack.cleanChanged.connect(lambda _clean: self._dirty_may_have_changed())
        # The stack empties itself as it is destroyed with the document; no one should hear that as an undo.
        stack = self.undo_stack
        self.destroyed.connect(lambda _document=None: stack.blockSignals(True))

    # What it holds ---------------------------------------------------------------------------------------------

    @property
    def lab(self) -> Lab | None:
        return self._lab

    @property
    def path(self) -> str | None:
        return self._path

    @property
    def unsaved_training(self) -> str:
        return self._unsaved_training

    @property
    def edited(self) -> bool:
        """The lab differs from its file (an edit, or work that was never saved)."""
        return self._lab is not None and (not self.undo_stack.isClean() or self._unsaved_new)

    @property
    def modified(self) -> bool:
        """Closing now would lose something: an edit, or training since the last save."""
        return self.edited or (self._lab is not None and bool(self._unsaved_training))

    # Changing it -----------------------------------------------------------------------------------------------

    def set_lab(self, lab: Lab, path: str | None) -> None:
        """Make ``lab`` the document (saved in ``path``, or in no file yet); its undo history starts empty."""
        self.undo_stack.clear()
        self._unwatch()
        self._lab = lab
        self._unsaved_new = False
        self._unsaved_training = ""
        lab.subscribe(self._on_settings)
        for net in lab.networks:
            listener = self._graph_listener(net.name)
            net.graph.subscribe(listener)
            self._graph_listeners.append((net.graph, listener))
        self._set_path(path)
        self.lab_replaced.emit(lab)
        self.changed.emit()
        self._dirty_may_have_changed()

    def set_path(self, path: str | None) -> None:
        """The lab now belongs to ``path`` (Save as)."""
        if path != self._path:
            self._set_path(path)
            self.changed.emit()

    def set_settings(self, section: str, value: Any) -> None:
        """Set one section of the lab's settings (``training``, ``dataset``, ``task``, ``seed``, ``frozen`` or
        ``task_options``); the lab's own event tells everyone what changed. Undo commands call this for both
        directions."""
        if self._lab is None:
            return
        if section not in SETTINGS_SECTIONS:
            raise ValueError(f"Unknown settings section {section!r}")
        setattr(self._lab, section, value)

    def set_unsaved_training(self, what: str) -> None:
        """``what`` the training did since the last save (e.g. "training (epoch 3, step 120)"), or "" when the
        saved file holds it all."""
        if what != self._unsaved_training:
            self._unsaved_training = what
            self.changed.emit()
            self._dirty_may_have_changed()

    def mark_saved(self) -> None:
        """The lab's file now holds the lab as it is (the training's part is told by set_unsaved_training)."""
        self.undo_stack.setClean()
        self._unsaved_new = False
        self._dirty_may_have_changed()

    def mark_unsaved(self) -> None:
        """The lab is in no file of the user's (recovered after a crash, or its save failed)."""
        self._unsaved_new = True
        self._dirty_may_have_changed()

    def discard_changes(self) -> None:
        """Forget that anything is unsaved, the training too: closing will not ask."""
        self.set_unsaved_training("")
        self.mark_saved()

    # Inside ----------------------------------------------------------------------------------------------------

    def _set_path(self, path: str | None) -> None:
        self._path = path
        self.path_changed.emit(path)

    def _graph_listener(self, network: str) -> Any:
        def forward(event: GraphEvent) -> None:
            self.graph_edited.emit(network, event)
            self.changed.emit()

        return forward

    def _on_settings(self, event: SettingsChanged) -> None:
        self.settings_changed.emit(event.section, dict(event.changes))
        self.changed.emit()

    def _unwatch(self) -> None:
        if self._lab is not None:
            self._lab.unsubscribe(self._on_settings)
        for graph, listener in self._graph_listeners:
            graph.unsubscribe(listener)
        self._graph_listeners.clear()

    def _dirty_may_have_changed(self) -> None:
        dirty = self.modified
        if dirty != self._was_dirty:
            self._was_dirty = dirty
            self.dirty_changed.emit(dirty)
            self.changed.emit()
