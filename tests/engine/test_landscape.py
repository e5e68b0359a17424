"""Loss landscapes and optimizer races: exact costs, filter-normalised slices, trajectories, races."""

import numpy as np
import pytest
import torch
from torch import nn

from playground.engine.errors import EngineError
from playground.engine.insight import landscape as L
from playground.engine.insight.race import OPTIMIZER_NAMES, TEST_FUNCTIONS, race, run_optimizer


def tiny_problem(seed: int = 0) -> tuple[nn.Module, L.LossProblem, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3))
    x = torch.randn(32, 2)
    y = torch.randint(0, 3, (32,))
    return model, L.LossProblem(model, lambda: nn.functional.cross_entropy(model(x), y)), x, y


def loss_with_weights(model: nn.Module, flat: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> float:
    copy = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3))
    copy.load_state_dict(model.state_dict())
    torch.nn.utils.vector_to_parameters(flat, copy.parameters())
    with torch.no_grad():
        return float(nn.functional.cross_entropy(copy(x), y))


def test_slice_equals_the_loss_recomputed_at_those_weights():
    model, problem, x, y = tiny_problem()
    before = problem.weights()
    d1, d2 = L.random_directions(problem, seed=3)
    surface = L.random_slice(problem, points=5, span=0.8, directions=(d1, d2))
    assert surface.losses.shape == (5, 5)
    for j, b in enumerate(surface.ys):
        for i, a in enumerate(surface.xs):
            expected = loss_with_weights(model, before + float(a) * d1 + float(b) * d2, x, y)
            assert surface.losses[j, i] == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert torch.equal(problem.weights(), before)  # the slice leaves the network as it was
    assert surface.path_losses[0] == pytest.approx(loss_with_weights(model, before, x, y), rel=1e-6)


def test_the_slice_falls_back_to_one_pass_per_point_when_vmap_cannot_batch():
    model, problem, x, y = tiny_problem()
    problem._vmap_ok = True
    batched = L.random_slice(problem, points=4, seed=1).losses
    problem._vmap_ok = False
    assert np.allclose(L.random_slice(problem, points=4, seed=1).losses, batched, rtol=1e-6)

    class Counting(nn.Module):  # data-dependent Python control flow: vmap refuses it
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, t: torch.Tensor) -> torch.Tensor:
            return self.inner(t) * (2.0 if float(self.inner[0].weight.sum()) > 1e9 else 1.0)

    counting = Counting()
    stubborn = L.LossProblem(counting, lambda: nn.functional.cross_entropy(counting(x), y))
    assert np.allclose(L.random_slice(stubborn, points=4, seed=1).losses, batched, rtol=1e-6)
    assert stubborn._vmap_ok is False


def test_filter_normalisation_gives_each_row_the_weight_rows_norm():
    model, problem, _x, _y = tiny_problem()
    d = L.filter_normalized_direction(problem, torch.Generator().manual_seed(0))
    for (name, p), part in zip(problem.named, problem.split(d), strict=True):
        if p.dim() >= 2:
            assert torch.allclose(part.norm(dim=1), p.detach().norm(dim=1), rtol=1e-5), name
        else:
            assert torch.count_nonzero(part) == 0, name  # biases stay still, as in Li et al.


def test_filter_normalisation_covers_convolution_filters():
    conv = nn.Conv2d(2, 4, 3)
    problem = L.LossProblem(conv, lambda: conv(torch.ones(1, 2, 5, 5)).square().mean())
    d = problem.split(L.filter_normalized_direction(problem, torch.Generator().manual_seed(1)))[0]
    assert torch.allclose(d.reshape(4, -1).norm(dim=1), conv.weight.detach().reshape(4, -1).norm(dim=1), rtol=1e-5)


def test_linear_cost_curve_is_the_closed_form_of_least_squares():
    curve = L.exact_cost_curve("linear", steps=5)
    x, y = L.EXACT_MODELS["linear"].data(0)
    x, y = x.numpy(), y.numpy()
    w = curve.weights
    closed = w ** 2 * np.mean(x * x) - 2 * w * np.mean(x * y) + np.mean(y * y)
    assert np.allclose(curve.losses, closed, rtol=1e-10)
    best = np.mean(x * y) / np.mean(x * x)
    assert abs(curve.minimum - best) <= (w[1] - w[0])
    # Gradient descent on it: w ← w − η·2(w·Sxx − Sxy), step by step.
    expected = [-1.0]
    for _ in range(5):
        expected.append(expected[-1] - curve.learning_rate * 2 * (expected[-1] * np.mean(x * x) - np.mean(x * y)))
    assert np.allclose(curve.path_weights, expected)


def test_learning_rates_too_small_right_and_too_large_behave_so():
    rates = L.learning_rate_presets("linear")
    small, right, large = (L.exact_cost_curve("linear", learning_rate=rates[k], steps=30)
                           for k in ("too small", "right", "too large"))
    target = right.minimum
    assert abs(right.path_weights[-1] - target) < 0.05
    assert abs(small.path_weights[-1] - target) > 0.5  # still on its way
    assert abs(large.path_weights[-1] - target) > abs(large.path_weights[0] - target)  # flung away
    assert not L.EXACT_MODELS["sigmoid"].convex and L.EXACT_MODELS["linear"].convex


def test_two_weight_surfaces_and_their_paths():
    convex = L.exact_cost_surface("logistic")
    assert convex.losses.shape == (len(convex.ys), len(convex.xs)) and convex.kind == "exact"
    assert convex.path_losses[-1] < convex.path_losses[0]
    x, y = L.EXACT_MODELS["logistic"].data(0)
    w = torch.tensor([[convex.xs[3], convex.ys[7]]])
    assert convex.losses[7, 3] == pytest.approx(float(L.EXACT_MODELS["logistic"].loss(w, x, y)[0]))
    tanh = L.exact_cost_surface("tanh")
    assert not tanh.convex
    # Two mirror-image minima: the cost is the same at (w₁, w₂) and (−w₁, −w₂).
    assert np.allclose(tanh.losses, tanh.losses[::-1, ::-1])


def test_trajectory_plane_holds_a_run_that_moved_in_a_plane():
    rng = np.random.default_rng(0)
    e1, e2 = rng.standard_normal(50), rng.standard_normal(50)
    t = np.linspace(0, 1, 12)
    history = torch.tensor(np.outer(1 - t, 3 * e1) + np.outer((1 - t) ** 2, e2))
    d1, d2, coords, explained = L.trajectory_plane(history)
    assert coords[-1] == pytest.approx([0.0, 0.0])
    rebuilt = history[-1] + torch.tensor(coords[:, :1]) * d1 + torch.tensor(coords[:, 1:]) * d2
    assert torch.allclose(rebuilt, history, atol=1e-8)  # all of the movement lies in the plane
    assert explained[0] >= explained[1] and sum(explained) == pytest.approx(1.0)


def test_trajectory_slice_of_a_trained_network():
    model, problem, x, y = tiny_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    history = []
    for _ in range(15):
        history.append(problem.weights())
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    history.append(problem.weights())
    surface = L.trajectory_slice(problem, torch.stack(history), points=7)
    assert surface.kind == "pca" and surface.path.shape == (16, 2)
    assert surface.path_losses[-1] < surface.path_losses[0]
    assert surface.path_losses[0] == pytest.approx(loss_with_weights(model, history[0], x, y), rel=1e-5)
    assert surface.xs[0] <= surface.path[:, 0].min() and surface.xs[-1] >= surface.path[:, 0].max()
    with pytest.raises(EngineError):
        L.trajectory_slice(problem, torch.stack(history[:2]))


def test_momentum_reaches_the_bottom_of_the_quadratic_in_fewer_steps_than_sgd():
    fn = TEST_FUNCTIONS["quadratic"]
    sgd = run_optimizer(fn.f, fn.start, "sgd", 0.02, steps=600)
    momentum = run_optimizer(fn.f, fn.start, "momentum", 0.02, momentum=0.9, steps=600)

    def steps_to_bottom(losses: np.ndarray) -> int:
        return int(np.argmax(losses < 1e-6)) if (losses < 1e-6).any() else 10 ** 9

    assert steps_to_bottom(momentum.losses) < steps_to_bottom(sgd.losses) < 10 ** 9


def test_every_optimizer_moves_towards_the_minimum_of_rosenbrock():
    fn = TEST_FUNCTIONS["rosenbrock"]
    result = race("rosenbrock", steps=300)
    assert [p.name for p in result.paths] == list(OPTIMIZER_NAMES)
    start_distance = np.hypot(*(np.array(fn.start) - fn.minimum))
    for path in result.paths:
        assert not path.diverged, path.name
        assert path.steps == 300
        assert np.hypot(*(path.points[-1] - fn.minimum)) < start_distance, path.name
        assert path.losses[-1] < path.losses[0], path.name
        # The path's losses are the function's values at its points.
        assert path.losses[5] == pytest.approx(float(fn.f(torch.tensor(path.points[5]))))


def test_races_use_torch_optimizers_as_they_are():
    fn = TEST_FUNCTIONS["beale"]
    ours = run_optimizer(fn.f, fn.start, "adam", 0.05, momentum=0.8, steps=10)
    p = torch.tensor(fn.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.05, betas=(0.8, 0.999))
    for _ in range(10):
        opt.zero_grad()
        fn.f(p).backward()
        opt.step()
    assert np.allclose(ours.points[-1], p.detach().numpy())


def test_a_diverging_racer_stops_at_its_last_finite_point():
    path = run_optimizer(TEST_FUNCTIONS["quadratic"].f, (1.0, 1.0), "sgd", 0.5, steps=200)
    assert path.diverged and path.steps < 200 and np.isfinite(path.losses).all()


def test_slice_race_paths_are_reproducible_with_the_same_seed():
    _model, problem, _x, _y = tiny_problem()
    first = L.slice_race(problem, seed=4, steps=8, points=5)
    again = L.slice_race(problem, seed=4, steps=8, points=5)
    other = L.slice_race(problem, seed=5, steps=8, points=5)
    for a, b, c in zip(first.paths, again.paths, other.paths, strict=True):
        assert np.array_equal(a.points, b.points) and np.array_equal(a.losses, b.losses)
        assert not np.array_equal(a.points, c.points)
    assert np.array_equal(first.surface.losses, again.surface.losses)
    sgd = first.path("sgd")
    assert sgd.losses[-1] < sgd.losses[0]


def test_bad_settings_are_refused_with_a_reason():
    with pytest.raises(EngineError, match="learning rate"):
        race("quadratic", learning_rate=-1)
    with pytest.raises(EngineError, match="Unknown test function"):
        race("himmelblau")
    with pytest.raises(EngineError, match="surface"):
        L.exact_cost_curve("logistic")


def test_a_labs_loss_takes_a_runs_weights_from_its_checkpoint():
    from playground.engine.commands import Step
    from playground.engine.trainer import Trainer
    from playground.graph.templates import regression_plane

    lab = regression_plane()
    lab_loss = L.LabLoss(lab, samples=64)
    initial = lab_loss.load(None)
    trainer = Trainer(lab, device="cpu", fast_path=False)
    assert torch.equal(initial, torch.cat([p.detach().reshape(-1) for p in trainer.task.model.parameters()]))
    trainer.send(Step(batches=5))
    for _ in trainer.run(interval=None, stop_when_idle=True):
        pass
    trained = lab_loss.load(trainer.checkpoint())
    assert torch.equal(trained, torch.cat([p.detach().reshape(-1) for p in trainer.task.model.parameters()]))
    assert lab_loss.step == trainer.step > 0
    surface = L.random_slice(lab_loss.problem, points=3)
    assert surface.losses[1, 1] == pytest.approx(surface.path_losses[0])
    assert lab_loss.problem.seconds_per_point() > 0


def test_a_gan_has_no_single_loss_to_draw_and_says_so():
    from playground.graph.templates import gan

    with pytest.raises(EngineError, match="no single loss"):
        L.LabLoss(gan(), samples=16)
