"""Tasks: what the networks of a lab are trained to do, and how their loss and metrics are computed.

A task is given the compiled networks and the data, checks that they fit together (with messages that name the
node to change), and supplies the loss of a batch. The trainer's loop knows nothing else about the task, so later
families (autoencoder, VAE, GAN, sequences) plug in by adding a class here.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from playground.compile import CompiledNetwork
from playground.graph import Lab, TrainingSettings
from playground.snapshots import Record

from .datasets import DataBundle
from .errors import EngineError
from .freezing import apply_freeze, trainable
from .insight.training import adversarial_batch

EVAL_CHUNK = 8192
_SHAPE_ONLY = {"Reshape", "Flatten", "Identity"}  # layers that only rearrange values


class Task:
    """Base class: one trainable model and a loss.

    The trainer's default step is ``batch_loss`` → regularization → backward → clip → one optimizer step over
    every parameter. A family that trains differently (a GAN: two optimizers, k discriminator steps) sets
    ``custom_step`` and implements :meth:`train_step`; one that reports more than its loss per batch (a VAE's
    reconstruction and KL terms) calls :meth:`record` and lists the names in ``metrics``; one that draws its own
    views adds probe kinds in ``probe_kinds`` and computes them in :meth:`compute_probes`.
    """

    name = "task"
    metrics: tuple[str, ...] = ("loss",)
    input_shape: tuple[int, ...] = ()
    target_dtype = torch.float32
    # Whether per_sample() exists, so small runs may measure the whole training set at each epoch's end.
    whole_set_eval = True
    # Whether a loss ten times the untrained one counts as divergence (not for a GAN, whose losses swing).
    explodes = True
    custom_step = False
    probe_kinds: tuple[str, ...] = ()
    # True while the run trains on (set by the trainer before each snapshot's probes): a costly probe may then
    # reuse a recent answer; a snapshot taken when the run stops or pauses must be exact.
    training_live = False

    def __init__(self, lab: Lab, networks: dict[str, CompiledNetwork], data: DataBundle) -> None:
        self.lab = lab
        self.networks = networks
        self.data = data
        self.settings = lab.training
        self._running: dict[str, list[torch.Tensor]] = {}
        self.validate()
        apply_freeze(lab, self.modules())

    # What the trainer uses --------------------------------------------------------------------------------

    settings: TrainingSettings  # the trainer's current settings, kept up to date by the trainer

    @property
    def model(self) -> nn.Module:
        return next(iter(self.networks.values())).module

    def modules(self) -> dict[str, nn.Module]:
        return {name: net.module for name, net in self.networks.items()}

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """One optimizer per group; the default is one over every parameter that is not frozen."""
        return {"model": trainable(p for m in self.modules().values() for p in m.parameters())}

    def group_rate(self, group: str, rate: float) -> float:
        """The learning rate of a group's optimizer, given the scheduled rate of the settings."""
        return rate

    def train_step(self, x: torch.Tensor, y: torch.Tensor, optimizers: dict[str, torch.optim.Optimizer],
                   count_correct: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One update of a ``custom_step`` task: returns the (detached) loss to show and, optionally, a count of
        correct predictions. Must not sync with the device."""
        raise NotImplementedError

    def record(self, name: str, value: torch.Tensor) -> None:
        """Keep a per-batch value (on the device, no sync) for this epoch's ``train_<name>`` metric."""
        self._running.setdefault(name, []).append(value.detach())

    def pop_running(self) -> dict[str, float]:
        """The means of the values recorded since the last call (one device sync), and forget them."""
        running, self._running = self._running, {}
        names = [k for k, v in running.items() if v]
        if not names:
            return {}
        means = torch.stack([torch.stack(running[k]).float().mean() for k in names]).tolist()
        return dict(zip(names, means))

    def _source_kind(self, net: CompiledNetwork, output: str) -> str:
        """The kind of the last layer before ``output`` that does more than reshape (a Sigmoid before a
        Reshape, say)."""
        graph = next(n.graph for n in self.lab.networks if n.name == net.name)
        node = net.output_sources[output]
        while graph.node(node).kind in _SHAPE_ONLY:
            node = graph.incoming(node)["in"]
        return graph.node(node).kind

    def clear_running(self) -> None:
        self._running = {}

    def compute_probes(self, names: set[str]) -> list[Record]:
        """This family's own probes (names whose kind, before any ':', is in ``probe_kinds``) as records of numpy
        copies. Called under no_grad at snapshot time."""
        return []

    def validate(self) -> None:
        """Raise EngineError if the networks do not fit the data or the task."""

    def batch_loss(self, x: torch.Tensor, y: torch.Tensor, count_correct: bool = True
                   ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Loss of a training batch (mean) and, for classifiers asked to, the number of correct predictions."""
        raise NotImplementedError

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """Loss and metrics over a whole split, in eval mode and without gradients."""
        raise NotImplementedError

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """What the views draw for inputs ``x``: class probabilities or predicted values."""
        raise NotImplementedError

    def per_sample(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Each sample's loss and, for classifiers, whether it is right (for :meth:`evaluate_together`)."""
        raise NotImplementedError

    def evaluate_together(self, x: torch.Tensor, y: torch.Tensor, first: int) -> tuple[dict[str, float],
                                                                                        dict[str, float]]:
        """Metrics of two splits stacked in one tensor (``x[:first]`` and ``x[first:]``) from one batched pass
        and one device sync: for small data sets, where each pass costs mostly fixed overhead."""
        model = self.model
        was = model.training
        model.eval()
        try:
            with torch.inference_mode():
                losses, right = self.per_sample(x, y)
                parts = [losses[:first].sum(), losses[first:].sum()]
                if right is not None:
                    parts += [right[:first].sum().to(losses.dtype), right[first:].sum().to(losses.dtype)]
                sums = torch.stack(parts).tolist()
        finally:
            model.train(was)
        n = (max(1, first), max(1, x.shape[0] - first))
        out = ({"loss": sums[0] / n[0]}, {"loss": sums[1] / n[1]})
        if right is not None:
            out[0]["accuracy"], out[1]["accuracy"] = sums[2] / n[0], sums[3] / n[1]
        return out


class _SingleNetworkTask(Task):
    head = "classification"

    def _network(self) -> CompiledNetwork:
        if len(self.networks) != 1:
            raise EngineError(f"A {self.name} lab trains one network, but this lab has {len(self.networks)}: "
                              f"remove the others or choose another task", field="task")
        return next(iter(self.networks.values()))

    def _output(self) -> tuple[CompiledNetwork, str]:
        net = self._network()
        if len(net.inputs) != 1:
            raise EngineError(f"A {self.name} network needs exactly one Input; '{net.name}' has "
                              f"{len(net.inputs)}", node=net.inputs[-1] if net.inputs else None)
        if len(net.outputs) != 1:
            raise EngineError(f"A {self.name} network needs exactly one Output; '{net.name}' has "
                              f"{len(net.outputs)}", node=net.outputs[-1])
        out = net.outputs[0]
        head = net.heads[out]
        if head != self.head:
            raise EngineError(f"Output '{out}' has head '{head}', but this is a {self.name} lab: set its head "
                              f"to '{self.head}'", node=out, field="head")
        inp = net.inputs[0]
        want = net.input_shapes[inp].dims
        have = self.data.input_shape
        # The same values in another layout (28×28 images for an Input of 784) are reshaped, not refused.
        self.input_shape = want
        if want != have and value_count(want) == value_count(have) and not self.data.features:
            return net, out
        if want != have:
            feats = ""
            if self.data.features:
                feats = f" ({', '.join(self.data.features)})"
            raise EngineError(
                f"Input '{inp}' expects samples of shape {shape_text(want)} but the dataset '{self.data.name}' gives "
                f"{shape_text(have)}{feats}: set the Input to {shape_text(have)}", node=inp, field="features")
        return net, out

    def _chunks(self, x: torch.Tensor, y: torch.Tensor,
                fn: Callable[[torch.Tensor, torch.Tensor], list[torch.Tensor]]) -> list[float]:
        model = self.model
        was_training = model.training
        model.eval()
        totals: list[torch.Tensor] = []
        try:
            with torch.inference_mode():
                for start in range(0, x.shape[0], EVAL_CHUNK):
                    parts = fn(x[start:start + EVAL_CHUNK], y[start:start + EVAL_CHUNK])
                    totals = parts if not totals else [a + b for a, b in zip(totals, parts)]
        finally:
            model.train(was_training)
        return [float(t) for t in torch.stack(totals).cpu()] if totals else []


def value_count(d: tuple[int, ...]) -> int:
    """How many values a sample of shape ``d`` holds."""
    n = 1
    for v in d:
        n *= v
    return n


def shape_text(d: tuple[int, ...]) -> str:
    """A shape as a user reads it: 1×28×28."""
    return "×".join(str(v) for v in d)


class ClassificationTask(_SingleNetworkTask):
    """Softmax and cross-entropy over class scores."""

    name = "classification"
    head = "classification"
    metrics = ("loss", "accuracy")
    target_dtype = torch.int64

    def validate(self) -> None:
        if self.data.kind != "classification":
            raise EngineError(f"The dataset '{self.data.name}' holds numbers to predict, not classes: choose the "
                              f"regression task, or a classification dataset", field="task")
        net, out = self._output()
        shape = net.output_shapes[out]
        source = net.output_sources[out]
        if shape.rank != 1:
            raise EngineError(f"Output '{out}' receives {shape.describe()} but a classifier needs one score per "
                              f"class: insert a Flatten and a Dense with {self.data.classes} units before it",
                              node=out)
        if shape.dims[0] != self.data.classes:
            raise EngineError(f"Output '{out}' receives {shape.dims[0]} score(s) but the dataset has "
                              f"{self.data.classes} classes: give '{source}' (or the last Dense) "
                              f"{self.data.classes} units", node=source)
        # A Softmax right before the Output already gives probabilities: train on their log.
        self._probabilities = isinstance(dict(net.module.named_children()).get(source), nn.Softmax)

    def _log_probs(self, out: torch.Tensor) -> torch.Tensor:
        return torch.log(out.clamp_min(1e-12)) if self._probabilities else F.log_softmax(out, dim=-1)

    def batch_loss(self, x: torch.Tensor, y: torch.Tensor, count_correct: bool = True
                   ) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = adversarial_batch(self, x, y)  # adversarial training: part of the batch as FGSM examples
        out = self.model(x)
        loss = F.nll_loss(torch.log(out.clamp_min(1e-12)), y) if self._probabilities else F.cross_entropy(out, y)
        return loss, (out.detach().argmax(-1) == y).sum() if count_correct else None

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        def part(xb: torch.Tensor, yb: torch.Tensor) -> list[torch.Tensor]:
            logp = self._log_probs(self.model(xb))
            return [F.nll_loss(logp, yb, reduction="sum"), (logp.argmax(-1) == yb).sum().to(logp.dtype)]

        total_loss, correct = self._chunks(x, y, part)
        n = max(1, x.shape[0])
        return {"loss": total_loss / n, "accuracy": correct / n}

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self._log_probs(self.model(x)).exp()

    def per_sample(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        logp = self._log_probs(self.model(x))
        return F.nll_loss(logp, y, reduction="none"), logp.argmax(-1) == y


class RegressionTask(_SingleNetworkTask):
    """Mean squared error on predicted values."""

    name = "regression"
    head = "regression"
    metrics = ("loss",)

    def validate(self) -> None:
        if self.data.kind != "regression":
            raise EngineError(f"The dataset '{self.data.name}' holds classes, not numbers: choose the "
                              f"classification task, or a regression dataset", field="task")
        net, out = self._output()
        shape = net.output_shapes[out]
        if shape.dims != (self.data.target_width,):
            raise EngineError(f"Output '{out}' receives {shape.describe()} but the dataset has "
                              f"{self.data.target_width} value(s) per sample: give '{net.output_sources[out]}' "
                              f"{self.data.target_width} units", node=net.output_sources[out])

    def batch_loss(self, x: torch.Tensor, y: torch.Tensor, count_correct: bool = True
                   ) -> tuple[torch.Tensor, torch.Tensor | None]:
        return F.mse_loss(self.model(x), y), None

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        def part(xb: torch.Tensor, yb: torch.Tensor) -> list[torch.Tensor]:
            return [F.mse_loss(self.model(xb), yb, reduction="sum") / yb.shape[-1]]

        (total,) = self._chunks(x, y, part)
        return {"loss": total / max(1, x.shape[0])}

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.model(x)
        return out

    def per_sample(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        return F.mse_loss(self.model(x), y, reduction="none").mean(dim=-1), None


TASK_CLASSES: dict[str, type[Task]] = {"classification": ClassificationTask, "regression": RegressionTask}


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator for the task families defined in their own modules (imported by engine/__init__)."""
    TASK_CLASSES[cls.name] = cls
    return cls


def task_probe_kinds() -> set[str]:
    return {k for cls in TASK_CLASSES.values() for k in cls.probe_kinds}


def make_task(lab: Lab, networks: dict[str, CompiledNetwork], data: DataBundle) -> Task:
    cls = TASK_CLASSES.get(lab.task)
    if cls is None:
        raise EngineError(f"Training the '{lab.task}' task is not available yet in this version "
                          f"(available: {', '.join(TASK_CLASSES)})", field="task")
    return cls(lab, networks, data)
