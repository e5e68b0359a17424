"""Laying out the live views: one dock per view of the registry (playground/ui/views/registry.py), and for the open
lab only the views that can show something for it, its main view the largest, in the order the data flow; the
probes of the views on screen. A mixin of TrainingPresenter (see presenters/training.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFrame, QMenu, QScrollArea, QStyle, QTabBar, QToolBar, QWidget

from playground.data import functions1d, gan2d, image_sets, text, toy2d
from playground.graph import Lab
from playground.ui.digit_pad import DigitPanel
from playground.ui.main_window import BUILD_MODE, TRAIN_MODE
from playground.ui.views.registry import CLASSIC_TASKS, LabTraits, ViewSpec, main_view, view_specs, views_for

from .view_traits import network_traits

if TYPE_CHECKING:
    from .training_parts import TrainingParts
else:
    TrainingParts = object  # the declarations are for the type checker; at run time a mixin is a plain class

__all__ = ["CLASSIC_TASKS", "CONVOLUTIONS", "MAIN_VIEW_PROPERTY", "ViewLayoutMixin", "data_kind", "lab_traits",
           "plane_data"]

CONVOLUTIONS = ("Conv2d", "ConvTranspose2d")
# The dynamic property that marks the main view of the current layout, for automation and screenshots.
MAIN_VIEW_PROPERTY = "mainView"
# The bottom row holds views side by side, each at least this wide once training gives the right column its share
# (TRAINING_SHARE of the window), and at most BOTTOM_COLUMNS of them; more become tabs. 3 at 1366 px, 4 at 1920.
BOTTOM_COLUMNS = 4
COLUMN_WIDTH = 240
EDITING_SHARE, TRAINING_SHARE = 0.34, 0.45
PAD_KEY = "draw"  # the drawing pad's view
# Train mode: a top row across the window (the drawing pad, the main view, the curves beside it where they fit) and
# a lower row (the network as a compact diagram, then the other views side by side, each at least TRAIN_COLUMN wide).
TRAIN_MAIN_AREA = 0.32  # of the window's area, for the main view: the top row is as tall as that needs
TRAIN_ROW_SHARE = 0.55  # of the docks' height, the least the top row gets (on a large screen the area asks less)
TRAIN_MAIN_SHARE = 0.66  # of the window's width, for the main view when the curves sit beside it
TRAIN_LOW_MIN = 232  # px: the lower row's views stay readable, a title bar and a tab bar included
TRAIN_COLUMN = 300
# A square main view (a plane, ViewSpec.aspect) wider than its plot leaves empty sides: its dock gets its height plus
# the room of its axis and colour bar, and a taller row (the lower row keeps TRAIN_LOW_MIN); the view that explains it
# (the network of a 2-D classifier, else the first view in front) takes the freed width beside it, then the curves.
SQUARE_EXTRA = 60  # px: the room beside the square plot (axis, colour bar) less that above it (controls, caption)
SQUARE_ROW_SHARE = 0.66  # of the docks' height, for the top row of a square main view
NETWORK_KEY = "neuron_network"  # before the output, as data flow (TensorFlow Playground's reading order)
DIAGRAM_SHARE, DIAGRAM_WIDTH = 0.2, (240, 380)  # the compact diagram's share of the width, and its bounds
NO_LIMIT = 16_777_215  # Qt's QWIDGETSIZE_MAX
AREAS = {"main": Qt.DockWidgetArea.RightDockWidgetArea, "side": Qt.DockWidgetArea.RightDockWidgetArea,
         "bottom": Qt.DockWidgetArea.BottomDockWidgetArea}


def data_kind(dataset: str) -> str:
    """What a dataset holds, in the words of ViewSpec.data (a table's kind depends on its features: see
    lab_traits)."""
    if dataset in toy2d.DATASETS_2D or dataset in gan2d.TARGETS:
        return "plane"
    if dataset in ("digits", "folder") or dataset in image_sets.IMAGE_SETS:
        return "images"
    if dataset in text.CORPORA:
        return "text"
    if dataset == functions1d.DATASET:
        return "function"  # y = f(x): the function-fit view, not the plane or image views
    if dataset == "table":
        return "table"
    return "series" if dataset == "sine" else "sequences"


def plane_data(dataset: Any) -> bool:
    """Whether a lab's data are points of the plane: a 2-D set, or a table of two features (your own data)."""
    return dataset.name in toy2d.DATASETS_2D or (dataset.name == "table" and len(dataset.features) == 2)


def lab_traits(lab: Lab) -> LabTraits:
    """What the registry needs to know of a lab to choose its views."""
    kind = "plane" if plane_data(lab.dataset) else data_kind(lab.dataset.name)
    traits = network_traits(lab)
    if any(node.kind in CONVOLUTIONS for net in lab.networks for node in net.graph.nodes.values()):
        traits.add("convolution")
    if lab.dataset.name == "digits":
        traits.add("digits")
    return LabTraits(lab.task, kind, frozenset(traits))


class ViewLayoutMixin(TrainingParts):
    """The docks of the views and the data panel, and which of them show (and in front) for the open lab."""

    def _build_view_docks(self) -> None:
        """One dock per view of the registry (hidden until a lab needs it), the data panel's dock."""
        window = self.window
        self.views: dict[str, Any] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.view_specs: dict[str, ViewSpec] = {}
        self.main_view_key = ""
        self._laid_out: tuple[str, ...] | None = None
        self._laid_out_lab: Lab | None = None
        self._hidden_for_train: list[QDockWidget] = []
        # In a scroll area, so the panel's natural height never squeezes the docks below it.
        data_scroll = QScrollArea()
        data_scroll.setWidget(self.data_panel)
        data_scroll.setWidgetResizable(True)
        data_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.data_dock = self._dock("Data", "dataDock", data_scroll, Qt.DockWidgetArea.LeftDockWidgetArea)
        window.tabifyDockWidget(window.palette_dock, self.data_dock)
        window.palette_dock.raise_()
        for spec in view_specs():
            self._add_view(spec)
        self.draw_dock = self.docks["draw"]
        pad = self.draw_dock.widget()
        assert isinstance(pad, DigitPanel)
        self.digit_panel: DigitPanel = pad
        # An edit can change which views fit the lab (a first Conv2d brings the filters).
        window.undo_stack.indexChanged.connect(self._follow_edit)
        window.workspace_mode_changed.connect(self._follow_mode)
        window.canvas.node_selected.connect(self._inspect_while_training)

    def _add_view(self, spec: ViewSpec) -> None:
        widget = spec.factory()
        # An explicit small minimum: a view squeezes its content rather than growing the window off screen.
        widget.setMinimumSize(*spec.min_size)
        widget.setProperty(MAIN_VIEW_PROPERTY, False)
        dock = self._dock(spec.title, f"{spec.key}Dock", widget, AREAS[spec.place])
        dock.hide()
        dock.toggleViewAction().setVisible(False)  # in the View menu only while the open lab has it
        self.docks[spec.key] = dock
        self.view_specs[spec.key] = spec
        if hasattr(widget, "show_snapshot"):  # the drawing pad gets its answer apart (see on_snapshot)
            self.views[spec.key] = widget
        for signal, section in (("training_changed", "training"), ("dataset_changed", "dataset")):
            if hasattr(widget, signal):
                getattr(widget, signal).connect(lambda changes, s=section: self.change_settings(s, changes))
        for signal in ("probes_changed", "probe_changed"):
            if hasattr(widget, signal):
                getattr(widget, signal).connect(lambda *_a: self._probe_timer.start())

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setToolTip(widget.toolTip())
        self.window.addDockWidget(area, dock)
        for action in self.window.menuBar().actions():
            if action.menu() is not None and action.text().replace("&", "") == "View":
                # PySide6's stubs type QAction.menu() as a QObject; a menu bar's actions carry QMenus.
                cast(QMenu, action.menu()).addAction(dock.toggleViewAction())
        return dock

    # Which views, where ---------------------------------------------------------------------------------------

    def layout_specs(self, lab: Lab) -> tuple[list[ViewSpec], ViewSpec | None]:
        """The views of this lab, in registry order, and its main view."""
        specs = views_for(lab_traits(lab), list(self.view_specs.values()))
        return specs, main_view(specs)

    def _raise_views_for(self, lab: Lab) -> None:
        """Show the views of this lab's layout (and only those), the views in front of their tab groups."""
        specs, main = self.layout_specs(lab)
        if lab is not self._laid_out_lab:
            # Another lab opens to be built; its first Play switches to Train (see _show_training_views).
            self._laid_out_lab = lab
            self.window.set_workspace_mode(BUILD_MODE, quiet=True)
        training = self.window.workspace_mode == TRAIN_MODE and main is not None
        self._editor_compact(training)
        # Each lab opens with its family's docks in their places, at their sizes: nothing carried over.
        columns = self._place_training(specs, main) if training and main is not None else self._place(specs, main)
        self._laid_out = tuple(s.key for s in specs)
        self.main_view_key = main.key if main is not None else ""
        for key, dock in self.docks.items():
            dock.widget().setProperty(MAIN_VIEW_PROPERTY, key == self.main_view_key)
        for dock in columns:  # each column's first view in front of its tabs and of the problems list
            dock.raise_()
        if not training:
            for dock in self._hidden_for_train:  # the editing chrome Train mode hid
                dock.show()
            if self._hidden_for_train:
                self.window.palette_dock.raise_()
            self._hidden_for_train = []
            self.window.inspector_dock.raise_()  # while editing; Play brings the curves forward
        # After the lab's views were emptied for it (on_lab_opened), and whatever the last lab's samples were.
        self._samples_for = None
        QTimer.singleShot(0, self._refresh_samples)
        self._probe_timer.start()
        self._tab_bar_timer.start()

    def _follow_edit(self, _index: int) -> None:
        lab = self.lab
        if lab is not None and self._laid_out is not None and \
                tuple(s.key for s in self.layout_specs(lab)[0]) != self._laid_out:
            self._raise_views_for(lab)

    def _place(self, specs: list[ViewSpec], main: ViewSpec | None) -> list[QDockWidget]:
        """The docks of a layout: the main view at the top of the right column, the inspector and the side views
        as tabs below it, the bottom views side by side (as many as fit, then as tabs), the problems list a
        tab of the first. Returns the docks heading the bottom row's columns."""
        window = self.window
        chosen = {s.key for s in specs}
        # Every view out first, so no tab group of the previous lab survives; the chosen come back in their places.
        for key, dock in self.docks.items():
            dock.toggleViewAction().setVisible(key in chosen)
            window.removeDockWidget(dock)
        # While editing, the bottom row runs under the editor and the right column alike.
        window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        if window.dockWidgetArea(window.inspector_dock) == Qt.DockWidgetArea.NoDockWidgetArea:
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.inspector_dock)  # after Train mode
        top = window.inspector_dock
        if main is not None:
            top = self._dock_at(main.key)
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, top)
            window.splitDockWidget(top, window.inspector_dock, Qt.Orientation.Vertical)
        # The views that come to the front fill the columns first; the others wait as tabs behind them. Qt adds a
        # split of a tabbed dock as another tab, so the columns are made before any tab.
        low = sorted((s for s in specs if s is not main and s.place == "bottom"), key=lambda s: not s.front)
        # The drawing pad heads the bottom row in a column of its own, never a tab behind the curves: a pad to draw
        # on must be on screen whole (see _size_layout).
        pad = [s for s in specs if s.key == PAD_KEY and s is not main]
        room = int(max(900, window.width()) * (1 - TRAINING_SHARE)) - (self._pad_size().width() if pad else 0)
        low = pad + low
        count = len(pad) + max(2 - len(pad), min(BOTTOM_COLUMNS - len(pad), room // COLUMN_WIDTH))
        columns = self._dock_row(low[:count], Qt.DockWidgetArea.BottomDockWidgetArea)
        hosts = columns[1:] if pad and len(columns) > 1 else columns  # no tabs under the pad either
        for i, spec in enumerate(low[count:]):
            window.tabifyDockWidget(hosts[i % len(hosts)], self._dock_at(spec.key))
        if columns:
            # Not under the pad: a tab bar there would take the height the pad needs.
            window.tabifyDockWidget(columns[1 if pad and len(columns) > 1 else 0], window.problems_dock)
        else:
            window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, window.problems_dock)
        for spec in specs:
            if spec is not main and spec.place != "bottom" and spec.key != PAD_KEY:
                window.tabifyDockWidget(window.inspector_dock, self._dock_at(spec.key))
        self._size_layout(top, columns)
        return columns

    def _dock_row(self, specs: list[ViewSpec], area: Qt.DockWidgetArea) -> list[QDockWidget]:
        """The docks of ``specs`` side by side, left to right, in ``area``."""
        row: list[QDockWidget] = []
        for spec in specs:
            dock = self._dock_at(spec.key)
            if row:
                self.window.splitDockWidget(row[-1], dock, Qt.Orientation.Horizontal)
            else:
                self.window.addDockWidget(area, dock)
            row.append(dock)
        return row

    def _dock_at(self, key: str) -> QDockWidget:
        dock = self.docks[key]
        dock.show()
        return dock

    def _size_layout(self, top: QDockWidget, columns: list[QDockWidget]) -> None:
        """Build mode: the right column a third of the window, the main view most of it; the bottom row a quarter
        of the height, its columns of equal width (Train mode: see _size_training)."""
        window = self.window
        width, height = max(900, window.width()), max(600, window.height())
        window.resizeDocks([top], [max(420, int(width * EDITING_SHARE))], Qt.Orientation.Horizontal)
        if columns:
            pad = self._pad_size() if columns[0] is self.docks.get(PAD_KEY) else None
            row_width = width - 40
            rest = row_width - (pad.width() if pad else 0)
            others = len(columns) - (1 if pad else 0)
            row = rest // others if others else 0
            widths = ([pad.width()] if pad else []) + [row] * others
            window.resizeDocks(columns, widths, Qt.Orientation.Horizontal)
            row_height = min(250, height // 4)
            window.resizeDocks(columns[:1], [row_height], Qt.Orientation.Vertical)
        if top is not window.inspector_dock:
            # Three fifths of the column for the main view, now and again once the tabs just raised are laid out (a
            # relayout shares out the room a changed corner gave the column evenly).
            self._split_column(top)
            QTimer.singleShot(0, lambda: self._split_column(top))

    def _pad_size(self) -> QSize:
        """The room the drawing pad's dock needs to show the pad and its controls whole: the panel's minimum plus
        the dock's title and frame."""
        dock = self.docks[PAD_KEY]
        panel = dock.widget()
        need = panel.minimumSizeHint() if panel is not None else QSize(0, 0)
        title = dock.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight) + 8
        return QSize(need.width() + 12, need.height() + title)

    def _split_column(self, top: QDockWidget) -> None:
        window = self.window
        if window.workspace_mode == TRAIN_MODE:
            return  # a deferred split of the Build layout, which Train mode has replaced since
        layout = window.layout()
        assert layout is not None  # a QMainWindow always has its own layout
        layout.activate()
        column = top.height() + window.inspector_dock.height()
        window.resizeDocks([top, window.inspector_dock], [column * 3 // 5, column * 2 // 5], Qt.Orientation.Vertical)

    @staticmethod
    def _image_data(lab: Lab) -> bool:
        return data_kind(lab.dataset.name) == "images"

    def _shown(self, key: str) -> bool:
        """Whether a view is on screen: a dock behind another tab still counts as visible to Qt, but has no
        visible region."""
        dock = self.docks[key]
        return dock.isVisible() and not dock.visibleRegion().isEmpty()

    def open_probes(self) -> frozenset[str]:
        """The probes of the views on screen (a view's own ``probes`` carry their parameters; a widget without
        them, the drawing pad, asks for those of its spec)."""
        names: set[str] = set()
        for key, dock in self.docks.items():
            if self._shown(key):
                names.update(p for p in getattr(dock.widget(), "probes", self.view_specs[key].probes) if p)
        return frozenset(names)

    def _show_training_views(self) -> None:
        """The first Play of a lab switches to Train mode: the views get the room the editor had."""
        if getattr(self, "_views_raised", False):
            return
        self._views_raised = True
        if self.lab is None:
            return
        if self.window.workspace_mode == TRAIN_MODE:
            self._raise_curves()  # switched by hand before Play: the layout is Train's already
        else:
            self.window.set_workspace_mode(TRAIN_MODE)

    def _follow_mode(self, mode: str) -> None:
        """Lay the docks out anew for the mode the user chose (or the first Play did)."""
        lab = self.lab
        if lab is None:
            return
        self._raise_views_for(lab)
        # Presenting: arranged again for this mode, and leaving it keeps this mode's layout.
        self.window.presentation.lab_changed()

    def _editor_compact(self, compact: bool) -> None:
        """The editor as a compact live diagram (Train mode) or at its full size; either way the network fitted."""
        window = self.window
        width = max(900, window.width())
        diagram = min(DIAGRAM_WIDTH[1], max(DIAGRAM_WIDTH[0], int(width * DIAGRAM_SHARE)))
        central = window.centralWidget()
        if central is not None:
            central.setMaximumWidth(diagram if compact else NO_LIMIT)
        # The editor's own minimum width would overflow the compact column and cut the diagram off.
        canvas = window.canvas
        editing_minimum = getattr(self, "_canvas_minimum", None) or canvas.minimumWidth()
        self._canvas_minimum = editing_minimum
        canvas.setMinimumWidth(min(editing_minimum, diagram - 8) if compact else editing_minimum)
        QTimer.singleShot(0, canvas.fit_view)

    def _diagram_width(self) -> int:
        central = self.window.centralWidget()
        return min(central.maximumWidth(), self.window.width()) if central is not None else 0

    def _inspect_while_training(self, name: str | None) -> None:
        """Train mode hides the inspector; a node selected in the diagram brings it back, as a tab of the curves."""
        inspector = self.window.inspector_dock
        if name is not None and self.window.workspace_mode == TRAIN_MODE and not inspector.isVisible():
            inspector.show()
            inspector.raise_()
            if inspector in self._hidden_for_train:
                self._hidden_for_train.remove(inspector)

    def _raise_curves(self) -> None:
        lab = self.lab
        if lab is None:
            return
        curves = self._curves_spec(*self.layout_specs(lab))
        if curves is not None:
            self.docks[curves.key].raise_()
        if self.main_view_key:
            self.docks[self.main_view_key].raise_()

    @staticmethod
    def _curves_spec(specs: list[ViewSpec], main: ViewSpec | None) -> ViewSpec | None:
        """The curves of a layout: a family's own (GAN, VAE), declared after the generic ones, first."""
        curves = [s for s in specs if s is not main and s.place != "bottom" and s.front and s.key != PAD_KEY]
        return curves[-1] if curves else None

    def _place_training(self, specs: list[ViewSpec], main: ViewSpec) -> list[QDockWidget]:
        """Train mode: the editing chrome hidden; a top row across the window holds the drawing pad (image labs),
        the main view and, where they fit, the curves; below it the editor as a compact live diagram, then the
        other views side by side (as many as fit, the rest as tabs). Returns the lower row's columns."""
        window = self.window
        chosen = {s.key for s in specs}
        for key, dock in self.docks.items():
            dock.toggleViewAction().setVisible(key in chosen)
            window.removeDockWidget(dock)
        hidden = [d for d in (window.palette_dock, self.data_dock, window.inspector_dock, window.problems_dock)
                  if d.isVisible() or d in getattr(self, "_hidden_for_train", [])]
        self._hidden_for_train = hidden
        window.palette_dock.hide()
        self.data_dock.hide()
        window.removeDockWidget(window.inspector_dock)
        window.removeDockWidget(window.problems_dock)
        # The top row spans the window (Qt's default corners); the editor and the lower row share the band below.
        window.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.TopDockWidgetArea)
        window.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.TopDockWidgetArea)
        width = max(900, window.width())
        pad = next((s for s in specs if s.key == PAD_KEY and s is not main), None)
        curves = self._curves_spec(specs, main)
        # Beside the main view only where the main view keeps most of the width: not beside a drawing pad.
        beside = curves if curves is not None and pad is None else None
        square = main.aspect == "square" and pad is None
        companion = self._companion_spec(specs, main, curves) if square else None
        before, after = (companion, None) if companion is not None and companion.key == NETWORK_KEY else \
            (None, companion)
        top = [s for s in (pad, before, main, after, beside) if s is not None]
        row = self._dock_row(top, Qt.DockWidgetArea.TopDockWidgetArea)
        rest = sorted((s for s in specs if s not in top and (s.place == "bottom" or s is curves)),
                      key=lambda s: not s.front)
        count = max(1, min(BOTTOM_COLUMNS, (width - self._diagram_width()) // TRAIN_COLUMN))
        # The curves end the reading order (data, network, output, curves), in a column of their own.
        others = [s for s in rest if s is not curves]
        low = others[:count - 1] + [s for s in rest if s is curves] if curves in rest else others[:count]
        columns = self._dock_row(low, Qt.DockWidgetArea.RightDockWidgetArea)
        curves_dock = self.docks[curves.key] if curves is not None else None
        hosts = [d for d in columns if d is not curves_dock] or columns or row[-1:]
        for i, spec in enumerate(s for s in rest if s not in low):
            window.tabifyDockWidget(hosts[i % len(hosts)], self._dock_at(spec.key))
        # The other curves (the generic ones of a GAN or VAE) and the inspector wait as tabs behind the curves.
        host = curves_dock or row[-1]
        for spec in specs:
            if spec not in top and spec not in rest and spec.key != PAD_KEY:
                window.tabifyDockWidget(host, self._dock_at(spec.key))
        window.tabifyDockWidget(host, window.inspector_dock)
        window.inspector_dock.hide()
        window.tabifyDockWidget(hosts[-1], window.problems_dock)
        window.problems_dock.hide()
        main_dock = self.docks[main.key]
        self._size_training(row, columns, main_dock, pad is not None, square)
        # Again once the docks just placed are laid out: Qt shares out the room of a changed corner evenly.
        QTimer.singleShot(0, lambda: self._size_training(row, columns, main_dock, pad is not None, square)
                          if window.workspace_mode == TRAIN_MODE else None)
        for dock in row:
            dock.raise_()
        return columns

    @staticmethod
    def _companion_spec(specs: list[ViewSpec], main: ViewSpec, curves: ViewSpec | None) -> ViewSpec | None:
        """The view that goes beside a square main view in the top row: the network of neurons where the lab has
        one, else the first view of the lower row that comes to the front; none where the lower row would keep
        fewer than two views."""
        low = [s for s in specs if s is not main and s is not curves and s.place == "bottom" and s.key != PAD_KEY]
        if len(low) < 3:
            return None  # a lone view left below would span the window and outgrow the main view
        return next((s for s in low if s.key == NETWORK_KEY), next((s for s in low if s.front), None))

    def _size_training(self, row: list[QDockWidget], columns: list[QDockWidget], main_dock: QDockWidget,
                       pad: bool, square: bool) -> None:
        """The main view its share of the window's area (and the top row all the drawing pad needs), most of the
        top row's width; the lower row the rest of the height, its columns of equal width. A square main view
        instead gets a taller row and the width its plot fills, the views beside it the rest."""
        window = self.window
        width = max(900, window.width())
        chrome = window.menuBar().height() + window.statusBar().height() + sum(
            bar.height() for bar in window.findChildren(QToolBar) if bar.isVisible() and not bar.isFloating())
        band = max(400, window.height() - chrome)
        if square and len(row) > 1:
            height = min(band - TRAIN_LOW_MIN, int(band * SQUARE_ROW_SHARE))
            # Still the widest of the row by a visible margin, so the largest dock on screen.
            main_width = max(height + SQUARE_EXTRA, width // len(row) + 24)
            each = (width - main_width) // (len(row) - 1)
            widths = [main_width if dock is main_dock else each for dock in row]
            window.resizeDocks(row[:1], [height], Qt.Orientation.Vertical)
            window.resizeDocks(row, widths, Qt.Orientation.Horizontal)
            self._size_lower_row(columns)
            return
        if pad:
            first = self._pad_size().width()
            widths = [first, width - first]
        elif len(row) > 1:
            widths = [int(width * TRAIN_MAIN_SHARE), width - int(width * TRAIN_MAIN_SHARE)]
        else:
            widths = [width]
        main_width = widths[1 if pad else 0]
        title = row[0].style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight) + 8
        wanted = max(int(band * TRAIN_ROW_SHARE), int(TRAIN_MAIN_AREA * width * window.height() / main_width) + title,
                     self._pad_size().height() if pad else 0)
        window.resizeDocks(row[:1], [min(band - TRAIN_LOW_MIN, wanted)], Qt.Orientation.Vertical)
        window.resizeDocks(row, widths[:len(row)], Qt.Orientation.Horizontal)
        self._size_lower_row(columns)

    def _size_lower_row(self, columns: list[QDockWidget]) -> None:
        """The lower row's columns of equal width beside the compact diagram, which is then fitted anew."""
        window = self.window
        width = max(900, window.width())
        if columns:
            each = (width - self._diagram_width()) // len(columns)
            window.resizeDocks(columns, [each] * len(columns), Qt.Orientation.Horizontal)
        self._tab_bar_timer.start()
        layout = window.layout()
        if layout is not None:
            layout.activate()  # the compact diagram at its new size before it is fitted
        window.canvas.fit_view()

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
