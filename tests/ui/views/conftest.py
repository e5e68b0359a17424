import pytest

from playground.ui.views.synthetic import SyntheticRun


@pytest.fixture(scope="session")
def trained_run():
    run = SyntheticRun(hidden=(6, 4), seed=1)
    for _ in range(5):
        run.train_epoch()
    return run


@pytest.fixture
def spiral_snapshot(trained_run):
    return trained_run.snapshot("tanh_2")
