"""The training controller: joins the main window, the runtime bridge, the train toolbar, the data panel and the
live views. Part of the composition root (app.py builds it), so it may import every layer.

It owns the one TrainingSession. Views only receive snapshots; the GUI thread never runs torch.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabBar,
    QToolBar,
    QWidget,
)

from playground.data import functions1d, gan2d, image_folder, image_sets, text, toy2d
from playground.data.errors import DataError
from playground.downloads import DownloadController
from playground.engine.commands import (
    Pause,
    Recompile,
    Reset,
    Resume,
    SetDataset,
    SetProbes,
    SetSample,
    SetTraining,
    Step,
    AddSamples,
)
from playground.engine.datasets import folder_options, load_dataset
from playground.engine.errors import EngineError
from playground.engine.probes import ACTIVATION_KINDS
from playground.engine.snapshot import metric_phrases
from playground.graph import GraphError, Lab, LabFormatError
from playground.runtime import TrainingSession
from playground.ui.commands import SetParamCommand
from playground.ui.data_panel import DataPanel, DatasetChoice, ImageSetChoice
from playground.ui.digit_pad import DigitPanel
from playground.ui.main_window import MainWindow
from playground.ui.training_toolbar import TrainToolbar
from playground.ui.views.families import family_views
from playground.ui.views.data_samples import DataSampleView
from playground.ui.views import (
    ClassTemplateView,
    ConfusionMatrixView,
    DecisionBoundaryView,
    FeatureMapView,
    FilterGridView,
    FilterLabView,
    GradientNormView,
    HiddenSpaceView,
    LossCurvePanel,
    NeuronGridView,
    WeightsView,
)

PLANE_VIEWS = ("boundary", "neurons", "hidden", "weights", "gradients")
IMAGE_VIEW_KEYS = ("feature_maps", "filters", "templates", "confusion", "filter_lab")
# The tasks the classifier and regressor views were made for; other families bring their own views.
CLASSIC_TASKS = ("classification", "regression")
# Views that mean something for every family (curves, weights and gradient norms of the first network).
SHARED_VIEWS = ("loss", "weights", "gradients", "filters")
# How long closing the window waits for the worker to end its batch, and how long when a save awaits its state.
QUIT_WAIT_MS = 400
CHECKPOINT_WAIT_MS = 30_000


def data_kind(dataset: str) -> str:
    """What a dataset holds, in the words of FamilyView.data."""
    if dataset in toy2d.DATASETS_2D or dataset in gan2d.TARGETS:
        return "plane"
    if dataset in ("digits", "folder") or dataset in image_sets.IMAGE_SETS:
        return "images"
    if dataset in text.CORPORA:
        return "text"
    if dataset == functions1d.DATASET:
        return "function"  # y = f(x): the function-fit view, not the plane or image views
    return "series" if dataset == "sine" else "sequences"


def plane_data(dataset: Any) -> bool:
    """Whether a lab's data are points of the plane: a 2-D set, or a table of two features (your own data)."""
    return dataset.name in toy2d.DATASETS_2D or (dataset.name == "table" and len(dataset.features) == 2)


class LabSettingsCommand(QUndoCommand):
    """Changing training or dataset settings is an edit of the lab like any other: undoable, marks it unsaved."""

    def __init__(self, controller: TrainingController, section: str, before: Any, after: Any, text: str) -> None:
        super().__init__(text)
        self.controller, self.section, self.before, self.after = controller, section, before, after

    def redo(self) -> None:
        self.controller.apply_lab_settings(self.section, self.after)

    def undo(self) -> None:
        self.controller.apply_lab_settings(self.section, self.before)


class ApplyBanner(QFrame):
    """Shown when the network was edited during a run: apply the edit (keeping weights) or start over."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("applyBanner")
        self.setStyleSheet("#applyBanner { background: #fff4d6; border: 1px solid #e0b44a; border-radius: 4px; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel("The network changed, so training paused. Apply the edit to go on training: layers "
                            "whose shapes did not change keep their weights.")
        self.label.setWordWrap(True)
        self.apply_button = QPushButton("Apply and continue")
        self.apply_button.setObjectName("applyEditButton")
        self.restart_button = QPushButton("Start over")
        self.restart_button.setObjectName("restartButton")
        self.restart_button.setToolTip("Train the edited network from fresh weights.")
        row.addWidget(self.label, 1)
        row.addWidget(self.apply_button)
        row.addWidget(self.restart_button)
        self.hide()


class MessageBanner(QFrame):
    """A red line for a diverged run or a refused request; stays until dismissed or the run resumes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self.setStyleSheet("#messageBanner { background: #fdecea; border: 1px solid #e57373; border-radius: 4px; }"
                           "QLabel { color: #8b1c1c; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel()
        self.label.setObjectName("trainingMessage")
        self.label.setWordWrap(True)
        close = QPushButton("Dismiss")
        close.clicked.connect(self.hide)
        row.addWidget(self.label, 1)
        row.addWidget(close)
        self.hide()

    def show_text(self, text: str) -> None:
        self.label.setText(text)
        self.show()


class TrainingController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = TrainingSession(self)
        self._stale = False  # the lab changed since the running trainer was built
        self._settings_edit = False
        self._broken_views: set[str] = set()
        self._last_snapshot: Any = None
        self._playing = False

        self.toolbar = TrainToolbar(window)
        window.addToolBarBreak()
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        main_toolbar = window.findChild(QToolBar, "mainToolbar")
        if main_toolbar is not None:  # the train toolbar shows these, with icons
            for action in (window.play_action, window.step_action, window.reset_action):
                main_toolbar.removeAction(action)
        window.set_training_available(True)

        self.data_panel = DataPanel(dict(toy2d.FEATURES))
        short = {"circle": "Circle", "xor": "XOR", "gaussian": "Gaussians", "spiral": "Spiral", "moons": "Moons",
                 "plane": "Plane", "multi_gaussian": "Blobs", "blobs": "Class blobs", "arms": "Spiral arms",
                 "rings": "Rings"}
        self.data_panel.set_datasets([
            DatasetChoice(info.name, short.get(info.name, info.title), f"{info.title}: {info.description}",
                          info.kind, toy2d.thumbnail(info.name, 52), info.class_range if info.multiclass else (0, 0))
            for info in toy2d.DATASETS_2D.values()])
        self.views: dict[str, Any] = {
            "loss": LossCurvePanel(), "boundary": DecisionBoundaryView(), "neurons": NeuronGridView(),
            "hidden": HiddenSpaceView(), "weights": WeightsView(), "gradients": GradientNormView(),
            "feature_maps": FeatureMapView(), "filters": FilterGridView(), "templates": ClassTemplateView(),
            "confusion": ConfusionMatrixView(), "filter_lab": FilterLabView(), "samples": DataSampleView(),
        }
        self.docks: dict[str, QDockWidget] = {}
        left, right, bottom = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                               Qt.DockWidgetArea.BottomDockWidgetArea)
        # In a scroll area, so the panel's natural height never squeezes the docks below it.
        data_scroll = QScrollArea()
        data_scroll.setWidget(self.data_panel)
        data_scroll.setWidgetResizable(True)
        data_scroll.setFrameShape(QFrame.Shape.NoFrame)
        data_dock = self._dock("Data", "dataDock", data_scroll, left)
        window.tabifyDockWidget(window.palette_dock, data_dock)
        window.palette_dock.raise_()
        titles = {"loss": ("Loss and accuracy", right), "boundary": ("Output", right),
                  "neurons": ("Neurons", bottom), "hidden": ("Hidden space", bottom),
                  "weights": ("Weights", bottom), "gradients": ("Gradients", bottom),
                  "feature_maps": ("Feature maps", bottom), "filters": ("Filters", bottom),
                  "templates": ("Class templates", bottom), "confusion": ("Confusion", bottom),
                  "filter_lab": ("Filter lab", right), "samples": ("Samples", bottom)}
        for key, (title, area) in titles.items():
            # An explicit small minimum: a view squeezes its content rather than growing the window off screen.
            self.views[key].setMinimumSize(120, 90)
            self.docks[key] = self._dock(title, f"{key}Dock", self.views[key], area)
        # Right column: the output on top; below it the inspector, with the loss curves as its neighbour tab.
        window.splitDockWidget(self.docks["boundary"], window.inspector_dock, Qt.Orientation.Vertical)
        window.tabifyDockWidget(window.inspector_dock, self.docks["loss"])
        window.inspector_dock.raise_()
        # Bottom row: the four inner views side by side (each readable at once), the problems list as the
        # neurons' neighbour tab, in front while editing.
        bottom_keys = ("neurons", "hidden", "weights", "gradients")
        for first, second in zip(bottom_keys, bottom_keys[1:]):
            window.splitDockWidget(self.docks[first], self.docks[second], Qt.Orientation.Horizontal)
        window.tabifyDockWidget(self.docks["neurons"], window.problems_dock)
        window.problems_dock.raise_()
        # The image views share the bottom row's places, as tabs beside the 2-D views; the lab's data decides
        # which set is in front (see _raise_views_for).
        for plane, image in (("neurons", "feature_maps"), ("hidden", "filters"), ("weights", "templates"),
                             ("gradients", "confusion")):
            window.tabifyDockWidget(self.docks[plane], self.docks[image])
        window.tabifyDockWidget(self.docks["weights"], self.docks["samples"])
        self._samples_for: Any = None  # the dataset settings the samples view shows
        window.tabifyDockWidget(self.docks["loss"], self.docks["filter_lab"])
        # Draw a digit: beside the curves, for labs that read 28×28 digits.
        self.digit_panel = DigitPanel()
        self.digit_panel.setMinimumSize(120, 90)
        self.draw_dock = self._dock("Draw a digit", "drawDock", self.digit_panel, right)
        window.tabifyDockWidget(self.docks["loss"], self.draw_dock)
        self.docks["loss"].raise_()
        # Shares of the window's width, so the row never asks for more than the window has.
        width = max(900, window.width()) - 40
        window.resizeDocks([self.docks[k] for k in bottom_keys],
                           [int(width * f) for f in (0.28, 0.28, 0.22, 0.22)], Qt.Orientation.Horizontal)
        window.resizeDocks([self.docks["neurons"]], [250], Qt.Orientation.Vertical)
        window.resizeDocks([self.docks["boundary"], window.inspector_dock], [430, 300], Qt.Orientation.Vertical)
        self.data_dock = data_dock
        self._add_family_views()
        self.downloads = DownloadController(window)
        self._refresh_image_sets()
        self._add_download_actions()

        self.apply_banner = ApplyBanner()
        self.message_banner = MessageBanner()
        editor = window.stack.widget(1)
        if editor is not None and editor.layout() is not None:
            editor.layout().insertWidget(0, self.message_banner)
            editor.layout().insertWidget(0, self.apply_banner)
        self.metrics_label = QLabel()
        self.metrics_label.setObjectName("metricsLabel")
        window.statusBar().addPermanentWidget(self.metrics_label)

        self._probe_timer = QTimer(self)
        self._probe_timer.setSingleShot(True)
        self._probe_timer.setInterval(0)
        self._probe_timer.timeout.connect(self._send_probes)
        self._tab_bar_timer = QTimer(self)
        self._tab_bar_timer.setSingleShot(True)
        self._tab_bar_timer.setInterval(30)
        self._tab_bar_timer.timeout.connect(self.hide_stale_tab_bars)
        window.installEventFilter(self)
        self._connect()
        # The window restored its layout before these docks existed: restore again so they keep their places.
        state = window.settings.value("window_state")
        if state is not None:
            window.restoreState(state)
        if window.lab is not None:
            self.on_lab_opened(window.lab)

    def _refresh_image_sets(self) -> None:
        choices = [ImageSetChoice("digits", "Built-in digits (9,000)", "9,000 real MNIST digits that ship with the "
                                  "app: 7,000 to train, 1,000 to validate, 1,000 to test. Works offline.", True)]
        for info in image_sets.IMAGE_SETS.values():
            choices.append(ImageSetChoice(info.name, info.title, f"{info.description} {info.credit}",
                                          image_sets.is_downloaded(info.name, self.downloads.root)))
        lab = self.lab
        path = lab.dataset.options.get("path") if lab is not None and lab.dataset.name == "folder" else None
        title = f"Folder: {os.path.basename(str(path).rstrip(os.sep))}" if path else "Your own images…"
        choices.append(ImageSetChoice("folder", title, "A folder with one subfolder per class (PNG or JPEG), e.g. "
                                      "cats/ and dogs/. Images are resized to the Input layer's size and made gray "
                                      "or kept in colour as it asks; unreadable files are listed and skipped.",
                                      True))
        self.data_panel.set_image_sets(choices)

    def choose_image_folder(self) -> None:
        """Train on the user's own images: a folder with one subfolder per class."""
        lab = self.lab
        if lab is None:
            return
        path = QFileDialog.getExistingDirectory(self.window, "Choose a folder with one subfolder per class")
        if not path:
            self._sync_data_panel()
            return
        try:
            graph = lab.networks[0].graph
            inputs = [n for n in graph.topological_order() if graph.node(n).kind == "Input"]
            shape = graph.infer().shapes.get(inputs[0]) if inputs else None
            if shape is None:
                raise EngineError("The network needs an Input layer before it can read images")
            options = folder_options(path, tuple(shape.dims))
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                data = image_folder.load_image_folder(path, tuple(options["size"]), int(options["channels"]))
            finally:
                QApplication.restoreOverrideCursor()
        except (DataError, EngineError) as e:
            self._refuse(str(e))
            self._sync_data_panel()
            return
        summary = (f"{len(data.labels)} images in {len(data.class_names)} classes "
                   f"({', '.join(data.class_names[:8])}{'…' if len(data.class_names) > 8 else ''})")
        if data.skipped:
            listed = "\n".join(f"{p.name}: {why}" for p, why in data.skipped[:12])
            more = f"\n… and {len(data.skipped) - 12} more" if len(data.skipped) > 12 else ""
            self.skipped_report = f"{len(data.skipped)} file(s) were skipped:\n{listed}{more}"
            QMessageBox.information(self.window, "Some files were skipped",
                                    f"Read {summary}.\n\n{self.skipped_report}")
        self.change_settings("dataset", {"name": "folder", "options": options})
        self._sync_data_panel()
        self.window.show_message(f"Your images: {summary}. The last Dense needs {len(data.class_names)} units.")

    def _add_download_actions(self) -> None:
        file_menu = next((a.menu() for a in self.window.menuBar().actions()
                          if a.menu() is not None and a.text().replace("&", "") == "File"), None)
        self.download_actions = []
        for info in image_sets.IMAGE_SETS.values():
            action = self.window.addAction(f"Download {info.title}…")
            action.setObjectName(f"download_{info.name}")
            action.setToolTip(info.description)
            action.triggered.connect(lambda _checked=False, n=info.name: self.downloads.start(n))
            self.download_actions.append(action)
        if file_menu is not None:
            before = next((a for a in file_menu.actions() if a.text().replace("&", "").startswith("Quit")), None)
            menu = file_menu.addMenu("Download data")
            menu.setObjectName("downloadMenu")
            menu.addActions(self.download_actions)
            if before is not None:
                file_menu.insertMenu(before, menu)

    def _on_downloaded(self, name: str) -> None:
        self._refresh_image_sets()
        title = image_sets.IMAGE_SETS[name].title
        lab = self.lab
        shapes = {n: i.image_shape for n, i in image_sets.IMAGE_SETS.items()} | {"digits": (1, 28, 28)}
        # A lab moves only to a set of images of its own shape (a grey 28×28 lab does not take colour photos).
        if lab is not None and lab.dataset.name != name and shapes.get(lab.dataset.name) == shapes[name]:
            self.change_settings("dataset", {"name": name})  # an image lab moves to the new set (undoable)
            self.window.show_message(f"Downloaded {title}; this lab now learns from it (Undo goes back).")
        else:
            self.window.show_message(f"Downloaded {title}. Image labs can now choose it in the Data panel.")
        self._sync_data_panel()

    def _add_family_views(self) -> None:
        """Docks for the autoencoder, VAE, GAN and sequence views: tabs beside the inner views (bottom) or the
        curves (right), shown only for labs of their tasks."""
        self.family_tasks: dict[str, tuple[str, ...]] = {}
        self.family_data: dict[str, tuple[str, ...]] = {}
        self.family_area: dict[str, str] = {}
        self.family_front: dict[str, bool] = {}
        columns = ("neurons", "hidden", "weights", "gradients")
        placed: dict[tuple[str, str], int] = {}
        for spec in family_views():
            view = spec.factory()
            view.setMinimumSize(120, 90)
            right = spec.area in ("right", "output")
            dock = self._dock(spec.title, f"{spec.key}Dock", view,
                              Qt.DockWidgetArea.RightDockWidgetArea if right else
                              Qt.DockWidgetArea.BottomDockWidgetArea)
            # A family's bottom views go side by side, one per column of the bottom row, so all show at once.
            slot = (spec.tasks[0] if spec.tasks else "", spec.area)
            index = placed.get(slot, 0)
            placed[slot] = index + 1
            beside = {"right": "loss", "output": "boundary"}.get(spec.area, columns[index % len(columns)])
            self.window.tabifyDockWidget(self.docks[beside], dock)
            dock.hide()
            self.views[spec.key] = view
            self.docks[spec.key] = dock
            self.family_tasks[spec.key] = tuple(spec.tasks)
            self.family_data[spec.key] = tuple(spec.data)
            self.family_area[spec.key] = spec.area
            self.family_front[spec.key] = spec.front
            for signal, section in (("training_changed", "training"), ("dataset_changed", "dataset")):
                if hasattr(view, signal):
                    getattr(view, signal).connect(lambda changes, s=section: self.change_settings(s, changes))
            if hasattr(view, "probes_changed"):
                view.probes_changed.connect(lambda: self._probe_timer.start())

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setToolTip(widget.toolTip())
        self.window.addDockWidget(area, dock)
        for action in self.window.menuBar().actions():
            if action.menu() is not None and action.text().replace("&", "") == "View":
                action.menu().addAction(dock.toggleViewAction())
        return dock

    def _connect(self) -> None:
        w = self.window
        w.train_requested.connect(lambda: self.set_playing(not self._playing))
        w.step_requested.connect(lambda: self.step(False))
        w.reset_requested.connect(lambda: self.reset(False))
        w.lab_opened.connect(self.on_lab_opened)
        w.undo_stack.indexChanged.connect(self._on_edit)
        self.toolbar.play_toggled.connect(self.set_playing)
        self.toolbar.step_requested.connect(self.step)
        self.toolbar.reset_requested.connect(self.reset)
        self.toolbar.settings_changed.connect(lambda changes: self.change_settings("training", changes))
        self.toolbar.device_changed.connect(self.change_device)
        self.data_panel.dataset_changed.connect(lambda changes: self.change_settings("dataset", changes))
        self.data_panel.training_changed.connect(lambda changes: self.change_settings("training", changes))
        self.data_panel.regenerate_requested.connect(self.regenerate)
        self.data_panel.download_requested.connect(self.downloads.start)
        self.data_panel.folder_requested.connect(self.choose_image_folder)
        self.downloads.finished.connect(self._on_downloaded)
        self.session.snapshot.connect(self.on_snapshot)
        self.session.failed.connect(self.on_failed)
        self.session.started.connect(self.toolbar.show_device)
        self.session.started.connect(self._say_where_training_runs_once)
        self.apply_banner.apply_button.clicked.connect(lambda: self.apply_edit(resume=True))
        self.apply_banner.restart_button.clicked.connect(lambda: self.restart())
        for key, dock in self.docks.items():
            dock.visibilityChanged.connect(lambda visible, k=key: self._on_dock_shown(k, visible))
        self.views["hidden"].probe_changed.connect(lambda _p: self._probe_timer.start())
        samples = self.views["samples"]  # augmentation settings, and the images as the network sees them
        samples.training_changed.connect(lambda changes: self.change_settings("training", changes))
        samples.probes_changed.connect(lambda: self._probe_timer.start())
        samples.dataset_changed.connect(lambda changes: self.change_settings("dataset", changes))
        self.views["feature_maps"].sample_requested.connect(lambda i: self._send_if_active(SetSample(index=i)))
        self.digit_panel.image_ready.connect(self.on_drawing)
        self.digit_panel.add_requested.connect(self.add_drawing)
        self.digit_panel.cleared.connect(lambda: self._send_if_active(SetSample(index=0)))
        self.draw_dock.visibilityChanged.connect(lambda _v: self._probe_timer.start())

    def _say_where_training_runs_once(self, device: str) -> None:
        """The first training on a machine says where it runs (the toolbar keeps showing it afterwards)."""
        settings = self.window.settings
        if not device or settings.value("device_announced", False, type=bool):
            return
        settings.setValue("device_announced", True)
        if device == "CPU":
            text = "Training runs on the CPU: no CUDA or Apple GPU found (fine for every built-in lab)."
        else:
            text = f"Training runs on {device} (the Device menu can move it to the CPU)."
        self.window.show_message(text)

    # Lab lifecycle --------------------------------------------------------------------------------------------

    @property
    def lab(self) -> Lab | None:
        return self.window.lab

    def on_lab_opened(self, lab: Lab) -> None:
        self.session.stop()
        self._views_raised = False
        self._stale = False
        self._playing = False
        self._last_snapshot = None
        self.toolbar.set_playing(False)
        self.toolbar.show_counters(0, 0)
        self.toolbar.show_device("")
        self.toolbar.set_settings(lab.training)
        self.apply_banner.hide()
        self.message_banner.hide()
        self.metrics_label.setText("")
        self._sync_data_panel()
        self._sync_layers()
        self._raise_views_for(lab)
        for view in self.views.values():
            view.show_empty("Press Play to train: this view fills in as the network learns.")

    def _raise_views_for(self, lab: Lab) -> None:
        """Put the views that can show this lab's data in front: the plane views for 2-D sets, else the image
        views."""
        plane = plane_data(lab.dataset)
        classic = lab.task in CLASSIC_TASKS
        keys = PLANE_VIEWS if plane else IMAGE_VIEW_KEYS
        # The output over the plane means nothing for images: its place goes to the curves. Drawing a digit
        # means nothing on the plane.
        self.docks["boundary"].setVisible(plane and classic)
        self.draw_dock.setVisible(lab.dataset.name == "digits" and lab.task == "classification")
        # Each family's own views in front for its labs; the classifier views step aside for them.
        family = self._family_keys(lab)
        for key in self.family_tasks:
            self.docks[key].setVisible(key in family)
        for key in PLANE_VIEWS + IMAGE_VIEW_KEYS:
            if key != "boundary" and key not in SHARED_VIEWS:
                # Only the views that can draw this lab's data: no empty "needs images" tabs on the plane.
                self.docks[key].setVisible(classic and (key in PLANE_VIEWS) == plane and
                                           data_kind(lab.dataset.name) != "function")
        if classic:
            for key in keys:
                if key in self.docks:
                    self.docks[key].raise_()
        if plane or not classic:
            self.docks["loss"].raise_()
        for key in family:
            if self.family_front[key]:  # the insight views wait as tabs behind the classifier's own
                self.docks[key].raise_()
        self.docks["samples"].setVisible(self._image_data(lab))
        # Filters mean something only where there are convolutions (a GAN or an autoencoder may have none).
        convolutional = any(node.kind in ("Conv2d", "ConvTranspose2d") for net in lab.networks
                            for node in net.graph.nodes.values())
        self.docks["filters"].setVisible(convolutional or (classic and not plane and
                                                           data_kind(lab.dataset.name) != "function"))
        if lab.dataset.name == "table" and not plane:  # a table of more than two features: no images, no plane
            for key in ("feature_maps", "templates", "filter_lab", "filters"):
                self.docks[key].setVisible(False)
            self.docks["confusion"].setVisible(lab.task == "classification")
        self._refresh_samples()
        self._probe_timer.start()
        self._tab_bar_timer.start()

    def _family_keys(self, lab: Lab) -> list[str]:
        """The family views for this lab: of its task, and able to draw its kind of data."""
        kind = data_kind(lab.dataset.name)
        return [key for key, tasks in self.family_tasks.items()
                if lab.task in tasks and (not self.family_data[key] or kind in self.family_data[key])]

    @staticmethod
    def _image_data(lab: Lab) -> bool:
        return data_kind(lab.dataset.name) == "images"

    def _refresh_samples(self) -> None:
        """Fill the samples view from the lab's data set, once per data set, and only while it is on screen."""
        lab = self.lab
        if lab is None or not self._image_data(lab) or not self._shown("samples"):
            return
        key = (lab.dataset.name, lab.seed, repr(sorted(lab.dataset.options.items())))
        if key == self._samples_for:
            return
        self._samples_for = key
        try:
            data = load_dataset(lab.dataset, lab.seed)
        except EngineError as e:
            self.views["samples"].clear_data(str(e))
            return
        title = ("Built-in digits" if data.name == "digits" else "Your images" if data.name == "folder" else
                 image_sets.IMAGE_SETS[data.name].title.split(" (")[0])
        self.views["samples"].set_data(data.x_train, data.y_train, data.class_names, title)

    def _shown(self, key: str) -> bool:
        """Whether a view is on screen: a dock behind another tab still counts as visible to Qt, but has no
        visible region."""
        dock = self.docks[key]
        return dock.isVisible() and not dock.visibleRegion().isEmpty()

    def _sync_data_panel(self) -> None:
        lab = self.lab
        if lab is None:
            return
        d = lab.dataset
        plane = d.name in toy2d.DATASETS_2D
        self._refresh_image_sets()
        info = toy2d.DATASETS_2D.get(d.name)
        try:
            classes = toy2d.class_count(d.name, d.options.get("classes")) if info and info.multiclass else 0
        except DataError:
            classes = info.classes if info else 0
        self.data_panel.set_values(d.name, d.noise, d.train_ratio, lab.training.batch_size, d.features, plane,
                                   classes=classes, options=d.options)
        self.views["samples"].set_training(lab.training)
        self.views["samples"].set_dataset_options(d.options)

    def _sync_layers(self) -> None:
        lab = self.lab
        if lab is None or not lab.networks:
            return
        graph = lab.networks[0].graph
        order = graph.topological_order()
        layers = [n for n in order if graph.node(n).kind in ACTIVATION_KINDS]
        self.views["hidden"].set_layers(layers)

    def shutdown(self) -> None:
        """Stop training and downloads before the window goes away (close, quit).

        The worker stops after its current batch; the window waits for that only briefly (QUIT_WAIT_MS), so a long
        step cannot hold a quit: a worker still busy is left to end with the process. Only a save the user asked
        for, still waiting for the worker's checkpoint, is worth a longer wait."""
        self.downloads.shutdown()
        projects = getattr(self.window, "project_handler", None)
        waiting = projects is not None and projects.awaiting_checkpoint()
        if waiting:
            self.window.show_message("Saving: waiting for the training to hand over its state…")
        self.session.stop(CHECKPOINT_WAIT_MS if waiting else QUIT_WAIT_MS)

    # Requests from the toolbar and the Train menu ---------------------------------------------------------

    def _ensure_session(self, run: bool) -> bool:
        """Start a trainer for the current lab unless one is running for it; False if the lab cannot train."""
        lab = self.lab
        if lab is None:
            return False
        if self.session.active:
            return True
        try:
            lab.check()
        except GraphError as e:
            self._refuse(f"The network cannot train yet: {e}")
            return False
        self.message_banner.hide()
        self.session.start(Lab.from_dict(lab.to_dict()), probes=self.open_probes(), run=run)
        self._stale = False
        return True

    def set_playing(self, playing: bool) -> None:
        if playing:
            if self._stale and self.session.active:
                self.apply_edit()
                return
            if self.session.active:
                self._send(Resume())
            elif not self._ensure_session(run=True):
                return
            self.message_banner.hide()
            self._playing = True
            self._show_training_views()
        else:
            if self.session.active:
                self._send(Pause())
            self._playing = False
        self.toolbar.set_playing(self._playing)

    def _show_training_views(self) -> None:
        """The first Play of a lab brings the curves and the neurons to the front, as a student expects."""
        if getattr(self, "_views_raised", False):
            return
        self._views_raised = True
        lab = self.lab
        plane = lab is not None and plane_data(lab.dataset)
        if lab is not None and (lab.task not in CLASSIC_TASKS or data_kind(lab.dataset.name) == "function"):
            keys = self._family_keys(lab)
            for key in ["loss"] + keys:
                self.docks[key].raise_()
            big = [self.docks[k] for k in keys if self.family_area[k] == "output"]
            if big:  # a view of the plane (a 2-D GAN) gets the room the decision boundary has for classifiers
                self.window.resizeDocks(big, [max(420, self.window.width() // 3)], Qt.Orientation.Horizontal)
                # The inner views below give up height to the plane or the fit: on a 768-pixel screen a 250-pixel
                # bottom row left each half of the column a strip.
                low = [d for d in [self.window.problems_dock, *self.docks.values()] if d.isVisible()
                       and self.window.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea]
                if low:
                    self.window.resizeDocks(low[:1], [min(250, self.window.height() // 4)], Qt.Orientation.Vertical)
                # Half the column each for the plane and the curves, once the raised tabs are laid out.
                QTimer.singleShot(0, lambda: self.window.resizeDocks(
                    [big[0], self.window.inspector_dock], [1, 1], Qt.Orientation.Vertical))
            self._tab_bar_timer.start()
            return
        table = lab is not None and lab.dataset.name == "table" and not plane
        first = (("loss", "confusion") if table and lab is not None and lab.task == "classification" else
                 ("loss",) if table else ("loss", "feature_maps"))
        for key in ("loss", "neurons", "boundary") if plane else first:
            self.docks[key].show()
            self.docks[key].raise_()
        # While training, the output and the curves matter more than room on the canvas; image labs' feature
        # maps need a taller row than the plane views.
        right = self.docks["boundary"] if plane else self.docks["loss"]
        self.window.resizeDocks([right], [max(420, self.window.width() // 3)], Qt.Orientation.Horizontal)
        # A short screen (1366x768) gives the plane views' row a quarter of its height, and the output three fifths
        # of the column above: else the output and the curves beside it are strips.
        low = min(250, self.window.height() // 4) if plane else 330
        self.window.resizeDocks([self.docks["neurons"]], [low], Qt.Orientation.Vertical)
        if plane:
            self.window.resizeDocks([self.docks["boundary"], self.window.inspector_dock], [3, 2],
                                    Qt.Orientation.Vertical)
        self._tab_bar_timer.start()

    def step(self, epoch: bool) -> None:
        if self._stale and self.session.active:
            self.apply_edit(resume=False)
        if not self.session.active and not self._ensure_session(run=False):
            return
        self._playing = False
        self.toolbar.set_playing(False)
        self._send(Step(epoch=epoch))

    def reset(self, new_seed: bool) -> None:
        if not self.session.active:
            self.toolbar.show_counters(0, 0)
            return
        if self._stale:
            self.restart()
            return
        self._playing = False
        self.toolbar.set_playing(False)
        self._send(Pause())
        self._send(Reset(new_seed=new_seed))

    def regenerate(self) -> None:
        lab = self.lab
        if lab is None:
            return
        self.change_settings("lab_seed", (lab.seed + 1) % (2**32))

    def change_device(self, device: str) -> None:
        self.change_settings("training", {"device": device})

    def _send_if_active(self, command: Any) -> None:
        if self.session.active:
            self._send(command)

    def _send(self, command: Any) -> bool:
        try:
            self.session.send(command)
            return True
        except (GraphError, EngineError, LabFormatError) as e:
            self._refuse(str(e))
            return False

    def _refuse(self, text: str) -> None:
        self.message_banner.show_text(text)
        self.window.show_message(text, True)

    # Settings: undoable edits of the lab, applied live to a running trainer ---------------------------------

    def change_settings(self, section: str, changes: Any) -> None:
        lab = self.lab
        if lab is None:
            return
        try:
            if section == "training":
                after: Any = lab.training.updated(**changes)
                before: Any = lab.training
                text = "Change " + ", ".join(k.replace("_", " ") for k in changes)
            elif section == "dataset":
                merged = lab.dataset.to_dict()
                merged.update(changes)
                from playground.graph import DatasetSettings

                after, before = DatasetSettings.from_dict(merged), lab.dataset
                text = "Change data " + ", ".join(k.replace("_", " ") for k in changes)
            else:  # the lab's seed, which draws the data sample
                after, before, text = int(changes), lab.seed, "Regenerate data"
        except (LabFormatError, GraphError) as e:
            self._refuse(str(e))
            self.toolbar.set_settings(lab.training)
            return
        if after == before:
            return  # e.g. editingFinished after the value was already taken: no empty undo step
        stack = self.window.undo_stack
        if section == "dataset" and "features" in changes:
            self._change_features(list(changes["features"]), before, after)
            return
        # A new set, or a new class count in its options, may need another output (task, head, units).
        if section == "dataset" and ("name" in changes or "options" in changes) and self._switch_task(after, before):
            return
        stack.push(LabSettingsCommand(self, section, before, after, text))

    def _switch_task(self, after: Any, before: Any) -> bool:
        """Choosing a regression set for a classifier (or the reverse) switches the problem type, as TensorFlow
        Playground does: task, Output head and the last Dense's width change with it, in one undoable edit."""
        lab = self.lab
        info = toy2d.DATASETS_2D.get(after.name)
        if lab is None or info is None or lab.task not in ("classification", "regression") or not lab.networks:
            return False
        net = lab.networks[0]
        graph = net.graph
        outputs = graph.nodes_of_kind("Output")
        source = graph.incoming(outputs[0].name).get("in") if len(outputs) == 1 else None
        try:  # a set of another number of classes (three spiral arms after two) resizes the output too
            classes = toy2d.class_count(after.name, after.options.get("classes")) if info.multiclass else info.classes
        except DataError:
            classes = info.classes
        if info.kind == lab.task and (info.kind != "classification" or source is None or
                                      graph.node(source).kind != "Dense" or
                                      graph.node(source).params.get("units") == classes):
            return False
        if source is None or graph.node(source).kind != "Dense":
            self._refuse(f"'{info.title}' is a {info.kind} set, but this network's output cannot be switched "
                         f"automatically: set the Output head to '{info.kind}' and the last Dense's units by hand")
            return False
        stack = self.window.undo_stack
        stack.beginMacro(f"Switch to {info.kind}")
        stack.push(LabSettingsCommand(self, "dataset", before, after, "Change data set"))
        stack.push(LabSettingsCommand(self, "task", lab.task, info.kind, "Change task"))
        stack.push(SetParamCommand(graph, outputs[0].name, "head", info.kind, net.name))
        stack.push(SetParamCommand(graph, source, "units", classes if info.kind == "classification" else 1,
                                   net.name))
        stack.endMacro()
        self.window.show_message(f"{info.title} is a {info.kind} problem: the output now predicts "
                                 f"{f'{classes} classes' if info.kind == 'classification' else 'a value'}.")
        return True

    def _change_features(self, features: list[str], before: Any, after: Any) -> None:
        """New input features change the Input layer too: one undoable macro of both edits."""
        lab = self.lab
        assert lab is not None
        net = lab.networks[0]
        inputs = net.graph.nodes_of_kind("Input")
        stack = self.window.undo_stack
        stack.beginMacro("Change input features")
        stack.push(LabSettingsCommand(self, "dataset", before, after, "Change features"))
        if inputs and inputs[0].params.get("kind") == "vector":
            stack.push(SetParamCommand(net.graph, inputs[0].name, "features", len(features), net.name))
        stack.endMacro()

    def apply_lab_settings(self, section: str, value: Any) -> None:
        """Called by LabSettingsCommand on redo and undo: set the lab, refresh the panels, tell the trainer."""
        lab = self.lab
        if lab is None:
            return
        self._settings_edit = True
        if section == "training":
            changes = {k: v for k, v in value.to_dict().items() if getattr(lab.training, k) != v}
            lab.training = value
            self.toolbar.set_settings(value)
            self._sync_data_panel()
            if changes and self.session.active:
                if "device" in changes:
                    self._stale = True
                    self.apply_edit(resume=self._playing)
                else:
                    self._send(SetTraining(changes))
        elif section == "dataset":
            changes = {k: v for k, v in value.to_dict().items() if lab.dataset.to_dict()[k] != v}
            lab.dataset = value
            self._sync_data_panel()
            self._refresh_samples()
            if changes and self.session.active:
                if "features" in changes:
                    self._stale = True  # the Input changes with them: applied by _on_edit after the macro
                else:
                    self._send(SetDataset(changes))
        elif section == "task":
            lab.task = str(value)
            if self.session.active:
                self._stale = True  # the head changes with it: applied after the macro, by _on_edit
        else:
            lab.seed = int(value)
            if self.session.active:
                self._stale = True
                self.apply_edit(resume=self._playing)

    # Graph edits while training -------------------------------------------------------------------------------

    def _on_edit(self, _index: int) -> None:
        self._sync_layers()
        if self._settings_edit:  # a settings change (done, undone or redone) was already applied live
            self._settings_edit = False
            if not self._stale:
                return
        if not self.session.active:
            return
        self._stale = True
        if self._playing:
            self._send(Pause())
            self._playing = False
            self.toolbar.set_playing(False)
        self.apply_banner.show()

    def apply_edit(self, resume: bool = True) -> None:
        lab = self.lab
        if lab is None:
            return
        try:
            lab.check()
        except GraphError as e:
            self._refuse(f"Fix the network first: {e}")
            return
        if not self._send(Recompile(Lab.from_dict(lab.to_dict()), device=lab.training.device)):
            return
        self._stale = False
        self.apply_banner.hide()
        if resume:
            self._send(Resume())
            self._playing = True
            self.toolbar.set_playing(True)

    def restart(self) -> None:
        self.apply_banner.hide()
        self.session.stop()
        self._stale = False
        self._playing = False
        self.set_playing(True)

    # Snapshots --------------------------------------------------------------------------------------------

    def open_probes(self) -> frozenset[str]:
        names: set[str] = set()
        for key, view in self.views.items():
            # The output view's probe is one small batched pass; the others only while their dock shows.
            if (key == "boundary" and self.lab is not None and plane_data(self.lab.dataset)) or \
                    self._shown(key):
                names.update(p for p in getattr(view, "probes", ()) if p)
        if self.draw_dock.isVisible() and not self.draw_dock.visibleRegion().isEmpty():
            names.add("feature_maps")  # the drawing's probabilities come with the feature maps
        return frozenset(names)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.LayoutRequest:
            self._tab_bar_timer.start()  # after every relayout of the docks
        return False

    def hide_stale_tab_bars(self) -> list[QTabBar]:
        """Qt's dock layout sometimes leaves an old tab bar of a tab group on screen after docks of the group were
        hidden, shown and resized (it shows as a stray "Gradients | Confusion" strip across a view). A tab bar the
        layout uses sits below its docks, never over one: hide those that lie over a visible dock."""
        docks = [d for d in self.window.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()]
        hidden = []
        for bar in self.window.findChildren(QTabBar):
            if bar.parent() is not self.window or not bar.isVisible():
                continue
            rect = bar.geometry()
            if not rect.intersects(self.window.rect()):
                continue  # Qt parks the bars it does not use outside the window: harmless
            if bar.count() < 2 or any(rect.intersects(d.geometry()) for d in docks):
                bar.hide()
                hidden.append(bar)
        return hidden

    def _on_dock_shown(self, key: str, visible: bool) -> None:
        self._tab_bar_timer.start()
        if key == "samples" and visible:
            QTimer.singleShot(0, self._refresh_samples)  # once the dock's tab is really in front
        if visible and self._last_snapshot is not None:
            self.views[key].show_snapshot(self._last_snapshot)
        self._probe_timer.start()

    def on_drawing(self, image: Any) -> None:
        """A new drawing: the current model reads it (starting a paused session if none runs yet)."""
        if not self.session.active and not self._ensure_session(run=False):
            return
        self._send(SetSample(image=image))

    def add_drawing(self, image: Any, digit: int) -> None:
        if not self.session.active and not self._ensure_session(run=False):
            return
        if self._send(AddSamples([image], [digit])):
            self.window.show_message(f"Added your drawing to the training set as a {digit}.")

    def _send_probes(self) -> None:
        if self.session.active:
            self._send(SetProbes(self.open_probes()))

    def on_snapshot(self, snap: Any) -> None:
        self._last_snapshot = snap
        self.toolbar.show_snapshot(snap)
        self._playing = snap.state == "running"
        for key, view in self.views.items():
            if self._shown(key):
                try:
                    view.show_snapshot(snap)
                except Exception as e:  # noqa: BLE001 - one view's bug must not stop the others or the run
                    if key not in self._broken_views:
                        self._broken_views.add(key)
                        traceback.print_exc()
                        view.show_empty(f"This view could not draw the run ({type(e).__name__}: {e}).")
        self.metrics_label.setText("  ·  ".join(metric_phrases(snap.metrics)))
        label = snap.probes.get("sample/label")
        probs = snap.probes.get("sample/probabilities")
        if label is not None and int(label[0]) == -1 and probs is not None and len(probs) == 10:
            self.digit_panel.show_probabilities(probs)
        if snap.state == "diverged":
            self.message_banner.show_text(snap.message)
        elif snap.state in ("finished", "paused") and snap.message and snap.message.startswith(("The ", "Applied",
                                                                                                  "Early")):
            self.window.show_message(snap.message)

    def on_failed(self, message: str) -> None:
        self._playing = False
        self.toolbar.set_playing(False)
        self._refuse(message)
