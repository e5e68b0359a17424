"""The window rows of ``playground bench`` run and report numbers (the numbers themselves go in the README)."""

import os

import pytest

from playground.app.gui_bench import run_gui_benchmark


def test_gui_benchmark_reports_lateness_redraws_and_epochs(qtbot):
    rows = run_gui_benchmark(seconds=1.0)
    names = [r[0] for r in rows]
    assert any("p99" in n for n in names) and any("redraws" in n for n in names)
    redraws = float(next(v for n, v, _ in rows if "redraws" in n).split()[0])
    assert redraws > 0  # snapshots reached the view and it drew them


@pytest.mark.slow
def test_drawing_benchmark_reaches_the_bars_training_and_paused(qtbot):
    from playground.app.gui_bench import run_drawing_benchmark

    rows = run_drawing_benchmark(drawings=3)
    strokes = [r for r in rows if r[0].startswith("Stroke")]
    assert [r[0].split(",")[1].split("(")[0].strip() for r in strokes] == ["training", "paused"]
    for _name, value, _goal in strokes:
        median = value.split("/")[0].strip()
        assert median != "nan" and float(median) > 0  # every drawing's answer reached the bars
    answers = [r for r in rows if r[0].startswith("Answers on the label")]
    assert len(answers) == 2 and all(int(value) <= 1 for _name, value, _goal in answers)  # one answer per release
    # While it trains, the drawings after a stroke's first are answered on a copy of the weights, beside the loop;
    # paused, the loop itself answers at once.
    aside = {name.rsplit(", ", 1)[1]: value for name, value, _goal in rows if name.startswith("Drawings answered")}
    assert int(aside["training"].split()[0]) > 0 and aside["paused"].startswith("0 of"), aside


@pytest.mark.slow
def test_drawing_benchmark_measures_lenet_too(qtbot):
    from playground.app.gui_bench import run_drawing_benchmark

    rows = run_drawing_benchmark(drawings=2, template="lenet")
    stroke = next(v for n, v, _ in rows if n.startswith("Stroke to probability bars, training"))
    assert stroke.split("/")[0].strip() != "nan"


@pytest.mark.slow
def test_startup_benchmark_times_cold_starts_both_ways():
    from playground.app.gui_bench import run_startup_benchmark

    rows = run_startup_benchmark(runs=1)
    first_paint = next(v for n, v, _ in rows if n.startswith("Start to the window's first paint, PyTorch loaded after"))
    ready = next(v for n, v, _ in rows if n.startswith("Start to training ready"))
    assert 0 < float(first_paint.split()[0]) <= float(ready.split()[0])


@pytest.mark.slow
def test_python_m_gui_bench_runs_and_prints_every_table():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "playground.app.gui_bench", "--seconds", "0.5", "--drawings", "1",
                          "--starts", "1"],
                         check=False, capture_output=True, text=True, timeout=600, env={**os.environ,
                                                                            "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert "Decision-boundary view redraws" in out.stdout
    assert "\"MNIST 1 layer\" trains" in out.stdout and "\"LeNet\" trains" in out.stdout
    assert out.stdout.count("Stroke to probability bars") == 4
    assert "Start to the window's first paint" in out.stdout


@pytest.mark.slow
def test_drawing_benchmark_can_measure_the_way_it_was_done_before(qtbot):
    from playground.app.gui_bench import run_drawing_benchmark

    rows = run_drawing_benchmark(drawings=2, by_snapshot=True)
    names = [n for n, _v, _g in rows]
    assert len(names) == 4 and all("before: the answer in the snapshot" in n for n in names)
    stroke = next(v for n, v, _ in rows if n.startswith("Stroke to probability bars, training"))
    assert stroke.split("/")[0].strip() != "nan"
