"""Quitting after copying layers exits cleanly (PySide6 double-frees clipboard data left at interpreter exit)."""

import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
from PySide6.QtGui import QUndoStack
from playground.graph.templates import build_template
from playground.ui.canvas import ArchitectureCanvas
canvas = ArchitectureCanvas(QUndoStack())
lab = build_template("logistic_regression")
canvas.set_graph(lab.networks[0].graph, "model")
canvas.select_nodes(["dense_1"])
assert canvas.copy_selected()
print("copied")
"""


def test_exit_after_copying_layers_is_clean():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert "copied" in result.stdout, result.stderr[-800:]
    assert result.returncode == 0, f"exit status {result.returncode}: {result.stderr[-800:]}"
