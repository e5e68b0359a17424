"""Lesson files: read line by line, every problem refused with its file, line and field; goals parsed, never run."""

import pytest

from playground.graph.templates import build_template
from playground.lessons import LessonError, parse_goal, parse_lesson
from playground.lessons.goals import METRICS, TASK_METRICS, GoalSyntaxError

GOOD = """# Where a line fails
@chapter Linear models
@teaches A circle needs more than a line.
@template logistic_regression
@set dataset.name = circle; dataset.noise = 10

## Watch
Press Play.
@hint Look at the boundary.
@goal epoch >= 5
@solution play 5 epochs

## Add a hidden layer
Add one.
@goal has Tanh and hidden layers >= 1
@solution add Dense units=4 after input_1; add Tanh after dense_2
"""


def test_a_good_lesson_reads_with_its_steps_goals_and_starting_lab():
    lesson = parse_lesson(GOOD, "x.lesson", "x")
    assert lesson.title == "Where a line fails" and lesson.chapter == "Linear models"
    assert [s.title for s in lesson.steps] == ["Watch", "Add a hidden layer"]
    assert lesson.steps[0].hint == "Look at the boundary."
    lab = lesson.start_lab()
    assert lab.dataset.name == "circle" and lab.dataset.noise == 10
    assert "dense_2" not in lab.networks[0].graph  # the solutions were checked on a copy, not applied to the start
    assert lesson.start_lab() is not lab


@pytest.mark.parametrize("change, line, words", [
    ("@chapter Linear models", 2, "unknown chapter"),
    ("@template logistic_regression", 4, "no template"),
    ("@goal epoch >= 5", 10, "not a metric"),
    ("@goal epoch >= 5", 10, "not a condition"),
    ("@hint Look at the boundary.", 9, "unknown field '@hnit'"),
    ("@solution play 5 epochs", 11, "not an action"),
    ("@solution add Dense units=4 after input_1; add Tanh after dense_2", 16, "no layer"),
])
def test_a_wrong_lesson_is_refused_with_its_file_line_and_field(change, line, words):
    bad = {
        "unknown chapter": "@chapter Linaer models",
        "no template": "@template no_such_template",
        "not a metric": "@goal test acuracy >= 5",
        "not a condition": "@goal the network is happy",
        "unknown field '@hnit'": "@hnit Look at the boundary.",
        "not an action": "@solution dance 5 epochs",
        "no layer": "@solution add Dense units=4 after input_9",
    }[words]
    with pytest.raises(LessonError) as e:
        parse_lesson(GOOD.replace(change, bad), "my.lesson", "my")
    assert str(e.value).startswith(f"my.lesson, line {line}")
    assert words in str(e.value)
    assert "\n" not in str(e.value)


def test_goals_parse_into_conditions_and_never_run_code():
    goal = parse_goal("test accuracy >= 95% and test loss rising while train loss falling")
    assert [c.kind for c in goal.conditions] == ["compare", "trend", "trend"]
    assert goal.conditions[0].value == pytest.approx(0.95)
    for evil in ("__import__('os').system('x') > 1", "exec(1) >= 2", "test_loss.__class__ >= 1"):
        with pytest.raises(GoalSyntaxError):
            parse_goal(evil)


def test_goal_conditions_read_the_lab_and_the_run():
    lab = build_template("logistic_regression")

    class Run:
        state, epoch = "running", 12
        metrics = {"test_accuracy": 0.97, "train_loss": 0.2, "test_loss": 0.4}
        history = {"test_loss": [0.3, 0.31, 0.33, 0.36, 0.4], "train_loss": [0.5, 0.4, 0.3, 0.25, 0.2]}

    run = Run()
    assert parse_goal("test accuracy >= 95%").met(lab, run)
    assert not parse_goal("test accuracy >= 98%").met(lab, run)
    assert parse_goal("test loss rising while train loss falling").met(lab, run)
    assert parse_goal("hidden layers == 0 and no Dropout and features are x1, x2").met(lab, run)
    assert not parse_goal("has Dropout").met(lab, run)
    assert parse_goal("optimizer is sgd").met(lab, run) and not parse_goal("optimizer is adam").met(lab, run)
    assert not parse_goal("changed learning rate while training").met(lab, run)
    assert parse_goal("changed learning rate while training").met(lab, run, frozenset({"changed:learning_rate"}))
    assert not parse_goal("test accuracy >= 0.5").met(lab, None)  # nothing trained yet: no metric is met


def test_the_goal_metrics_are_the_ones_the_engine_reports():
    from playground.engine import autoencoding, gan, sequences, tasks

    reported = set()
    for module in (tasks, autoencoding, gan, sequences):
        for value in vars(module).values():
            names = getattr(value, "metrics", None)
            if isinstance(names, tuple) and all(isinstance(n, str) for n in names):
                reported.update(names)
    assert reported <= set(TASK_METRICS)
    assert {"train_loss", "test_accuracy"} <= set(METRICS)


def test_open_view_names_the_landscape_and_race_views_and_refuses_an_unknown_one():
    from playground.lessons import parse_actions
    from playground.lessons.actions import WINDOW_VIEWS

    (landscape,) = parse_actions("open view lossLandscapeView")
    (race,) = parse_actions("open view OptimizerRaceView")
    assert (landscape.verb, landscape.target, landscape.scope) == ("open", "lossLandscapeView", "view")
    assert race.target == "optimizerRaceView" and set(WINDOW_VIEWS) == {"lossLandscapeView", "optimizerRaceView"}
    assert parse_actions("open view Boundary")[0].target == "boundary"  # a dock's key, as before
    lesson = parse_lesson(GOOD.replace("@hint Look at the boundary.", "@show open view lossLandscapeView"), "x.lesson",
                          "x")
    assert lesson.steps[0].show[0].target == "lossLandscapeView"
    with pytest.raises(LessonError) as e:
        parse_lesson(GOOD.replace("@hint Look at the boundary.", "@show open view lossLandscapView"), "my.lesson",
                     "my")
    assert str(e.value).startswith("my.lesson, line 9") and "lossLandscapeView, optimizerRaceView" in str(e.value)
