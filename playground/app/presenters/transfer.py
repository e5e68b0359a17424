"""Transfer learning: freezing layers and copying trained weights into the open lab.

Freeze (``freezeLayerAction``, in a node's context menu and the inspector) locks the selected layer: an undoable
change of the lab's ``frozen`` section, drawn as a lock on the node and sent live to a running trainer (SetFrozen).
File > Copy weights from… (``copyWeightsAction``) reads a project file's trained networks, or the running weights of
another network of this lab, previews which layers fit, and copies them into the running training (SetWeights) or
into the lab's starting weights (an undoable change of ``task_options``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QUndoCommand
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from playground.engine.commands import SetFrozen, SetWeights
from playground.engine.errors import EngineError
from playground.engine.weights_copy import (
    WeightsCopy,
    checkpoint_states,
    match_layers,
    project_states,
    source_network,
    with_starting_weights,
)
from playground.graph import GraphError, Lab, LabFormatError
from playground.graph.graph import NodeRenamed
from playground.ui.copy_weights_dialog import RUNNING, CopyWeightsDialog


class LabSectionCommand(QUndoCommand):
    """Set one settings section of the document's lab (frozen layers, task options) and back."""

    def __init__(self, document: Any, section: str, before: Any, after: Any, text: str) -> None:
        super().__init__(text)
        self.document, self.section, self.before, self.after = document, section, before, after

    def redo(self) -> None:
        self.document.set_settings(self.section, self.after)

    def undo(self) -> None:
        self.document.set_settings(self.section, self.before)


class TransferPresenter(QObject):
    _state_ready = Signal(str, object)  # (target network, TrainedState) from the worker thread

    def __init__(self, window: Any, document: Any, training: Any) -> None:
        super().__init__(window)
        self.window, self.document, self.training = window, document, training
        self.dialog: CopyWeightsDialog | None = None
        self.freeze_action = QAction("Freeze layer", window, checkable=True)
        self.freeze_action.setObjectName("freezeLayerAction")
        self.freeze_action.setToolTip("Freeze the selected layer: training leaves its weights alone (they leave the "
                                      "optimizer and get no gradient). Undoable, and applied at once to a running "
                                      "training. Unfreeze it to train it again.")
        self.freeze_action.triggered.connect(self.set_frozen)
        window.canvas.add_node_action(self.freeze_action)
        window.inspector.add_node_action(self.freeze_action)
        self.copy_action = QAction("Copy weights from…", window)
        self.copy_action.setObjectName("copyWeightsAction")
        self.copy_action.setToolTip("Copy trained weights into this lab, layer by layer where names and shapes "
                                    "match: from a project file, or from another network of this lab")
        self.copy_action.triggered.connect(self.choose_source)
        self._add_to_file_menu()
        self._state_ready.connect(self._on_state, Qt.ConnectionType.QueuedConnection)
        window.canvas.node_selected.connect(lambda _name: self.refresh())
        document.settings_changed.connect(self._on_settings)
        document.graph_edited.connect(self._on_graph_edited)
        document.lab_replaced.connect(lambda _lab: self.refresh())
        self.refresh()

    def _add_to_file_menu(self) -> None:
        file_menu = next((a.menu() for a in self.window.menuBar().actions()
                          if isinstance(a.menu(), QMenu) and a.text().replace("&", "") == "File"), None)
        if file_menu is not None:
            export = next((a for a in file_menu.actions() if a.menu() is not None and "Export" in a.text()), None)
            file_menu.insertAction(export, self.copy_action)

    # Freezing -----------------------------------------------------------------------------------------------------

    def _selected(self) -> tuple[Lab, str, str] | None:
        lab = self.document.lab
        names = self.window.canvas.selected_node_names()
        if lab is None or len(names) != 1:
            return None
        return lab, self.window.canvas.network, names[0]

    def refresh(self) -> None:
        """Locks on the canvas and the action's state, from the lab."""
        lab = self.document.lab
        canvas = self.window.canvas
        canvas.set_frozen_layers(lab.frozen_layers(canvas.network) if lab is not None else [])
        selected = self._selected()
        self.freeze_action.setEnabled(selected is not None)
        self.freeze_action.setChecked(selected is not None and selected[2] in selected[0].frozen_layers(selected[1]))

    @Slot(bool)
    def set_frozen(self, frozen: bool) -> None:
        """Freeze or unfreeze the selected layer (an undo command)."""
        selected = self._selected()
        if selected is None:
            self.refresh()
            return
        lab, network, layer = selected
        self.freeze(network, layer, frozen)

    def freeze(self, network: str, layer: str, frozen: bool) -> bool:
        lab = self.document.lab
        if lab is None:
            return False
        after = lab.with_frozen(network, layer, frozen)
        graph = lab.network(network).graph
        weighted = {name for name, count in graph.infer().param_counts.items() if count > 0}
        if frozen and weighted and weighted <= set(after.get(network, ())):
            self._refuse(f"Every layer with weights of '{network}' would be frozen, so nothing would learn: "
                         f"unfreeze another layer first")
            self.refresh()
            return False
        if after != lab.frozen:
            verb = "Freeze" if frozen else "Unfreeze"
            self.document.undo_stack.push(LabSectionCommand(self.document, "frozen", lab.frozen, after,
                                                            f"{verb} {layer}"))
        return True

    def _on_settings(self, section: str, _changes: dict[str, Any]) -> None:
        if section != "frozen":
            return
        self.refresh()
        lab = self.document.lab
        if lab is not None and self.training.session.active:
            self._send(SetFrozen({k: list(v) for k, v in lab.frozen.items()}))

    def _on_graph_edited(self, network: str, event: Any) -> None:
        lab = self.document.lab
        if isinstance(event, NodeRenamed) and lab is not None and event.old in lab.frozen.get(network, ()):
            # The lock follows its layer; undoing the rename renames it back, and the lock follows again.
            renamed = {k: [event.new if n == event.old else n for n in v] for k, v in lab.frozen.items()}
            self.document.set_settings("frozen", renamed)
        # After the canvas has made the items of added nodes (it hears the same event).
        QTimer.singleShot(0, self.refresh)

    # Copying weights ----------------------------------------------------------------------------------------------

    @Slot()
    def choose_source(self) -> None:
        lab = self.document.lab
        if lab is None:
            self._refuse("Open a lab first")
            return
        target = self.window.canvas.network
        others = [n.name for n in lab.networks if n.name != target]
        file_choice = "A project file (.nnp)…"
        choice = file_choice
        if others:
            items = [file_choice] + [f"Network '{n}' of this lab (its trained weights)" for n in others]
            choice, ok = QInputDialog.getItem(self.window, "Copy weights from", f"Copy weights into '{target}' from:",
                                              items, 0, False)
            if not ok:
                return
        if choice == file_choice:
            path, _ = QFileDialog.getOpenFileName(self.window, "Copy weights from a project", "",
                                                  "Projects (*.nnp);;All files (*)")
            if path:
                self.copy_from_project(path)
        else:
            self.copy_from_network(others[[f"Network '{n}' of this lab (its trained weights)"
                                           for n in others].index(choice)])

    def copy_from_project(self, path: str, network: str | None = None) -> CopyWeightsDialog | None:
        """Preview copying the trained weights of project ``path`` (its ``network``, by default the one named
        like the canvas's) into the network on the canvas."""
        lab = self.document.lab
        if lab is None:
            return None
        target = self.window.canvas.network
        try:
            source_lab, states = project_states(path)
            name = source_network(source_lab, states, target, network)
            plan = match_layers(lab, target, states[name], f"'{name}' of {path.rsplit('/', 1)[-1]}")
        except (EngineError, GraphError, LabFormatError) as e:
            self._refuse(str(e), dialog=True)
            return None
        return self.preview(plan)

    def copy_from_network(self, source: str) -> None:
        """Preview copying the running weights of ``source`` (a network of this lab) into the canvas's network."""
        if not self.training.session.active:
            self._refuse(f"Network '{source}' has trained weights only while its training runs: press Play or "
                         f"Step first, then copy", dialog=True)
            return
        target = self.window.canvas.network
        self.training.session.take_state(lambda state: self._state_ready.emit(f"{source}\n{target}", state))

    @Slot(str, object)
    def _on_state(self, names: str, state: Any) -> None:
        source, target = names.split("\n", 1)
        lab = self.document.lab
        if lab is None:
            return
        try:
            states = checkpoint_states(state.lab, state.checkpoint)
            plan = match_layers(lab, target, states.get(source, {}), f"network '{source}'")
        except (EngineError, GraphError, LabFormatError) as e:
            self._refuse(str(e), dialog=True)
            return
        self.preview(plan)

    def preview(self, plan: WeightsCopy) -> CopyWeightsDialog:
        rows = [(r.layer, r.status, r.detail) for r in plan.rows]
        dialog = CopyWeightsDialog(plan.source, plan.network, rows, plan.unused, self.training.session.active,
                                   self.window)
        dialog.accepted.connect(lambda: self.apply(plan, dialog.target()))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    def apply(self, plan: WeightsCopy, where: str) -> None:
        lab = self.document.lab
        if lab is None:
            return
        if where == RUNNING and self.training.session.active:
            if self._send(SetWeights(plan.network, plan.tensors)):
                self.window.show_message(f"Copied {len(plan.copied)} layers into the running '{plan.network}'")
            return
        try:
            after = with_starting_weights(lab, plan.network, plan.tensors)
        except (EngineError, GraphError) as e:
            self._refuse(str(e), dialog=True)
            return
        self.document.undo_stack.push(LabSectionCommand(self.document, "task_options", dict(lab.task_options),
                                                        after, f"Copy weights into {plan.network}"))
        self.window.show_message(f"'{plan.network}' now starts from the weights of {plan.source} "
                                 f"({len(plan.copied)} layers); Reset to start from them")

    # Inside -------------------------------------------------------------------------------------------------------

    def _send(self, command: Any) -> bool:
        try:
            self.training.session.send(command)
            return True
        except (EngineError, GraphError, LabFormatError) as e:
            self._refuse(str(e))
            return False

    def _refuse(self, text: str, dialog: bool = False) -> None:
        self.window.show_message(text.splitlines()[0], True)
        if dialog:
            box = QMessageBox(QMessageBox.Icon.Warning, "Copy weights", text, QMessageBox.StandardButton.Ok,
                              self.window)
            box.setObjectName("copyWeightsMessage")
            box.finished.connect(box.deleteLater)
            box.open()
