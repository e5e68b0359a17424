"""Probes: what open views ask to see, computed only at snapshot time as batched passes under ``no_grad``.

Every probe returns numpy copies, so a snapshot never shares memory with tensors that training goes on changing.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from playground.compile import CompiledNetwork, capture
from playground.data import functions1d, toy2d
from playground.snapshots import (
    AugmentedSamples,
    Confusion,
    DecisionBoundary,
    FeatureMaps,
    Filters,
    FunctionFit,
    Gradients,
    HiddenLayer,
    HiddenSpace,
    Neurons,
    Prediction,
    Record,
    Weights,
)

from .augment import augment_images, image_shape
from .data_bundle import DataBundle
from .errors import EngineError
from .health import network_health
from .insight.probes import INSIGHT_KINDS, check_insight_probe, compute_insight
from .probe_state import ProbeState
from .tasks import Task, task_probe_kinds

PROBE_KINDS = ("boundary", "neurons", "hidden", "weights", "gradients", "filters", "feature_maps", "prediction",
               "confusion", "function", "augmented", "health")
MISCLASSIFIED = 32
ACTIVATION_KINDS = {"ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softplus", "Identity"}
WEIGHT_KINDS = {"Dense", "Conv2d", "ConvTranspose2d", "RNN", "GRU", "LSTM", "Embedding"}
NEURON_RESOLUTION = 40
LINES, LINE_POINTS = 11, 50
FUNCTION_POINTS = 300  # points along x of the 1-D fit view's curves
AUGMENTED_SAMPLES = 48  # training images the samples view shows as the network sees them


def check_probe_names(names: Iterable[str]) -> None:
    family = task_probe_kinds()  # each task family's own probes, e.g. "reconstructions"
    for name in names:
        kind = name.split(":", 1)[0]
        if kind in family:
            continue
        if kind in INSIGHT_KINDS:  # adversarial examples, their success curve, saliency: settings in the name
            check_insight_probe(name)
            continue
        if kind not in PROBE_KINDS or (kind == "hidden") != (":" in name):
            raise EngineError(f"Unknown probe '{name}' (probes: boundary, neurons, hidden:<layer>, weights, "
                              f"gradients, filters, feature_maps, prediction, confusion, function, augmented, "
                              f"health)")


class Probes(ProbeState):
    """Computes the probes of one trainer's model on its data. Rebuilt whenever the model or data change."""

    def __init__(self, task: Task, network: CompiledNetwork, node_kinds: dict[str, str], data: DataBundle,
                 device: torch.device) -> None:
        super().__init__(task, network, node_kinds, data, device)
        self._grid: torch.Tensor | None = None
        if data.is_plane:
            self._grid = torch.as_tensor(data.grid_inputs, device=device)
            _xs, _ys, small = toy2d.grid_2d(NEURON_RESOLUTION, data.grid_extent)
            self._neuron_grid = torch.as_tensor(toy2d.make_features(small, data.features), device=device)
            self._lines = torch.as_tensor(toy2d.make_features(_grid_lines(data.grid_extent), data.features),
                                          device=device)
            self._train_inputs = torch.as_tensor(data.x_train, device=device)
        self._augment_draws = 0

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

    def compute(self, names: Iterable[str]) -> list[Record]:
        names = set(names)
        out: list[Record] = []
        if not names:
            return out
        model = self.network.module
        was = model.training
        model.eval()
        try:
            with torch.inference_mode():
                if self.data.is_plane:
                    out.extend(self._plane_probes(names))
                if "filters" in names:
                    out.append(Filters(self._layer_weights(
                        [layer for layer in self.layer_order if self.node_kinds.get(layer) == "Conv2d"])
                        | self._other_networks_weights((torch.nn.Conv2d,))))
                if "feature_maps" in names:
                    out.extend(self._feature_maps())
                if "prediction" in names:
                    out.extend(self._prediction())
                if "function" in names and self.data.function:
                    out.append(self._function())
                if "augmented" in names:
                    out.extend(self._augmented())
                if "confusion" in names and self.task.name == "classification":
                    out.extend(self._confusion())
                if "weights" in names:
                    out.append(Weights(self._layer_weights(self.weight_layers()) | self._other_networks_weights(
                        (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Embedding))))
                if "health" in names:
                    out.append(network_health(self))
        finally:
            model.train(was)
        insight = {n for n in names if n.split(":", 1)[0] in INSIGHT_KINDS}
        if insight:  # these need gradients with respect to the input: outside inference mode
            out.extend(compute_insight(self, insight))
        if "gradients" in names and len(self.gradient_steps):
            out.append(self.gradient_history())
        own = {n for n in names if n.split(":", 1)[0] in self.task.probe_kinds}
        if own:
            out.extend(self._task_probes(own))
        return out

    def _plane_probes(self, names: set[str]) -> list[Record]:
        """The probes of a 2-D data set: the decision boundary, the neurons, the hidden spaces asked for."""
        out: list[Record] = []
        if "boundary" in names:
            out.append(self._boundary())
        if "neurons" in names:
            out.append(self._neurons())
        for name in names:
            if name.startswith("hidden:"):
                out.extend(self._hidden(name.split(":", 1)[1]))
        return out

    def _layer_weights(self, layers: Iterable[str]) -> dict[str, np.ndarray]:
        """Copies of the named layers' weight tensors (a layer without one is left out)."""
        model = self.network.module
        out: dict[str, np.ndarray] = {}
        for layer in layers:
            weight = getattr(model.get_submodule(layer), "weight", None)
            if isinstance(weight, torch.Tensor):
                out[layer] = weight.detach().float().cpu().numpy().copy()
        return out

    def _other_networks_weights(self, kinds: tuple[type[torch.nn.Module], ...]) -> dict[str, np.ndarray]:
        """Weight copies of the layers of these kinds in the task's other networks (a GAN's discriminator beside
        its generator), named "network: layer" so the views can tell them from the model's own."""
        out: dict[str, np.ndarray] = {}
        for network, module in self.task.modules().items():
            if module is self.network.module:
                continue
            for layer, sub in module.named_modules():
                weight = getattr(sub, "weight", None)
                if isinstance(sub, kinds) and isinstance(weight, torch.Tensor):
                    out[f"{network}: {layer}"] = weight.detach().float().cpu().numpy().copy()
        return out

    def _task_probes(self, own: set[str]) -> list[Record]:
        """The task family's own probes, its modules in eval mode meanwhile."""
        modules = self.task.modules().values()
        modes = [m.training for m in modules]
        for m in modules:
            m.eval()
        try:
            with torch.no_grad():
                return self.task.compute_probes(own)
        finally:
            for m, mode in zip(modules, modes):
                m.train(mode)

    def _boundary(self) -> DecisionBoundary:
        """P(class 1) (two classes), the predicted class (more) or the value, (R, R); with more than two classes
        also the probabilities, (R, R, K), which the view mixes into class colours."""
        assert self._grid is not None
        pred = self.task.predict(self._grid)
        res = self.data.grid_resolution
        probabilities = None
        if self.task.name == "classification":
            values = pred[:, 1] if pred.shape[1] == 2 else pred.argmax(1).to(pred.dtype)
            if pred.shape[1] > 2:
                probabilities = pred.reshape(res, res, -1).float().cpu().numpy().copy()
        else:
            values = pred[:, 0]
        return DecisionBoundary(values.reshape(res, res).float().cpu().numpy().copy(), probabilities)

    def _augmented(self) -> list[AugmentedSamples]:
        """The first AUGMENTED_SAMPLES training images as the network sees them under the current augmentation
        settings, drawn anew each time from the probe's own generator (the training's random stream stays as it
        is, so a seeded run trains the same with the samples view open or closed)."""
        shape = image_shape(tuple(self.data.input_shape))
        if shape is None:
            return []
        n = min(AUGMENTED_SAMPLES, len(self.data.x_train))
        x = torch.as_tensor(np.asarray(self.data.x_train[:n], np.float32), device=self.device)
        self._augment_draws += 1
        generator = torch.Generator(device="cpu")
        generator.manual_seed(self._augment_draws)
        images = augment_images(x.reshape(n, *shape), self.task.settings, generator, shape)
        return [AugmentedSamples(images.float().cpu().numpy().copy(),
                                 np.asarray(self.data.y_train[:n]).reshape(-1).astype(np.int64).copy())]

    def _function(self) -> FunctionFit:
        """A 1-D fit: the prediction over the domain, the true f, and each hidden unit's contribution to the output
        (its activation times its weight into the final Dense, (H, G)), whose sum plus the bias is the prediction
        when that Dense is the last layer."""
        xs = np.linspace(-functions1d.DOMAIN * 1.05, functions1d.DOMAIN * 1.05, FUNCTION_POINTS, dtype=np.float32)
        grid = torch.as_tensor(xs.reshape(-1, 1), device=self.device)
        module = self.network.module
        sources = list(self.network.output_sources.values())
        last = module.get_submodule(sources[0]) if len(sources) == 1 else None
        captured: list[torch.Tensor] = []
        handle = None
        if isinstance(last, torch.nn.Linear) and last.out_features == 1:
            handle = last.register_forward_pre_hook(lambda _m, args: captured.append(args[0]))
        try:
            pred = self.task.predict(grid.reshape(len(xs), *self.input_shape) if self.input_shape else grid)
        finally:
            if handle is not None:
                handle.remove()
        contributions, bias = None, None
        if captured and isinstance(last, torch.nn.Linear) and captured[0].dim() == 2:
            contributions = (captured[0] * last.weight[0]).T.float().cpu().numpy().copy()
            bias = float(last.bias.reshape(-1)[0]) if last.bias is not None else 0.0
        return FunctionFit(
            x=xs, prediction=pred.reshape(len(xs), -1)[:, 0].float().cpu().numpy().copy(),
            target=functions1d.evaluate(self.data.function, xs),
            function_index=list(functions1d.FUNCTIONS).index(self.data.function),
            train_x=np.asarray(self.data.x_train, np.float32).reshape(-1).copy(),
            train_y=np.asarray(self.data.y_train, np.float32).reshape(-1).copy(),
            contributions=contributions, bias=bias)

    def _neurons(self) -> Neurons:
        layers = self.hidden_layers()
        with capture(self.network.module, layers) as acts:
            self.network.module(self._neuron_grid)
        r = NEURON_RESOLUTION
        out = {}
        for layer in layers:
            a = acts.get(layer)
            if a is None or a.dim() != 2:
                continue
            out[layer] = a.T.reshape(a.shape[1], r, r).float().cpu().numpy().copy()
        return Neurons(out)

    def _hidden(self, layer: str) -> list[HiddenSpace]:
        if layer not in self.layer_order:
            return []
        module = self.network.module
        with capture(module, [layer]) as acts:
            module(self._train_inputs)
        points = acts.get(layer)
        with capture(module, [layer]) as acts:
            module(self._lines)
        lines = acts.get(layer)
        if points is None or lines is None or points.dim() != 2:
            return []
        return [HiddenSpace({layer: HiddenLayer(
            points.float().cpu().numpy().copy(),
            lines.reshape(2 * LINES, LINE_POINTS, -1).float().cpu().numpy().copy())})]

    def _feature_maps(self) -> list[FeatureMaps]:
        picked = self.sample()
        if picked is None:
            return []
        x, label = picked
        module = self.network.module
        with capture(module, self.layer_order) as acts:
            module(x)
        layers = {}
        for layer in self.layer_order:
            a = acts.get(layer)
            if a is not None and a.dim() >= 2:
                layers[layer] = a[0].float().cpu().numpy().copy()
        probabilities = None
        if self.task.name == "classification":
            probabilities = self.task.predict(x)[0].float().cpu().numpy().copy()
        return [FeatureMaps(x[0].float().cpu().numpy().copy(), label, layers, probabilities,
                            drawing=self.sample_image is not None)]

    def _prediction(self) -> list[Prediction]:
        """The drawing pad's answer: only for a drawing, never for a test sample the feature-map view shows."""
        if self.sample_image is None or self.task.name != "classification":
            return []
        picked = self.sample()
        if picked is None:
            return []
        x = picked[0]
        return [Prediction(x[0].float().cpu().numpy().copy(), self.task.predict(x)[0].float().cpu().numpy().copy())]

    def classify(self, image: Any) -> Prediction | None:
        """The drawing pad's answer for ``image`` alone, whatever sample the feature-map view shows: one forward
        pass in eval mode; None when the model is no classifier of images of that size."""
        if self.task.name != "classification" or not self.input_shape:
            return None
        x = torch.as_tensor(np.asarray(image, dtype=np.float32), device=self.device)
        if x.numel() != int(np.prod(self.input_shape)):
            return None
        x = x.reshape(1, *self.input_shape)
        model = self.network.module
        was = model.training
        model.eval()
        try:
            with torch.inference_mode():
                probabilities = self.task.predict(x)[0].float().cpu().numpy().copy()
        finally:
            model.train(was)
        return Prediction(x[0].float().cpu().numpy().copy(), probabilities)

    def _confusion(self) -> list[Confusion]:
        if self.x_test is None or self.y_test is None or not len(self.x_test):
            return []
        preds = []
        for start in range(0, len(self.x_test), 4096):
            preds.append(self.task.predict(self.x_test[start:start + 4096]).argmax(-1))
        predicted = torch.cat(preds)
        truth = self.y_test
        classes = max(int(self.data.classes), int(predicted.max()) + 1, int(truth.max()) + 1)
        matrix = torch.bincount(truth * classes + predicted, minlength=classes * classes).reshape(classes, classes)
        wrong = torch.nonzero(predicted != truth).flatten()[:MISCLASSIFIED]
        images = self.x_test[wrong]
        if images.dim() == 4 and images.shape[1] != 3:  # (M, C, H, W): grey images lose their channel axis;
            images = images.mean(dim=1)  # colour ones (M, 3, H, W) stay in colour
        elif images.dim() == 2:
            side = int(round(images.shape[1] ** 0.5))
            images = images.reshape(len(images), side, side) if side * side == images.shape[1] else images[:, None]
        return [Confusion(matrix=matrix.cpu().numpy().astype(np.int64),
                          images=images.float().cpu().numpy().copy(),
                          true=truth[wrong].cpu().numpy().astype(np.int64),
                          predicted=predicted[wrong].cpu().numpy().astype(np.int64))]

    # Gradient norms, recorded at snapshot time while the last step's gradients are still there ---------------

    def record_gradients(self, step: int) -> None:
        if self.gradient_steps and self.gradient_steps[-1] == step:
            return  # a repeated snapshot of the same step (a paused run): nothing new to measure
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
        self.gradient_steps.append(float(step))
        for name, value in zip(names, values):
            col = self.gradient_norms.setdefault(name, array("d", [np.nan] * (len(self.gradient_steps) - 1)))
            col.append(value)
        for col in self.gradient_norms.values():
            while len(col) < len(self.gradient_steps):
                col.append(np.nan)

    def gradient_history(self, max_points: int = 2000) -> Gradients:
        n = len(self.gradient_steps)
        idx = np.unique(np.linspace(0, n - 1, min(n, max_points)).round().astype(np.int64))
        return Gradients(np.frombuffer(self.gradient_steps, dtype=np.float64)[idx].copy(),
                         {name: np.frombuffer(col, dtype=np.float64)[idx].copy()
                          for name, col in self.gradient_norms.items()})

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
