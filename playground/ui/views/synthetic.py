"""Synthetic snapshots for the demo, the benchmark and the tests: a tiny numpy MLP really learning a spiral.

Numpy only (the views may not import the engine, so neither may this). The objects it returns duck-type the engine's
Snapshot with exactly the attributes and probe records the views read.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from playground.snapshots import (
    DecisionBoundary,
    Gradients,
    HiddenLayer,
    HiddenSpace,
    Neurons,
    ProbeResults,
    Record,
    Weights,
)

EXTENT = 6.0
BOUNDARY_RESOLUTION = 100
NEURON_RESOLUTION = 40
LINES, LINE_POINTS = 11, 50


def spiral(n_per_class: int = 250, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """TF Playground's two interleaved spirals: points (2n, 2) float32 and class ids (2n,) int64."""
    rng = np.random.default_rng(seed)
    points, labels = [], []
    for cls, delta in ((0, 0.0), (1, np.pi)):
        i = np.arange(n_per_class)
        r = i / n_per_class * 5
        t = 1.75 * i / n_per_class * 2 * np.pi + delta
        xy = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (n_per_class, 2)) * noise
        points.append(xy)
        labels.append(np.full(n_per_class, cls))
    return np.concatenate(points).astype(np.float32), np.concatenate(labels).astype(np.int64)


def plane_grid(resolution: int, extent: float = EXTENT) -> np.ndarray:
    """(r*r, 2) points, row-major with row 0 = y = -extent, matching the probes' layout."""
    xs = np.linspace(-extent, extent, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, xs)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def grid_lines(extent: float = EXTENT) -> np.ndarray:
    ticks = np.linspace(-extent, extent, LINES, dtype=np.float32)
    along = np.linspace(-extent, extent, LINE_POINTS, dtype=np.float32)
    horizontal = [np.stack([along, np.full_like(along, y)], axis=1) for y in ticks]
    vertical = [np.stack([np.full_like(along, x), along], axis=1) for x in ticks]
    return np.stack(horizontal + vertical)  # (2 * LINES, LINE_POINTS, 2)


class SyntheticRun:
    """A 2 -> hidden... -> 1 tanh MLP trained with Adam in numpy on the spiral (or a regression plane)."""

    def __init__(self, hidden: tuple[int, ...] = (8, 8), task: str = "classification", n_per_class: int = 250,
                 seed: int = 0, learning_rate: float = 0.03, batch_size: int = 10) -> None:
        self.task = task
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        pts, labels = spiral(n_per_class, noise=0.2, seed=seed)
        order = self.rng.permutation(len(pts))
        pts, labels = pts[order], labels[order]
        if task == "regression":
            targets = np.clip(pts[:, :1] / EXTENT + 0.3 * np.sin(pts[:, 1:2]), -1, 1).astype(np.float32)
        else:
            targets = labels
        cut = len(pts) // 2
        self.train_points, self.test_points = pts[:cut], pts[cut:]
        self.train_labels, self.test_labels = targets[:cut], targets[cut:]
        sizes = (2,) + tuple(hidden) + (1,)
        self.names = [f"dense_{i + 1}" for i in range(len(sizes) - 1)]
        self.act_names = [f"tanh_{i + 1}" for i in range(len(hidden))]
        self.W = [self.rng.normal(0, np.sqrt(1.0 / a), (b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(b) for b in sizes[1:]]
        self._m = [np.zeros_like(p) for p in self.W + self.b]
        self._v = [np.zeros_like(p) for p in self.W + self.b]
        self._t = 0
        self.epoch = 0
        self.step_count = 0
        self.elapsed = 0.0
        self.history: dict[str, list[float]] = {k: [] for k in (
            "epoch", "step", "time", "learning_rate", "train_loss", "test_loss", "train_accuracy", "test_accuracy")}
        self.grad_steps: list[float] = []
        self.grad_norms: dict[str, list[float]] = {n: [] for n in self.names}
        self._grid = plane_grid(BOUNDARY_RESOLUTION) / EXTENT
        self._small = plane_grid(NEURON_RESOLUTION) / EXTENT
        self._lines = grid_lines() / EXTENT

    # The network ----------------------------------------------------------------------------------------------

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        acts = []
        h = x
        for W, b in zip(self.W[:-1], self.b[:-1]):
            h = np.tanh(h @ W.T + b)
            acts.append(h)
        z = h @ self.W[-1].T + self.b[-1]
        out = 1 / (1 + np.exp(-z)) if self.task == "classification" else z
        return acts, out[:, 0]

    def _loss(self, out: np.ndarray, y: np.ndarray) -> float:
        if self.task == "classification":
            p = np.clip(out, 1e-7, 1 - 1e-7)
            return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        return float(np.mean((out - y.reshape(-1)) ** 2))

    def train_epoch(self) -> None:
        x_all = self.train_points / EXTENT
        y_all = self.train_labels.reshape(len(x_all), -1)[:, 0].astype(np.float64)
        order = self.rng.permutation(len(x_all))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            self._train_step(x_all[idx], y_all[idx])
        self.epoch += 1
        self.elapsed += 0.02
        self._record()

    def _train_step(self, x: np.ndarray, y: np.ndarray) -> None:
        acts, out = self.forward(x)
        n = len(x)
        dz = ((out - y) / n if self.task == "classification" else 2 * (out - y) / n)[:, None]
        # Each slot is filled by the backward loop below, last layer first.
        grads_w: list[np.ndarray] = [np.empty(0)] * len(self.W)
        grads_b: list[np.ndarray] = [np.empty(0)] * len(self.W)
        inputs = [x] + acts
        for i in range(len(self.W) - 1, -1, -1):
            grads_w[i] = dz.T @ inputs[i]
            grads_b[i] = dz.sum(axis=0)
            if i:
                dz = (dz @ self.W[i]) * (1 - acts[i - 1] ** 2)
        self._t += 1
        self.step_count += 1
        params = self.W + self.b
        for j, (p, g) in enumerate(zip(params, grads_w + grads_b)):
            self._m[j] = 0.9 * self._m[j] + 0.1 * g
            self._v[j] = 0.999 * self._v[j] + 0.001 * g * g
            mh = self._m[j] / (1 - 0.9 ** self._t)
            vh = self._v[j] / (1 - 0.999 ** self._t)
            p -= self.learning_rate * mh / (np.sqrt(vh) + 1e-8)
        if self.step_count % 5 == 0:
            self.grad_steps.append(float(self.step_count))
            for name, g in zip(self.names, grads_w):
                self.grad_norms[name].append(float(np.linalg.norm(g)))

    def _record(self) -> None:
        h = self.history
        h["epoch"].append(self.epoch)
        h["step"].append(self.step_count)
        h["time"].append(self.elapsed)
        h["learning_rate"].append(self.learning_rate)
        for split, pts, y in (("train", self.train_points, self.train_labels),
                              ("test", self.test_points, self.test_labels)):
            _acts, out = self.forward(pts / EXTENT)
            yy = y.reshape(len(pts), -1)[:, 0].astype(np.float64)
            h[f"{split}_loss"].append(self._loss(out, yy))
            h[f"{split}_accuracy"].append(float(np.mean((out >= 0.5) == (yy >= 0.5))))

    # Snapshots ------------------------------------------------------------------------------------------------

    def snapshot(self, hidden_layer: str | None = None, state: str = "running", data_version: int = 1,
                 probes: tuple[str, ...] = ("boundary", "neurons", "weights", "gradients")) -> SimpleNamespace:
        hist = {k: np.asarray(v, dtype=np.float64) for k, v in self.history.items()}
        if self.task != "classification":
            hist.pop("train_accuracy")
            hist.pop("test_accuracy")
        metrics = {k: float(v[-1]) for k, v in hist.items() if k.endswith(("loss", "accuracy")) and len(v)}
        out: list[Record] = []
        if "boundary" in probes:
            _a, b = self.forward(self._grid)
            out.append(DecisionBoundary(b.reshape(BOUNDARY_RESOLUTION, BOUNDARY_RESOLUTION).astype(np.float32)))
        if "neurons" in probes:
            acts, _o = self.forward(self._small)
            r = NEURON_RESOLUTION
            out.append(Neurons({name: a.T.reshape(a.shape[1], r, r).astype(np.float32)
                                for name, a in zip(self.act_names, acts)}))
        if hidden_layer in self.act_names:
            i = self.act_names.index(hidden_layer)
            points = self.forward(self.train_points / EXTENT)[0][i].astype(np.float32)
            lines = self.forward(self._lines.reshape(-1, 2))[0][i]
            out.append(HiddenSpace({hidden_layer: HiddenLayer(
                points, lines.reshape(2 * LINES, LINE_POINTS, -1).astype(np.float32))}))
        if "weights" in probes:
            out.append(Weights({name: W.astype(np.float32) for name, W in zip(self.names, self.W)}))
        if "gradients" in probes and self.grad_steps:
            out.append(Gradients(np.asarray(self.grad_steps, dtype=np.float64),
                                 {name: np.asarray(self.grad_norms[name], dtype=np.float64) for name in self.names}))
        dataset = {"train_points": self.train_points, "train_labels": self.train_labels,
                   "test_points": self.test_points, "test_labels": self.test_labels,
                   "extent": np.array([EXTENT])}
        return SimpleNamespace(
            state=state, epoch=self.epoch, step=self.step_count, epoch_fraction=0.0, elapsed=self.elapsed,
            learning_rate=self.learning_rate, message="", device="cpu", seed=self.seed, task=self.task,
            classes=2 if self.task == "classification" else 0, data_version=data_version, metrics=metrics,
            history=hist, dataset=dataset, probes=ProbeResults(out))


def empty_snapshot(task: str = "classification", state: str = "ready") -> SimpleNamespace:
    """A snapshot with nothing in it yet (before Play, or for data that is not 2-D)."""
    return SimpleNamespace(state=state, epoch=0, step=0, epoch_fraction=0.0, elapsed=0.0, learning_rate=0.03,
                           message="", device="cpu", seed=0, task=task, classes=2 if task == "classification" else 0,
                           data_version=0, metrics={}, history={}, dataset={}, probes=ProbeResults())
