"""`playground lesson ...`: list, check and verify lessons headless, or open one in the window.

``verify`` plays each lesson's reference solution on the real engine, step by step, and checks that every goal is
met after its solution and that no goal is met before its step (a goal met for free teaches nothing).
"""

from __future__ import annotations

import argparse
import copy
import time
from dataclasses import dataclass, field
from typing import Any

from playground.graph.errors import shown
from playground.lessons import Lesson, LessonError, find_lesson, read_lesson, shipped_lessons
from playground.lessons.actions import Action, apply_to_lab


def add_lesson_parser(sub: Any) -> None:
    lesson = sub.add_parser("lesson", help="guided lessons: list them, check or verify lesson files, open one")
    verbs = lesson.add_subparsers(dest="verb", required=True)
    verbs.add_parser("list", help="the shipped lessons by chapter")
    check = verbs.add_parser("check", help="validate lesson files (their format, goals, actions and starting lab)")
    check.add_argument("files", nargs="+", help="lesson files (.lesson) or folders")
    verify = verbs.add_parser("verify", help="play each lesson's reference solution and check its goals")
    verify.add_argument("names", nargs="*", help="lesson names or files (default: every shipped lesson)")
    opened = verbs.add_parser("open", help="open the window with this lesson")
    opened.add_argument("name", help="a lesson name (see `playground lesson list`) or a lesson file")


def lesson_command(args: argparse.Namespace, fail: Any) -> int:
    try:
        if args.verb == "list":
            return _list()
        if args.verb == "check":
            bad = 0
            for file in args.files:
                try:
                    lesson = read_lesson(file)
                except LessonError as e:
                    fail(str(e))
                    bad += 1
                    continue
                print(f"ok  {lesson.name}: {len(lesson.steps)} steps, "
                      f"{sum(1 for s in lesson.steps if s.goal)} goals")
            return 2 if bad else 0
        if args.verb == "verify":
            lessons = [find_lesson(n) for n in args.names] if args.names else list(shipped_lessons())
            return _verify_all(lessons)
        if args.verb == "open":
            find_lesson(args.name)  # a wrong name or a broken file: one line here; playground.__main__ then opens it
            return 0
    except LessonError as e:
        return int(fail(str(e)))
    return 2


def _list() -> int:
    chapter = ""
    for lesson in shipped_lessons():
        if lesson.chapter != chapter:
            chapter = lesson.chapter
            print(f"\n{chapter}")
        print(f"  {lesson.name:<28} {lesson.title}")
    return 0


@dataclass
class StepResult:
    title: str
    goal: str
    ok: bool
    problem: str = ""
    seconds: float = 0.0


@dataclass
class LessonRun:
    """The headless student: the lab, a trainer once something was played, the last snapshot, what was done."""

    lab: Any
    trainer: Any = None
    last: Any = None
    events: set[str] = field(default_factory=set)

    def do(self, action: Action) -> None:
        from playground.engine.commands import SetFrozen, SetTraining

        if action.verb == "play":
            self._play(action.value or self.lab.training.epochs)
            return
        if action.verb == "reset":
            self.drop_trainer()
            return
        if action.verb == "open":
            return
        apply_to_lab(action, self.lab)
        if self.trainer is None:
            return
        if action.scope == "frozen":  # live, as in the window: the run goes on with the layer locked or unlocked
            self.trainer.send(SetFrozen({k: list(v) for k, v in self.lab.frozen.items()}))
            return
        if action.scope == "training":
            setting = action.target.split(".")[1]
            self.trainer.send(SetTraining({setting: action.value}))
            if self.trainer.epoch > 0:
                self.events.add(f"changed:{setting}")
        else:
            # Data, seed or layers changed: the run starts over on the edited lab, as a student's new run would.
            if self.trainer.epoch > 0:
                self.events.add("changed:dataset" if action.scope == "dataset" else "changed:network")
            self.drop_trainer()

    def drop_trainer(self) -> None:
        """Let go of the trainer once its compile thread (the fast path's, a daemon inside torch) has ended: a
        process that exits while it runs is aborted by the C++ runtime."""
        if self.trainer is not None:
            self.trainer.fast_path.wait(300)
        self.trainer, self.last = None, None

    def _play(self, epochs: int) -> None:
        from playground.engine.trainer import Trainer

        if self.trainer is None:
            # No compiled fast path: a solution plays a few epochs, and each reset would wait for a compile of
            # half a minute or more (ten minutes for the optimizer race on a busy machine). The results are the
            # ordinary loop's, which the fast path equals.
            self.trainer = Trainer(copy.deepcopy(self.lab), fast_path=False)
        self.last = self.trainer.train(epochs=epochs)


def verify_lesson(lesson: Lesson) -> list[StepResult]:
    run = LessonRun(lesson.start_lab())
    results = []
    for step in lesson.steps:
        start = time.perf_counter()
        goal = step.goal
        if goal is not None and goal.met(run.lab, run.last, frozenset(run.events)):
            results.append(StepResult(step.title, goal.text, False, "the goal is met before the step begins"))
            continue
        try:
            for action in step.solution:
                run.do(action)
        except Exception as e:  # a solution that fails is a broken lesson: say which, go on with the next
            results.append(StepResult(step.title, goal.text if goal else "", False, f"{type(e).__name__}: {e}"))
            break
        seconds = time.perf_counter() - start
        if goal is None:
            results.append(StepResult(step.title, "", True, seconds=seconds))
            continue
        unmet = goal.unmet(run.lab, run.last, frozenset(run.events))
        metrics = ", ".join(f"{k} {v:.3g}" for k, v in (dict(run.last.metrics) if run.last else {}).items())
        results.append(StepResult(step.title, goal.text, not unmet,
                                  f"not met: {'; '.join(unmet)} ({metrics})" if unmet else "", seconds))
    run.drop_trainer()
    return results


def _verify_all(lessons: list[Lesson]) -> int:
    failed = 0
    for lesson in lessons:
        start = time.perf_counter()
        results = verify_lesson(lesson)
        bad = [r for r in results if not r.ok]
        failed += bool(bad)
        print(f"{'ok  ' if not bad else 'FAIL'} {lesson.name:<28} {len(results)} steps "
              f"{time.perf_counter() - start:6.1f} s")
        for r in bad:
            print(f"       step {shown(r.title)}: {r.goal}: {r.problem}")
    print(f"{len(lessons) - failed} of {len(lessons)} lessons verified")
    return 1 if failed else 0
