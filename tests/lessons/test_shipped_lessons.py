"""Every shipped lesson reads, covers the course, and its reference solution reaches every goal on the real engine
without any goal being met before its step (what `playground lesson verify` checks)."""

import pytest

from playground.cli import main
from playground.lessons import CHAPTERS, shipped_lessons

LESSONS = shipped_lessons()
# Lessons whose solutions train image, sequence or generative models for a while: run with the slow tests.
HEAVY = {"mnist-one-layer", "mnist-two-layers", "convolution-filters", "lenet-feature-maps", "text-temperature",
         "autoencoder-bottleneck", "denoising-sparse", "vae", "gan-digits", "gan-2d", "rnn-wave", "lstm-gru",
         "transfer-few-labels", "fine-tune-digit-cnn"}


def test_thirty_lessons_cover_the_course_in_order():
    assert len(LESSONS) >= 30
    assert [c for c in CHAPTERS if any(x.chapter == c for x in LESSONS)] == list(CHAPTERS)
    names = [x.name for x in LESSONS]
    assert len(set(names)) == len(names)
    for lesson in LESSONS:
        assert lesson.next == "" or lesson.next in names, lesson.name
        assert any(step.goal is not None for step in lesson.steps), lesson.name
        assert lesson.learned, lesson.name


@pytest.mark.slow
@pytest.mark.parametrize("name", [x.name for x in LESSONS if x.name in HEAVY])
def test_a_heavy_lessons_solution_reaches_every_goal(name, capsys):
    assert main(["lesson", "verify", name]) == 0, capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("name", [x.name for x in LESSONS if x.name not in HEAVY])
def test_a_lessons_solution_reaches_every_goal(name, capsys):
    assert main(["lesson", "verify", name]) == 0, capsys.readouterr().out


def test_lesson_cli_lists_checks_and_refuses_a_broken_file(tmp_path, capsys):
    assert main(["lesson", "list"]) == 0
    out = capsys.readouterr().out
    assert "Linear models" in out and LESSONS[0].name in out
    bad = tmp_path / "bad.lesson"
    bad.write_text("# Bad\n@chapter Linear models\n@teaches x\n@template nope\n\n## One\nText\n", encoding="utf-8")
    assert main(["lesson", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.lesson, line 4, @template: no template 'nope'" in err and err.count("\n") == 1
    assert main(["lesson", "verify", "no-such-lesson"]) == 2


def test_verify_plays_solutions_on_the_ordinary_loop(monkeypatch):
    """`playground lesson verify` checks what a lesson teaches, not speed: with the compiled fast path on, each reset
    waited for a compile (ten minutes for the optimizer race on a busy machine)."""
    from playground.cli_lessons import LessonRun
    from playground.graph.templates import build_template

    monkeypatch.delenv("PLAYGROUND_FAST_PATH", raising=False)  # the app's default: on
    run = LessonRun(build_template("tensorflow_playground"))
    run._play(1)
    assert run.trainer.epoch == 1 and not run.trainer.fast_path.enabled
    run.drop_trainer()
