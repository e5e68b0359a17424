"""Laying out the live views: their docks, which views show for which lab, the main views raised when training
starts, and their sizes. A mixin of TrainingController (see presenters/training.py)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QTabBar, QWidget

from playground.data import functions1d, gan2d, image_sets, text, toy2d
from playground.graph import Lab
from playground.ui.digit_pad import DigitPanel
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
from playground.ui.views.data_samples import DataSampleView
from playground.ui.views.families import FamilyView

PLANE_VIEWS = ("boundary", "neurons", "hidden", "weights", "gradients")
IMAGE_VIEW_KEYS = ("feature_maps", "filters", "templates", "confusion", "filter_lab")
# The tasks the classifier and regressor views were made for; other families bring their own views.
CLASSIC_TASKS = ("classification", "regression")
# Views that mean something for every family (curves, weights and gradient norms of the first network).
SHARED_VIEWS = ("loss", "weights", "gradients", "filters")


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


class ViewLayoutMixin:
    """The docks of the views and the data panel, and which of them show (and in front) for the open lab."""

    def _build_view_docks(self) -> None:
        """The classifier's views in their docks, the data panel's dock, the drawing pad's; their first sizes."""
        window = self.window
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
        for first, second in pairwise(bottom_keys):
            window.splitDockWidget(self.docks[first], self.docks[second], Qt.Orientation.Horizontal)
        window.tabifyDockWidget(self.docks["neurons"], window.problems_dock)
        window.problems_dock.raise_()
        # The image views share the bottom row's places, as tabs beside the 2-D views; the lab's data decides
        # which set is in front (see _raise_views_for).
        for plane, image in (("neurons", "feature_maps"), ("hidden", "filters"), ("weights", "templates"),
                             ("gradients", "confusion")):
            window.tabifyDockWidget(self.docks[plane], self.docks[image])
        window.tabifyDockWidget(self.docks["weights"], self.docks["samples"])
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

    def _add_family_views(self, specs: list[FamilyView]) -> None:
        """Docks for the autoencoder, VAE, GAN and sequence views: tabs beside the inner views (bottom) or the
        curves (right), shown only for labs of their tasks."""
        self.family_tasks: dict[str, tuple[str, ...]] = {}
        self.family_data: dict[str, tuple[str, ...]] = {}
        self.family_area: dict[str, str] = {}
        self.family_front: dict[str, bool] = {}
        columns = ("neurons", "hidden", "weights", "gradients")
        placed: dict[tuple[str, str], int] = {}
        for spec in specs:
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

    def _shown(self, key: str) -> bool:
        """Whether a view is on screen: a dock behind another tab still counts as visible to Qt, but has no
        visible region."""
        dock = self.docks[key]
        return dock.isVisible() and not dock.visibleRegion().isEmpty()

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
