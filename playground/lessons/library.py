"""The lessons that ship with the app, in course order, and lessons opened from elsewhere."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .errors import LessonError
from .format import CHAPTERS, EXTENSION, Lesson, read_lesson

SHIPPED = Path(__file__).resolve().parents[1] / "resources" / "lessons"


@cache
def shipped_lessons() -> tuple[Lesson, ...]:
    """Every shipped lesson, by chapter (course order) then by its order within the chapter."""
    lessons = [read_lesson(p) for p in sorted(SHIPPED.glob(f"*{EXTENSION}"))]
    return tuple(sorted(lessons, key=lambda x: (CHAPTERS.index(x.chapter), x.order, x.name)))


def find_lesson(name: str) -> Lesson:
    """A shipped lesson by name, or a lesson file or folder by path."""
    for lesson in shipped_lessons():
        if lesson.name == name:
            return lesson
    path = Path(name)
    if path.suffix == EXTENSION or path.is_dir():
        return read_lesson(path)
    known = ", ".join(x.name for x in shipped_lessons()[:6])
    raise LessonError(f"no lesson called {name!r}; `playground lesson list` lists them (e.g. {known} ...)")


def next_lesson(lesson: Lesson) -> Lesson | None:
    """The lesson to suggest after ``lesson``: its ``@next``, or the one after it in course order."""
    lessons = shipped_lessons()
    if lesson.next:
        for other in lessons:
            if other.name == lesson.next:
                return other
    names = [x.name for x in lessons]
    if lesson.name in names and names.index(lesson.name) + 1 < len(names):
        return lessons[names.index(lesson.name) + 1]
    return None
