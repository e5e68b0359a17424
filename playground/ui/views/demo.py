"""All six live views in one window, fed by a small numpy network learning the spiral: ``python -m
playground.ui.views.demo``. A look at the views as a user sees them, without the engine."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QGridLayout, QGroupBox, QVBoxLayout, QWidget

from .decision_boundary import DecisionBoundaryView
from .gradients import GradientNormView
from .hidden_space import HiddenSpaceView
from .loss_curves import LossCurvePanel
from .neurons import NeuronGridView
from .synthetic import SyntheticRun
from .weights import WeightsView


class ViewsDemo(QWidget):
    def __init__(self, run: SyntheticRun, epochs_per_frame: int = 4) -> None:
        super().__init__()
        self.setObjectName("viewsDemo")
        self.setWindowTitle("Neural Network Playground: live views (synthetic spiral run)")
        self.run = run
        self.epochs_per_frame = epochs_per_frame
        self.loss = LossCurvePanel()
        self.boundary = DecisionBoundaryView()
        self.neurons = NeuronGridView()
        self.hidden = HiddenSpaceView()
        self.weights = WeightsView()
        self.gradients = GradientNormView()
        self.views = [self.loss, self.boundary, self.neurons, self.hidden, self.weights, self.gradients]
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        titles = ["Loss and accuracy", "Output", "Neurons", "Hidden space", "Weights", "Gradients"]
        for i, (view, title) in enumerate(zip(self.views, titles)):
            box = QGroupBox(title)
            layout = QVBoxLayout(box)
            layout.setContentsMargins(4, 4, 4, 4)
            layout.addWidget(view)
            grid.addWidget(box, i // 3, i % 3)
        for c in range(3):
            grid.setColumnStretch(c, 1)
        for r in range(2):
            grid.setRowStretch(r, 1)
        self.hidden.set_layers(run.act_names)
        self.boundary.show_test_checkbox.setChecked(True)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)

    def start(self, interval_ms: int = 33) -> None:
        self.tick()
        self.timer.start(interval_ms)

    def tick(self) -> None:
        for _ in range(self.epochs_per_frame):
            self.run.train_epoch()
        snapshot = self.run.snapshot(self.hidden.layer or None)
        for view in self.views:
            view.show_snapshot(snapshot)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", choices=("classification", "regression"), default="classification")
    parser.add_argument("--hidden", default="8,8,6", help="hidden layer widths, comma-separated")
    parser.add_argument("--epochs-per-frame", type=int, default=4)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    hidden = tuple(int(h) for h in args.hidden.split(",") if h)
    demo = ViewsDemo(SyntheticRun(hidden=hidden, task=args.task, learning_rate=0.02), args.epochs_per_frame)
    demo.resize(1560, 960)
    demo.show()
    demo.start()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
