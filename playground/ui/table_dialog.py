"""Open data: the dialog that shows a table's columns and lets the student choose the label, the features, the task
and what to do with missing values, with a live summary (rows, split, classes, the standardisation used).

The dialog never reads the file (the ui does not import the data package): the caller gives it the columns as plain
records and a ``preview`` function that prepares the table for a choice and returns sentences, or raises with the
one-line reason the choice cannot train.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

TASK_TITLES = {"classification": "Classes (classification)", "regression": "A number (regression)"}


@dataclass(frozen=True)
class TableColumnInfo:
    name: str
    kind: str  # "number" or "text"
    missing: int
    distinct: int
    examples: str


@dataclass(frozen=True)
class TableChoice:
    label: str
    features: list[str]
    task: str
    missing: str  # "drop" or "fill"


class TableDialog(QDialog):
    """Choose how a table is learned. ``preview(choice)`` returns sentences or raises (ValueError and friends)."""

    def __init__(self, file_name: str, rows: int, columns: Sequence[TableColumnInfo], label: str, task: str,
                 features: Sequence[str], preview: Callable[[TableChoice], list[str]],
                 guess_task: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tableDialog")
        self.setWindowTitle(f"Open data: {file_name}")
        self._columns = list(columns)
        self._preview = preview
        self._guess_task = guess_task
        self._updating = False
        self._last_label = label
        layout = QVBoxLayout(self)
        head = QLabel(f"<b>{_html(file_name)}</b>: {rows:,} rows, {len(columns)} columns. Tick the columns the "
                      f"network reads (numbers only) and choose the one it predicts.")
        head.setWordWrap(True)
        layout.addWidget(head)

        self.table = QTableWidget(len(columns), 5)
        self.table.setObjectName("tableColumns")
        self.table.setHorizontalHeaderLabels(["Feature", "Column", "Type", "Missing", "Examples"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        for i in range(4):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for row, col in enumerate(columns):
            use = QTableWidgetItem()
            use.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            use.setCheckState(Qt.CheckState.Checked if col.name in features else Qt.CheckState.Unchecked)
            self.table.setItem(row, 0, use)
            self.table.setItem(row, 1, QTableWidgetItem(col.name))
            kind = QTableWidgetItem("number" if col.kind == "number" else f"text ({col.distinct} values)")
            self.table.setItem(row, 2, kind)
            missing = QTableWidgetItem(str(col.missing) if col.missing else "")
            missing.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, 3, missing)
            self.table.setItem(row, 4, QTableWidgetItem(col.examples))
        self.table.itemChanged.connect(self._on_item)
        layout.addWidget(self.table, 1)

        form = QFormLayout()
        self.label_combo = QComboBox()
        self.label_combo.setObjectName("labelColumn")
        self.label_combo.setToolTip("The column the network learns to predict: its classes, or its number.")
        for col in columns:
            self.label_combo.addItem(col.name)
        self.label_combo.setCurrentText(label)
        self.label_combo.currentTextChanged.connect(self._on_label)
        form.addRow("Predict (label)", self.label_combo)
        self.task_combo = QComboBox()
        self.task_combo.setObjectName("tableTask")
        self.task_combo.setToolTip("Classes: the network picks one of the label's values (softmax, cross-entropy). "
                                   "A number: it outputs one value (mean squared error).")
        for key, title in TASK_TITLES.items():
            self.task_combo.addItem(title, key)
        self.task_combo.setCurrentIndex(max(0, self.task_combo.findData(task)))
        self.task_combo.currentIndexChanged.connect(lambda _i: self._refresh())
        form.addRow("Task", self.task_combo)
        layout.addLayout(form)

        self.missing_box = QGroupBox("Missing values")
        self.missing_box.setObjectName("missingValues")
        missing_row = QHBoxLayout(self.missing_box)
        self.missing_note = QLabel()
        self.drop_radio = QRadioButton("Drop those rows")
        self.drop_radio.setObjectName("dropMissing")
        self.fill_radio = QRadioButton("Fill with the column mean")
        self.fill_radio.setObjectName("fillMissing")
        self.fill_radio.setToolTip("Each empty feature cell gets its column's mean; a row without a label is "
                                   "dropped either way.")
        group = QButtonGroup(self)
        group.addButton(self.drop_radio)
        group.addButton(self.fill_radio)
        self.drop_radio.setChecked(True)
        group.buttonToggled.connect(lambda *_a: self._refresh())
        missing_row.addWidget(self.missing_note, 1)
        missing_row.addWidget(self.drop_radio)
        missing_row.addWidget(self.fill_radio)
        self.missing_box.setVisible(any(c.missing for c in columns))
        layout.addWidget(self.missing_box)

        self.summary = QLabel()
        self.summary.setObjectName("tableSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setMinimumHeight(70)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.summary)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Learn this table")
        self.ok_button.setObjectName("useTableButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(720, 540)
        self._lock_label_row()
        self._refresh()

    # The choice -------------------------------------------------------------------------------------------------

    def choice(self) -> TableChoice:
        features = [c.name for row, c in enumerate(self._columns)
                    if self._box(row).checkState() == Qt.CheckState.Checked]
        return TableChoice(label=self.label_combo.currentText(), features=features,
                           task=str(self.task_combo.currentData()),
                           missing="fill" if self.fill_radio.isChecked() else "drop")

    def set_feature(self, name: str, on: bool) -> None:
        for row, col in enumerate(self._columns):
            if col.name == name:
                self._box(row).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _box(self, row: int) -> QTableWidgetItem:
        item = self.table.item(row, 0)
        assert item is not None  # every row gets its check box when the table is filled
        return item

    # Reacting ---------------------------------------------------------------------------------------------------

    def _lock_label_row(self) -> None:
        """The label cannot be a feature, and text columns can only be the label: their boxes are off and grey."""
        self._updating = True
        label = self.label_combo.currentText()
        for row, col in enumerate(self._columns):
            item = self._box(row)
            usable = col.kind == "number" and col.name != label
            flags = Qt.ItemFlag.ItemIsUserCheckable | (Qt.ItemFlag.ItemIsEnabled if usable else Qt.ItemFlag.NoItemFlags)
            item.setFlags(flags)
            if not usable:
                item.setCheckState(Qt.CheckState.Unchecked)
            item.setToolTip("" if usable else ("the label" if col.name == label else
                                                 "text: a feature must be numbers (it can be the label)"))
        self._updating = False

    def _on_item(self, item: QTableWidgetItem) -> None:
        if not self._updating and item.column() == 0:
            self._refresh()

    def _on_label(self, label: str) -> None:
        old = self._last_label
        self._lock_label_row()
        # The old label, if a number column, becomes a feature again: the student swapped which column to predict.
        if old and old != label and any(c.name == old and c.kind == "number" for c in self._columns):
            self.set_feature(old, True)
        task = self._guess_task(label)
        self.task_combo.setCurrentIndex(max(0, self.task_combo.findData(task)))
        self._refresh()

    def _refresh(self) -> None:
        choice = self.choice()
        self._last_label = choice.label
        chosen = set(choice.features) | {choice.label}
        holes = sum(c.missing for c in self._columns if c.name in chosen)
        self.missing_note.setText(f"{holes} missing in the chosen columns" if holes else
                                  "none in the chosen columns")
        try:
            lines = self._preview(choice)
        except Exception as e:  # the reason this choice cannot train, shown as it is
            self.summary.setStyleSheet("color: #8b1c1c;")
            self.summary.setText(str(e))
            self.ok_button.setEnabled(False)
            return
        self.summary.setStyleSheet("color: #222;")
        self.summary.setText("\n".join(lines))
        self.ok_button.setEnabled(True)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
