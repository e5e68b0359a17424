"""Loss landscapes: the exact cost of one- and two-parameter models, and 2-D slices through any network's weights.

Slices follow Li et al., "Visualizing the Loss Landscape of Neural Nets" (NeurIPS 2018): two random directions,
each rescaled filter by filter (row by row for a dense layer) to the norm of the weights it perturbs, so the
picture does not depend on how the network happens to be scaled; biases and normalisation parameters are left
still, as in their paper. With a history of the run's weights, the plane is instead the one spanned by its two
principal directions (PCA of the weights' differences from the last ones), and the trajectory is drawn on it.

Grids are evaluated without gradients, many grid points per forward pass (torch.func.vmap over stacked weights);
a network vmap cannot batch is evaluated one grid point per pass instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from playground.engine.errors import EngineError
from playground.snapshots.landscape import CostCurve, LossSurface, OptimizerRace, frozen_array

from .race import race_on, run_optimizer

# Grid points per vmapped pass: enough to amortise the per-call overhead, few enough that a batch of activations
# for every point (points × samples × widest layer) stays small.
CHUNK = 32


class _LossOf(nn.Module):
    """Holds the model so that functional_call can swap its parameters while ``loss`` (which reads the model's
    own attributes) runs."""

    def __init__(self, model: nn.Module, loss: Callable[[], torch.Tensor]) -> None:
        super().__init__()
        self.inner = model
        self._loss = loss

    def forward(self) -> torch.Tensor:
        return self._loss()


class LossProblem:
    """A model and its loss on a fixed batch, seen as a function of one flat vector of its trainable weights.

    ``loss`` takes no arguments and returns a scalar computed by the model's forward on that batch (a closure over
    the batch). The model is evaluated in eval mode (no dropout, batch norm's running statistics), so that every
    grid point sees the same function of the weights."""

    def __init__(self, model: nn.Module, loss: Callable[[], torch.Tensor]) -> None:
        self.model = model
        self._wrapper = _LossOf(model, loss)
        self.named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if not self.named:
            raise EngineError("The network has no trainable weights: there is no loss landscape to draw")
        self.shapes = [p.shape for _n, p in self.named]
        self.sizes = [p.numel() for _n, p in self.named]
        self.device = self.named[0][1].device
        # Batching the weights pays for dense layers, but turns a convolution into a slower grouped one (LeNet:
        # twice the time per grid point); decided by the layers, not by timing, so results never depend on load.
        convolutional = any(isinstance(m, nn.modules.conv._ConvNd) for m in model.modules())
        self._vmap_ok: bool | None = False if convolutional else None

    @property
    def size(self) -> int:
        return sum(self.sizes)

    def weights(self) -> torch.Tensor:
        """The current weights as one flat float tensor (a copy)."""
        return torch.cat([p.detach().reshape(-1) for _n, p in self.named]).clone()

    def split(self, flat: torch.Tensor) -> list[torch.Tensor]:
        return [t.reshape(s) for t, s in zip(torch.split(flat, self.sizes, dim=-1), self.shapes, strict=True)]

    def _params(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        return {f"inner.{n}": t for (n, _p), t in zip(self.named, self.split(flat), strict=True)}

    def _call(self, flat: torch.Tensor) -> torch.Tensor:
        loss: torch.Tensor = torch.func.functional_call(self._wrapper, self._params(flat), (), strict=False)
        return loss

    def loss_at(self, flat: torch.Tensor) -> torch.Tensor:
        """The loss with the weights set to ``flat``; differentiable in ``flat``. The model's own weights do not
        change."""
        with _eval_mode(self.model):
            return self._call(flat.to(self.device, self.named[0][1].dtype))

    def losses_at(self, flats: torch.Tensor) -> np.ndarray:
        """The loss at each row of ``flats`` (K, size), without gradients, as float64 numpy."""
        flats = flats.to(self.device, self.named[0][1].dtype)
        out: list[torch.Tensor] = []
        with torch.no_grad(), _eval_mode(self.model):
            for start in range(0, flats.shape[0], CHUNK):
                out.append(self._chunk(flats[start:start + CHUNK]))
        return torch.cat(out).double().cpu().numpy()

    def _chunk(self, flats: torch.Tensor) -> torch.Tensor:
        if self._vmap_ok is not False:
            try:
                values = self._vmapped(flats)
                self._vmap_ok = True
                return values
            except Exception:  # layers vmap cannot batch (in-place ops, data-dependent code)
                self._vmap_ok = False
        return self._looped(flats)

    def _vmapped(self, flats: torch.Tensor) -> torch.Tensor:
        return torch.func.vmap(self._call)(flats).reshape(-1)

    def _looped(self, flats: torch.Tensor) -> torch.Tensor:
        return torch.stack([self._call(f).reshape(()) for f in flats])

    def seconds_per_point(self) -> float:
        """What one grid point costs, measured on a small chunk at the current weights (for choosing a grid that
        fits a time budget)."""
        flats = self.weights()[None, :].repeat(min(CHUNK, 8), 1)
        started = time.perf_counter()
        self.losses_at(flats)
        return (time.perf_counter() - started) / flats.shape[0]


class _eval_mode:
    """Eval mode for the duration, then each submodule's own mode back."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.modes: list[tuple[nn.Module, bool]] = []

    def __enter__(self) -> None:
        self.modes = [(m, m.training) for m in self.model.modules()]
        self.model.eval()

    def __exit__(self, *_exc: Any) -> None:
        for m, mode in self.modes:
            m.training = mode


# Models small enough to draw exactly ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactModel:
    """A model of one or two weights whose cost can be computed everywhere. ``loss(w, x, y)`` maps weights (K, P)
    to K costs over the whole data set (x, y) from ``data(seed)``."""

    name: str
    title: str
    labels: tuple[str, ...]
    convex: bool
    loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
    data: Callable[[int], tuple[torch.Tensor, torch.Tensor]]
    extent: tuple[float, ...]
    start: tuple[float, ...]
    note: str
    # Too small, right, too large, where the curvature at the minimum says little about the path (plateaus).
    rates: tuple[float, float, float] | None = None

    @property
    def parameters(self) -> int:
        return len(self.labels)


def _linear_data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(40, generator=g, dtype=torch.float64) * 4 - 2
    return x, 1.5 * x + 0.4 * torch.randn(40, generator=g, dtype=torch.float64)


def _step_data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(60, generator=g, dtype=torch.float64) * 6 - 3
    # Labels drawn with probability σ(2x): the best weight is finite, near 2.
    return x, (torch.rand(60, generator=g, dtype=torch.float64) < torch.sigmoid(2 * x)).double()


def _plane_data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(80, 2, generator=g, dtype=torch.float64)
    p = torch.sigmoid(x @ torch.tensor([1.5, -1.0], dtype=torch.float64))
    return x, (torch.rand(80, generator=g, dtype=torch.float64) < p).double()


def _wave_data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(50, generator=g, dtype=torch.float64) * 4 - 2
    return x, 2.0 * torch.tanh(1.5 * x) + 0.2 * torch.randn(50, generator=g, dtype=torch.float64)


def _linear_loss(w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((w[:, :1] * x[None, :] - y[None, :]) ** 2).mean(dim=1)


def _sigmoid_loss(w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((torch.sigmoid(w[:, :1] * x[None, :]) - y[None, :]) ** 2).mean(dim=1)


def _logistic_loss(w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    scores = w @ x.T  # (K, N)
    return nn.functional.binary_cross_entropy_with_logits(scores, y.expand_as(scores), reduction="none").mean(dim=1)


def _tanh_loss(w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((w[:, 1:2] * torch.tanh(w[:, :1] * x[None, :]) - y[None, :]) ** 2).mean(dim=1)


EXACT_MODELS: dict[str, ExactModel] = {
    "linear": ExactModel(
        "linear", "Linear fit ŷ = w·x, mean squared error", ("w",), True, _linear_loss, _linear_data,
        (-1.5, 4.5), (-1.0,), "A parabola: one minimum, and the slope always points to it."),
    "sigmoid": ExactModel(
        "sigmoid", "One sigmoid unit ŷ = σ(w·x), squared error", ("w",), False, _sigmoid_loss, _step_data,
        (-8.0, 10.0), (-6.0,), "Not convex: flat plateaus where the sigmoid saturates, where gradient descent "
                               "crawls.", rates=(2.0, 10.0, 400.0)),
    "logistic": ExactModel(
        "logistic", "Logistic regression σ(w₁x₁ + w₂x₂), cross-entropy", ("w₁", "w₂"), True, _logistic_loss,
        _plane_data, (-3.0, 5.0, -4.0, 3.0), (-2.5, 2.5), "Convex: a single bowl, however stretched."),
    "tanh": ExactModel(
        "tanh", "A tiny network ŷ = w₂·tanh(w₁·x), squared error", ("w₁", "w₂"), False, _tanh_loss, _wave_data,
        (-3.0, 3.0, -3.5, 3.5), (0.3, -0.2), "Not convex: two mirror-image minima and a saddle between them at "
                                              "the origin."),
}


def _model(name: str) -> ExactModel:
    try:
        return EXACT_MODELS[name]
    except KeyError:
        raise EngineError(f"Unknown model '{name}' (choose from {', '.join(EXACT_MODELS)})", field="model") from None


def learning_rate_presets(name: str, seed: int = 0) -> dict[str, float]:
    """Learning rates that are too small, about right and too large for plain gradient descent on a model:
    fractions of 2/λ, λ the largest curvature (Hessian eigenvalue) at the best weights, beyond which descent near
    the minimum overshoots more each step."""
    model = _model(name)
    if model.rates is not None:
        return dict(zip(("too small", "right", "too large"), model.rates, strict=True))
    x, y = model.data(seed)
    best = _grid_minimum(model, x, y)
    def cost(w: torch.Tensor) -> torch.Tensor:
        return model.loss(w[None, :], x, y)[0]

    hessian = torch.autograd.functional.hessian(cost, torch.tensor(best, dtype=torch.float64))
    curvature = float(torch.linalg.eigvalsh(hessian.reshape(len(best), len(best))).max())
    limit = 2.0 / max(curvature, 1e-9)
    return {"too small": 0.01 * limit, "right": 0.4 * limit, "too large": 1.5 * limit}


def _grid_minimum(model: ExactModel, x: torch.Tensor, y: torch.Tensor, points: int = 201) -> tuple[float, ...]:
    if model.parameters == 1:
        ws = torch.linspace(model.extent[0], model.extent[1], points, dtype=torch.float64)[:, None]
    else:
        a, b = torch.meshgrid(torch.linspace(model.extent[0], model.extent[1], points, dtype=torch.float64),
                              torch.linspace(model.extent[2], model.extent[3], points, dtype=torch.float64),
                              indexing="xy")
        ws = torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)
    with torch.no_grad():
        best = ws[int(model.loss(ws, x, y).argmin())]
    return tuple(float(v) for v in best)


def _path(model: ExactModel, x: torch.Tensor, y: torch.Tensor, start: Sequence[float] | None, optimizer: str,
          learning_rate: float | None, momentum: float, steps: int, seed: int) -> tuple[Any, float]:
    rate = learning_rate if learning_rate is not None else learning_rate_presets(model.name, seed)["right"]
    path = run_optimizer(lambda w: model.loss(w[None, :], x, y)[0], start if start is not None else model.start,
                         optimizer, rate, momentum, steps)
    return path, rate


def _fate(diverged: bool, worse: bool) -> str:
    if diverged:
        return " The steps grew until the weights ran away: the learning rate is too large."
    if worse:
        return " Each step overshoots the bottom further than the last: the learning rate is too large."
    return ""


def exact_cost_curve(model: str = "linear", *, learning_rate: float | None = None, steps: int = 30,
                     start: Sequence[float] | None = None, optimizer: str = "sgd", momentum: float = 0.9,
                     points: int = 201, seed: int = 0) -> CostCurve:
    """The exact cost of a one-weight model over its range, and ``optimizer``'s path on it from ``start``."""
    m = _model(model)
    if m.parameters != 1:
        raise EngineError(f"'{model}' has {m.parameters} weights: draw it as a surface", field="model")
    x, y = m.data(seed)
    ws = np.linspace(m.extent[0], m.extent[1], points)
    with torch.no_grad():
        losses = m.loss(torch.as_tensor(ws[:, None]), x, y).numpy()
    path, rate = _path(m, x, y, start, optimizer, learning_rate, momentum, steps, seed)
    best = float(ws[int(np.argmin(losses))])
    note = m.note + _fate(path.diverged, abs(path.points[-1, 0] - best) > abs(path.points[0, 0] - best))
    return CostCurve(title=m.title, weight_label=m.labels[0], weights=frozen_array(ws), losses=frozen_array(losses),
                     path_weights=frozen_array(path.points[:, 0]), path_losses=frozen_array(path.losses),
                     learning_rate=rate, minimum=best, convex=m.convex, note=note)


def exact_cost_surface(model: str = "logistic", *, learning_rate: float | None = None, steps: int = 40,
                       start: Sequence[float] | None = None, optimizer: str = "sgd", momentum: float = 0.9,
                       points: int = 81, seed: int = 0) -> LossSurface:
    """The exact cost of a two-weight model over its extent (rows are w₂), and ``optimizer``'s path on it."""
    m = _model(model)
    if m.parameters != 2:
        raise EngineError(f"'{model}' has {m.parameters} weight: draw it as a curve", field="model")
    x, y = m.data(seed)
    xs = np.linspace(m.extent[0], m.extent[1], points)
    ys = np.linspace(m.extent[2], m.extent[3], points)
    a, b = np.meshgrid(xs, ys)
    with torch.no_grad():
        grid = torch.as_tensor(np.stack([a.reshape(-1), b.reshape(-1)], axis=1))
        losses = m.loss(grid, x, y).numpy().reshape(points, points)
    path, rate = _path(m, x, y, start, optimizer, learning_rate, momentum, steps, seed)
    j, i = np.unravel_index(int(np.argmin(losses)), losses.shape)
    note = m.note + _fate(path.diverged, path.losses[-1] > path.losses[0])
    return LossSurface(title=m.title, kind="exact", x_label=m.labels[0], y_label=m.labels[1], xs=frozen_array(xs),
                       ys=frozen_array(ys), losses=frozen_array(losses), path=frozen_array(path.points),
                       path_losses=frozen_array(path.losses), minimum=(float(xs[i]), float(ys[j])),
                       convex=m.convex, learning_rate=rate, log_scale=_spans_decades(losses), note=note)


# Directions -------------------------------------------------------------------------------------------------------


def filter_normalized_direction(problem: LossProblem, generator: torch.Generator,
                                weights: torch.Tensor | None = None) -> torch.Tensor:
    """A random direction in weight space (flat), each filter or row rescaled to the norm of the same filter or row
    of ``weights`` (the current ones by default). One-dimensional parameters (biases, normalisation) get zero."""
    weights = problem.weights() if weights is None else weights
    parts = []
    for w in problem.split(weights.detach().cpu()):
        if w.dim() <= 1:
            parts.append(torch.zeros(w.numel(), dtype=torch.float64))
            continue
        d = torch.randn(w.shape, generator=generator, dtype=torch.float64)
        rows_w = w.double().reshape(w.shape[0], -1)
        rows_d = d.reshape(w.shape[0], -1)
        scale = rows_w.norm(dim=1, keepdim=True) / rows_d.norm(dim=1, keepdim=True).clamp_min(1e-12)
        parts.append((rows_d * scale).reshape(-1))
    return torch.cat(parts).to(weights.dtype)


def random_directions(problem: LossProblem, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return filter_normalized_direction(problem, generator), filter_normalized_direction(problem, generator)


def _grid_losses(problem: LossProblem, origin: torch.Tensor, d1: torch.Tensor, d2: torch.Tensor,
                 xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    a, b = np.meshgrid(xs, ys)  # rows are β (y), columns α (x)
    alphas = torch.as_tensor(a.reshape(-1, 1), dtype=origin.dtype)
    betas = torch.as_tensor(b.reshape(-1, 1), dtype=origin.dtype)
    flats = origin.cpu()[None, :] + alphas * d1.cpu()[None, :] + betas * d2.cpu()[None, :]
    return problem.losses_at(flats).reshape(len(ys), len(xs))


def random_slice(problem: LossProblem, *, points: int = 21, span: float = 1.0, seed: int = 0,
                 directions: tuple[torch.Tensor, torch.Tensor] | None = None) -> LossSurface:
    """The loss at w + α·d₁ + β·d₂ for α, β in [-span, span] on a ``points`` × ``points`` grid, w the current
    weights and d₁, d₂ filter-normalised random directions drawn from ``seed``."""
    if points < 2 or span <= 0:
        raise EngineError(f"A slice needs at least 2 points a side and a positive span (received {points}, {span})")
    d1, d2 = directions if directions is not None else random_directions(problem, seed)
    w = problem.weights()
    xs = np.linspace(-span, span, points)
    losses = _grid_losses(problem, w, d1, d2, xs, xs)
    here = float(problem.losses_at(w[None, :])[0])
    return LossSurface(
        title="Loss on a random slice through the weights", kind="random", x_label="α (direction 1)",
        y_label="β (direction 2)", xs=frozen_array(xs), ys=frozen_array(xs), losses=frozen_array(losses),
        path=frozen_array(np.zeros((1, 2))), path_losses=frozen_array([here]), log_scale=_spans_decades(losses),
        note=(f"Weights w + α·d₁ + β·d₂; d₁, d₂ random, each filter scaled to its weights' norm (Li et al. 2018), "
              f"seed {seed}. The centre is where the network is now; {problem.size:,} weights."))


def _spans_decades(losses: np.ndarray) -> bool:
    finite = losses[np.isfinite(losses)]
    if finite.size == 0:
        return False
    low, high = float(finite.min()), float(finite.max())
    return low > 0 and high / low > 100


# Trajectories -----------------------------------------------------------------------------------------------------


def trajectory_plane(history: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, np.ndarray, tuple[float, float]]:
    """The plane of a run's two principal directions: PCA of the differences of each saved weight vector (rows
    of ``history``, oldest first) from the last one. Returns the two unit directions, every saved point's
    coordinates on the plane (the last at the origin) and the share of the variance along each direction."""
    if history.dim() != 2 or history.shape[0] < 3:
        raise EngineError("A trajectory needs at least 3 saved weight vectors (train a little longer)")
    history = history.double().cpu()
    diffs = history - history[-1]
    centred = diffs - diffs.mean(dim=0, keepdim=True)
    _u, s, vh = torch.linalg.svd(centred, full_matrices=False)
    d1, d2 = vh[0], vh[1]
    coords = diffs @ torch.stack([d1, d2], dim=1)
    # A direction's sign is arbitrary: point it so that the run starts on the left and below.
    for k, d in enumerate((d1, d2)):
        if coords[0, k] > 0:
            coords[:, k] = -coords[:, k]
            d.neg_()
    total = float((s ** 2).sum())
    explained = (float(s[0] ** 2) / total, float(s[1] ** 2) / total) if total > 0 else (0.0, 0.0)
    return d1, d2, coords.numpy(), explained


def trajectory_slice(problem: LossProblem, history: torch.Tensor, *, points: int = 21,
                     margin: float = 0.25) -> LossSurface:
    """The loss on the plane of the run's principal directions through the last saved weights, with the run's
    path projected onto it. ``path_losses`` are the losses at the saved weights themselves."""
    d1, d2, coords, explained = trajectory_plane(history)
    origin = history[-1].to(problem.weights().dtype)
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    pad = np.maximum((hi - lo) * margin, 1e-3)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], points)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], points)
    dtype = origin.dtype
    losses = _grid_losses(problem, origin, d1.to(dtype), d2.to(dtype), xs, ys)
    path_losses = problem.losses_at(history.to(dtype))
    return LossSurface(
        title="Loss on the plane of the run's principal directions", kind="pca",
        x_label=f"PC 1 ({explained[0]:.0%} of the movement)", y_label=f"PC 2 ({explained[1]:.0%})",
        xs=frozen_array(xs), ys=frozen_array(ys), losses=frozen_array(losses), path=frozen_array(coords),
        path_losses=frozen_array(path_losses), explained=explained, log_scale=_spans_decades(losses),
        note=(f"{len(history)} saved weight vectors, projected onto the two directions along which the run moved "
              f"most (PCA); the run ends at the origin. The losses along the path are those of the saved weights."))


def slice_race(problem: LossProblem, *, seed: int = 0, span: float = 1.0, points: int = 21,
               learning_rate: float = 0.1, adaptive_rate: float = 0.05, momentum: float = 0.9, steps: int = 60,
               start: Sequence[float] | None = None,
               directions: tuple[torch.Tensor, torch.Tensor] | None = None) -> OptimizerRace:
    """The optimizer race on the network's own loss, restricted to a random slice: each racer moves (α, β)."""
    d1, d2 = directions if directions is not None else random_directions(problem, seed)
    surface = random_slice(problem, points=points, span=span, directions=(d1, d2), seed=seed)
    w = problem.weights()
    dtype = w.dtype

    def objective(ab: torch.Tensor) -> torch.Tensor:
        a, b = ab.to(dtype)[0], ab.to(dtype)[1]
        return problem.loss_at(w + a * d1 + b * d2).double().reshape(())

    # Not at the centre: a trained network sits near the bottom already, and a race needs a downhill to run.
    begin = start if start is not None else (-0.6 * span, 0.6 * span)
    return race_on(objective, surface, begin, learning_rate=learning_rate, adaptive_rate=adaptive_rate,
                   momentum=momentum, steps=steps, function="your network")


# The open lab ------------------------------------------------------------------------------------------------------


class LabLoss:
    """A lab's networks and their loss on a fixed evaluation batch (``samples`` training samples drawn with the
    lab's seed), built once per lab; :meth:`load` puts a run's weights in from a trainer checkpoint."""

    def __init__(self, lab: Any, *, samples: int = 256, device: str = "cpu") -> None:
        from playground.engine.trainer import Trainer  # the whole training stack, only when a lab's slice is wanted

        self.trainer = Trainer(lab, device=device, fast_path=False)
        task = self.trainer.task
        x_all, y_all = self.trainer.x_train, self.trainer.y_train
        order = torch.randperm(x_all.shape[0], generator=torch.Generator().manual_seed(int(lab.seed)))[:samples]
        x, y = x_all[order.to(x_all.device)], y_all[order.to(y_all.device)]

        def loss() -> torch.Tensor:
            try:
                return task.per_sample(x, y)[0].mean()
            except NotImplementedError:
                return task.batch_loss(x, y, count_correct=False)[0]

        try:
            with torch.no_grad():
                loss()
        except NotImplementedError:
            raise EngineError("This kind of lab has no single loss to draw (a GAN's two networks each have their "
                              "own, and they pull against each other): try a classifier or a regression") from None
        self.problem = LossProblem(nn.ModuleDict(task.modules()), loss)
        self.samples = int(x.shape[0])

    @property
    def step(self) -> int:
        return int(self.trainer.step)

    def load(self, checkpoint: dict[str, Any] | None) -> torch.Tensor:
        """Take a run's weights (a :meth:`Trainer.checkpoint`; None keeps the initial ones) and return them flat."""
        if checkpoint is not None:
            self.trainer.restore(checkpoint)
        return self.problem.weights()
