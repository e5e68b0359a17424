"""The end of the feature-map flow: the class probabilities as labelled bars, the predicted class marked."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QFont, QFontMetrics

BAR = "#b9c9dc"
PREDICTED = "#2166ac"


class ProbabilityBars:
    """A bar per class in its own fixed view box, the class numbers under the bars (every one that fits side by
    side, else every second or fifth, never overprinted) and the predicted class in a strong colour with its number
    in bold. Items are made when the number of classes changes; a snapshot only sets the heights."""

    def __init__(self, canvas: pg.GraphicsLayoutWidget, row: int, col: int) -> None:
        self.box: pg.ViewBox = canvas.addViewBox(row=row, col=col)
        self.box.setMouseEnabled(x=False, y=False)
        self.box.setMenuEnabled(False)
        self.box.setToolTip("The network's answer: the probability of each class (softmax of the last layer).\n"
                            "The predicted class is the dark bar. Click a bar to see its value.")
        self.font = QFont(canvas.font())
        self.bars = pg.BarGraphItem(x=[0], height=[0], width=0.75, brush=BAR, pen=pg.mkPen(None))
        self.box.addItem(self.bars)
        self.title = pg.TextItem("probabilities", color="#333", anchor=(0.5, 0.0))
        self.box.addItem(self.title)
        self.class_labels: list[pg.TextItem] = []
        self.values = np.zeros(0, dtype=np.float32)
        self.predicted = -1
        self.selected: int | None = None
        self._names: list[str] = []
        self.box.sigResized.connect(self.fit)

    @property
    def count(self) -> int:
        return len(self.values)

    def set_values(self, p: np.ndarray) -> None:
        p = np.asarray(p, dtype=np.float32).reshape(-1)
        if len(p) != len(self.values):
            self.values = p
            self._rebuild(len(p))  # sets no predicted class, so the bars are coloured below
        self.values = p
        best = int(np.argmax(p)) if len(p) else -1
        if best == self.predicted:  # most snapshots: only the heights move
            self.bars.setOpts(height=self.values)
            return
        self.predicted = best
        for c, label in enumerate(self.class_labels):
            font = QFont(self.font)
            font.setBold(c == best)
            label.setFont(font)
            label.setColor(PREDICTED if c == best else "#555")
        self._update_bars()

    def set_names(self, names: Sequence[str]) -> None:
        """Class names for the tooltips (the bars are numbered; "cat" or "7" is in the tooltip)."""
        if list(names) == self._names:
            return
        self._names = list(names)
        for c, label in enumerate(self.class_labels):
            if c < len(names):
                label.setToolTip(f"class {c}: {names[c]}")

    def mark_selected(self, unit: int | None) -> None:
        if unit != self.selected:
            self.selected = unit
            self._update_bars()

    def class_at(self, scene_pos: QPointF) -> int | None:
        """The class whose bar (or number) is under a scene point, or None."""
        if not self.count or not self.box.sceneBoundingRect().contains(scene_pos):
            return None
        c = int(round(self.box.mapSceneToView(scene_pos).x()))
        return c if 0 <= c < self.count else None

    def _rebuild(self, n: int) -> None:
        for label in self.class_labels:
            self.box.removeItem(label)
        self.class_labels = []
        for c in range(n):
            label = pg.TextItem(str(c), color="#555", anchor=(0.5, 0.0))
            label.setFont(self.font)
            label.setPos(c, 0)
            if c < len(self._names):
                label.setToolTip(f"class {c}: {self._names[c]}")
            self.box.addItem(label)
            self.class_labels.append(label)
        self.predicted = -1
        self.fit()

    def _update_bars(self) -> None:
        n = self.count
        brushes = [PREDICTED if c == self.predicted else BAR for c in range(n)]
        pens = [pg.mkPen("#222222", width=2) if c == self.selected else pg.mkPen(None) for c in range(n)]
        self.bars.setOpts(x=np.arange(n), height=self.values, width=0.75, brushes=brushes, pens=pens)

    def fit(self) -> None:
        """Room above the bars for the title and below them for the class numbers, in this box's pixels."""
        n = max(1, self.count)
        height = self.box.boundingRect().height()
        width = self.box.boundingRect().width()
        metrics = QFontMetrics(self.font)
        above, below = metrics.height() + 6, metrics.height() + 2
        per_unit = max(10.0, height - above - below)  # pixels for a probability of 1
        self.box.setRange(xRange=(-0.6, n - 0.4), yRange=(-below / per_unit, 1 + above / per_unit), padding=0)
        self.title.setPos((n - 1) / 2, 1 + above / per_unit)
        step = width / (n + 0.2) if width > 0 else 0.0
        need = max((metrics.horizontalAdvance(label.toPlainText()) for label in self.class_labels), default=0) + 2
        every = next((k for k in (1, 2, 5) if k * step >= need), 0)
        for c, label in enumerate(self.class_labels):
            label.setVisible(every > 0 and c % every == 0)
