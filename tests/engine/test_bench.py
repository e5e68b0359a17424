"""The tables of ``playground bench`` (the measurements themselves run in the slow CLI test)."""

from __future__ import annotations

import pytest

from playground.engine.bench import (
    BenchResult,
    FastPathResult,
    engine_table,
    fast_path_table,
    lenet_data,
    tf_playground_spiral_lab,
)


def test_fast_path_table_gives_both_loops_and_their_ratios():
    result = FastPathResult(150.0, 140.0, 1200.0, (0.9, 0.95, 0.93), (7.5, 8.0, 8.2), 12.5, "", 900.0,
                            (6.0, 6.1, 5.9))
    table = fast_path_table(result, 3)
    assert "decision boundary 100×100 live (about 30 per s) | 900 | 6.00 (5.90–6.10) | 0.87 |" in table
    assert "| engine, fast path off | 140 | 0.93 (0.90–0.95) |" in table
    assert "| engine, fast path on (torch.compile of whole epochs) | 1,200 | 8.00 (7.50–8.20) | 1.17 |" in table
    assert "ready 12.5 s" in table


def test_fast_path_table_says_why_there_is_none():
    result = FastPathResult(150.0, 140.0, None, (0.93,), (), None, "no C++ compiler for torch.compile")
    table = fast_path_table(result, 1)
    assert "No fast path here: no C++ compiler for torch.compile" in table


def test_engine_table_rows():
    rows = [BenchResult("LeNet (digits, batch 64)", 3000.0, 2900.0, 1.4, 0.95, (0.96, 0.97))]
    table = engine_table("cpu", rows, 2)
    assert "| LeNet (digits, batch 64) | 3,000 | 2,900 | 0.96 (0.96–0.97) | ≥ 0.95 | 1.4 |" in table


def test_benchmark_setups():
    lab = tf_playground_spiral_lab()
    assert lab.training.optimizer == "sgd" and lab.training.batch_size == 10
    data = lenet_data(700)
    assert data.x_train.shape == (700, 1, 28, 28) and data.x_test.shape[0] == 100  # the set's 7 to 1


def test_watch_table_row_and_a_quick_measurement():
    from playground.engine.bench import WatchResult, run_watch_benchmark, watch_table

    table = watch_table([WatchResult("Spiral", 1000.0, 950.0, (0.95, 0.97, 0.93))], 3)
    assert "| Spiral | 1,000 | 950 | 0.95 (0.93–0.97) | ≥ 0.9 |" in table
    results = run_watch_benchmark("cpu", rounds=1, quick=True)
    assert [r.name.split()[0] for r in results] == ["Spiral", "MLP"]
    assert all(r.on_samples_per_s > 0 and r.off_samples_per_s > 0 for r in results)  # no timing asserted here


@pytest.mark.slow
def test_landscape_table_row_and_a_quick_measurement():
    from playground.engine.bench import LandscapeResult, landscape_table, run_landscape_benchmark

    table = landscape_table(LandscapeResult("Spiral", 1000.0, 930.0, (0.93, 0.95, 0.91), 12, 25, 0.4), 3)
    assert "| Spiral | 1,000 | 930 | 0.93 (0.91–0.95) | ≥ 0.9 |" in table
    assert "12 slices" in table and "busy 40%" in table
    result = run_landscape_benchmark("cpu", rounds=1, quick=True)
    assert result.off_samples_per_s > 0 and result.on_samples_per_s > 0 and len(result.ratios) == 1
    assert 7 <= result.points <= 25 and result.points % 2 == 1
