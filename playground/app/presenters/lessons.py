"""The lessons presenter: opens a lesson's lab, checks the current step's goal on every snapshot and every edit,
performs Show me through the same undoable edits a student makes, and keeps each user's progress between runs."""

from __future__ import annotations

import copy
import json
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMenu

from playground.app.document import LabDocument
from playground.graph import Lab
from playground.lessons import Lesson, LessonError, find_lesson, next_lesson, read_lesson, shipped_lesson_cards
from playground.lessons.actions import WINDOW_VIEWS, Action, apply_to_lab
from playground.lessons.goals import METRICS
from playground.ui.commands import SetParamCommand, SnapshotCommand, restore_graph
from playground.ui.lesson_panel import LessonPanel

from .transfer import LabSectionCommand

PROGRESS_KEY = "lessons/progress"


class LessonEditCommand(SnapshotCommand):
    """A network edit of Show me (add or remove a layer), undone like any edit of the student's."""

    def __init__(self, graph: Any, after: dict[str, Any], text: str, network: str) -> None:
        super().__init__(graph, text, network)
        self._after = after

    def redo(self) -> None:
        restore_graph(self.graph, self._after)


class LessonPresenter(QObject):
    def __init__(self, window: Any, document: LabDocument, training: Any) -> None:
        super().__init__(window)
        self.window, self.document, self.training = window, document, training
        self.lesson: Lesson | None = None
        self.step = 0
        self.events: set[str] = set()
        self._play_until: int | None = None
        self._opening = False
        self.panel = LessonPanel()
        self.dock = QDockWidget("Lesson", window)
        self.dock.setObjectName("lessonDock")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                              | QDockWidget.DockWidgetFeature.DockWidgetMovable)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        self.dock.hide()
        self.panel.next_requested.connect(self.next)
        self.panel.back_requested.connect(lambda: self.go_to(self.step - 1))
        self.panel.step_chosen.connect(self.go_to)
        self.panel.show_requested.connect(self.show_me)
        self.panel.lesson_chosen.connect(self.open_named)
        training.session.snapshot.connect(self.check)
        document.changed.connect(lambda: self.check(training.last_snapshot))
        document.settings_changed.connect(self._on_setting)
        document.graph_edited.connect(lambda *_: self._note_change("network"))
        document.lab_replaced.connect(self._on_lab_replaced)
        self._add_actions()

    # -- opening --------------------------------------------------------------------------------------------------
    def _add_actions(self) -> None:
        # PySide6 takes any Qt property as a keyword; its stubs list only QAction's own.
        open_action = QAction("Open lesson…", self.window, objectName="openLessonAction")  # type: ignore[call-overload]
        open_action.setToolTip("Open a lesson file (.lesson) or a lesson folder written by a teacher")
        open_action.triggered.connect(self.choose_file)
        save_action = QAction("Save as lesson…", self.window, objectName="saveAsLessonAction")  # type: ignore[call-overload]
        save_action.setToolTip("Start a new lesson file from the open lab: its changes from a template, one step")
        save_action.triggered.connect(self.save_as_lesson)
        panel_action = self.dock.toggleViewAction()
        panel_action.setText("Lesson panel")
        panel_action.setShortcut(QKeySequence("Ctrl+L"))
        bar = self.window.menuBar()
        help_menu = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
        self.menu = QMenu("&Lessons", bar)
        self.menu.setObjectName("lessonsMenu")
        self.menu.setToolTipsVisible(True)
        if help_menu is not None:
            bar.insertMenu(help_menu, self.menu)
        else:
            bar.addMenu(self.menu)
        self.menu.addActions([open_action, save_action, panel_action])
        file_menu = next((a.menu() for a in bar.actions() if a.text().replace("&", "") == "File"), None)
        if file_menu is not None:  # File > Open lesson… and File > Save as lesson… too, with the other opens
            separators = [a for a in file_menu.actions() if a.isSeparator()]
            if separators:
                file_menu.insertActions(separators[0], [open_action, save_action])
            else:
                file_menu.addActions([open_action, save_action])
        self.menu.addSeparator()
        chapters: dict[str, QMenu] = {}
        for lesson in shipped_lesson_cards():
            if lesson.chapter not in chapters:
                chapters[lesson.chapter] = self.menu.addMenu(lesson.chapter)
            item = chapters[lesson.chapter].addAction(lesson.title)
            item.setToolTip(lesson.teaches)
            item.triggered.connect(lambda _=False, n=lesson.name: self.open_named(n))
        self.window.addAction(panel_action)
        start_page = getattr(self.window, "start_page", None)
        if start_page is not None and hasattr(start_page, "lesson_chosen"):
            start_page.lesson_chosen.connect(self.open_named)
            start_page.mark_finished(self.finished_lessons())

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open lesson", "", "Lessons (*.lesson);;All files (*)")
        if path:
            self.open_named(path)

    def open_named(self, name: str) -> bool:
        try:
            lesson = find_lesson(name) if not name.endswith(".lesson") else read_lesson(name)
        except LessonError as e:
            self.window.show_message(str(e), error=True)
            return False
        return self.open(lesson)

    def open(self, lesson: Lesson) -> bool:
        if hasattr(self.window, "maybe_save") and not self.window.maybe_save():
            return False
        self._opening = True
        try:
            self.window.set_lab(lesson.start_lab(), None, fresh=True)
        finally:
            self._opening = False
        self.lesson, self.events, self._play_until = lesson, set(), None
        self.panel.show_lesson(lesson, self._progress().get(lesson.name, {}).get("steps", set()))
        self._show_chapter()
        self._place_dock()
        self.go_to(0)
        return True

    def _place_dock(self) -> None:
        """The lesson gets the whole left column: tabbed with the layer palette and the data panel, in front."""
        # The left column runs down to the status bar while a lesson is open, so its text is not squeezed by the
        # views docked along the bottom.
        self.window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        palette = getattr(self.window, "palette_dock", None)
        if palette is not None and palette.isVisible() and not self.dock.isVisible():
            self.window.tabifyDockWidget(palette, self.dock)
        self.dock.show()
        self.dock.raise_()

    def _on_lab_replaced(self, _lab: Lab) -> None:
        if not self._opening and self.lesson is not None:
            self.lesson = None  # another lab was opened: the lesson is over, its panel stays for the chapter list
            self.panel.set_goal_state(False, "This lab is not the lesson's: reopen the lesson to go on.")

    # -- steps ----------------------------------------------------------------------------------------------------
    def go_to(self, index: int) -> None:
        if self.lesson is None:
            return
        self.step = max(0, min(index, len(self.lesson.steps) - 1))
        self.panel.show_step(self.step)
        self.check(self.training.last_snapshot)

    def next(self) -> None:
        if self.lesson is None:
            return
        if self.panel.finished:
            following = next_lesson(self.lesson)
            if following is not None:
                self.open(following)
            return
        if self.step + 1 < len(self.lesson.steps):
            self.go_to(self.step + 1)
            return
        self._save_progress(finished=True)
        following = next_lesson(self.lesson)
        self.panel.show_finished(self.lesson.learned, following.title if following else "")

    def check(self, snap: Any) -> None:
        """Tick the current step's goal when it holds for the lab and the latest snapshot."""
        if self.lesson is None or self.document.lab is None:
            return
        if self._play_until is not None and snap is not None and snap.epoch >= self._play_until:
            self._play_until = None
            self.training.set_playing(False)
        goal = self.lesson.steps[self.step].goal
        if goal is None:
            return
        met = goal.met(self.document.lab, snap, frozenset(self.events))
        if met:
            self.panel.set_goal_state(True, "")
            self._save_progress()
        elif self.step not in self.panel.done_steps():
            self.panel.set_goal_state(False, self._live_values(goal, snap))

    def _live_values(self, goal: Any, snap: Any) -> str:
        """The metrics a goal names, as they are now: 'now: test accuracy 87.2%'."""
        if snap is None:
            return "Press Play (Space) to train."
        parts = []
        for c in goal.conditions:
            if c.name in METRICS and c.name in snap.metrics:
                value = float(snap.metrics[c.name])
                shown = f"{value:.1%}" if "accuracy" in c.name else f"{value:.4g}"
                parts.append(f"{c.name.replace('_', ' ')} {shown}")
        parts.append(f"epoch {snap.epoch}")
        return "Now: " + ", ".join(parts)

    def _on_setting(self, section: str, changes: dict[str, Any]) -> None:
        if section == "training":
            for name in changes:
                self._note_change(name)
        else:
            self._note_change(section)

    def _note_change(self, what: str) -> None:
        snap = self.training.last_snapshot
        if snap is not None and snap.state == "running":
            self.events.add(f"changed:{what}")

    # -- Show me --------------------------------------------------------------------------------------------------
    def show_me(self) -> None:
        if self.lesson is None:
            return
        for action in self.lesson.steps[self.step].show:
            try:
                self.perform(action)
            except Exception as e:  # a lesson written for another version of a lab: say so, keep the lab
                self.window.show_message(f"Show me could not {action.text!r}: {e}", error=True)
                return

    def perform(self, action: Action) -> None:
        lab = self.document.lab
        if lab is None:
            return
        if action.verb == "play":
            snap = self.training.last_snapshot
            self._play_until = (snap.epoch if snap is not None else 0) + (action.value or lab.training.epochs)
            self.training.set_playing(True)
        elif action.verb == "reset":
            self.training.reset(False)
        elif action.verb == "open" and action.target in WINDOW_VIEWS:
            self.window.landscape_action.trigger()  # both views live in the landscape window
        elif action.verb == "open":
            dock = getattr(self.training, "docks", {}).get(action.target)
            if dock is not None:
                dock.show()
                dock.raise_()
        elif action.scope in ("training", "dataset"):
            section, field = action.target.split(".", 1)
            if section == "dataset" and field.startswith("options."):
                options = {**lab.dataset.options, field.split(".", 1)[1]: action.value}
                self.training.change_settings("dataset", {"options": options})
            else:
                self.training.change_settings(section, {field: action.value})
        elif action.scope == "seed":
            self.training.change_settings("seed", int(action.value))
        elif action.scope == "frozen":
            trial = copy.deepcopy(lab)
            apply_to_lab(action, trial)  # raises with the layer's name when the lab has no such layer
            self.document.undo_stack.push(LabSectionCommand(self.document, "frozen", lab.frozen, trial.frozen,
                                                            f"Lesson: {action.text}"))
        elif action.verb == "set":
            trial = copy.deepcopy(lab)
            apply_to_lab(action, trial)  # raises with the node's name when the lab has no such layer
            network, node, field = self._node_of(lab, action.target)
            self.document.undo_stack.push(SetParamCommand(network.graph, node, field, action.value, network.name))
        else:
            trial = copy.deepcopy(lab)
            apply_to_lab(action, trial)
            for before, after in zip(lab.networks, trial.networks, strict=True):
                if before.graph.to_dict() != after.graph.to_dict():
                    self.document.undo_stack.push(LessonEditCommand(before.graph, after.graph.to_dict(),
                                                                    f"Lesson: {action.text}", before.name))

    @staticmethod
    def _node_of(lab: Lab, target: str) -> tuple[Any, str, str]:
        *path, field = target.split(".")
        if len(path) == 2:
            return lab.network(path[0]), path[1], field
        network = next(n for n in lab.networks if path[0] in n.graph)
        return network, path[0], field

    # -- progress -------------------------------------------------------------------------------------------------
    def _progress(self) -> dict[str, Any]:
        raw = self.window.settings.value(PROGRESS_KEY, "{}")
        try:
            data = json.loads(raw) if isinstance(raw, str) else {}
        except ValueError:
            data = {}
        progress: dict[str, Any] = {}
        for name, entry in (data.items() if isinstance(data, dict) else ()):
            if isinstance(entry, dict):
                steps = {int(s) for s in entry.get("steps", []) if isinstance(s, int)}
                progress[str(name)] = {"steps": steps, "finished": bool(entry.get("finished"))}
        return progress

    def _save_progress(self, finished: bool = False) -> None:
        if self.lesson is None:
            return
        progress = self._progress()
        entry = progress.setdefault(self.lesson.name, {"steps": set(), "finished": False})
        entry["steps"] |= self.panel.done_steps()
        entry["finished"] = entry["finished"] or finished
        plain = {k: {"steps": sorted(v["steps"]), "finished": v["finished"]} for k, v in progress.items()}
        self.window.settings.setValue(PROGRESS_KEY, json.dumps(plain))
        self._show_chapter()
        start_page = getattr(self.window, "start_page", None)
        if start_page is not None and hasattr(start_page, "mark_finished"):
            start_page.mark_finished(self.finished_lessons())

    def finished_lessons(self) -> set[str]:
        return {name for name, entry in self._progress().items() if entry["finished"]}

    def _show_chapter(self) -> None:
        if self.lesson is None:
            return
        done = self.finished_lessons()
        self.panel.show_chapter([(x.name, x.title, x.name in done) for x in shipped_lesson_cards()
                                 if x.chapter == self.lesson.chapter])

    # -- Save as lesson -------------------------------------------------------------------------------------------
    def save_as_lesson(self) -> None:
        lab = self.document.lab
        if lab is None:
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Save as lesson", "my-lesson.lesson",
                                              "Lessons (*.lesson)")
        if not path:
            return
        lab_path = path.rsplit(".", 1)[0] + ".lab.json"
        from pathlib import Path

        try:
            lab.save(lab_path)
            Path(path).write_text(lesson_skeleton(lab, Path(lab_path).name), encoding="utf-8")
        except OSError as e:
            self.window.show_message(f"Could not write the lesson: {e.strerror or e}", error=True)
            return
        self.window.show_message(f"Saved {Path(path).name} and its lab; write its steps in any text editor")


def lesson_skeleton(lab: Lab, lab_file: str) -> str:
    """A lesson file that starts from ``lab_file``, with one step to fill in: a teacher's starting point."""
    return (f"# {lab.name}\n@chapter Multilayer networks\n@teaches What this lesson teaches, in one sentence.\n"
            f"@lab {lab_file}\n\n## Train it\nPress **Play** and watch the decision boundary.\n"
            "@hint Space starts and pauses training.\n@show play 20 epochs\n@goal epoch >= 20\n"
            "@solution play 20 epochs\n")
