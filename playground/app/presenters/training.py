"""The training presenter: joins the document and the main window to the runtime bridge, the train toolbar, the
data panel and the live views. Part of the composition root (app/main.py builds it), so it may import every layer.

It owns the one TrainingSession. Views only receive snapshots; the GUI thread never runs torch. Each job is a mixin
in this package: laying out the views (view_layout), play/step/reset and edits while training
(playback), settings as undoable edits (lab_settings), probes and snapshots (snapshots), the data panel and the
drawing pad (data_wiring). This class builds them in order, connects the signals and follows the document: a new
lab, an edit, a changed setting.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QBoxLayout, QLabel

from playground.app.document import LabDocument
from playground.app.downloads import DownloadController
from playground.app.presenters.banners import ApplyBanner, MessageBanner
from playground.app.presenters.data_wiring import DataWiringMixin
from playground.app.presenters.lab_settings import LabSettingsCommand, LabSettingsMixin
from playground.app.presenters.playback import PlaybackMixin
from playground.app.presenters.snapshots import SnapshotMixin
from playground.app.presenters.view_layout import CLASSIC_TASKS, ViewLayoutMixin, data_kind, plane_data
from playground.engine.commands import SetSample
from playground.graph import Lab
from playground.runtime import TrainingSession
from playground.ui.main_window import MainWindow

# Names that lived here before the split, for the modules and tests that import them from here.
__all__ = ["CHECKPOINT_WAIT_MS", "CLASSIC_TASKS", "QUIT_WAIT_MS", "ApplyBanner", "LabSettingsCommand", "MessageBanner",
           "TrainingPresenter", "data_kind", "plane_data"]

# How long closing the window waits for the worker to end its batch, and how long when a save awaits its state.
QUIT_WAIT_MS = 400
CHECKPOINT_WAIT_MS = 30_000


# The mixins come before QObject, so that their methods (and this class's eventFilter) are the ones Qt calls.
class TrainingPresenter(PlaybackMixin, LabSettingsMixin, SnapshotMixin, DataWiringMixin, ViewLayoutMixin, QObject):
    def __init__(self, window: MainWindow, document: LabDocument) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.session = TrainingSession(self)
        self._stale = False  # the lab changed since the running trainer was built
        self._edit_index = 0  # where the undo stack stood after the last edit
        self._broken_views: set[str] = set()
        self._last_snapshot: Any = None
        self._playing = False
        self._samples_for: Any = None  # the dataset settings the samples view shows

        self._add_train_toolbar()

        self.data_panel = self._make_data_panel()
        self._build_view_docks()
        self.downloads = DownloadController(window)
        self._refresh_image_sets()
        self._add_download_actions()

        self.apply_banner = ApplyBanner()
        self.message_banner = MessageBanner()
        editor = window.stack.widget(1)
        box = editor.layout() if editor is not None else None
        if isinstance(box, QBoxLayout):
            box.insertWidget(0, self.message_banner)
            box.insertWidget(0, self.apply_banner)
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
        if document.lab is not None:
            self.on_lab_opened(document.lab)

    def _connect(self) -> None:
        w = self.window
        w.train_requested.connect(lambda: self.set_playing(not self._playing))
        w.step_requested.connect(lambda: self.step(False))
        w.reset_requested.connect(lambda: self.reset(False))
        self.document.lab_replaced.connect(self.on_lab_opened)
        self.document.undo_stack.indexChanged.connect(self._on_edit)
        self.document.settings_changed.connect(self.on_settings_changed)
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
        self.views["feature_maps"].sample_requested.connect(lambda i: self._send_if_active(SetSample(index=i)))
        self._connect_drawing()

    # Lab lifecycle --------------------------------------------------------------------------------------------

    @property
    def lab(self) -> Lab | None:
        return self.document.lab

    @property
    def last_snapshot(self) -> Any:
        """The latest snapshot of the run, or None before the first."""
        return self._last_snapshot

    def raise_views_for(self, lab: Lab) -> None:
        """Bring the views that can show ``lab``'s data to the front (after its data changed kind)."""
        self._raise_views_for(lab)

    def mark_stale(self) -> None:
        """The lab differs from what the running trainer was built from: offer to apply the edit."""
        self._stale = True
        self.apply_banner.show()

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

    def shutdown(self, waiting_save: bool = False) -> None:
        """Stop training and downloads before the window goes away (close, quit).

        The worker stops after its current batch; the window waits for that only briefly (QUIT_WAIT_MS), so a long
        step cannot hold a quit: a worker still busy is left to end with the process. Only a save the user asked
        for, still waiting for the worker's checkpoint (``waiting_save``), is worth a longer wait."""
        self.downloads.shutdown()
        waiting = waiting_save
        if waiting:
            self.window.show_message("Saving: waiting for the training to hand over its state…")
        self.session.stop(CHECKPOINT_WAIT_MS if waiting else QUIT_WAIT_MS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.LayoutRequest:
            self._tab_bar_timer.start()  # after every relayout of the docks
        return False
