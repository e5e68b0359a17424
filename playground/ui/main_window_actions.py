"""The main window's actions, menus and toolbar (a mixin of MainWindow): File, Edit, View, Train and Help, with
their shortcuts and tips. The slots they call live on the window itself."""

from __future__ import annotations

import os
from abc import abstractmethod
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PySide6.QtWidgets import QDockWidget, QFileDialog, QHBoxLayout, QMainWindow, QToolButton, QWidget

if TYPE_CHECKING:
    from .canvas import ArchitectureCanvas

    WindowBase = QMainWindow
else:
    WindowBase = object  # the declarations are for the type checker; at run time the mixin is a plain class

TRAIN_PENDING = "Training arrives with the engine hookup"
EXPORT_CHOICES = {
    "onnx": "Model as &ONNX…", "py": "Model as &PyTorch code…", "pt2": "Model as &torch.export program…",
    "csv": "Metric &history as CSV…", "gif": "Decision &boundary over training as GIF…",
    "view": "&View as PNG or SVG…",
}
# The two workspace modes: the editor gets the room while building, the live views while training.
BUILD_MODE, TRAIN_MODE = "build", "train"
BUILD_TIP = ("Build the network (Ctrl+1): the layer palette and the data controls, the editor at its full size, the "
             "inspector and the problems list.")
TRAIN_TIP = ("Watch it learn (Ctrl+2): the views get the room, the main view the largest; the network stays as a "
             "compact live diagram. The first Play of a lab switches here; Build gives the editor back.")
# Segments of one switch: the mode in use filled, the other plain. Never bold: a wider label would move every
# button to its right when Play switches to Train.
SWITCH_STYLE = """
QToolButton { padding: 2px 12px; border: 1px solid #8a8a8a; background: #f4f4f4; color: #202020; }
QToolButton:checked { background: #1e6fc8; border-color: #155a9c; color: white; }
QToolButton:hover:!checked { background: #e2ebf5; }
QToolButton#buildModeButton { border-top-left-radius: 4px; border-bottom-left-radius: 4px; }
QToolButton#trainModeButton { border-top-right-radius: 4px; border-bottom-right-radius: 4px; border-left: none; }
"""


class ModeSwitch(QWidget):
    """Build | Train as one two-state switch for the toolbar: two checkable buttons of one exclusive group."""

    def __init__(self, build: QAction, train: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workspaceModeSwitch")
        box = QHBoxLayout(self)
        box.setContentsMargins(4, 0, 8, 0)
        box.setSpacing(0)
        for action, name in ((build, "buildModeButton"), (train, "trainModeButton")):
            button = QToolButton()
            button.setObjectName(name)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            box.addWidget(button)
        self.setStyleSheet(SWITCH_STYLE)


class MainWindowActions(WindowBase):
    """Builds the window's actions, menu bar and toolbar; it uses the MainWindow's attributes (canvas, docks,
    undo stack, signals...)."""

    if TYPE_CHECKING:  # what MainWindow (main_window.py) provides; mypy checks that it provides all of it
        settings: QSettings
        canvas: ArchitectureCanvas
        palette_dock: QDockWidget
        inspector_dock: QDockWidget
        problems_dock: QDockWidget
        train_requested: Signal
        workspace_mode_changed: Signal
        step_requested: Signal
        reset_requested: Signal
        export_requested: Signal
        import_requested: Signal

        @property
        @abstractmethod
        def undo_stack(self) -> QUndoStack: ...

        @abstractmethod
        def new_lab(self) -> None: ...

        @abstractmethod
        def open_lab(self, path: str | None = None) -> bool: ...

        @abstractmethod
        def save(self) -> bool: ...

        @abstractmethod
        def save_as(self, path: str | None = None) -> bool: ...

        @abstractmethod
        def show_shortcuts(self) -> None: ...

        @abstractmethod
        def show_about(self) -> None: ...

        @abstractmethod
        def _select_all(self) -> None: ...

        @abstractmethod
        def _refresh_recent_menu(self) -> None: ...

        @abstractmethod
        def set_presentation_mode(self, on: bool) -> None: ...

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
        key = QKeySequence.StandardKey
        self.new_action = a("&New…", self.new_lab, key.New, "Start a new lab from a template", "actionNew")
        self.open_action = a("&Open…", lambda: self.open_lab(), key.Open, "Open a lab file", "actionOpen")
        self.save_action = a("&Save", self.save, key.Save, "Save the lab", "actionSave")
        self.save_as_action = a("Save &As…", lambda: self.save_as(), "Ctrl+Shift+S", "Save the lab under a new name",
                                "actionSaveAs")
        self.quit_action = a("&Quit", self.close, key.Quit, "Quit", "actionQuit")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence(key.Undo)])
        self.undo_action.setObjectName("actionUndo")
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setObjectName("actionRedo")
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)
        self.copy_action = a("&Copy", self.canvas.copy_selected, key.Copy, "Copy the selected layers")
        self.paste_action = a("&Paste", self.canvas.paste, key.Paste, "Paste layers")
        self.duplicate_action = a("&Duplicate", self.canvas.duplicate, "Ctrl+D", "Duplicate the selected layers")
        self.delete_action = a("&Delete", self.canvas.delete_selected, [key.Delete, "Backspace"],
                               "Delete the selected layers and connections", "actionDelete")
        self.select_all_action = a("Select &all", self._select_all, key.SelectAll, "Select every layer")
        self.fit_action = a("&Fit to view", self.canvas.fit_view, "F", "Show the whole network", "actionFit")
        self.layout_action = a("Auto &layout", self.canvas.auto_layout, "L",
                               "Arrange the layers left to right by depth", "actionLayout")
        self.zoom_in_action = a("Zoom &in", lambda: self.canvas.zoom(1.25), key.ZoomIn)
        self.zoom_out_action = a("Zoom &out", lambda: self.canvas.zoom(0.8), key.ZoomOut)
        self.start_action = a("&Start page", self.new_lab, None, "Show the templates")
        self.play_action = a("&Play", self.train_requested.emit, "Space", TRAIN_PENDING, "actionPlay")
        self.step_action = a("&Step", self.step_requested.emit, "Ctrl+Right", TRAIN_PENDING, "actionStep")
        self.reset_action = a("&Reset", self.reset_requested.emit, "Ctrl+R", TRAIN_PENDING, "actionReset")
        self.set_training_available(False)
        self.presentation_action = a("&Presentation mode", self.set_presentation_mode, ["F5", "Ctrl+Shift+P"],
                                     "For a classroom projector (F5): larger text, lines, points and controls, "
                                     "the editing panels hidden and the main view large. F5 again gives the "
                                     "window back as it was.", "presentationModeAction")
        self.presentation_action.setCheckable(True)
        self.build_mode_action = a("&Build", lambda: self.set_workspace_mode(BUILD_MODE), "Ctrl+1", BUILD_TIP,
                                   "buildModeAction")
        self.train_mode_action = a("&Train", lambda: self.set_workspace_mode(TRAIN_MODE), "Ctrl+2", TRAIN_TIP,
                                   "trainModeAction")
        self.mode_group = QActionGroup(self)
        self.mode_group.setExclusive(True)
        for action in (self.build_mode_action, self.train_mode_action):
            action.setCheckable(True)
            self.mode_group.addAction(action)
        self.build_mode_action.setChecked(True)
        self._workspace_mode = BUILD_MODE
        self.shortcuts_action = a("&Keyboard shortcuts", self.show_shortcuts, key.HelpContents)
        self.about_action = a("&About", self.show_about)
        for action in (self.fit_action, self.layout_action, self.delete_action, self.play_action):
            # Single keys must not fire while typing in the search box or the inspector.
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    @property
    def workspace_mode(self) -> str:
        """BUILD_MODE or TRAIN_MODE: who gets the room, the editor or the live views."""
        return self._workspace_mode

    def set_workspace_mode(self, mode: str, quiet: bool = False) -> None:
        """Switch to ``mode``; the switch's buttons follow. Whoever lays out the docks hears it through
        ``workspace_mode_changed``, unless ``quiet`` (they lay out for it themselves)."""
        if mode not in (BUILD_MODE, TRAIN_MODE):
            raise ValueError(f"Unknown workspace mode '{mode}'")
        (self.train_mode_action if mode == TRAIN_MODE else self.build_mode_action).setChecked(True)
        if mode == self._workspace_mode:
            return
        self._workspace_mode = mode
        if not quiet:
            self.workspace_mode_changed.emit(mode)

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
        view.setToolTipsVisible(True)
        view.addActions([self.build_mode_action, self.train_mode_action])
        view.addSeparator()
        view.addActions([self.fit_action, self.layout_action, self.zoom_in_action, self.zoom_out_action])
        view.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.problems_dock):
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction(self.presentation_action)
        view.addAction(self.start_action)
        train = bar.addMenu("&Train")
        train.setToolTipsVisible(True)
        train.addActions([self.play_action, self.step_action, self.reset_action])
        train.addSeparator()
        self.training_settings_action = train.addAction("Training &settings…")
        self.training_settings_action.setObjectName("trainingSettingsAction")
        self.training_settings_action.setStatusTip("Every setting of the training loop: epochs, batch size, schedule, "
                                                   "early stopping, clipping, momentum, the weight initialiser")
        # What learning is made of, shown on the open network; the composition root answers these actions.
        self.learning_menu = bar.addMenu("&Learning")
        self.learning_menu.setObjectName("learningMenu")
        self.backprop_action = self.learning_menu.addAction("&Backpropagation step by step…")
        self.backprop_action.setObjectName("actionBackprop")
        self.backprop_action.setStatusTip("One training step of the open network, number by number: forward, loss, "
                                          "backward by the chain rule, update; beside a gradient check")
        self.landscape_action = self.learning_menu.addAction("Loss &landscape and optimizer race…")
        self.landscape_action.setObjectName("actionLandscape")
        self.landscape_action.setStatusTip("The loss around the network's weights and its training path, exact "
                                           "cost surfaces of tiny models, and SGD, momentum and Adam racing on them")
        self.maximise_action = self.learning_menu.addAction("What a &unit responds to…")
        self.maximise_action.setObjectName("actionActivationMaximisation")
        self.maximise_action.setStatusTip("The images that excite each class, or each channel of a layer, most: found "
                                          "by gradient ascent on the pixels of the trained network")
        self.embedding_action = self.learning_menu.addAction("&Embeddings…")
        self.embedding_action.setObjectName("actionEmbeddings")
        self.embedding_action.setStatusTip("An Embedding layer's token vectors on a map (PCA), live, with each "
                                           "token's nearest neighbours")
        self.compare_runs_action = self.learning_menu.addAction("&Compare runs…")
        self.compare_runs_action.setObjectName("compareRunsAction")
        self.compare_runs_action.setStatusTip("Duplicate the run with one change (optimizer, learning rate, batch "
                                              "size, dropout, units, activation) and train the copies side by side")
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

    def _fixed_text(self, action: QAction, text: str) -> QAction:
        """A toolbar twin of ``action`` with a text that never changes: the undo stack names the command in its
        actions' text ("Undo Add Dense"), which widened the toolbar and moved every button right of it. The
        command's name is in the twin's tooltip."""
        twin = QAction(text, self)
        twin.setObjectName(action.objectName() + "Button")
        twin.triggered.connect(action.trigger)

        def follow() -> None:
            twin.setEnabled(action.isEnabled())
            name = action.text().replace("&", "")
            twin.setToolTip(f"{name} ({action.shortcut().toString()})")
            twin.setStatusTip(name)

        action.changed.connect(follow)
        follow()
        return twin

    def _create_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.mode_switch = ModeSwitch(self.build_mode_action, self.train_mode_action)
        tb.addWidget(self.mode_switch)
        tb.addSeparator()
        tb.addActions([self.new_action, self.open_action, self.save_action])
        tb.addSeparator()
        tb.addActions([self._fixed_text(self.undo_action, "Undo"), self._fixed_text(self.redo_action, "Redo"),
                       self.delete_action])
        tb.addSeparator()
        tb.addActions([self.fit_action, self.layout_action])
        tb.addSeparator()
        tb.addActions([self.play_action, self.step_action, self.reset_action])
