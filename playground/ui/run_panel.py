"""One run's panel in the comparison (Learning > Compare runs…): its main view under its name, in its colour."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from playground.snapshots import Confusion, DecisionBoundary, FunctionFit, Snapshot

from .views.base import SnapshotView
from .views.confusion import ConfusionMatrixView
from .views.decision_boundary import DecisionBoundaryView
from .views.function_fit import FunctionFitView

# Distinct on white and apart from the classes' orange and blue of the boundary pictures' points.
RUN_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#1f78b4", "#666666")


def run_colour(index: int) -> str:
    return RUN_COLOURS[index % len(RUN_COLOURS)]


@dataclass(frozen=True)
class RunRow:
    """What the window shows of a run besides its snapshots."""

    id: int
    name: str
    colour: str
    hidden: bool = False
    change: str = ""


class RunPanel(QFrame):
    """One run's main view under its name, in the run's colour."""

    def __init__(self, row: RunRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"runPanel{row.id}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.title = QLabel()
        self.title.setObjectName("runPanelTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.title)
        self.body = QStackedWidget()
        self.note = QLabel("Press Train: this run's picture fills in as it learns.")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setStyleSheet("color: #777; padding: 8px;")
        self.body.addWidget(self.note)
        layout.addWidget(self.body, 1)
        self.view: SnapshotView | None = None
        self.set_row(row)

    def set_row(self, row: RunRow) -> None:
        self.row = row
        change = f" <span style='color:#555'>({row.change})</span>" if row.change and row.change != row.name else ""
        self.title.setText(f"<span style='color:{row.colour}; font-size:15px'>&#9632;</span> <b>{row.name}</b>"
                           f"{change}")
        self.title.setToolTip(f"{row.name}: {row.change or 'the original'}")

    def show_snapshot(self, snapshot: Snapshot | None, note: str = "", *, may_build: bool = True) -> bool:
        """Draw ``snapshot`` (None: ``note``); False when its view is still to be built and ``may_build`` is
        not given (a view costs a few tenths of a second to build: one per redraw keeps the window responsive)."""
        if snapshot is None:
            self.note.setText(note or self.note.text())
            self.body.setCurrentWidget(self.note)
            return True
        if self.view is None:
            if not may_build:
                return False
            view = _main_view(snapshot)
            if view is None:
                self.note.setText("This kind of network shows its curves only.")
                return True
            self.view = view
            self.body.addWidget(view)
        self.view.show_snapshot(snapshot)
        self.body.setCurrentWidget(self.view)
        return True


def _main_view(snapshot: Snapshot) -> SnapshotView | None:
    probes = snapshot.probes
    view: SnapshotView
    if probes.get(DecisionBoundary) is not None:
        view = DecisionBoundaryView()
    elif probes.get(Confusion) is not None:
        view = ConfusionMatrixView()
    elif probes.get(FunctionFit) is not None:
        fit = FunctionFitView()
        # Its function chooser changes the lab's data, which every run shares: here it would do nothing.
        fit.function_combo.setEnabled(False)
        fit.function_combo.setToolTip("Every run learns the same function: choose it in the main window")
        view = fit
    else:
        return None
    view.setMinimumSize(200, 200)
    return view


