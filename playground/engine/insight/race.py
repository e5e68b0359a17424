"""Optimizer races: SGD, momentum, Nesterov, AdaGrad, RMSprop and Adam (torch.optim's own) from one start on one
surface, step by step, as in Distill's "Why Momentum Really Works" (Goh, 2017).

The surfaces are classic 2-D test functions (Rosenbrock's valley, Beale's function, a saddle, an ill-conditioned
quadratic) or any differentiable function of two numbers, such as a network's loss on a 2-D slice through its
weights (see landscape.py). Everything runs in float64 on the CPU: a race is a few hundred tiny steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from playground.engine.errors import EngineError
from playground.snapshots.landscape import LossSurface, OptimizerPath, OptimizerRace, frozen_array

OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
OPTIMIZER_TITLES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
                    "rmsprop": "RMSprop", "adam": "Adam"}
# These divide each step by a running size of the gradient, so their rate is roughly a step length, while plain
# and momentum SGD multiply the gradient: one number cannot suit both, and a race gives each family its own.
ADAPTIVE = frozenset({"adagrad", "rmsprop", "adam"})
# A path this far out (or with a non-finite loss) has diverged: it stops there instead of filling the plot with inf.
DIVERGED_AT = 1e6

Objective = Callable[[torch.Tensor], torch.Tensor]


def make_race_optimizer(name: str, params: list[torch.Tensor], learning_rate: float,
                        momentum: float) -> torch.optim.Optimizer:
    """The real torch optimizer of a racer. ``momentum`` drives momentum and Nesterov SGD and is Adam's β₁;
    AdaGrad and RMSprop keep torch's defaults, as in most courses' comparisons."""
    if learning_rate <= 0 or not math.isfinite(learning_rate):
        raise EngineError(f"The learning rate must be a positive number (received {learning_rate})",
                          field="learning_rate")
    if not 0 <= momentum < 1:
        raise EngineError(f"Momentum must be at least 0 and below 1 (received {momentum})", field="momentum")
    if name == "sgd":
        return torch.optim.SGD(params, lr=learning_rate)
    if name == "momentum":
        return torch.optim.SGD(params, lr=learning_rate, momentum=momentum)
    if name == "nesterov":
        return torch.optim.SGD(params, lr=learning_rate, momentum=momentum, nesterov=momentum > 0)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=learning_rate)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=learning_rate)
    if name == "adam":
        return torch.optim.Adam(params, lr=learning_rate, betas=(momentum, 0.999))
    raise EngineError(f"Unknown optimizer '{name}' (choose from {', '.join(OPTIMIZER_NAMES)})", field="optimizer")


def run_optimizer(objective: Objective, start: Sequence[float], name: str, learning_rate: float,
                  momentum: float = 0.9, steps: int = 100) -> OptimizerPath:
    """``steps`` steps of optimizer ``name`` on ``objective`` (a function of a 1-D float64 tensor of parameters
    returning a scalar) from ``start``. Each point is recorded with its loss, the start included."""
    point = torch.tensor(list(start), dtype=torch.float64, requires_grad=True)
    optimizer = make_race_optimizer(name, [point], learning_rate, momentum)
    points: list[np.ndarray] = []
    losses: list[float] = []
    diverged = False
    for step in range(steps + 1):
        optimizer.zero_grad()
        loss = objective(point)
        value = float(loss.detach())
        here = point.detach().numpy().copy()
        if not math.isfinite(value) or not np.all(np.isfinite(here)) or np.abs(here).max() > DIVERGED_AT:
            diverged = True
            break
        points.append(here)
        losses.append(value)
        if step == steps:
            break
        loss.backward()
        optimizer.step()
    dims = len(list(start))
    return OptimizerPath(name=name, title=OPTIMIZER_TITLES.get(name, name), learning_rate=learning_rate,
                         points=frozen_array(np.array(points).reshape(-1, dims)), losses=frozen_array(losses),
                         diverged=diverged)


# Test functions ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestFunction:
    """A 2-D surface for races: ``f`` maps (..., 2) points to (...) losses and must be differentiable."""

    name: str
    title: str
    formula: str
    f: Callable[[torch.Tensor], torch.Tensor]
    extent: tuple[float, float, float, float]
    start: tuple[float, float]
    minimum: tuple[float, float]
    learning_rate: float
    adaptive_rate: float
    log_scale: bool
    note: str


def _rosenbrock(p: torch.Tensor) -> torch.Tensor:
    x, y = p[..., 0], p[..., 1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def _beale(p: torch.Tensor) -> torch.Tensor:
    x, y = p[..., 0], p[..., 1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


def _saddle(p: torch.Tensor) -> torch.Tensor:
    x, y = p[..., 0], p[..., 1]
    return x ** 2 + y ** 4 / 4 - y ** 2 / 2


# Distill's ill-conditioned bowl: curvatures 1 and 20 along axes turned by 30°, so plain gradient descent zigzags
# across the narrow direction long before it crawls down the wide one.
_ANGLE = math.radians(30)
_CURVATURES = (1.0, 20.0)


def _quadratic(p: torch.Tensor) -> torch.Tensor:
    x, y = p[..., 0], p[..., 1]
    u = math.cos(_ANGLE) * x + math.sin(_ANGLE) * y
    v = -math.sin(_ANGLE) * x + math.cos(_ANGLE) * y
    return 0.5 * (_CURVATURES[0] * u ** 2 + _CURVATURES[1] * v ** 2)


TEST_FUNCTIONS: dict[str, TestFunction] = {
    "quadratic": TestFunction(
        "quadratic", "Ill-conditioned bowl", "½(u² + 20 v²), axes turned 30°", _quadratic, (-3.0, 3.0, -2.0, 2.0),
        (-2.6, 1.2), (0.0, 0.0), 0.02, 0.2, False,
        "Convex, one minimum, but 20 times steeper across than along: SGD zigzags, momentum rolls through."),
    "rosenbrock": TestFunction(
        "rosenbrock", "Rosenbrock's valley", "(1 − x)² + 100 (y − x²)²", _rosenbrock, (-2.0, 2.0, -1.0, 3.0),
        (-1.5, 2.5), (1.0, 1.0), 0.001, 0.1, True,
        "A curved, flat-bottomed valley: finding it is easy, following it to (1, 1) is hard."),
    "beale": TestFunction(
        "beale", "Beale's function", "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²", _beale,
        (-4.5, 4.5, -4.5, 4.5), (1.0, 1.4), (3.0, 0.5), 0.005, 0.05, True,
        "Flat plateaus and steep walls: a step size that suits one part of the surface is wrong elsewhere."),
    "saddle": TestFunction(
        "saddle", "A saddle", "x² + y⁴/4 − y²/2", _saddle, (-2.0, 2.0, -2.0, 2.0), (1.8, 0.001), (0.0, 1.0),
        0.05, 0.05, False,
        "Downhill towards the middle, where the slope vanishes: a saddle point, with minima at y = ±1. Starting "
        "almost on the ridge, who escapes first?"),
}


def grid_axes(extent: Sequence[float], points: int) -> tuple[np.ndarray, np.ndarray]:
    if points < 2:
        raise EngineError(f"A grid needs at least 2 points per side (received {points})", field="points")
    x0, x1, y0, y1 = extent
    return np.linspace(x0, x1, points), np.linspace(y0, y1, points)


def function_surface(function: TestFunction, points: int = 121) -> LossSurface:
    """The test function on a ``points`` × ``points`` grid over its extent, in one batched evaluation."""
    xs, ys = grid_axes(function.extent, points)
    gx, gy = np.meshgrid(xs, ys)  # rows are y
    with torch.no_grad():
        grid = torch.as_tensor(np.stack([gx, gy], axis=-1), dtype=torch.float64)
        losses = function.f(grid).numpy()
    return LossSurface(title=function.title, kind="function", x_label="x", y_label="y", xs=frozen_array(xs),
                       ys=frozen_array(ys), losses=frozen_array(losses), minimum=function.minimum,
                       convex=function.name == "quadratic", log_scale=function.log_scale,
                       note=f"{function.formula}. {function.note}")


def race_on(objective: Objective, surface: LossSurface, start: Sequence[float], *, learning_rate: float,
            adaptive_rate: float, momentum: float = 0.9, steps: int = 100,
            optimizers: Iterable[str] = OPTIMIZER_NAMES, function: str = "") -> OptimizerRace:
    """Race ``optimizers`` on ``objective`` (a function of a 2-vector) from ``start``; ``surface`` is the map
    they race on."""
    if steps < 1:
        raise EngineError(f"A race needs at least one step (received {steps})", field="steps")
    paths = tuple(run_optimizer(objective, start, name, adaptive_rate if name in ADAPTIVE else learning_rate,
                                momentum, steps) for name in optimizers)
    return OptimizerRace(function=function or surface.title, surface=surface, paths=paths,
                         start=(float(start[0]), float(start[1])), momentum=momentum, steps=steps)


def race(function: str = "rosenbrock", *, learning_rate: float | None = None, adaptive_rate: float | None = None,
         momentum: float = 0.9, steps: int = 150, start: Sequence[float] | None = None,
         optimizers: Iterable[str] = OPTIMIZER_NAMES, points: int = 201) -> OptimizerRace:
    """A race on one of :data:`TEST_FUNCTIONS`; rates default to ones that suit the function."""
    try:
        fn = TEST_FUNCTIONS[function]
    except KeyError:
        raise EngineError(f"Unknown test function '{function}' (choose from {', '.join(TEST_FUNCTIONS)})",
                          field="function") from None
    return race_on(fn.f, function_surface(fn, points), start if start is not None else fn.start,
                   learning_rate=fn.learning_rate if learning_rate is None else learning_rate,
                   adaptive_rate=fn.adaptive_rate if adaptive_rate is None else adaptive_rate,
                   momentum=momentum, steps=steps, optimizers=optimizers, function=function)


def default_rates(function: str) -> Mapping[str, float]:
    fn = TEST_FUNCTIONS[function]
    return {"learning_rate": fn.learning_rate, "adaptive_rate": fn.adaptive_rate}
