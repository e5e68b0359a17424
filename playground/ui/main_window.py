"""The main window: menus, toolbar, status bar, the editor (palette, canvas, inspector, problems) and the start page.

It shows a document it is given (the open lab, its file, its undo stack and what is unsaved: the composition root's
``LabDocument``) and follows its signals; the canvas, inspector and problems list mirror the graph being edited.
Training is not wired here: the Train actions emit ``train_requested`` and friends for the composition root to
connect once the engine is hooked up.

Its actions, menus and toolbar are built in ``main_window_actions``, the Help dialogs live in ``help_dialogs`` and
the command line and ``launch()`` in ``window_launch``, which builds on this module.
"""

from __future__ import annotations

import os
from typing import Any, cast

from PySide6.QtCore import QByteArray, QChildEvent, QPointF, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QUndoStack
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

from .app_names import APP_TITLE, APPLICATION, ORGANIZATION
from .canvas import ArchitectureCanvas
from .commands import GraphCommand, SetParamCommand
from .help_dialogs import SHORTCUTS, show_about_dialog, show_shortcuts_dialog
from .inspector import NodeInspector
from .main_window_actions import BUILD_MODE, EXPORT_CHOICES, TRAIN_MODE, TRAIN_PENDING, MainWindowActions
from .palette import LayerPalette
from .presentation import PresentationMode
from .problems import ProblemsPanel
from .start_page import StartPage
from .style import app_icon

MAX_RECENT = 8
DEFAULT_SIZE = (1400, 860)  # the least a first start takes, where the screen has room for it
# A first start on a larger screen takes this share of it, centred: the views are what the app is for, and a
# fixed 1400x860 left a 1920x1080 screen's views at the size of a laptop's.
SCREEN_SHARE = 0.9
LAB_FILTER = "Labs (*.json);;All files (*)"
# With project files (given by the composition root), projects hold the lab and its training in one file.
PROJECT_OPEN_FILTER = "Projects and labs (*.nnp *.json);;Projects (*.nnp);;Labs (*.json);;All files (*)"
PROJECT_SAVE_FILTER = "Projects, with the training (*.nnp);;Labs, the network and settings only (*.json)"


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


# Shown only with a lab open (object names): the editing docks, the data controls, the training toolbars and the
# status bar's "press Space to train".
START_PAGE_HIDES = ("layersDock", "inspectorDock", "problemsDock", "dataDock", "trainToolbar", "timeMachineToolbar",
                    "trainingHint")
# What Train mode hides for the views' sake (the inspector comes back as a tab when a node is selected).
TRAIN_MODE_HIDES = ("layersDock", "dataDock", "inspectorDock", "problemsDock")


class MainWindow(MainWindowActions, QMainWindow):
    train_requested = Signal()
    workspace_mode_changed = Signal(str)  # BUILD_MODE or TRAIN_MODE: the docks are laid out anew for it
    pause_requested = Signal()
    step_requested = Signal()
    reset_requested = Signal()
    closing = Signal()  # the close was accepted: whoever runs work for this window stops it now
    # File > Export and Import model: the composition root does the work (this package may not touch torch).
    export_requested = Signal(str)  # one of the keys of EXPORT_CHOICES
    import_requested = Signal(str)  # the path of a Python file to open as a lab

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None, *, document: Any) -> None:
        """``document`` is what the window shows and edits (this package cannot import its class): it has ``lab``,
        ``path``, ``undo_stack``, ``edited``, ``modified``, ``unsaved_training``, ``set_lab``, ``set_path``,
        ``mark_saved``, ``mark_unsaved`` and the signals ``lab_replaced``, ``path_changed`` and ``dirty_changed``."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.settings = settings if settings is not None else default_settings()
        self.document = document
        self.network_name = ""
        # Opens and saves project files (.nnp: the lab with its training), which this package cannot read: the
        # composition root gives it with set_project_files().
        self._project_files: Any = None
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
        self._hidden_for_start: list[QWidget] = []
        self._chrome_pending = False
        self.stack.currentChanged.connect(self._start_page_chrome)
        # Banners (e.g. the offer to recover after a crash) sit above the start page and the editor alike.
        central = QWidget()
        central.setObjectName("central")
        self._banners = QVBoxLayout(central)
        self._banners.setContentsMargins(0, 0, 0, 0)
        self._banners.setSpacing(0)
        self._banners.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.layer_palette = LayerPalette()
        self.inspector = NodeInspector(self.undo_stack)
        self.problems = ProblemsPanel()
        area = Qt.DockWidgetArea
        self.palette_dock = self._dock("Layers", "layersDock", self.layer_palette, area.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector, area.RightDockWidgetArea)
        self.problems_dock = self._dock("Problems", "problemsDock", self.problems, area.BottomDockWidgetArea)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [250, 300], Qt.Orientation.Horizontal)
        self.resizeDocks([self.problems_dock], [90], Qt.Orientation.Vertical)

        self.params_label = QLabel()
        self.params_label.setObjectName("paramsLabel")
        self.problems_label = QLabel()
        self.problems_label.setObjectName("problemsLabel")
        self.statusBar().addPermanentWidget(self.problems_label)
        self.statusBar().addPermanentWidget(self.params_label)

        self.presentation = PresentationMode(self, self.canvas.fit_view)
        # Leaving presentation mode after the layout changed under it brings back only the chrome of the mode in use.
        self.presentation.kept_hidden = lambda: TRAIN_MODE_HIDES if self.workspace_mode == TRAIN_MODE else ()
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

    def _connect(self) -> None:
        self.start_page.template_chosen.connect(self.load_template)
        self.start_page.blank_chosen.connect(lambda: self.set_lab(blank_lab(), None, fresh=True))
        self.start_page.open_requested.connect(lambda: self.open_lab())
        self.layer_palette.kind_activated.connect(self._add_at_center)
        self.canvas.message.connect(self.show_message)
        self.canvas.node_selected.connect(self.inspector.show_node)
        self.canvas.node_selected.connect(self._inspect)
        self.canvas.arch_scene.inference_changed.connect(self._on_inference)
        self.problems.node_activated.connect(lambda name: self.canvas.select_nodes([name], center=True))
        self.network_tabs.currentChanged.connect(self._on_tab)
        self.undo_stack.indexChanged.connect(self._after_command)
        self.document.lab_replaced.connect(self._show_lab)
        self.document.lab_replaced.connect(lambda _lab: self.presentation.lab_changed())
        self.document.path_changed.connect(lambda _path: self._update_title())
        self.document.dirty_changed.connect(lambda _dirty: self._update_title())

    def set_project_files(self, project_files: Any) -> None:
        """Open and save project files (.nnp) with ``project_files``: it has handles(path) -> bool, open(path) ->
        bool and save(path) -> bool (which may finish later, and call save_failed if it fails)."""
        self._project_files = project_files

    # The document ----------------------------------------------------------------------------------------------

    @property
    def lab(self) -> Lab | None:
        return self.document.lab  # type: ignore[no-any-return]

    @property
    def path(self) -> str | None:
        return self.document.path  # type: ignore[no-any-return]

    @property
    def undo_stack(self) -> QUndoStack:
        return self.document.undo_stack  # type: ignore[no-any-return]

    @property
    def modified(self) -> bool:
        return bool(self.document.modified)

    # Lab lifecycle ---------------------------------------------------------------------------------------------

    def set_lab(self, lab: Lab, path: str | None, fresh: bool = False) -> None:
        """Show ``lab``; a fresh lab (template, blank) counts as unsaved only once it is edited."""
        self.document.set_lab(lab, path)

    def _show_lab(self, lab: Lab) -> None:
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
        self._start_page_chrome(0)

    def _start_page_chrome(self, index: int) -> None:
        """The editing docks and the training toolbars mean nothing before a lab is open: the start page gets the
        window to itself, and opening a lab gives back exactly what it hid."""
        self._chrome_pending = False
        if index != 0:
            for widget in self._hidden_for_start:
                widget.show()
            self._hidden_for_start = []
            return
        for name in START_PAGE_HIDES:
            found = self.findChild(QWidget, name)
            # Hidden whatever its state: a toolbar or dock just added is not shown yet but will be by its owner.
            if found is not None:
                found.hide()
                if found not in self._hidden_for_start:
                    self._hidden_for_start.append(found)

    def childEvent(self, event: QChildEvent) -> None:
        # Toolbars and docks that presenters add while the start page shows (the app attaches once PyTorch has
        # loaded) are hidden too, once they are in place.
        super().childEvent(event)
        stack = getattr(self, "stack", None)
        if event.added() and stack is not None and stack.currentIndex() == 0 and not self._chrome_pending:
            self._chrome_pending = True
            QTimer.singleShot(0, lambda: self._start_page_chrome(self.stack.currentIndex()))

    def open_lab(self, path: str | None = None) -> bool:
        if not self.maybe_save():
            return False
        if path is None:
            folder = str(self.settings.value("last_folder", os.path.expanduser("~")))
            path, _ = QFileDialog.getOpenFileName(self, "Open a lab", folder, PROJECT_OPEN_FILTER
                                                  if self._project_files is not None else LAB_FILTER)
            if not path:
                return False
        if self._project_files is not None and self._project_files.handles(path):
            if not self._project_files.open(path):
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
            if self._project_files is not None and self._project_files.handles(self.path):
                if not self._project_files.save(self.path):  # may finish later; if it fails: save_failed()
                    return False
            else:
                self.lab.save(self.path)
        except (OSError, GraphError) as e:
            message = getattr(e, "message", None) or f"Cannot save {self.path}: {e}"
            self.show_message(message, True)
            QMessageBox.warning(self, "Cannot save the lab", message)
            return False
        self.document.mark_saved()
        self._remember(self.path)
        self.show_message(f"Saved {self.path}")
        return True

    def save_as(self, path: str | None = None) -> bool:
        if self.lab is None:
            return False
        if path is None:
            folder = str(self.settings.value("last_folder", os.path.expanduser("~")))
            extension = ".nnp" if self._project_files is not None else ".json"
            suggested = os.path.join(folder, self.lab.name.lower().replace(" ", "_") + extension)
            path, _ = QFileDialog.getSaveFileName(self, "Save the lab", suggested, PROJECT_SAVE_FILTER
                                                  if self._project_files is not None else LAB_FILTER)
            if not path:
                return False
        self.document.set_path(os.path.abspath(path))
        return self.save()

    def save_failed(self, message: str) -> None:
        """A save that finished later (a project waits for the training's state) failed: say so, stay unsaved."""
        self.document.mark_unsaved()
        self.show_message(message, True)
        QMessageBox.warning(self, "Cannot save", message)

    def maybe_save(self) -> bool:
        """Ask before losing unsaved changes; return whether it is fine to go on."""
        if not self.modified or self.lab is None:
            return True
        edited, training = self.document.edited, self.document.unsaved_training
        if training and not edited:
            text = (f"The lab '{self.lab.name}' has unsaved {training}: the trained weights are "
                    f"not in any file yet. Save them first?")
        elif training:
            text = (f"The lab '{self.lab.name}' has unsaved changes and unsaved {training}. Save "
                    f"them first?")
        else:
            text = f"The lab '{self.lab.name}' has unsaved changes. Save them first?"
        answer = QMessageBox.question(self, "Unsaved changes", text,
                                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard |
                                      QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            if training and not self._holds_training(self.path):
                return self.save_as()  # a lab .json keeps no weights: ask where to put a project
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _holds_training(self, path: str | None) -> bool:
        return path is not None and self._project_files is not None and self._project_files.handles(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.set_presentation_mode(False)  # the layout to remember is the one to edit in
        self.set_workspace_mode(BUILD_MODE)
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
        elif room is not None:
            width = max(width, int(room.width() * SCREEN_SHARE))
            height = max(height, int(room.height() * SCREEN_SHARE))
            self.move(room.x() + (room.width() - width) // 2, room.y() + (room.height() - height) // 2)
        self.resize(width, height)

    def _save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.settings.sync()

    def recent_labs(self) -> list[str]:
        value = self.settings.value("recent_labs", [])
        if isinstance(value, str):
            value = [value]
        # QSettings gives a list back, or a string alone where the list held one.
        return [str(v) for v in cast("list[Any]", value or [])]

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

    def _inspect(self, name: str | None) -> None:
        """A node just selected brings the inspector in front of the views tabbed with it, to edit it at once."""
        if name is not None and self.inspector_dock.isVisible():
            self.inspector_dock.raise_()

    def set_presentation_mode(self, on: bool) -> None:
        """Presentation mode (see ui/presentation.py) on or off; the action's check mark follows."""
        if on:
            self.presentation.enter()
        else:
            self.presentation.leave()
        self.presentation_action.setChecked(self.presentation.active)

    def show_shortcuts(self) -> None:
        show_shortcuts_dialog(self)

    def show_about(self) -> None:
        show_about_dialog(self)


# Names other modules and tests import from here, though they now live in the modules above.
__all__ = [
    "APPLICATION",
    "APP_TITLE",
    "BUILD_MODE",
    "DEFAULT_SIZE",
    "EXPORT_CHOICES",
    "LAB_FILTER",
    "MAX_RECENT",
    "ORGANIZATION",
    "PROJECT_OPEN_FILTER",
    "PROJECT_SAVE_FILTER",
    "SCREEN_SHARE",
    "SHORTCUTS",
    "TRAIN_MODE",
    "TRAIN_MODE_HIDES",
    "TRAIN_PENDING",
    "MainWindow",
    "available_room",
    "blank_lab",
    "default_settings",
]
