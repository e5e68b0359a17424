"""The node inspector: edits the selected layer's name and parameters with fitting widgets.

Each edit is validated with the kind's own parameter check first and then pushed as an undo command; the widgets
follow the graph's events, so undo and redo update them too.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.graph import (
    ROLES,
    TASKS,
    Graph,
    GraphError,
    GraphEvent,
    Inference,
    Lab,
    NodeRemoved,
    NodeRenamed,
    Param,
    ParamChanged,
)

from .canvas_items import problem_color
from .commands import RenameNodeCommand, SetParamCommand
from .style import format_count, teaching_tooltip

INT_LIMIT = 2**31 - 1


def parse_shape(text: str) -> list[int]:
    parts = [p for p in text.replace("×", ",").replace("x", ",").replace(" ", ",").split(",") if p]
    return [int(p) for p in parts]


class NodeInspector(QWidget):
    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nodeInspector")
        self.undo_stack = undo_stack
        self.graph: Graph | None = None
        self.lab: Lab | None = None
        self.network = ""
        self.node_name: str | None = None
        self.inference: Inference | None = None
        self.editors: dict[str, QWidget] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(8, 8, 8, 8)
        self.title = QLabel()
        self.title.setObjectName("inspectorTitle")
        self.title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.title.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: #455a64;")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 6, 0, 6)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.info = QLabel()
        self.info.setObjectName("inspectorInfo")
        self.info.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setObjectName("inspectorProblem")
        self.problem.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("inspectorError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d32f2f;")
        # Buttons for actions about the shown layer (freeze...), added by whoever owns them.
        self.actions_host = QWidget()
        self.actions_host.setObjectName("inspectorLayerActions")
        self._actions_row = QHBoxLayout(self.actions_host)
        self._actions_row.setContentsMargins(0, 0, 0, 0)
        self._actions_row.addStretch(1)
        for w in (self.title, self.summary, self.form_host, self.actions_host, self.info, self.problem, self.error):
            self._layout.addWidget(w)
        self._layout.addStretch(1)
        self.show_node(None)

    def add_node_action(self, action: QAction) -> QToolButton:
        """A button for ``action`` under the shown layer's settings (it follows the action's text and state)."""
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._actions_row.insertWidget(self._actions_row.count() - 1, button)
        return button

    # Context ---------------------------------------------------------------------------------------------------

    def set_graph(self, graph: Graph | None, lab: Lab | None = None, network: str = "") -> None:
        if self.graph is not None:
            self.graph.unsubscribe(self._on_event)
        self.graph, self.lab, self.network = graph, lab, network
        if graph is not None:
            graph.subscribe(self._on_event)
        self.show_node(None)

    def set_inference(self, inference: Inference) -> None:
        self.inference = inference
        self._update_info()

    def _on_event(self, event: GraphEvent) -> None:
        if self.node_name is None:
            return
        if isinstance(event, ParamChanged) and event.name == self.node_name:
            self._load_value(event.field)
        elif isinstance(event, NodeRenamed) and event.old == self.node_name:
            self.node_name = event.new
            self._load_name()
        elif isinstance(event, NodeRemoved) and event.node.name == self.node_name:
            self.show_node(None)

    # Showing ---------------------------------------------------------------------------------------------------

    def show_node(self, name: str | None) -> None:
        self.error.clear()
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors.clear()
        graph = self.graph
        if name is None or graph is None or name not in graph:
            self.node_name = None
            self._show_overview()
            return
        self.node_name = name
        node = graph.node(name)
        spec = node.spec
        self.title.setText(spec.name)
        self.summary.setText(spec.summary + (f"\n\n{spec.details}" if spec.details else ""))
        name_edit = QLineEdit(name)
        name_edit.setObjectName("param_name")
        name_edit.setToolTip("The layer's name: letters, digits and underscores. It names the module in exported "
                             "code.")
        name_edit.editingFinished.connect(lambda: self._rename(name_edit.text().strip()))
        self.form.addRow("Name", name_edit)
        self.editors["name"] = name_edit
        for param in spec.params:
            editor = self._editor_for(param, node.params[param.name])
            editor.setObjectName(f"param_{param.name}")
            editor.setToolTip(teaching_tooltip(f"{param.help}\nAllowed: {param.range_text()}.", param.title))
            label = QLabel(param.title)
            label.setToolTip(editor.toolTip())
            self.form.addRow(label, editor)
            self.editors[param.name] = editor
        self.form_host.setVisible(True)
        self.actions_host.setVisible(True)
        self._update_info()

    def _show_overview(self) -> None:
        self.form_host.setVisible(False)
        self.actions_host.setVisible(False)
        lab = self.lab
        if lab is None or self.graph is None:
            self.title.setText("No lab open")
            self.summary.setText("Choose a template on the start page, or open a lab.")
            self.info.clear()
            self.problem.clear()
            return
        self.title.setText(lab.name)
        role = next((n.role for n in lab.networks if n.name == self.network), "model")
        lines = [f"Task: {lab.task}. {TASKS.get(lab.task, '')}",
                 f"Network '{self.network}', role {role}: {ROLES.get(role, '')}.",
                 f"Dataset: {lab.dataset.name}."]
        if lab.description:
            lines.insert(0, lab.description)
        self.summary.setText("\n\n".join(lines))
        self._update_info()

    def _update_info(self) -> None:
        inf = self.inference
        if self.node_name is None:
            if inf is not None and self.graph is not None:
                self.info.setText(f"{len(self.graph)} layers, {inf.total_params:,} trainable parameters.\n\n"
                                  "Select a layer on the canvas to edit it.")
            self.problem.clear()
            return
        if inf is None:
            return
        name = self.node_name
        shape = inf.shapes.get(name)
        ins = inf.input_shapes.get(name, [])
        parts = []
        if ins:
            parts.append("In: " + ", ".join(s.describe() for s in ins))
        parts.append(f"Out: {shape.describe()}" if shape else "Out: unknown until its input is fixed")
        if name in inf.param_counts:
            parts.append(f"Parameters: {inf.param_counts[name]:,}" + (f" ({format_count(inf.param_counts[name])})"
                                                                      if inf.param_counts[name] >= 10000 else ""))
        self.info.setText("\n".join(parts))
        problem = inf.problem_for(name)
        if problem:
            self.problem.setText(f"⚠ {problem.message}")
            self.problem.setStyleSheet(f"color: {problem_color(problem)}; font-weight: bold;")
        else:
            self.problem.clear()

    def _editor_for(self, param: Param, value: Any) -> QWidget:
        if param.type == "int":
            spin = QSpinBox()
            spin.setRange(int(param.minimum if param.minimum is not None else -INT_LIMIT),
                          int(min(param.maximum, INT_LIMIT) if param.maximum is not None else INT_LIMIT))
            spin.setValue(int(value))
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda v, p=param.name: self.commit(p, int(v)))
            return spin
        if param.type == "float":
            dspin = QDoubleSpinBox()
            dspin.setDecimals(3)
            dspin.setRange(param.minimum if param.minimum is not None else -1e9,
                           param.maximum if param.maximum is not None else 1e9)
            dspin.setSingleStep(0.05 if (param.maximum or 10) <= 1 else 0.5)
            dspin.setValue(float(value))
            dspin.setKeyboardTracking(False)
            dspin.valueChanged.connect(lambda v, p=param.name: self.commit(p, float(v)))
            return dspin
        if param.type == "bool":
            box = QCheckBox()
            box.setChecked(bool(value))
            box.toggled.connect(lambda v, p=param.name: self.commit(p, bool(v)))
            return box
        if param.type == "choice":
            combo = QComboBox()
            combo.addItems(list(param.choices))
            combo.setCurrentText(str(value))
            combo.currentTextChanged.connect(lambda v, p=param.name: self.commit(p, v))
            return combo
        line = QLineEdit(", ".join(str(v) for v in value))
        line.setPlaceholderText("e.g. 1, 28, 28")
        line.editingFinished.connect(lambda p=param.name, w=line: self._commit_shape(p, w.text()))
        return line

    def _load_value(self, field: str) -> None:
        editor = self.editors.get(field)
        if editor is None or self.graph is None or self.node_name is None:
            return
        value = self.graph.node(self.node_name).params[field]
        editor.blockSignals(True)
        try:
            if isinstance(editor, QSpinBox):
                editor.setValue(int(value))
            elif isinstance(editor, QDoubleSpinBox):
                editor.setValue(float(value))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QLineEdit):
                editor.setText(", ".join(str(v) for v in value))
        finally:
            editor.blockSignals(False)

    def _load_name(self) -> None:
        editor = self.editors.get("name")
        if isinstance(editor, QLineEdit) and self.node_name:
            editor.setText(self.node_name)

    # Editing ---------------------------------------------------------------------------------------------------

    def commit(self, field: str, value: Any) -> bool:
        """Validate ``field = value`` with the kind's own check, then push it as an undo command."""
        graph, name = self.graph, self.node_name
        if graph is None or name is None:
            return False
        node = graph.node(name)
        merged = dict(node.params)
        merged[field] = value
        try:
            checked = node.spec.check_params(merged, name)
        except GraphError as e:
            self.error.setText(e.message)
            self._load_value(field)
            return False
        self.error.clear()
        if checked[field] == node.params.get(field):
            return False
        self.undo_stack.push(SetParamCommand(graph, name, field, checked[field], self.network))
        return True

    def _commit_shape(self, field: str, text: str) -> None:
        try:
            value = parse_shape(text)
        except ValueError:
            self.error.setText(f"'{text}' is not a list of whole numbers: write it like 1, 28, 28")
            return
        self.commit(field, value)

    def _rename(self, new: str) -> None:
        graph, old = self.graph, self.node_name
        if graph is None or old is None or new == old:
            return
        try:
            graph.check_name(new)
        except GraphError as e:
            self.error.setText(e.message)
            self._load_name()
            return
        self.error.clear()
        self.undo_stack.push(RenameNodeCommand(graph, old, new, self.network))
