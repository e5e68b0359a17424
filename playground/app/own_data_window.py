"""Your own data in the window: File > Open data… and dropping a .csv/.tsv on the window open the table dialog and
make the open lab learn the table; the Output view's draw mode adds points to a 2-D set.

Part of the composition root: it joins the data package (reading tables), the engine (sizing the network, the
table's dataset settings), the training controller (undoable lab edits, the session) and the ui widgets.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, cast

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu

from playground.app.document import LabDocument
from playground.app.presenters.lab_settings import LabSettingsCommand
from playground.data import drawn as drawn_points
from playground.data import table as tables
from playground.data import toy2d
from playground.data.errors import DataError
from playground.engine.datasets import CLASS_COLOUR_NAMES
from playground.engine.errors import EngineError
from playground.engine.own_data import TABLE, network_changes, table_settings
from playground.graph import DatasetSettings, GraphError, LabFormatError
from playground.ui.commands import SetParamCommand
from playground.ui.table_dialog import TableChoice, TableColumnInfo, TableDialog
from playground.ui.views.point_drawing import PointDrawer

CLASSIC_TASKS = ("classification", "regression")


class OwnDataPresenter(QObject):
    def __init__(self, window: Any, document: LabDocument, controller: Any) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.controller = controller
        self.dialog: TableDialog | None = None
        self._views_for: tuple[str, int, str] | None = None
        self.open_data_action = QAction("Open &data…", window)
        self.open_data_action.setObjectName("openDataAction")
        self.open_data_action.setToolTip("Learn your own table: a CSV or TSV file with a header line (you can also "
                                         "drop the file on the window)")
        self.open_data_action.triggered.connect(lambda _checked=False: self.open_data())
        window.addAction(self.open_data_action)
        file_menu = next((a.menu() for a in window.menuBar().actions()
                          if isinstance(a.menu(), QMenu) and a.text().replace("&", "") == "File"), None)
        if file_menu is not None:
            separator = next((a for a in file_menu.actions() if a.isSeparator()), None)
            file_menu.insertAction(separator, self.open_data_action)
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        self.drawer = PointDrawer(controller.views["boundary"])
        self.drawer.drawn_changed.connect(self.set_drawn)
        self.drawer.mode_changed.connect(self._on_mode)
        document.lab_replaced.connect(lambda _lab: self.sync())
        document.undo_stack.indexChanged.connect(lambda _i: self.sync())
        self.sync()

    # Tables -----------------------------------------------------------------------------------------------------

    def open_data(self, path: str | None = None) -> TableDialog | None:
        """Read a table and show the dialog (window-modal, not blocking); on OK the lab learns it."""
        lab = self.document.lab
        if lab is None:
            return None
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open data: a table with a header line", "",
                                                  "Tables (*.csv *.tsv *.tab *.txt);;All files (*)")
            if not path:
                return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a big table takes a few seconds to read
        try:
            table = tables.read_table(path)
            label = tables.guess_label(table)
            task = tables.guess_task(table, label)
        except DataError as e:
            self.refuse(str(e))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        columns = [TableColumnInfo(c.name, c.kind, c.missing_count, c.distinct, ", ".join(c.examples()))
                   for c in table.columns]
        ratio, seed = lab.dataset.train_ratio, lab.seed

        def preview(choice: TableChoice) -> list[str]:
            data = tables.prepare(table, choice.label, choice.features, choice.task, choice.missing, ratio, seed)
            _changes, said = network_changes(lab, data)
            lines = tables.describe(data)
            lines.append("The network: " + ("; ".join(said) + "." if said else "already fits this table."))
            return lines

        dialog = TableDialog(table.name, table.rows, columns, label, task, tables.default_features(table, label),
                             preview, lambda name: tables.guess_task(table, name), self.window)
        dialog.accepted.connect(lambda: self.learn_table(path, table, dialog.choice()))
        self.dialog = dialog
        dialog.open()
        return dialog

    def learn_table(self, path: str, table: tables.Table, choice: TableChoice) -> bool:
        """Make the open lab learn the table: dataset, task and the network's sizes in one undoable edit."""
        lab = self.document.lab
        if lab is None:
            return False
        try:
            data = tables.prepare(table, choice.label, choice.features, choice.task, choice.missing,
                                  lab.dataset.train_ratio, lab.seed)
            changes, said = network_changes(lab, data)
            after = table_settings(path, table, data, choice.missing, lab.dataset.train_ratio)
        except (DataError, EngineError, GraphError, LabFormatError) as e:
            self.refuse(str(e))
            return False
        self.controller.session.stop()  # a new problem starts from fresh weights
        net = lab.networks[0]
        stack = self.document.undo_stack
        stack.beginMacro(f"Learn the table {table.name}")
        stack.push(LabSettingsCommand(self.document, "dataset", lab.dataset, after, "Open data"))
        if lab.task != data.task:
            stack.push(LabSettingsCommand(self.document, "task", lab.task, data.task, "Change task"))
        for node, field, value in changes:
            stack.push(SetParamCommand(net.graph, node, field, value, net.name))
        stack.endMacro()
        self.controller.on_lab_opened(lab)  # the views that fit the table, in front; nothing stale
        self.sync()
        sized = f" Sized the network: {'; '.join(said)}." if said else ""
        self.window.show_message(f"Learning {table.name}: {len(data.features)} features → {data.label!r} "
                                 f"({data.task}).{sized} Press Play.")
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        drop = cast(QDropEvent, event)  # what Qt sends with each of the drag and drop types tested below
        if watched is self.window and event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if self._dropped_table(drop) is not None:
                drop.acceptProposedAction()
                return True
        elif watched is self.window and event.type() == QEvent.Type.Drop:
            path = self._dropped_table(drop)
            if path is not None:
                drop.acceptProposedAction()
                self.open_data(path)
                return True
        return False

    @staticmethod
    def _dropped_table(event: Any) -> str | None:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return None
        urls = [u for u in mime.urls() if u.isLocalFile()]
        if len(urls) != 1:
            return None
        path = urls[0].toLocalFile()
        return path if path.lower().endswith(tables.SUFFIXES) and os.path.isfile(path) else None

    # Points you draw --------------------------------------------------------------------------------------------

    def sync(self) -> None:
        """Show the open lab's drawn points and classes in the draw row (only for the 2-D sets); name the Output
        view's axes after a table's two columns."""
        lab = self.document.lab
        # Learning a table, or undoing it, changes which views fit the lab: put the right ones in front again.
        key = (lab.dataset.name, len(lab.dataset.features), lab.task) if lab is not None else None
        if key is not None and lab is not None and key != self._views_for and \
                TABLE in (key[0], (self._views_for or ("",))[0]):
            self.controller.raise_views_for(lab)
        self._views_for = key
        plot = self.controller.views["boundary"].plot.getPlotItem()
        if lab is not None and lab.dataset.name == TABLE and len(lab.dataset.features) == 2:
            plot.setLabel("bottom", lab.dataset.features[0])  # standardised, as the dialog said
            plot.setLabel("left", lab.dataset.features[1])
        else:
            plot.setLabel("bottom", "x₁")
            plot.setLabel("left", "x₂")
        if lab is not None and lab.dataset.name == TABLE:
            options = lab.dataset.options
            name = os.path.basename(str(options.get("path", "")))
            self.controller.data_panel.note.setText(
                f"Your table {name}: {len(lab.dataset.features)} features ({', '.join(lab.dataset.features[:6])}"
                f"{', …' if len(lab.dataset.features) > 6 else ''}) → {options.get('label')!r}, standardised. "
                f"File > Open data… chooses another.")
        info = toy2d.DATASETS_2D.get(lab.dataset.name) if lab is not None else None
        if lab is None or info is None or lab.task not in CLASSIC_TASKS:
            self.drawer.set_context("classification", 2, [], False)
            return
        classes, names = info.classes, []
        if info.kind == "classification":
            # From the set's description, not its data: this runs on every edit of the lab.
            # A wrong class count is the lab's own problem, reported when it trains; the draw row keeps the set's.
            with contextlib.suppress(DataError):
                classes = toy2d.class_count(lab.dataset.name, lab.dataset.options.get("classes")) \
                    if info.multiclass else info.classes
            names = list(CLASS_COLOUR_NAMES[:classes])
        self.drawer.set_context(info.kind, classes, names, True)
        drawn = lab.dataset.options.get(drawn_points.OPTION)
        self.drawer.set_drawn(drawn if isinstance(drawn, list) else [])

    def set_drawn(self, points: list[list[float]]) -> None:
        """The student drew or erased: an undoable edit of the lab, which a running trainer takes at once."""
        lab = self.document.lab
        if lab is None:
            return
        options = dict(lab.dataset.options)
        before = options.get(drawn_points.OPTION) or []
        if points:
            options[drawn_points.OPTION] = [list(p) for p in points]
        else:
            options.pop(drawn_points.OPTION, None)
        try:
            after = DatasetSettings.from_dict({**lab.dataset.to_dict(), "options": options})
        except (LabFormatError, GraphError) as e:
            self.refuse(str(e))
            return
        if after == lab.dataset:
            return
        added = len(points) - len(before)
        text = (f"Draw {added} point{'s' if added != 1 else ''}" if added > 0 else
                "Clear drawn points" if not points else f"Erase {-added} point{'s' if added != -1 else ''}")
        self.document.undo_stack.push(LabSettingsCommand(self.document, "dataset", lab.dataset, after, text))

    def _on_mode(self, mode: str) -> None:
        if not mode:
            return
        # The plane shows once a trainer has made its data: drawing before the first Play starts one, paused.
        if not self.controller.session.active:
            self.controller.ensure_session(run=False)
        # Drawing needs room: the Output view takes three quarters of its column (the curves keep the rest) and the
        # row of inner views below gives up some height.
        dock = self.controller.docks["boundary"]
        below = self.window.inspector_dock
        height = dock.height() + below.height()
        self.window.resizeDocks([dock, below], [int(height * 0.75), int(height * 0.25)], Qt.Orientation.Vertical)
        self.window.resizeDocks([self.controller.docks["neurons"]], [200], Qt.Orientation.Vertical)

    def refuse(self, text: str) -> None:
        self.controller.message_banner.show_text(text)
        self.window.show_message(text, True)


def attach_own_data(window: Any, document: LabDocument, controller: Any) -> OwnDataPresenter:
    return OwnDataPresenter(window, document, controller)


__all__ = ["TABLE", "OwnDataPresenter", "attach_own_data"]
