"""The training toolbar's counters keep their room: the controls to their right never move as the count grows."""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow

from playground.ui.training_toolbar import TrainToolbar


def test_the_iteration_counter_never_cuts_digits_nor_moves_the_controls(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    bar = TrainToolbar(window)
    window.addToolBar(bar)
    window.resize(1366, 200)
    window.show()
    qtbot.waitExposed(window)
    bar.show_counters(0, 0)
    qtbot.wait(10)
    x = bar.lr_combo.mapTo(window, bar.lr_combo.rect().topLeft()).x()
    start = bar.step_label.width()
    bar.show_counters(12, 1_234_567)
    qtbot.wait(10)
    assert bar.step_label.width() >= bar.step_label.sizeHint().width()  # no digit cut
    assert bar.step_label.width() == start  # the same room as at 0
    assert bar.lr_combo.mapTo(window, bar.lr_combo.rect().topLeft()).x() == x
