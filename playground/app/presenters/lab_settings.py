"""Settings as undoable edits of the lab (training, data set, task, seed), applied live to a running trainer.
A mixin of TrainingPresenter (see presenters/training.py).

The commands only set the document's lab (``LabDocument.set_settings``); the lab's change event then reaches
``on_settings_changed`` here, whoever made the change (a control, undo, your own data), which refreshes the
controls and tells the trainer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from playground.app.document import LabDocument
from playground.data import toy2d
from playground.data.errors import DataError
from playground.engine.commands import SetDataset, SetTraining
from playground.graph import GraphError, LabFormatError
from playground.ui.commands import SetParamCommand


class LabSettingsCommand(QUndoCommand):
    """Changing training or dataset settings is an edit of the lab like any other: undoable, marks it unsaved."""

    def __init__(self, document: LabDocument, section: str, before: Any, after: Any, text: str) -> None:
        super().__init__(text)
        self.document, self.section, self.before, self.after = document, section, before, after

    def redo(self) -> None:
        self.document.set_settings(self.section, self.after)

    def undo(self) -> None:
        self.document.set_settings(self.section, self.before)


if TYPE_CHECKING:
    from .training_parts import TrainingParts
else:
    TrainingParts = object  # the declarations are for the type checker; at run time a mixin is a plain class


class LabSettingsMixin(TrainingParts):
    """Changes from the toolbar, the data panel and the views' own controls, as edits of the lab."""

    def regenerate(self) -> None:
        lab = self.lab
        if lab is None:
            return
        self.change_settings("seed", (lab.seed + 1) % (2**32))

    def change_device(self, device: str) -> None:
        self.change_settings("training", {"device": device})

    def change_settings(self, section: str, changes: Any) -> None:
        lab = self.lab
        if lab is None:
            return
        try:
            if section == "training":
                after: Any = lab.training.updated(**changes)
                before: Any = lab.training
                text = "Change " + ", ".join(k.replace("_", " ") for k in changes)
            elif section == "dataset":
                merged = lab.dataset.to_dict()
                merged.update(changes)
                from playground.graph import DatasetSettings

                after, before = DatasetSettings.from_dict(merged), lab.dataset
                text = "Change data " + ", ".join(k.replace("_", " ") for k in changes)
            else:  # the lab's seed, which draws the data sample
                after, before, text = int(changes), lab.seed, "Regenerate data"
        except (LabFormatError, GraphError) as e:
            self.refuse(str(e))
            self.toolbar.set_settings(lab.training)
            return
        if after == before:
            return  # e.g. editingFinished after the value was already taken: no empty undo step
        stack = self.document.undo_stack
        if section == "dataset" and "features" in changes:
            self._change_features(list(changes["features"]), before, after)
            return
        # A new set, or a new class count in its options, may need another output (task, head, units).
        if section == "dataset" and ("name" in changes or "options" in changes) and self._switch_task(after, before):
            return
        stack.push(LabSettingsCommand(self.document, section, before, after, text))

    def _switch_task(self, after: Any, before: Any) -> bool:
        """Choosing a regression set for a classifier (or the reverse) switches the problem type, as TensorFlow
        Playground does: task, Output head and the last Dense's width change with it, in one undoable edit."""
        lab = self.lab
        info = toy2d.DATASETS_2D.get(after.name)
        if lab is None or info is None or lab.task not in ("classification", "regression") or not lab.networks:
            return False
        net = lab.networks[0]
        graph = net.graph
        outputs = graph.nodes_of_kind("Output")
        source = graph.incoming(outputs[0].name).get("in") if len(outputs) == 1 else None
        try:  # a set of another number of classes (three spiral arms after two) resizes the output too
            classes = toy2d.class_count(after.name, after.options.get("classes")) if info.multiclass else info.classes
        except DataError:
            classes = info.classes
        if info.kind == lab.task and (info.kind != "classification" or source is None or
                                      graph.node(source).kind != "Dense" or
                                      graph.node(source).params.get("units") == classes):
            return False
        if source is None or graph.node(source).kind != "Dense":
            self.refuse(f"'{info.title}' is a {info.kind} set, but this network's output cannot be switched "
                         f"automatically: set the Output head to '{info.kind}' and the last Dense's units by hand")
            return False
        stack = self.document.undo_stack
        stack.beginMacro(f"Switch to {info.kind}")
        stack.push(LabSettingsCommand(self.document, "dataset", before, after, "Change data set"))
        stack.push(LabSettingsCommand(self.document, "task", lab.task, info.kind, "Change task"))
        stack.push(SetParamCommand(graph, outputs[0].name, "head", info.kind, net.name))
        stack.push(SetParamCommand(graph, source, "units", classes if info.kind == "classification" else 1,
                                   net.name))
        stack.endMacro()
        self.window.show_message(f"{info.title} is a {info.kind} problem: the output now predicts "
                                 f"{f'{classes} classes' if info.kind == 'classification' else 'a value'}.")
        return True

    def _change_features(self, features: list[str], before: Any, after: Any) -> None:
        """New input features change the Input layer too: one undoable macro of both edits."""
        lab = self.lab
        assert lab is not None
        net = lab.networks[0]
        inputs = net.graph.nodes_of_kind("Input")
        stack = self.document.undo_stack
        stack.beginMacro("Change input features")
        stack.push(LabSettingsCommand(self.document, "dataset", before, after, "Change features"))
        if inputs and inputs[0].params.get("kind") == "vector":
            stack.push(SetParamCommand(net.graph, inputs[0].name, "features", len(features), net.name))
        stack.endMacro()

    def on_settings_changed(self, section: str, changes: dict[str, Any]) -> None:
        """The lab's settings changed (an edit, its undo or redo): refresh the panels, tell the trainer."""
        lab = self.lab
        if lab is None:
            return
        if section == "training":
            self.toolbar.set_settings(lab.training)
            self._sync_data_panel()
            if changes and self.session.active:
                if "device" in changes:
                    self._stale = True
                    self.apply_edit(resume=self._playing)
                else:
                    self.send(SetTraining(changes))
        elif section == "dataset":
            self._sync_data_panel()
            self._refresh_samples()
            if changes and self.session.active:
                if "features" in changes:
                    self._stale = True  # the Input changes with them: applied by _on_edit after the macro
                else:
                    self.send(SetDataset(changes))
        elif section == "task":
            if self.session.active:
                self._stale = True  # the head changes with it: applied after the macro, by _on_edit
        elif section == "seed" and self.session.active:  # the seed, which draws the data sample
            self._stale = True
            self.apply_edit(resume=self._playing)
