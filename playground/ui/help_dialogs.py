"""The Help menu's dialogs: the keyboard shortcuts and About (the licences of what the app is built with)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from .app_names import APP_TITLE

SHORTCUTS = [
    ("Ctrl+N", "New lab (start page)"), ("Ctrl+O", "Open a lab"), ("Ctrl+S", "Save"), ("Ctrl+Shift+S", "Save as"),
    ("Ctrl+Z", "Undo"), ("Ctrl+Shift+Z", "Redo"), ("Del / Backspace", "Delete the selection"),
    ("Ctrl+C / Ctrl+V", "Copy / paste layers"), ("Ctrl+D", "Duplicate layers"), ("Ctrl+A", "Select all"),
    ("F", "Fit the network in the view"), ("L", "Automatic left-to-right layout"),
    ("Ctrl++ / Ctrl+- / wheel", "Zoom"), ("Middle button drag", "Pan"), ("Drag on empty canvas", "Select several"),
    ("Drag from a right dot to a left dot", "Connect two layers"), ("Esc", "Clear the selection and messages"),
    ("F5 / Ctrl+Shift+P", "Presentation mode (for a projector)"),
    ("Ctrl+1 / Ctrl+2", "Build (the editor gets the room) / Train (the views get it)"),
]


def show_shortcuts_dialog(parent: QWidget) -> None:
    rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
    QMessageBox.information(parent, "Keyboard shortcuts", f"<table>{rows}</table>")


def show_about_dialog(parent: QWidget) -> None:
    QMessageBox.about(
        parent, f"About {APP_TITLE}",
        f"<h3>{APP_TITLE}</h3><p>Learn deep learning by doing: build networks by drag and drop, train them in "
        "real PyTorch and watch them learn.</p>"
        "<p>Licensed under the MIT licence.</p>"
        "<p>Built with Qt and PySide6 (LGPL v3), pyqtgraph (MIT), PyTorch (BSD-3-Clause) and NumPy "
        "(BSD-3-Clause).</p>"
        "<p>The built-in handwritten digits are 9,000 samples of the MNIST database by Yann LeCun, Corinna "
        "Cortes and Christopher J.C. Burges, shared under the Creative Commons Attribution-Share Alike 3.0 "
        "licence (see playground/resources/data/MNIST-README.md).</p>"
        "<p>The built-in text is the first nine chapters of Jane Austen's <i>Pride and Prejudice</i> (1813, "
        "public domain), as carried by the R package janeaustenr by Julia Silge (MIT licence; see "
        "playground/resources/data/TEXT-README.md).</p>")
