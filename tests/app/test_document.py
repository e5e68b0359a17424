"""The document says when anything it holds changes; the window, the toolbar and the presenters follow it, and
nothing in the composition root sets attributes onto the window or reads another object's private parts."""

from __future__ import annotations

import ast
import pathlib

import pytest
from PySide6.QtCore import QSettings

import playground
from playground.app import attach_training, new_window
from playground.app.document import LabDocument
from playground.app.presenters.lab_settings import LabSettingsCommand
from playground.graph import NodeMoved, templates
from playground.ui.commands import SetParamCommand


def _record(document):
    seen = []
    document.lab_replaced.connect(lambda lab: seen.append(("lab", lab.name)))
    document.graph_edited.connect(lambda network, event: seen.append(("graph", network, type(event).__name__)))
    document.settings_changed.connect(lambda section, changes: seen.append(("settings", section, changes)))
    document.path_changed.connect(lambda path: seen.append(("path", path)))
    document.dirty_changed.connect(lambda dirty: seen.append(("dirty", dirty)))
    return seen


def test_every_change_of_the_document_is_a_signal(qtbot):
    document = LabDocument()
    seen = _record(document)
    changed = []
    document.changed.connect(lambda: changed.append(1))
    lab = templates.build_template("spiral")
    document.set_lab(lab, "/labs/spiral.json")
    assert seen == [("path", "/labs/spiral.json"), ("lab", lab.name)]
    assert not document.modified

    seen.clear()
    graph = lab.networks[0].graph
    document.undo_stack.push(SetParamCommand(graph, "dense_1", "units", 5, "model"))
    assert ("graph", "model", "ParamChanged") in seen and ("dirty", True) in seen
    assert document.modified and document.edited

    seen.clear()
    before = lab.training
    document.undo_stack.push(LabSettingsCommand(document, "training", before, before.updated(learning_rate=0.3),
                                                "Change learning rate"))
    assert lab.training.learning_rate == 0.3
    assert seen == [("settings", "training", {"learning_rate": 0.3})]
    document.undo_stack.undo()
    assert lab.training.learning_rate == before.learning_rate
    assert seen[-1] == ("settings", "training", {"learning_rate": before.learning_rate})

    document.set_path("/labs/other.json")
    assert seen[-1] == ("path", "/labs/other.json") and document.path == "/labs/other.json"
    assert changed  # one signal for anything at all


def test_unsaved_training_recovered_work_and_saving_change_the_dirty_state(qtbot):
    document = LabDocument()
    document.set_lab(templates.build_template("spiral"), None)
    seen = _record(document)
    document.set_unsaved_training("training (epoch 3, step 120)")
    assert seen == [("dirty", True)] and document.modified and not document.edited
    document.set_unsaved_training("")
    assert seen[-1] == ("dirty", False)
    document.mark_unsaved()
    assert seen[-1] == ("dirty", True) and document.edited
    document.mark_saved()
    assert seen[-1] == ("dirty", False) and not document.modified


def test_a_replaced_lab_is_no_longer_followed(qtbot):
    document = LabDocument()
    old = templates.build_template("spiral")
    document.set_lab(old, None)
    document.set_lab(templates.build_template("tensorflow_playground"), None)
    seen = _record(document)
    old.seed += 1
    old.networks[0].graph.move_node("dense_1", (1.0, 2.0))
    assert seen == []
    with pytest.raises(ValueError):
        document.set_settings("colour", 1)


def test_the_window_shows_the_document_it_is_given(qtbot, tmp_path):
    window = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    lab = templates.build_template("spiral")
    seen = []
    window.document.graph_edited.connect(lambda _network, event: seen.append(event))
    window.document.set_lab(lab, str(tmp_path / "spiral.json"))
    assert window.lab is lab and window.canvas.graph is lab.networks[0].graph
    assert "spiral.json" in window.windowTitle() and not window.isWindowModified()
    window.document.set_unsaved_training("training (epoch 1, step 10)")
    assert window.isWindowModified()
    window.canvas.graph.move_node("dense_1", (5.0, 5.0))
    assert any(isinstance(e, NodeMoved) for e in seen)
    window.document.discard_changes()


def test_the_toolbar_follows_the_lab_whoever_changes_it(qtbot, tmp_path):
    window = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    training = attach_training(window)
    window.load_template("spiral")
    toolbar = training.toolbar
    toolbar.settings_changed.emit({"learning_rate": 0.3})  # typed in the toolbar
    assert window.lab.training.learning_rate == 0.3 and toolbar.lr_combo.currentText() == "0.3"
    window.undo_stack.undo()  # the toolbar is not told by hand: it follows the lab's event
    assert toolbar.lr_combo.currentText() == "0.01"
    window.document.set_settings("training", window.lab.training.updated(optimizer="sgd"))
    assert toolbar.optimizer_combo.currentText() == "SGD"
    toolbar.settings_changed.emit({"learning_rate": 0.0})  # the lab's rule refuses it, and says why
    assert window.lab.training.learning_rate == 0.01 and toolbar.lr_combo.currentText() == "0.01"
    assert "learning_rate" in training.message_banner.label.text()
    window.document.discard_changes()
    window.close()


def _app_modules():
    root = pathlib.Path(playground.__file__).parent / "app"
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(root.rglob("*.py"))]


def test_nothing_sets_attributes_onto_the_window_from_outside():
    found = []
    for path, tree in _app_modules():
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
            for target in targets:
                if isinstance(target, ast.Attribute):
                    owner = ast.unparse(target.value)
                    if "window" in owner or owner in ("w", "win"):
                        found.append(f"{path.name}:{node.lineno} {ast.unparse(target)}")
    assert len(_app_modules()) >= 10 and found == []


def test_no_presenter_reads_another_objects_private_attributes():
    found = []
    for path, tree in _app_modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                owner = node.value
                if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls", "os")):
                    found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    assert found == []
