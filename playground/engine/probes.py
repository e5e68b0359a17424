"""Probes: what open views ask to see, computed only at snapshot time as batched passes under ``no_grad``.

Every probe returns numpy copies, so a snapshot never shares memory with tensors that training goes on changing.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

import numpy as np
import torch

from playground.compile import CompiledNetwork, capture
from playground.data import toy2d

from .datasets import DataBundle
from .errors import EngineError
from .tasks import Task

PROBE_KINDS = ("boundary", "neurons", "hidden", "weights", "gradients")
ACTIVATION_KINDS = {"ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softplus", "Identity"}
WEIGHT_KINDS = {"Dense", "Conv2d", "ConvTranspose2d", "RNN", "GRU", "LSTM", "Embedding"}
NEURON_RESOLUTION = 40
LINES, LINE_POINTS = 11, 50


def check_probe_names(names: Iterable[str]) -> None:
    for name in names:
        kind = name.split(":", 1)[0]
        if kind not in PROBE_KINDS or (kind == "hidden") != (":" in name):
            raise EngineError(f"Unknown probe '{name}' (probes: boundary, neurons, hidden:<layer>, weights, "
                              f"gradients)")


class Probes:
    """Computes the probes of one trainer's model on its data. Rebuilt whenever the model or data change."""

    def __init__(self, task: Task, network: CompiledNetwork, node_kinds: dict[str, str], data: DataBundle,
                 device: torch.device) -> None:
        self.task = task
        self.network = network
        self.data = data
        self.device = device
        self.layer_order = [str(n.target) for n in network.module.graph.nodes if n.op == "call_module"]
        self.node_kinds = node_kinds
        self._grid: torch.Tensor | None = None
        if data.is_plane:
            self._grid = torch.as_tensor(data.grid_inputs, device=device)
            _xs, _ys, small = toy2d.grid_2d(NEURON_RESOLUTION, data.grid_extent)
            self._neuron_grid = torch.as_tensor(toy2d.make_features(small, data.features), device=device)
            self._lines = torch.as_tensor(toy2d.make_features(_grid_lines(data.grid_extent), data.features),
                                          device=device)
            self._train_inputs = torch.as_tensor(data.x_train, device=device)
        self.gradient_steps: array[float] = array("d")
        self.gradient_norms: dict[str, array[float]] = {}

    def hidden_layers(self) -> list[str]:
        """Layers whose units a plane view draws: activations; for a network without any, its inner Dense."""
        acts = [n for n in self.layer_order if self.node_kinds.get(n) in ACTIVATION_KINDS]
        if acts:
            return acts
        sources = set(self.network.output_sources.values())
        return [n for n in self.layer_order if self.node_kinds.get(n) == "Dense" and n not in sources]

    def weight_layers(self) -> list[str]:
        return [n for n in self.layer_order if self.node_kinds.get(n) in WEIGHT_KINDS]

    # Computing ------------------------------------------------------------------------------------------------

    def compute(self, names: Iterable[str]) -> dict[str, np.ndarray]:
        names = set(names)
        out: dict[str, np.ndarray] = {}
        if not names:
            return out
        model = self.network.module
        was = model.training
        model.eval()
        try:
            with torch.inference_mode():
                if self.data.is_plane:
                    if "boundary" in names:
                        out["boundary"] = self._boundary()
                    if "neurons" in names:
                        out.update(self._neurons())
                    for name in names:
                        if name.startswith("hidden:"):
                            out.update(self._hidden(name.split(":", 1)[1]))
                if "weights" in names:
                    for layer in self.weight_layers():
                        weight = getattr(model.get_submodule(layer), "weight", None)
                        if isinstance(weight, torch.Tensor):
                            out[f"weights/{layer}"] = weight.detach().float().cpu().numpy().copy()
        finally:
            model.train(was)
        if "gradients" in names and len(self.gradient_steps):
            out.update(self.gradient_history())
        return out

    def _boundary(self) -> np.ndarray:
        assert self._grid is not None
        pred = self.task.predict(self._grid)
        if self.task.name == "classification":
            values = pred[:, 1] if pred.shape[1] == 2 else pred.argmax(1).to(pred.dtype)
        else:
            values = pred[:, 0]
        res = self.data.grid_resolution
        return values.reshape(res, res).float().cpu().numpy().copy()

    def _neurons(self) -> dict[str, np.ndarray]:
        layers = self.hidden_layers()
        with capture(self.network.module, layers) as acts:
            self.network.module(self._neuron_grid)
        r = NEURON_RESOLUTION
        out = {}
        for layer in layers:
            a = acts.get(layer)
            if a is None or a.dim() != 2:
                continue
            out[f"neurons/{layer}"] = a.T.reshape(a.shape[1], r, r).float().cpu().numpy().copy()
        return out

    def _hidden(self, layer: str) -> dict[str, np.ndarray]:
        if layer not in self.layer_order:
            return {}
        module = self.network.module
        with capture(module, [layer]) as acts:
            module(self._train_inputs)
        points = acts.get(layer)
        with capture(module, [layer]) as acts:
            module(self._lines)
        lines = acts.get(layer)
        if points is None or lines is None or points.dim() != 2:
            return {}
        return {
            f"hidden/{layer}/points": points.float().cpu().numpy().copy(),
            f"hidden/{layer}/lines": lines.reshape(2 * LINES, LINE_POINTS, -1).float().cpu().numpy().copy(),
        }

    # Gradient norms, recorded at snapshot time while the last step's gradients are still there ---------------

    def record_gradients(self, step: int) -> None:
        model = self.network.module
        norms, names = [], []
        for layer in self.weight_layers():
            grads = [p.grad for p in model.get_submodule(layer).parameters() if p.grad is not None]
            if grads:
                norms.append(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))
                names.append(layer)
        if not norms:
            return
        values = torch.stack(norms).tolist()
        if self.gradient_steps and self.gradient_steps[-1] == step:
            return
        self.gradient_steps.append(float(step))
        for name, value in zip(names, values):
            col = self.gradient_norms.setdefault(name, array("d", [np.nan] * (len(self.gradient_steps) - 1)))
            col.append(value)
        for name, col in self.gradient_norms.items():
            while len(col) < len(self.gradient_steps):
                col.append(np.nan)

    def gradient_history(self, max_points: int = 2000) -> dict[str, np.ndarray]:
        n = len(self.gradient_steps)
        idx = np.unique(np.linspace(0, n - 1, min(n, max_points)).round().astype(np.int64))
        out = {"gradients/step": np.frombuffer(self.gradient_steps, dtype=np.float64)[idx].copy()}
        for name, col in self.gradient_norms.items():
            out[f"gradients/{name}"] = np.frombuffer(col, dtype=np.float64)[idx].copy()
        return out

    def truncate_gradients(self, step: int) -> None:
        keep = sum(1 for s in self.gradient_steps if s <= step)
        del self.gradient_steps[keep:]
        for col in self.gradient_norms.values():
            del col[keep:]


def _grid_lines(extent: float) -> np.ndarray:
    """Points along LINES horizontal then LINES vertical lines across the plane, LINE_POINTS each."""
    ticks = np.linspace(-extent, extent, LINES, dtype=np.float32)
    along = np.linspace(-extent, extent, LINE_POINTS, dtype=np.float32)
    horizontal = [np.stack([along, np.full_like(along, y)], axis=1) for y in ticks]
    vertical = [np.stack([np.full_like(along, x), along], axis=1) for x in ticks]
    return np.concatenate(horizontal + vertical).astype(np.float32)
