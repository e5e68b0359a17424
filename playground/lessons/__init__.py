"""Lessons: the course as files of text, starting labs, goals the app checks on the live run and reference
solutions. Parsed and validated, never executed. Imports the graph core only (and no torch, no Qt)."""

from .actions import Action, ActionSyntaxError, apply_to_lab, parse_actions
from .errors import LessonError
from .format import CHAPTERS, EXTENSION, Lesson, LessonCard, Step, parse_lesson, read_lesson, read_lesson_card
from .goals import METRICS, Condition, Goal, GoalSyntaxError, RunView, parse_goal
from .library import find_lesson, next_lesson, shipped_lesson_cards, shipped_lessons

__all__ = [
    "Action", "ActionSyntaxError", "apply_to_lab", "parse_actions", "LessonError", "CHAPTERS", "EXTENSION", "Lesson",
    "LessonCard", "Step", "parse_lesson", "read_lesson", "read_lesson_card", "METRICS", "Condition", "Goal",
    "GoalSyntaxError", "RunView", "parse_goal",
    "find_lesson", "next_lesson", "shipped_lesson_cards", "shipped_lessons",
]
