"""Train > Training settings…: every setting of the training loop in one dialog, each with a tooltip that teaches.

The dialog owns no settings: each change is asked for with ``settings_changed`` (the presenter makes it the same
undoable edit of the lab as the toolbar's), and ``set_settings`` shows the lab's settings after any edit, its undo
included. Settings that only act when the network is built (the initialiser) say so.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from playground.graph import TRAINING_FIELDS, Param, TrainingSettings

# The settings of the loop itself, by group, in the order a student meets them; the families' own settings (GAN,
# autoencoder, augmentation) sit beside the views they change.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("How long", ("epochs", "early_stopping", "patience")),
    ("Each step", ("optimizer", "learning_rate", "momentum", "weight_decay", "batch_size", "grad_clip")),
    ("Learning-rate schedule", ("schedule", "step_size", "gamma")),
    ("Regularization", ("regularization", "regularization_rate")),
    ("Start", ("init",)),
)

# What each setting does to learning, beside what it is (the field's own help says what it is).
LESSONS: dict[str, str] = {
    "epochs": "Run until stopped keeps training until you press Pause (or early stopping ends it).",
    "early_stopping": "Guards against overfitting: training stops once the test loss turns up.",
    "batch_size": "Full batch: every update sees the whole training set. That is gradient descent proper: smooth, "
                  "one step per epoch. Batches of 1 to 32 are stochastic gradient descent: noisy, many steps, often "
                  "better minima.",
    "grad_clip": "Clipping keeps one bad batch from throwing the weights far away: it tames exploding gradients "
                 "in deep and recurrent networks.",
    "momentum": "Only the momentum and nesterov optimizers use it. 0.9 averages about the last 10 gradients.",
    "init": "Applies when the network is built: at the next Reset or Apply.",
    "schedule": "A rate that falls lets a network take big steps first and settle into a minimum later.",
}

# How a choice reads in its list, where the lab's short name would not say enough.
CHOICE_TEXT: dict[str, str] = {
    "default": "default (torch's own)",
    "xavier": "Xavier / Glorot (uniform)",
    "he": "He / Kaiming (normal, for ReLU)",
    "normal": "normal N(0, 0.01²)",
    "uniform": "uniform U(−0.05, 0.05)",
    "zeros": "zeros",
}

RUN_UNTIL_STOPPED = int(next(p.maximum for p in TRAINING_FIELDS if p.name == "epochs") or 0)
FULL_BATCH = int(next(p.maximum for p in TRAINING_FIELDS if p.name == "batch_size") or 0)


def field(name: str) -> Param:
    return next(p for p in TRAINING_FIELDS if p.name == name)


def tooltip(p: Param) -> str:
    extra = LESSONS.get(p.name, "")
    return f"{p.help}\n{extra}" if extra else p.help


class TrainingSettingsDialog(QDialog):
    """One editor per training setting; ``editors`` maps each field name to its widget."""

    settings_changed = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingSettingsDialog")
        self.setWindowTitle("Training settings")
        self._updating = False
        self.editors: dict[str, QWidget] = {}
        outer = QVBoxLayout(self)
        for title, names in GROUPS:
            box = QGroupBox(title)
            form = QFormLayout(box)
            for name in names:
                p = field(name)
                editor = self._editor(p)
                editor.setToolTip(tooltip(p))
                self.editors[name] = editor
                label = QLabel(p.title)
                label.setToolTip(tooltip(p))
                form.addRow(label, self._with_extra(name, editor))
            outer.addWidget(box)
        self.note = QLabel("Changes apply at once, while training too, and Edit > Undo takes them back.")
        self.note.setWordWrap(True)
        outer.addWidget(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)  # Return takes a typed number; it must not close the dialog as well
        close.setDefault(False)
        outer.addWidget(buttons)

    # Editors --------------------------------------------------------------------------------------------------

    def _editor(self, p: Param) -> QWidget:
        if p.type == "choice":
            combo = QComboBox()
            for choice in p.choices:
                combo.addItem(CHOICE_TEXT.get(choice, choice) if p.name == "init" else choice, choice)
            combo.currentIndexChanged.connect(lambda i, n=p.name, w=combo: self._emit(n, w.itemData(i)))
            return combo
        if p.type == "bool":
            check = QCheckBox()
            check.toggled.connect(lambda on, n=p.name: self._emit(n, bool(on)))
            return check
        if p.type == "int":
            spin = QSpinBox()
            spin.setRange(int(p.minimum or 0), int(p.maximum or 2**31 - 1))
            spin.valueChanged.connect(lambda value, n=p.name: self._emit(n, int(value)))
            return spin
        # A number field shows the whole value (1e-05 and 0.0003 alike), and is taken when editing finishes.
        line = QLineEdit()
        validator = QDoubleValidator(float(p.minimum or 0.0), float(p.maximum or 1e300), 12)
        validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
        line.setValidator(validator)
        line.editingFinished.connect(lambda n=p.name, w=line: self._emit_number(n, w))
        return line

    def _with_extra(self, name: str, editor: QWidget) -> QWidget:
        """The epochs and batch size fields with their boundary choice beside them."""
        if name not in ("epochs", "batch_size"):
            return editor
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(editor, 1)
        if name == "epochs":
            self.until_stopped = QCheckBox("Run until stopped")
            self.until_stopped.setObjectName("runUntilStoppedCheck")
            self.until_stopped.setToolTip(LESSONS["epochs"])
            self.until_stopped.toggled.connect(self._on_until_stopped)
            layout.addWidget(self.until_stopped)
        else:
            self.full_batch = QCheckBox("Full batch")
            self.full_batch.setObjectName("fullBatchCheck")
            self.full_batch.setToolTip(LESSONS["batch_size"])
            self.full_batch.toggled.connect(self._on_full_batch)
            layout.addWidget(self.full_batch)
        return row

    def _on_until_stopped(self, on: bool) -> None:
        spin = self.editors["epochs"]
        assert isinstance(spin, QSpinBox)
        spin.setEnabled(not on)
        if not self._updating:
            self.settings_changed.emit({"epochs": RUN_UNTIL_STOPPED if on else int(field("epochs").default)})

    def _on_full_batch(self, on: bool) -> None:
        spin = self.editors["batch_size"]
        assert isinstance(spin, QSpinBox)
        spin.setEnabled(not on)
        if not self._updating:
            # Larger than any training set: the loop's batch is then the whole set.
            self.settings_changed.emit({"batch_size": FULL_BATCH if on else int(field("batch_size").default)})

    def _emit(self, name: str, value: Any) -> None:
        if not self._updating:
            self.settings_changed.emit({name: value})

    def _emit_number(self, name: str, line: QLineEdit) -> None:
        try:
            value = float(line.text())
        except ValueError:
            return
        self._emit(name, value)

    # Showing the lab's settings -------------------------------------------------------------------------------

    def set_settings(self, settings: TrainingSettings) -> None:
        """Show ``settings`` without asking for any change."""
        self._updating = True
        try:
            for name, editor in self.editors.items():
                value = getattr(settings, name)
                if isinstance(editor, QComboBox):
                    editor.setCurrentIndex(editor.findData(str(value)))
                elif isinstance(editor, QCheckBox):
                    editor.setChecked(bool(value))
                elif isinstance(editor, QSpinBox):
                    editor.setValue(int(value))
                elif isinstance(editor, QLineEdit) and not editor.hasFocus():
                    editor.setText(f"{float(value):g}")
            self.until_stopped.setChecked(settings.epochs >= RUN_UNTIL_STOPPED)
            self.full_batch.setChecked(settings.batch_size >= FULL_BATCH)
            self._enable(settings)
        finally:
            self._updating = False

    def _enable(self, settings: TrainingSettings) -> None:
        """Grey out what the other settings make meaningless (the step size of no schedule...)."""
        step = settings.schedule == "step"
        for name, on in (("step_size", step), ("gamma", step),
                         ("patience", settings.early_stopping),
                         ("momentum", settings.optimizer in ("momentum", "nesterov")),
                         ("weight_decay", settings.optimizer == "adamw"),
                         ("regularization_rate", settings.regularization != "none"),
                         ("epochs", settings.epochs < RUN_UNTIL_STOPPED),
                         ("batch_size", settings.batch_size < FULL_BATCH)):
            self.editors[name].setEnabled(on)
