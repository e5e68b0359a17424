"""The lesson file: Markdown text with ``@field`` lines, read line by line so every problem names its line.

A lesson (``NAME.lesson``; see docs/lessons.md for the whole format)::

    # Where a straight line fails
    @chapter Linear models
    @teaches One neuron draws one straight line; a circle needs more.
    @template logistic_regression
    @set dataset.name = circle

    ## Watch it fail
    Press **Play**. The boundary stays a straight line ...
    @show play 30 epochs
    @goal epoch >= 20
    @solution play 30 epochs

The header (title, then fields) describes the lesson and its starting lab; each ``## `` heading starts a step, whose
text is Markdown and whose fields are ``@hint``, ``@show``, ``@goal`` and ``@solution``. Nothing in a lesson runs as
code: goals and actions are parsed into data (goals.py, actions.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.graph import GraphError, Lab
from playground.graph.templates import TEMPLATES, build_template

from .actions import Action, ActionSyntaxError, apply_to_lab, parse_actions
from .errors import LessonError
from .goals import Goal, GoalSyntaxError, parse_goal

EXTENSION = ".lesson"
MAX_BYTES = 256 * 1024
CHAPTERS = ("Linear models", "Multilayer networks", "Training", "Regularization", "Convolutional networks",
            "Autoencoders", "Generative models", "Sequences", "Inside learning")
HEADER_FIELDS = ("chapter", "order", "teaches", "template", "lab", "set", "next", "learned", "minutes")
STEP_FIELDS = ("hint", "show", "goal", "solution")


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    line: int
    hint: str = ""
    show: tuple[Action, ...] = ()
    goal: Goal | None = None
    solution: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    chapter: str
    teaches: str
    steps: tuple[Step, ...]
    path: str = ""
    template: str = ""
    lab_file: str = ""
    changes: tuple[Action, ...] = ()
    order: int = 0
    next: str = ""
    learned: str = ""
    minutes: int = 0
    _lab: Lab | None = field(default=None, compare=False, repr=False)

    def start_lab(self) -> Lab:
        """A fresh copy of the lab the lesson starts from."""
        assert self._lab is not None
        return copy.deepcopy(self._lab)


@dataclass(frozen=True)
class LessonCard:
    """A lesson as a list of lessons shows it (the start page, the Lessons menu): read from its header alone.
    Building the starting lab and checking every step's solution against it costs about 10 ms a lesson, which a
    list of forty would spend before the window could paint; :func:`read_lesson` does that when one is opened."""

    name: str
    title: str
    chapter: str
    teaches: str
    order: int = 0
    next: str = ""
    path: str = ""


def read_lesson(path: str | Path) -> Lesson:
    """Read and check a lesson file; raise LessonError naming the file and the line."""
    path, text = _read_text(path)
    return parse_lesson(text, str(path), name=path.stem)


def read_lesson_card(path: str | Path) -> LessonCard:
    """A lesson file's title and header fields, checked as :func:`read_lesson` checks them; its starting lab and
    steps are not built (a wrong step shows when the lesson is opened)."""
    path, text = _read_text(path)
    title, header, _changes, steps = _parts(text, str(path))
    chapter, numbers = _checked_header(header, steps, str(path))
    return LessonCard(name=path.stem, title=title, chapter=chapter, teaches=header["teaches"][0],
                      order=numbers.get("order", 0), next=header.get("next", ("", 0))[0], path=str(path))


def _read_text(path: str | Path) -> tuple[Path, str]:
    """The lesson file (a folder's only one) and its text."""
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob(f"*{EXTENSION}"))
        if len(found) != 1:
            raise LessonError(f"a lesson folder holds exactly one {EXTENSION} file; found {len(found)}", str(path))
        path = found[0]
    try:
        if path.stat().st_size > MAX_BYTES:
            raise LessonError(f"the file is larger than {MAX_BYTES // 1024} KB; a lesson is text", str(path))
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LessonError("the file is not UTF-8 text", str(path)) from None
    except OSError as e:
        raise LessonError(f"cannot read it: {e.strerror or e}", str(path)) from None
    return path, text


def parse_lesson(text: str, path: str = "", name: str = "lesson") -> Lesson:
    return _build(name, *_parts(text, path), path)


def _parts(text: str, path: str) -> tuple[str, dict[str, tuple[str, int]], list[tuple[str, int]], list[list[Any]]]:
    """The title, the header's fields, its '@set' lines and the raw steps, each with its line number."""
    header: dict[str, tuple[str, int]] = {}
    changes: list[tuple[str, int]] = []
    title = ""
    steps: list[list[Any]] = []
    step: list[Any] | None = None  # [title, line, text lines, fields]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not title:
            if not line.strip():
                continue
            if not line.startswith("# "):
                raise LessonError("the first line must be the title: '# Title'", path, number)
            title = line[2:].strip()
            continue
        if line.startswith("## "):
            step = [line[3:].strip(), number, [], {}]
            steps.append(step)
            continue
        if line.startswith("@"):
            _field(line, number, path, step, header, changes)
            continue
        if step is not None:
            step[2].append(line)
        elif line.strip():
            raise LessonError("text before the first step: start a step with '## Step title', or give a field "
                              "with '@'", path, number)
    if not title:
        raise LessonError("the file is empty", path)
    return title, header, changes, steps


def _field(line: str, number: int, path: str, step: list[Any] | None, header: dict[str, tuple[str, int]],
           changes: list[tuple[str, int]]) -> None:
    """An '@key value' line: into the open step's fields, or, before the first step, the header ('@set' lines
    gather as changes to the starting lab)."""
    key, _, value = line[1:].partition(" ")
    key, value = key.strip().lower(), value.strip()
    allowed = STEP_FIELDS if step is not None else HEADER_FIELDS
    if key not in allowed:
        where = "a step" if step is not None else "the header"
        raise LessonError(f"unknown field '@{key}' in {where}; allowed: "
                          f"{', '.join('@' + f for f in allowed)}", path, number, f"@{key}")
    if not value:
        raise LessonError(f"'@{key}' needs a value", path, number, f"@{key}")
    if step is None:
        if key == "set":
            changes.append((value, number))
        elif key in header:
            raise LessonError(f"'@{key}' is given twice (first on line {header[key][1]})", path, number, f"@{key}")
        else:
            header[key] = (value, number)
    else:
        if key in step[3]:
            raise LessonError(f"'@{key}' is given twice in this step", path, number, f"@{key}")
        step[3][key] = (value, number)


def _checked_header(header: dict[str, tuple[str, int]], raw_steps: list[list[Any]], path: str
                    ) -> tuple[str, dict[str, int]]:
    """The chapter and the header's numbers ('@order', '@minutes'), once the header has what a lesson needs."""
    for needed in ("chapter", "teaches"):
        if needed not in header:
            raise LessonError(f"the header needs '@{needed}'", path, 1, f"@{needed}")
    chapter, line = header["chapter"]
    if chapter not in CHAPTERS:
        raise LessonError(f"unknown chapter {chapter!r}; chapters: {', '.join(CHAPTERS)}", path, line, "@chapter")
    if not raw_steps:
        raise LessonError("a lesson needs at least one step ('## Step title')", path)
    numbers: dict[str, int] = {}
    for key in ("order", "minutes"):
        if key in header:
            value, line = header[key]
            if not value.isdigit() or int(value) > 10000:
                raise LessonError(f"'@{key}' is a whole number; got {value!r}", path, line, f"@{key}")
            numbers[key] = int(value)
    return chapter, numbers


def _build(name: str, title: str, header: dict[str, tuple[str, int]], changes: list[tuple[str, int]],
           raw_steps: list[list[Any]], path: str) -> Lesson:
    chapter, numbers = _checked_header(header, raw_steps, path)
    lab = _start_lab(header, path)
    parsed_changes: list[Action] = []
    for value, line in changes:
        # '@set dataset.noise = 20' says 'set' once; '@set add Dropout p=0.2 after dense_1' edits the network.
        parts = [p.strip() for p in value.split(";") if p.strip()]
        value = "; ".join(p if p.split()[0].lower() in ("add", "remove", "set") else f"set {p}" for p in parts)
        actions = _actions(value, path, line, "@set")
        for action in actions:
            if action.verb in ("play", "reset", "open"):
                raise LessonError(f"'@set' changes the starting lab; {action.text!r} belongs in a step", path, line,
                                  "@set")
            _apply(action, lab, path, line, "@set")
        parsed_changes.extend(actions)
    try:
        lab.check()
    except GraphError as e:
        raise LessonError(f"the starting lab is not valid: {e}", path, header.get("template", ("", 0))[1]) from None
    steps = tuple(_step(raw, lab, path) for raw in raw_steps)
    start = _rebuilt(header, parsed_changes, path)  # _step applied the solutions to ``lab`` to check them
    return Lesson(name=name, title=title, chapter=chapter, teaches=header["teaches"][0], steps=steps, path=path,
                  template=header.get("template", ("", 0))[0], lab_file=header.get("lab", ("", 0))[0],
                  changes=tuple(parsed_changes), order=numbers.get("order", 0),
                  next=header.get("next", ("", 0))[0], learned=header.get("learned", ("", 0))[0],
                  minutes=numbers.get("minutes", 0), _lab=start)


def _start_lab(header: dict[str, tuple[str, int]], path: str) -> Lab:
    if ("template" in header) == ("lab" in header):
        raise LessonError("the header needs one of '@template NAME' or '@lab FILE.json'", path, 1, "@template")
    if "template" in header:
        key, line = header["template"]
        if key not in TEMPLATES:
            raise LessonError(f"no template {key!r}; templates: {', '.join(TEMPLATES)}", path, line, "@template")
        return build_template(key)
    file, line = header["lab"]
    where = Path(path).parent / file if path else Path(file)
    if Path(file).is_absolute() or ".." in Path(file).parts:
        raise LessonError("'@lab' names a file beside the lesson, without folders above it", path, line, "@lab")
    try:
        return Lab.load(str(where))
    except (GraphError, OSError) as e:
        raise LessonError(f"its lab cannot be opened: {e}", path, line, "@lab") from None


def _rebuilt(header: dict[str, tuple[str, int]], changes: list[Action], path: str) -> Lab:
    lab = _start_lab(header, path)
    for action in changes:
        apply_to_lab(action, lab)
    return lab


def _actions(value: str, path: str, line: int, field: str) -> tuple[Action, ...]:
    try:
        return parse_actions(value)
    except ActionSyntaxError as e:
        raise LessonError(str(e), path, line, field) from None


def _apply(action: Action, lab: Lab, path: str, line: int, field: str) -> None:
    try:
        apply_to_lab(action, lab)
    except ActionSyntaxError as e:
        raise LessonError(str(e), path, line, field) from None


def _step(raw: list[Any], lab: Lab, path: str) -> Step:
    title, line, text_lines, fields = raw
    if not title:
        raise LessonError("a step needs a title after '## '", path, line)
    goal = None
    if "goal" in fields:
        value, goal_line = fields["goal"]
        try:
            goal = parse_goal(value)
        except GoalSyntaxError as e:
            raise LessonError(str(e), path, goal_line, "@goal") from None
    show = _actions(fields["show"][0], path, fields["show"][1], "@show") if "show" in fields else ()
    solution = _actions(fields["solution"][0], path, fields["solution"][1], "@solution") \
        if "solution" in fields else ()
    # The solution is what a student would do, in order: it must apply to the lab as the steps before left it.
    probe = copy.deepcopy(lab)  # Show me acts on the lab as the step finds it, like the solution
    for action in solution:
        _apply(action, lab, path, fields["solution"][1], "@solution")
    for action in show:
        _apply(action, probe, path, fields["show"][1], "@show")
    if goal is not None and "solution" not in fields:
        raise LessonError("a step with a goal needs '@solution' (what reaches the goal, for `playground lesson "
                          "verify`)", path, fields["goal"][1], "@solution")
    text = "\n".join(text_lines).strip()
    if not text:
        raise LessonError(f"the step {title!r} has no text", path, line)
    return Step(title=title, text=text, line=line, hint=fields.get("hint", ("", 0))[0], show=show, goal=goal,
                solution=solution)
