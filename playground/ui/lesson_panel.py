"""The lesson panel: the open lesson's steps, the current one's text, its goal ticked live, Hint, Show me, Back, Next.

It only shows what it is given and says what the student pressed; the lessons presenter (playground/app/presenters/
lessons.py) checks the goal on each snapshot and performs Show me.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from playground.lessons import Lesson

MET_STYLE = "QLabel#lessonGoal { background: #e3f4e1; border: 1px solid #5aa55a; border-radius: 4px; padding: 6px; }"
OPEN_STYLE = "QLabel#lessonGoal { background: #fff7e0; border: 1px solid #d9a441; border-radius: 4px; padding: 6px; }"


class LessonPanel(QWidget):
    """Steps on top, the current step's text in the middle, its goal and the buttons below."""

    back_requested = Signal()
    next_requested = Signal()
    show_requested = Signal()
    step_chosen = Signal(int)
    lesson_chosen = Signal(str)  # a lesson's name, from the chapter list or "Next lesson"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self.setMinimumWidth(300)
        self.lesson: Lesson | None = None
        self.index = 0
        self.finished = False
        self._done: set[int] = set()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setObjectName("lessonTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setObjectName("lessonWhere")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.steps = QListWidget()
        self.steps.setObjectName("lessonSteps")
        self.steps.setMaximumHeight(120)
        self.steps.currentRowChanged.connect(self._row_chosen)
        self.text = QTextBrowser()
        self.text.setObjectName("lessonText")
        self.text.setOpenExternalLinks(True)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.goal = QLabel()
        self.goal.setObjectName("lessonGoal")
        self.goal.setWordWrap(True)
        self.goal.setTextFormat(Qt.TextFormat.PlainText)
        self.goal.setToolTip("The app checks this goal on the live run; it is ticked as soon as it holds.")
        self.hint_label = QLabel()
        self.hint_label.setObjectName("lessonHint")
        self.hint_label.setWordWrap(True)
        self.hint_label.setVisible(False)
        self.hint_label.setStyleSheet("color: #555; font-style: italic;")
        buttons = QHBoxLayout()
        self.back_button = QPushButton("◀ Back")
        self.back_button.setObjectName("lessonBack")
        self.back_button.setToolTip("The step before")
        self.hint_button = QPushButton("Hint")
        self.hint_button.setObjectName("lessonHintButton")
        self.hint_button.setToolTip("A hint for this step")
        self.show_button = QPushButton("Show me")
        self.show_button.setObjectName("lessonShowMe")
        self.show_button.setToolTip("Let the app do this step for you, so you can watch")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setObjectName("lessonNext")
        self.next_button.setToolTip("The next step")
        for button in (self.back_button, self.hint_button, self.show_button, self.next_button):
            buttons.addWidget(button)
        self.back_button.clicked.connect(self.back_requested)
        self.next_button.clicked.connect(self._next)
        self.show_button.clicked.connect(self.show_requested)
        self.hint_button.clicked.connect(lambda: self.hint_label.setVisible(not self.hint_label.isVisible()))
        self.chapter = QComboBox()
        self.chapter.setObjectName("lessonChapter")
        self.chapter.setToolTip("The lessons of this chapter; a tick marks the ones you finished. Choose one to open "
                                "it")
        self.chapter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.chapter.setMinimumContentsLength(12)
        self.chapter.activated.connect(self._chapter_chosen)
        for widget in (self.title, self.where, self.progress, self.steps, self.text, self.goal, self.hint_label):
            layout.addWidget(widget, 1 if widget is self.text else 0)
        layout.addLayout(buttons)
        chapter_row = QHBoxLayout()
        chapter_row.addWidget(QLabel("Chapter:"))
        chapter_row.addWidget(self.chapter, 1)
        layout.addLayout(chapter_row)
        self.set_goal_state(False, "")

    # -- what the presenter tells it ---------------------------------------------------------------------------
    def show_lesson(self, lesson: Lesson, done_steps: set[int] | None = None) -> None:
        self.lesson = lesson
        self._done = set(done_steps or ())
        self.title.setText(lesson.title)
        self.progress.setMaximum(len(lesson.steps))
        self.steps.blockSignals(True)
        self.steps.clear()
        for step in lesson.steps:
            self.steps.addItem(QListWidgetItem(step.title))
        self.steps.blockSignals(False)
        rows = min(len(lesson.steps), 5)
        self.steps.setFixedHeight(rows * self.steps.sizeHintForRow(0) + 2 * self.steps.frameWidth() + 2)
        self.show_step(0)

    def show_chapter(self, lessons: list[tuple[str, str, bool]]) -> None:
        """(name, title, finished) of each lesson in the open lesson's chapter."""
        self.chapter.blockSignals(True)
        self.chapter.clear()
        for name, title, finished in lessons:
            self.chapter.addItem(("✓ " if finished else "") + title, name)
            if self.lesson is not None and name == self.lesson.name:
                self.chapter.setCurrentIndex(self.chapter.count() - 1)
        self.chapter.blockSignals(False)

    def show_step(self, index: int) -> None:
        assert self.lesson is not None
        self.index = max(0, min(index, len(self.lesson.steps) - 1))
        step = self.lesson.steps[self.index]
        total = len(self.lesson.steps)
        self.where.setText(f"{self.lesson.chapter} · step {self.index + 1} of {total}: {step.title}")
        self.text.setMarkdown(f"### {step.title}\n\n{step.text}")
        self.hint_label.setText(f"Hint: {step.hint}" if step.hint else "No hint for this step.")
        self.hint_label.setVisible(False)
        self.hint_button.setEnabled(bool(step.hint))
        self.show_button.setEnabled(bool(step.show))
        self.back_button.setEnabled(self.index > 0)
        self.finished = False
        self.next_button.setText("Next ▶")
        self.steps.blockSignals(True)
        self.steps.setCurrentRow(self.index)
        self.steps.blockSignals(False)
        self._refresh_marks()
        if step.goal is None:
            self.set_goal_state(True, "No goal: read, look, then press Next.")
        else:
            self.set_goal_state(self.index in self._done, "")

    def show_finished(self, learned: str, next_title: str) -> None:
        assert self.lesson is not None
        text = f"### Lesson finished\n\n**What you learned.** {learned or self.lesson.teaches}"
        if next_title:
            text += f"\n\nNext lesson: **{next_title}**. Press *Next ▶* to open it."
        self.text.setMarkdown(text)
        self.where.setText(f"{self.lesson.chapter} · finished")
        self.finished = True
        self.next_button.setText("Next lesson ▶" if next_title else "Done")
        self.show_button.setEnabled(False)
        self.hint_button.setEnabled(False)

    def set_goal_state(self, met: bool, detail: str) -> None:
        """Tick or untick the goal; ``detail`` says what still holds it back (live values)."""
        step = self.lesson.steps[self.index] if self.lesson is not None else None
        if met and step is not None and step.goal is not None:
            self._done.add(self.index)
        goal = step.goal.text if step is not None and step.goal is not None else ""
        for plain, sign in ((">=", "≥"), ("<=", "≤"), ("!=", "≠"), ("==", "=")):
            goal = goal.replace(plain, sign)
        if goal:
            text = ("✓ Goal met: " if met else "Goal: ") + goal + (f"\n{detail}" if detail and not met else "")
        else:
            text = detail or "Open a lesson from the start page or File ▸ Open lesson."
        self.goal.setText(text)
        self.goal.setProperty("met", bool(met))
        self.goal.setStyleSheet(MET_STYLE if met else OPEN_STYLE)
        self.next_button.setDefault(bool(met))
        self._refresh_marks()

    def done_steps(self) -> set[int]:
        return set(self._done)

    # -- inside --------------------------------------------------------------------------------------------------
    def _refresh_marks(self) -> None:
        if self.lesson is None:
            return
        for i, step in enumerate(self.lesson.steps):
            item = self.steps.item(i)
            if item is not None:
                item.setText(("✓ " if i in self._done else f"{i + 1}. ") + step.title)
        self.progress.setValue(len(self._done & set(range(len(self.lesson.steps)))))

    def _chapter_chosen(self, index: int) -> None:
        name = self.chapter.itemData(index)
        if name and (self.lesson is None or name != self.lesson.name):
            self.lesson_chosen.emit(name)

    def _row_chosen(self, row: int) -> None:
        if row >= 0:
            self.step_chosen.emit(row)

    def _next(self) -> None:
        self.next_requested.emit()
