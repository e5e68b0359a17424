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


def test_drawing_benchmark_reaches_the_bars_training_and_paused(qtbot):
    from playground.app.gui_bench import run_drawing_benchmark

    rows = run_drawing_benchmark(drawings=3)
    assert [r[0].split(",")[1].split("(")[0].strip() for r in rows] == ["training", "paused"]
    for _name, value, _goal in rows:
        median = value.split("/")[0].strip()
        assert median != "nan" and float(median) > 0  # every drawing's answer reached the bars


@pytest.mark.slow
def test_python_m_gui_bench_runs_and_prints_every_table():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "playground.app.gui_bench", "--seconds", "0.5", "--drawings", "1"],
                         check=False, capture_output=True, text=True, timeout=600, env={**os.environ,
                                                                            "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert "Decision-boundary view redraws" in out.stdout
    assert "\"MNIST 1 layer\" trains" in out.stdout and "\"LeNet\" trains" in out.stdout
    assert out.stdout.count("Stroke to probability bars") == 4
