"""The main window: menus, toolbar, status bar, the editor (palette, canvas, inspector, problems) and the start page.

It holds the open Lab and its undo stack; the canvas, inspector and problems list mirror the graph being edited.
Training is not wired here: the Train actions emit ``train_requested`` and friends for the composition root to
connect once the engine is hooked up.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import Any

from PySide6.QtCore import QByteArray, QPointF, QRect, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from playground.graph import ROLES, Graph, GraphError, Inference, Lab
from playground.graph.templates import TEMPLATES, build_template

from .canvas import ArchitectureCanvas
from .gui_thread_gc import collect_on_gui_thread
from .commands import GraphCommand, SetParamCommand
from .inspector import NodeInspector
from .palette import LayerPalette
from .problems import ProblemsPanel
from .start_page import StartPage
from .style import app_icon

ORGANIZATION = "NeuralNetworkPlayground"
APPLICATION = "Playground"
APP_TITLE = "Neural Network Playground"
MAX_RECENT = 8
DEFAULT_SIZE = (1400, 860)  # the window on a first start, where the screen has room for it
LAB_FILTER = "Labs (*.json);;All files (*)"
# With a project handler (set by the composition root), projects hold the lab and its training in one file.
PROJECT_OPEN_FILTER = "Projects and labs (*.nnp *.json);;Projects (*.nnp);;Labs (*.json);;All files (*)"
PROJECT_SAVE_FILTER = "Projects, with the training (*.nnp);;Labs, the network and settings only (*.json)"
TRAIN_PENDING = "Training arrives with the engine hookup"
EXPORT_CHOICES = {
    "onnx": "Model as &ONNX…", "py": "Model as &PyTorch code…", "pt2": "Model as &torch.export program…",
    "csv": "Metric &history as CSV…", "gif": "Decision &boundary over training as GIF…",
    "view": "&View as PNG or SVG…",
}

SHORTCUTS = [
    ("Ctrl+N", "New lab (start page)"), ("Ctrl+O", "Open a lab"), ("Ctrl+S", "Save"), ("Ctrl+Shift+S", "Save as"),
    ("Ctrl+Z", "Undo"), ("Ctrl+Shift+Z", "Redo"), ("Del / Backspace", "Delete the selection"),
    ("Ctrl+C / Ctrl+V", "Copy / paste layers"), ("Ctrl+D", "Duplicate layers"), ("Ctrl+A", "Select all"),
    ("F", "Fit the network in the view"), ("L", "Automatic left-to-right layout"),
    ("Ctrl++ / Ctrl+- / wheel", "Zoom"), ("Middle button drag", "Pan"), ("Drag on empty canvas", "Select several"),
    ("Drag from a right dot to a left dot", "Connect two layers"), ("Esc", "Clear the selection and messages"),
]


def default_settings() -> QSettings:
    return QSettings(ORGANIZATION, APPLICATION)


def blank_lab() -> Lab:
    graph = Graph()
    graph.add_node("Input", "input_1", {"kind": "vector", "features": 2}, (0.0, 0.0))
    graph.add_node("Output", "output_1", {"head": "classification"}, (570.0, 0.0))
    lab = Lab(name="Untitled lab", description="Drag layers from the palette between the Input and the Output, "
                                              "then connect them.")
    lab.add_network("model", "model", graph)
    return lab


def available_room(widget: QWidget) -> QRect | None:
    """The part of the widget's screen that windows may use (without task bars), or None without a screen."""
    screen = widget.screen() or QApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else None


class MainWindow(QMainWindow):
    train_requested = Signal()
    pause_requested = Signal()
    step_requested = Signal()
    reset_requested = Signal()
    lab_opened = Signal(object)
    closing = Signal()  # the close was accepted: whoever runs work for this window stops it now
    # File > Export and Import model: the composition root does the work (this package may not touch torch).
    export_requested = Signal(str)  # one of the keys of EXPORT_CHOICES
    import_requested = Signal(str)  # the path of a Python file to open as a lab

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.settings = settings if settings is not None else default_settings()
        self.undo_stack = QUndoStack(self)
        self.lab: Lab | None = None
        self.path: str | None = None
        self.network_name = ""
        self._unsaved_new = False  # a template or blank lab that has never been saved
        # What training since the last save a close would lose ("" = nothing): set by the composition root, which
        # alone sees the training (a run that trained on is unsaved work, like an edit).
        self._unsaved_training = ""
        # Opens and saves project files (.nnp: the lab with its training), which this package cannot read: the
        # composition root sets it. It has handles(path) -> bool, open(path) -> bool and save(path) -> bool.
        self.project_handler: Any = None
        self.small_screen = False  # set when the screen has less room than the default size

        self.canvas = ArchitectureCanvas(self.undo_stack)
        self.network_tabs = QTabBar()
        self.network_tabs.setObjectName("networkTabs")
        self.network_tabs.setDocumentMode(True)
        self.network_tabs.setExpanding(False)
        editor = QWidget()
        editor.setObjectName("editor")
        box = QVBoxLayout(editor)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.network_tabs)
        box.addWidget(self.canvas, 1)
        self.start_page = StartPage()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start_page)
        self.stack.addWidget(editor)
        # Banners (e.g. the offer to recover after a crash) sit above the start page and the editor alike.
        central = QWidget()
        central.setObjectName("central")
        self._banners = QVBoxLayout(central)
        self._banners.setContentsMargins(0, 0, 0, 0)
        self._banners.setSpacing(0)
        self._banners.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.palette = LayerPalette()
        self.inspector = NodeInspector(self.undo_stack)
        self.problems = ProblemsPanel()
        self.palette_dock = self._dock("Layers", "layersDock", self.palette, Qt.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector, Qt.RightDockWidgetArea)
        self.problems_dock = self._dock("Problems", "problemsDock", self.problems, Qt.BottomDockWidgetArea)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [250, 300], Qt.Horizontal)
        self.resizeDocks([self.problems_dock], [90], Qt.Vertical)

        self.params_label = QLabel()
        self.params_label.setObjectName("paramsLabel")
        self.problems_label = QLabel()
        self.problems_label.setObjectName("problemsLabel")
        self.statusBar().addPermanentWidget(self.problems_label)
        self.statusBar().addPermanentWidget(self.params_label)

        self._create_actions()
        self._create_menus()
        self._create_toolbar()
        self._connect()
        self._update_title()
        self._restore_settings()
        self.show_start_page()

    def add_banner(self, banner: QWidget) -> None:
        """Show ``banner`` across the top of the window, above the start page or the editor: for news that must
        not block the window (a modal dialog at start would hold up what the command line asked for)."""
        self._banners.insertWidget(self._banners.count() - 1, banner)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # Actions ---------------------------------------------------------------------------------------------------

    def _action(self, text: str, slot: Any, shortcut: Any = None, tip: str = "", name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        if name:
            action.setObjectName(name)
        self.addAction(action)
        return action

    def _create_actions(self) -> None:
        a = self._action
        self.new_action = a("&New…", self.new_lab, QKeySequence.New, "Start a new lab from a template", "actionNew")
        self.open_action = a("&Open…", lambda: self.open_lab(), QKeySequence.Open, "Open a lab file", "actionOpen")
        self.save_action = a("&Save", self.save, QKeySequence.Save, "Save the lab", "actionSave")
        self.save_as_action = a("Save &As…", lambda: self.save_as(), "Ctrl+Shift+S", "Save the lab under a new name",
                                "actionSaveAs")
        self.quit_action = a("&Quit", self.close, QKeySequence.Quit, "Quit", "actionQuit")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence.Undo])
        self.undo_action.setObjectName("actionUndo")
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setObjectName("actionRedo")
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)
        self.copy_action = a("&Copy", self.canvas.copy_selected, QKeySequence.Copy, "Copy the selected layers")
        self.paste_action = a("&Paste", self.canvas.paste, QKeySequence.Paste, "Paste layers")
        self.duplicate_action = a("&Duplicate", self.canvas.duplicate, "Ctrl+D", "Duplicate the selected layers")
        self.delete_action = a("&Delete", self.canvas.delete_selected, [QKeySequence.Delete, "Backspace"],
                               "Delete the selected layers and connections", "actionDelete")
        self.select_all_action = a("Select &all", self._select_all, QKeySequence.SelectAll, "Select every layer")
        self.fit_action = a("&Fit to view", self.canvas.fit_view, "F", "Show the whole network", "actionFit")
        self.layout_action = a("Auto &layout", self.canvas.auto_layout, "L",
                               "Arrange the layers left to right by depth", "actionLayout")
        self.zoom_in_action = a("Zoom &in", lambda: self.canvas.zoom(1.25), QKeySequence.ZoomIn)
        self.zoom_out_action = a("Zoom &out", lambda: self.canvas.zoom(0.8), QKeySequence.ZoomOut)
        self.start_action = a("&Start page", self.new_lab, None, "Show the templates")
        self.play_action = a("&Play", self.train_requested.emit, "Space", TRAIN_PENDING, "actionPlay")
        self.step_action = a("&Step", self.step_requested.emit, "Ctrl+Right", TRAIN_PENDING, "actionStep")
        self.reset_action = a("&Reset", self.reset_requested.emit, "Ctrl+R", TRAIN_PENDING, "actionReset")
        self.set_training_available(False)
        self.shortcuts_action = a("&Keyboard shortcuts", self.show_shortcuts, QKeySequence.HelpContents)
        self.about_action = a("&About", self.show_about)
        for action in (self.fit_action, self.layout_action, self.delete_action, self.play_action):
            # Single keys must not fire while typing in the search box or the inspector.
            action.setShortcutContext(Qt.WindowShortcut)

    def set_training_available(self, available: bool, reason: str = TRAIN_PENDING) -> None:
        for action, text in ((self.play_action, "Train the network"), (self.step_action, "One training step"),
                             (self.reset_action, "Reset the weights")):
            action.setEnabled(available)
            action.setToolTip(text if available else f"{text}: {reason}")

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.open_action])
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.setObjectName("recentMenu")
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        self.export_menu = file_menu.addMenu("&Export")
        self.export_menu.setObjectName("exportMenu")
        for key, text in EXPORT_CHOICES.items():
            action = self.export_menu.addAction(text)
            action.setObjectName(f"actionExport_{key}")
            action.triggered.connect(lambda _checked=False, k=key: self.export_requested.emit(k))
        self.import_model_action = file_menu.addAction("&Import model…", self._ask_import_model)
        self.import_model_action.setObjectName("actionImportModel")
        self.import_model_action.setStatusTip("Open a PyTorch model written in Python (nn.Sequential or this app's "
                                              "export, with its weights if you have them) or an ONNX file as a new "
                                              "lab")
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.undo_action, self.redo_action])
        edit.addSeparator()
        edit.addActions([self.copy_action, self.paste_action, self.duplicate_action, self.delete_action,
                         self.select_all_action])
        view = bar.addMenu("&View")
        view.addActions([self.fit_action, self.layout_action, self.zoom_in_action, self.zoom_out_action])
        view.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.problems_dock):
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction(self.start_action)
        train = bar.addMenu("&Train")
        train.setToolTipsVisible(True)
        train.addActions([self.play_action, self.step_action, self.reset_action])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.shortcuts_action, self.about_action])
        self._refresh_recent_menu()

    def _ask_import_model(self) -> None:
        folder = str(self.settings.value("last_folder", os.path.expanduser("~")))
        path, _ = QFileDialog.getOpenFileName(self, "Import a model (Python or ONNX)", folder,
                                              "Models (*.py *.onnx);;Python files (*.py);;ONNX models (*.onnx);;"
                                              "All files (*)")
        if path:
            self.import_requested.emit(path)

    def _create_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonTextOnly)
        tb.addActions([self.new_action, self.open_action, self.save_action])
        tb.addSeparator()
        tb.addActions([self.undo_action, self.redo_action, self.delete_action])
        tb.addSeparator()
        tb.addActions([self.fit_action, self.layout_action])
        tb.addSeparator()
        tb.addActions([self.play_action, self.step_action, self.reset_action])

    def _connect(self) -> None:
        self.start_page.template_chosen.connect(self.load_template)
        self.start_page.blank_chosen.connect(lambda: self.set_lab(blank_lab(), None, fresh=True))
        self.start_page.open_requested.connect(lambda: self.open_lab())
        self.palette.kind_activated.connect(self._add_at_center)
        self.canvas.message.connect(self.show_message)
        self.canvas.node_selected.connect(self.inspector.show_node)
        self.canvas.arch_scene.inference_changed.connect(self._on_inference)
        self.problems.node_activated.connect(lambda name: self.canvas.select_nodes([name], center=True))
        self.network_tabs.currentChanged.connect(self._on_tab)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.undo_stack.indexChanged.connect(self._after_command)

    # Lab lifecycle ---------------------------------------------------------------------------------------------

    @property
    def modified(self) -> bool:
        return self.lab is not None and (not self.undo_stack.isClean() or self._unsaved_new or
                                         bool(self._unsaved_training))

    def set_unsaved_training(self, what: str) -> None:
        """``what`` the training did since the last save (e.g. "training (epoch 3, step 120)"), or "" when the
        saved file holds it all."""
        if what != self._unsaved_training:
            self._unsaved_training = what
            self._update_title()

    def set_lab(self, lab: Lab, path: str | None, fresh: bool = False) -> None:
        """Show ``lab``; a fresh lab (template, blank) counts as unsaved only once it is edited."""
        self.undo_stack.clear()
        self.lab = lab
        self.path = path
        self._unsaved_new = False
        self._unsaved_training = ""
        self.network_tabs.blockSignals(True)
        while self.network_tabs.count():
            self.network_tabs.removeTab(0)
        for net in lab.networks:
            text = net.name if net.name == net.role else f"{net.name} ({net.role})"
            i = self.network_tabs.addTab(text)
            self.network_tabs.setTabToolTip(i, f"Role: {net.role}: {ROLES.get(net.role, '')}")
        self.network_tabs.blockSignals(False)
        self.network_tabs.setVisible(len(lab.networks) > 1)
        self.stack.setCurrentIndex(1)
        self.show_network(lab.networks[0].name if lab.networks else "")
        self._update_title()
        self.lab_opened.emit(lab)

    def load_template(self, key: str) -> None:
        if key not in TEMPLATES:
            self.show_message(f"Unknown template '{key}' (templates: {', '.join(TEMPLATES)})", True)
            return
        self.set_lab(build_template(key), None, fresh=True)
        self.show_message(f"Template '{TEMPLATES[key].title}': {TEMPLATES[key].teaches}")

    def show_network(self, name: str) -> None:
        if self.lab is None:
            return
        names = [n.name for n in self.lab.networks]
        if name not in names:
            return
        net = self.lab.networks[names.index(name)]
        self.network_name = name
        if self.network_tabs.currentIndex() != names.index(name):
            self.network_tabs.blockSignals(True)
            self.network_tabs.setCurrentIndex(names.index(name))
            self.network_tabs.blockSignals(False)
        self.inspector.set_graph(net.graph, self.lab, name)
        self.canvas.set_graph(net.graph, name)

    def _on_tab(self, index: int) -> None:
        if self.lab is not None and 0 <= index < len(self.lab.networks):
            self.show_network(self.lab.networks[index].name)

    def _after_command(self, index: int) -> None:
        # Undoing an edit of another network shows that network, so the user sees what changed.
        command = self.undo_stack.command(index) or self.undo_stack.command(index - 1)
        if isinstance(command, GraphCommand) and command.network and command.network != self.network_name:
            self.show_network(command.network)
        self._update_title()

    def new_lab(self) -> None:
        if self.maybe_save():
            self.show_start_page()

    def show_start_page(self) -> None:
        self.stack.setCurrentIndex(0)

    def open_lab(self, path: str | None = None) -> bool:
        if not self.maybe_save():
            return False
        if path is None:
            folder = str(self.settings.value("last_folder", os.path.expanduser("~")))
            path, _ = QFileDialog.getOpenFileName(self, "Open a lab", folder, PROJECT_OPEN_FILTER
                                                  if self.project_handler is not None else LAB_FILTER)
            if not path:
                return False
        if self.project_handler is not None and self.project_handler.handles(path):
            if not self.project_handler.open(path):
                return False  # it said why; the open lab is untouched
            self._remember(path)
            return True
        try:
            lab = Lab.load(path)
        except GraphError as e:
            self.show_message(e.message, True)
            QMessageBox.warning(self, "Cannot open the lab", e.message)
            return False
        self.set_lab(lab, os.path.abspath(path))
        self._remember(path)
        self.show_message(f"Opened {path}")
        return True

    def save(self) -> bool:
        if self.lab is None:
            return False
        if self.path is None:
            return self.save_as()
        try:
            if self.project_handler is not None and self.project_handler.handles(self.path):
                if not self.project_handler.save(self.path):  # may finish later; if it fails: save_failed()
                    return False
            else:
                self.lab.save(self.path)
        except (OSError, GraphError) as e:
            message = getattr(e, "message", None) or f"Cannot save {self.path}: {e}"
            self.show_message(message, True)
            QMessageBox.warning(self, "Cannot save the lab", message)
            return False
        self.undo_stack.setClean()
        self._unsaved_new = False
        self._remember(self.path)
        self._update_title()
        self.show_message(f"Saved {self.path}")
        return True

    def save_as(self, path: str | None = None) -> bool:
        if self.lab is None:
            return False
        if path is None:
            folder = str(self.settings.value("last_folder", os.path.expanduser("~")))
            extension = ".nnp" if self.project_handler is not None else ".json"
            suggested = os.path.join(folder, self.lab.name.lower().replace(" ", "_") + extension)
            path, _ = QFileDialog.getSaveFileName(self, "Save the lab", suggested, PROJECT_SAVE_FILTER
                                                  if self.project_handler is not None else LAB_FILTER)
            if not path:
                return False
        self.path = os.path.abspath(path)
        return self.save()

    def save_failed(self, message: str) -> None:
        """A save that finished later (a project waits for the training's state) failed: say so, stay unsaved."""
        self._unsaved_new = True
        self._update_title()
        self.show_message(message, True)
        QMessageBox.warning(self, "Cannot save", message)

    def maybe_save(self) -> bool:
        """Ask before losing unsaved changes; return whether it is fine to go on."""
        if not self.modified or self.lab is None:
            return True
        edited = not self.undo_stack.isClean() or self._unsaved_new
        if self._unsaved_training and not edited:
            text = (f"The lab '{self.lab.name}' has unsaved {self._unsaved_training}: the trained weights are "
                    f"not in any file yet. Save them first?")
        elif self._unsaved_training:
            text = (f"The lab '{self.lab.name}' has unsaved changes and unsaved {self._unsaved_training}. Save "
                    f"them first?")
        else:
            text = f"The lab '{self.lab.name}' has unsaved changes. Save them first?"
        answer = QMessageBox.question(self, "Unsaved changes", text,
                                      QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            if self._unsaved_training and not self._holds_training(self.path):
                return self.save_as()  # a lab .json keeps no weights: ask where to put a project
            return self.save()
        return answer == QMessageBox.Discard

    def _holds_training(self, path: str | None) -> bool:
        return path is not None and self.project_handler is not None and self.project_handler.handles(path)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.maybe_save():
            event.ignore()
            return
        self._save_settings()
        self.closing.emit()
        self.canvas.set_graph(None)
        self.inspector.set_graph(None)
        event.accept()

    # Settings and recent files ---------------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)  # Qt moves and shrinks it onto a smaller screen than it was saved on
        else:
            self._fit_default_size()
        state = self.settings.value("window_state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)

    def _fit_default_size(self) -> None:
        """The default size, or all of a smaller screen (a 1366x768 laptop, a 1280x720 projector): a window larger
        than its screen hides the views on its right and its status bar."""
        width, height = DEFAULT_SIZE
        room = available_room(self)
        if room is not None and (width > room.width() or height > room.height()):
            self.small_screen = True  # launch() shows it maximised, so the window manager fits its frame in too
            width, height = min(width, room.width()), min(height, room.height())
            self.move(room.topLeft())
        self.resize(width, height)

    def _save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.settings.sync()

    def recent_labs(self) -> list[str]:
        value = self.settings.value("recent_labs", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: str) -> None:
        path = os.path.abspath(path)
        recent = [p for p in self.recent_labs() if p != path]
        self.settings.setValue("recent_labs", [path] + recent[: MAX_RECENT - 1])
        self.settings.setValue("last_folder", os.path.dirname(path))
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_labs()
        for path in recent:
            action = self.recent_menu.addAction(os.path.basename(path))
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_lab(p))
        self.recent_menu.setEnabled(bool(recent))

    # Status ----------------------------------------------------------------------------------------------------

    def show_message(self, text: str, error: bool = False) -> None:
        self.statusBar().setStyleSheet("QStatusBar { color: #c62828; }" if error else "")
        self.statusBar().showMessage(("⚠ " if error else "") + text, 10000 if error else 5000)

    def _on_inference(self, inference: Inference) -> None:
        self.problems.set_problems(inference.problems)
        self.inspector.set_inference(inference)
        partial = " so far" if any(p.node for p in inference.problems) else ""
        self.params_label.setText(f"Parameters{partial}: {inference.total_params:,}")
        n = len(inference.problems)
        self.problems_label.setText("✓ Ready" if n == 0 else f"⚠ {n} problem" + ("s" if n > 1 else ""))
        self.problems_label.setStyleSheet("color: #2e7d32;" if n == 0 else "color: #c62828; font-weight: bold;")
        self.problems_dock.setWindowTitle("Problems" if n == 0 else f"Problems ({n})")

    def _on_clean_changed(self, _clean: bool) -> None:
        self._update_title()

    def _update_title(self) -> None:
        name = self.lab.name if self.lab else "Start"
        where = f" ({os.path.basename(self.path)})" if self.path else ""
        self.setWindowTitle(f"{name}{where}[*] — {APP_TITLE}")
        self.setWindowModified(self.modified)

    # Small helpers ---------------------------------------------------------------------------------------------

    def current_graph(self) -> Graph | None:
        return self.canvas.graph

    def _add_at_center(self, kind: str) -> None:
        if self.canvas.graph is None:
            return
        center = self.canvas.mapToScene(self.canvas.viewport().rect().center())
        self.canvas.add_node(kind, QPointF(center))

    def _select_all(self) -> None:
        self.canvas.select_nodes(list(self.canvas.arch_scene.node_items))

    def apply_setting(self, assignment: str) -> None:
        """``node.field=value`` from the command line, applied as an ordinary undoable edit."""
        import json

        graph = self.current_graph()
        try:
            target, value_text = assignment.split("=", 1)
            node, field = target.split(".", 1)
            try:
                value = json.loads(value_text)
            except ValueError:
                value = value_text
            if graph is None:
                raise ValueError("no lab is open")
            if node not in graph:
                graph.node(node)
            merged = dict(graph.node(node).params)
            merged[field] = value
            graph.node(node).spec.check_params(merged, node)
        except GraphError as e:
            self.show_message(e.message, True)
            return
        except ValueError as e:
            self.show_message(f"--set {assignment}: write it as node.field=value ({e})", True)
            return
        self.undo_stack.push(SetParamCommand(graph, node, field, value, self.network_name))
        self.canvas.select_nodes([node])

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def show_about(self) -> None:
        QMessageBox.about(
            self, f"About {APP_TITLE}",
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


def _show_uncaught(exc_type: Any, exc: BaseException, tb: Any) -> None:
    """No traceback dialogs for users: print it for developers, show one sentence in the window."""
    traceback.print_exception(exc_type, exc, tb)
    app = QApplication.instance()
    window = next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)), None) if app else None
    if window is not None:
        window.show_message(f"Something went wrong: {exc}", True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="playground open", description="Open the Neural Network Playground window.")
    parser.add_argument("lab", nargs="?", help="a lab (.json) or project (.nnp) file to open")
    parser.add_argument("--template", "-t", choices=sorted(TEMPLATES), help="open a built-in template")
    parser.add_argument("--network", help="show this network of the lab (e.g. decoder)")
    parser.add_argument("--set", action="append", default=[], metavar="NODE.FIELD=VALUE",
                        help="change a parameter after opening, as an undoable edit (e.g. conv_2.kernel_size=15)")
    parser.add_argument("--select", help="select this node")
    parser.add_argument("--play", action="store_true", help="start training as soon as the lab is open")
    return parser.parse_args(argv)


def launch(argv: list[str], setup: Any = None) -> int:
    """Open the window; ``setup(window)`` lets the composition root attach what the window must not import."""
    args = parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APP_TITLE)
    app.setWindowIcon(app_icon())
    sys.excepthook = _show_uncaught
    collect_on_gui_thread()  # a worker thread must never destroy Qt objects (it can hang the app)
    window = MainWindow()
    if setup is not None:
        setup(window)
    if window.small_screen:
        window.showMaximized()
    else:
        window.show()
    if args.template:
        window.load_template(args.template)
    elif args.lab:
        window.open_lab(args.lab)
    if args.network:
        window.show_network(args.network)
    for assignment in args.set:
        window.apply_setting(assignment)
    if args.select:
        window.canvas.select_nodes([args.select], center=False)
    if args.play and window.lab is not None:
        window.train_requested.emit()
    return app.exec()
