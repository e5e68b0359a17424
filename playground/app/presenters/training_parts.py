"""What the training presenter's jobs (view layout, playback, settings, snapshots, data wiring) use of one another and
of the :class:`~playground.app.presenters.training.TrainingPresenter` that joins them.

Each job is a mixin in its own module; this class is their common base for the type checker only (at run time the
mixins derive from ``object``), so a mixin's use of an attribute or method another part owns is checked against one
declaration, and the presenter is checked to provide all of it (the methods are abstract here).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDockWidget, QLabel

    from playground.app.document import LabDocument
    from playground.app.downloads import DownloadController
    from playground.graph import Lab
    from playground.runtime import TrainingSession
    from playground.ui.data_panel import DataPanel
    from playground.ui.digit_pad import DigitPanel
    from playground.ui.main_window import MainWindow
    from playground.ui.training_toolbar import TrainToolbar
    from playground.ui.views.registry import ViewSpec

    from .banners import ApplyBanner, MessageBanner
    from .drawing import DrawingReader


class TrainingParts:
    window: MainWindow
    document: LabDocument
    session: TrainingSession
    toolbar: TrainToolbar
    data_panel: DataPanel
    downloads: DownloadController
    download_actions: list[QAction]
    skipped_report: str
    apply_banner: ApplyBanner
    message_banner: MessageBanner
    metrics_label: QLabel
    # The live views by registry key: each view class has its own methods (set_layers, set_data...), so Any.
    views: dict[str, Any]
    docks: dict[str, QDockWidget]
    view_specs: dict[str, ViewSpec]
    main_view_key: str
    data_dock: QDockWidget
    draw_dock: QDockWidget
    digit_panel: DigitPanel
    drawing_reader: DrawingReader
    _laid_out: tuple[str, ...] | None
    _probe_timer: QTimer
    _tab_bar_timer: QTimer
    _stale: bool
    _playing: bool
    _views_raised: bool
    _edit_index: int
    _broken_views: set[str]
    _last_snapshot: Any
    _samples_for: Any

    @property
    @abstractmethod
    def lab(self) -> Lab | None: ...

    # playback
    @abstractmethod
    def ensure_session(self, run: bool) -> bool: ...

    @abstractmethod
    def set_playing(self, playing: bool) -> None: ...

    @abstractmethod
    def send(self, command: Any) -> bool: ...

    @abstractmethod
    def refuse(self, text: str) -> None: ...

    @abstractmethod
    def apply_edit(self, resume: bool = True) -> None: ...

    @abstractmethod
    def restart(self) -> None: ...

    # lab settings
    @abstractmethod
    def change_settings(self, section: str, changes: Any) -> None: ...

    # snapshots
    @abstractmethod
    def _sync_layers(self) -> None: ...

    # data wiring
    @abstractmethod
    def _sync_data_panel(self) -> None: ...

    @abstractmethod
    def _refresh_samples(self) -> None: ...

    # view layout
    @abstractmethod
    def open_probes(self) -> frozenset[str]: ...

    @abstractmethod
    def _shown(self, key: str) -> bool: ...

    @abstractmethod
    def _show_training_views(self) -> None: ...

    @staticmethod
    @abstractmethod
    def _image_data(lab: Lab) -> bool: ...
