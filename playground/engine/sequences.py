"""Recurrent networks on sequences: forecasting a sum of sines (many to many), classifying waves by their shape
(many to one) and character-level text (one character in, the next one out, sampled one at a time).

The task decides which from the dataset's kind ("forecast", "classification", "text"). Many-to-many losses count
every step, so a network that returns every step's output learns from each of them. Probes show what the network
does over time: its forecast (teacher-forced and free-running), its hidden state, its gates (recomputed from the
layer's weights) and text it writes at the settings' temperature.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx, nn

from playground.compile import CompiledNetwork
from playground.compile.modules import Recurrent
from playground.data import sequences as seqdata
from playground.data import text as textdata
from playground.graph import DatasetSettings, Lab
from playground.snapshots import Forecast, Gates, GeneratedText, Record, SequenceStates

from .datasets import DataBundle, register_loader
from .errors import EngineError
from .tasks import EVAL_CHUNK, Task, register_task

SINE_STEPS, WAVE_STEPS, TEXT_STEPS = 40, 40, 64
RECURRENT_KINDS = ("RNN", "GRU", "LSTM")
GATE_NAMES = {"GRU": ("reset", "update"), "LSTM": ("input", "forget", "output")}
SAMPLE_LENGTH = 240  # characters written per text sample
PROMPT_LENGTH = 40
SAMPLE_EVERY = 1.5  # seconds between new text samples while training (each costs SAMPLE_LENGTH small passes)
FORECAST_EVERY = 0.25  # the same for the forecast (about a hundred small passes)
FORECAST_SEED = 90_001  # the forecast view's test series: the same one all run long


# Data sets ---------------------------------------------------------------------------------------------------


def _steps(settings: DatasetSettings, default: int) -> int:
    steps = settings.options.get("steps", default)
    if not isinstance(steps, int) or isinstance(steps, bool) or not 2 <= steps <= 2000:
        raise EngineError(f"dataset option steps must be a whole number from 2 to 2000. Received: steps={steps!r}",
                          field="options")
    return steps


def _sine(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
    x, y = seqdata.sine_forecasting(settings.samples, _steps(settings, SINE_STEPS), settings.noise, seed)
    s = seqdata.split_sequences(x, y, settings.train_ratio)
    return DataBundle(name=settings.name, kind="forecast", x_train=s.x_train, y_train=s.y_train, x_test=s.x_test,
                      y_test=s.y_test, features=[])


def _waves(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
    x, y = seqdata.waves(settings.samples, _steps(settings, WAVE_STEPS), settings.noise, seed)
    s = seqdata.split_sequences(x, y, settings.train_ratio)
    return DataBundle(name=settings.name, kind="classification", x_train=s.x_train, y_train=s.y_train,
                      x_test=s.x_test, y_test=s.y_test, classes=len(seqdata.WAVE_SHAPES),
                      class_names=list(seqdata.WAVE_SHAPES), features=[])


@functools.lru_cache(maxsize=4)
def _corpus(name: str) -> str:
    return textdata.load_corpus(textdata.CORPORA[name][0])


def _text(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
    steps = _steps(settings, TEXT_STEPS)
    stride = settings.options.get("stride", steps // 2)
    if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
        raise EngineError(f"dataset option stride must be a whole number of at least 1. Received: stride={stride!r}",
                          field="options")
    s = textdata.text_splits(_corpus(settings.name), steps, settings.train_ratio, stride)
    # The classes of a text set are its characters: the network predicts which one comes next.
    return DataBundle(name=settings.name, kind="text", x_train=s.x_train, y_train=s.y_train, x_test=s.x_test,
                      y_test=s.y_test, classes=len(s.vocabulary), class_names=list(s.vocabulary.chars),
                      features=[])


register_loader("sine", _sine)
register_loader("waves", _waves)
for _name in textdata.CORPORA:
    register_loader(_name, _text)


# Running a network one step at a time ------------------------------------------------------------------------


class _Stateful(fx.Interpreter):
    """Runs a compiled network while carrying each recurrent layer's state from one call to the next, so a
    forecast or a text can grow one step at a time instead of rerunning the whole sequence."""

    def __init__(self, module: fx.GraphModule, states: dict[str, Any]) -> None:
        super().__init__(module)
        self.states = states

    def call_module(self, target: Any, args: Any, kwargs: Any) -> Any:
        sub = self.fetch_attr(target)
        if isinstance(sub, Recurrent):
            out, state = sub.rnn(args[0], self.states.get(target))
            self.states[target] = state
            return out[:, -1] if sub.last_only else out
        return super().call_module(target, args, kwargs)


def gate_activations(layer: Recurrent, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The gates of the first (forward) layer of a GRU or LSTM over one batch of sequences ``x`` (B, T, F),
    recomputed from its weights as PyTorch defines them; also its hidden state "h" (and cell "cell" for an LSTM).

    GRU: r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(...), n = tanh(W_in x + b_in + r·(W_hn h + b_hn)),
    h' = (1 − z)·n + z·h: here z is the share of the old state kept. LSTM: i, f, o = σ(...), g = tanh(...),
    c' = f·c + i·g, h' = o·tanh(c').
    """
    rnn = layer.rnn
    w_ih, w_hh = rnn.weight_ih_l0, rnn.weight_hh_l0
    b_ih = getattr(rnn, "bias_ih_l0", None)
    b_hh = getattr(rnn, "bias_hh_l0", None)
    hidden = rnn.hidden_size
    batch, steps = x.shape[0], x.shape[1]
    gi = F.linear(x, w_ih, b_ih)  # every step's input part at once
    h = x.new_zeros(batch, hidden)
    c = x.new_zeros(batch, hidden)
    names = GATE_NAMES.get(layer.cell, ())
    out: dict[str, list[torch.Tensor]] = {n: [] for n in names + ("h",)}
    if layer.cell == "LSTM":
        out["cell"] = []
    for t in range(steps):
        gh = F.linear(h, w_hh, b_hh)
        if layer.cell == "LSTM":
            i, f, g, o = (gi[:, t] + gh).chunk(4, dim=-1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            for name, v in (("input", i), ("forget", f), ("output", o), ("cell", c)):
                out[name].append(v)
        elif layer.cell == "GRU":
            ir, iz, inn = gi[:, t].chunk(3, dim=-1)
            hr, hz, hn = gh.chunk(3, dim=-1)
            r = torch.sigmoid(ir + hr)
            z = torch.sigmoid(iz + hz)
            n = torch.tanh(inn + r * hn)
            h = (1 - z) * n + z * h
            out["reset"].append(r)
            out["update"].append(z)
        else:
            act = torch.relu if getattr(rnn, "nonlinearity", "tanh") == "relu" else torch.tanh
            h = act(gi[:, t] + gh)
        out["h"].append(h)
    return {k: torch.stack(v, dim=1) for k, v in out.items()}


# The task ----------------------------------------------------------------------------------------------------


@register_task
class SequenceTask(Task):
    """Recurrent networks on the sequence data sets; what to learn follows from the dataset's kind."""

    name = "sequence"
    probe_kinds = ("forecast", "hidden_states", "gates", "text_sample")

    def __init__(self, lab: Lab, networks: dict[str, CompiledNetwork], data: DataBundle) -> None:
        self._cache: dict[str, tuple[tuple[float, float], float, float, Record]] = {}
        self.step_hint = 0  # bumped at each text sample so samples differ over time
        super().__init__(lab, networks, data)

    # Checking the lab -----------------------------------------------------------------------------------------

    def validate(self) -> None:
        modes = {"forecast": "forecast", "classification": "classify", "text": "text"}
        if self.data.kind not in modes or (self.data.kind == "classification" and self.data.x_train.ndim != 3):
            raise EngineError(f"The sequence task learns from sequences, but the dataset '{self.data.name}' is not "
                              f"one: choose sine (forecasting), waves (classification) or austen (text)",
                              field="dataset")
        self.mode = modes[self.data.kind]
        if len(self.networks) != 1:
            raise EngineError(f"A sequence lab trains one network, but this lab has {len(self.networks)}: remove the "
                              f"others", field="task")
        net = next(iter(self.networks.values()))
        self.net = net
        graph = self.lab.network(net.name).graph if any(n.name == net.name for n in self.lab.networks) \
            else self.lab.networks[0].graph
        self.kinds = {n.name: n.kind for n in graph.nodes.values()}
        self.params = {n.name: dict(n.params) for n in graph.nodes.values()}
        order = [str(n.target) for n in net.module.graph.nodes if n.op == "call_module"]
        self.recurrent = [n for n in order if self.kinds.get(n) in RECURRENT_KINDS]
        if len(net.inputs) != 1:
            raise EngineError(f"A sequence network needs exactly one Input; '{net.name}' has {len(net.inputs)}",
                              node=net.inputs[-1] if net.inputs else None)
        if len(net.outputs) != 1:
            raise EngineError(f"A sequence network needs exactly one Output; '{net.name}' has {len(net.outputs)}",
                              node=net.outputs[-1] if net.outputs else None)
        self._check_input(net.inputs[0], net)
        self._check_output(net.outputs[0], net)
        self.metrics = ("loss",) if self.mode == "forecast" else ("loss", "accuracy")
        self.target_dtype = torch.float32 if self.mode == "forecast" else torch.int64
        self.baseline = seqdata.last_value_mse(self.data.x_test, self.data.y_test) \
            if self.mode == "forecast" and len(self.data.x_test) else float("nan")
        self.vocabulary = textdata.Vocabulary(tuple(self.data.class_names)) if self.mode == "text" else None

    def _check_input(self, inp: str, net: CompiledNetwork) -> None:
        shape = net.input_shapes[inp]
        have = self.data.input_shape
        self._one_hot = 0
        if self.mode == "text":
            steps, vocab = have[0], self.data.classes
            if shape.is_tokens:
                if shape.dims != (steps,):
                    raise EngineError(f"Input '{inp}' reads {shape.describe()} but the text comes in windows of "
                                      f"{steps} characters: set its steps to {steps}", node=inp, field="steps")
                for name, kind in self.kinds.items():
                    if kind == "Embedding" and self.params[name].get("vocabulary", 0) < vocab:
                        raise EngineError(f"Embedding '{name}' has a vocabulary of {self.params[name]['vocabulary']}"
                                          f" but the text has {vocab} different characters: set its vocabulary to "
                                          f"{vocab}", node=name, field="vocabulary")
            elif shape.is_sequence and shape.dims == (steps, vocab):
                self._one_hot = vocab  # each character arrives as a one-hot vector
            else:
                raise EngineError(f"Input '{inp}' expects {shape.describe()}, but the text gives windows of {steps} "
                                  f"character ids: set its kind to 'tokens' with {steps} steps and add an Embedding "
                                  f"(or kind 'sequence', {steps} steps of {vocab} features, one-hot)",
                                  node=inp, field="kind")
            self.input_shape = have
            return
        if shape.is_tokens or shape.dims != have:
            steps, features = have
            raise EngineError(f"Input '{inp}' expects {shape.describe()} but the dataset '{self.data.name}' gives "
                              f"sequences of {steps} steps with {features} feature(s): set its kind to 'sequence', "
                              f"steps to {steps} and features to {features}", node=inp,
                              field="kind" if shape.is_tokens or shape.rank != 2 else
                              ("steps" if shape.dims[0] != steps else "features"))
        self.input_shape = have

    def _last_only_layer(self) -> str | None:
        for name in reversed(self.recurrent):
            if self.params[name].get("output") == "last":
                return name
        return None

    def _check_output(self, out: str, net: CompiledNetwork) -> None:
        head = net.heads[out]
        want_head = "regression" if self.mode == "forecast" else "classification"
        if head != want_head:
            raise EngineError(f"Output '{out}' has head '{head}', but this lab {self._purpose()}: set its head to "
                              f"'{want_head}'", node=out, field="head")
        shape = net.output_shapes[out]
        source = net.output_sources[out]
        steps = self.data.input_shape[0]
        width = self.data.y_train.shape[-1] if self.mode == "forecast" else self.data.classes
        self._last_step = False
        self._probabilities = isinstance(dict(net.module.named_children()).get(source), nn.Softmax)
        if self.mode == "classify":
            if shape.rank == 2:
                self._last_step = True  # many to many by design: the class is read at the last step
            elif shape.rank != 1:
                raise EngineError(f"Output '{out}' receives {shape.describe()} but a classifier needs one score per "
                                  f"class", node=out)
        elif shape.rank != 2:
            layer = self._last_only_layer()
            what = "a prediction at every step (many to many)"
            if layer is not None:
                raise EngineError(f"Output '{out}' receives {shape.describe()}, but this lab needs {what}: set the "
                                  f"output of '{layer}' to 'sequence'", node=layer, field="output")
            raise EngineError(f"Output '{out}' receives {shape.describe()}, but this lab needs {what}: keep the "
                              f"sequence (steps×features) up to the Output", node=out)
        elif shape.dims[0] != steps:
            raise EngineError(f"Output '{out}' receives {shape.dims[0]} steps but the targets have {steps}",
                              node=out)
        if shape.dims[-1] != width:
            what = "value(s) per step" if self.mode == "forecast" else (
                "characters" if self.mode == "text" else "classes")
            raise EngineError(f"Output '{out}' receives {shape.dims[-1]} value(s) per step but the dataset has "
                              f"{width} {what}: give '{source}' (or the last Dense) {width} units", node=source,
                              field="units")

    def _purpose(self) -> str:
        return {"forecast": "forecasts numbers", "classify": "classifies sequences",
                "text": "predicts the next character"}[self.mode]

    # Training -------------------------------------------------------------------------------------------------

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._one_hot:
            x = F.one_hot(x, self._one_hot).float()
        out: torch.Tensor = self.model(x)
        return out[:, -1] if self._last_step else out

    def _log_probs(self, out: torch.Tensor) -> torch.Tensor:
        return torch.log(out.clamp_min(1e-12)) if self._probabilities else F.log_softmax(out, dim=-1)

    def batch_loss(self, x: torch.Tensor, y: torch.Tensor, count_correct: bool = True
                   ) -> tuple[torch.Tensor, torch.Tensor | None]:
        out = self.forward(x)
        if self.mode == "forecast":
            return F.mse_loss(out, y), None
        logp = self._log_probs(out)
        loss = F.nll_loss(logp.reshape(-1, logp.shape[-1]), y.reshape(-1))
        if not count_correct:
            return loss, None
        right = (logp.detach().argmax(-1) == y)
        # Per sample: the fraction of its characters predicted right, so the trainer's mean over samples is the
        # accuracy per character.
        return loss, right.float().mean(dim=1).sum() if right.dim() == 2 else right.sum()

    def per_sample(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        out = self.forward(x)
        if self.mode == "forecast":
            return F.mse_loss(out, y, reduction="none").flatten(1).mean(dim=1), None
        logp = self._log_probs(out)
        if self.mode == "text":
            nll = -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1)
            return nll.mean(dim=1), (logp.argmax(-1) == y).float().mean(dim=1)
        return F.nll_loss(logp, y, reduction="none"), logp.argmax(-1) == y

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        model = self.model
        was = model.training
        model.eval()
        sums: list[torch.Tensor] = []
        try:
            with torch.inference_mode():
                for start in range(0, x.shape[0], EVAL_CHUNK):
                    losses, right = self.per_sample(x[start:start + EVAL_CHUNK], y[start:start + EVAL_CHUNK])
                    parts = [losses.sum()] + ([] if right is None else [right.to(losses.dtype).sum()])
                    sums = parts if not sums else [a + b for a, b in zip(sums, parts)]
        finally:
            model.train(was)
        n = max(1, x.shape[0])
        values = torch.stack(sums).tolist() if sums else [float("nan")]
        out = {"loss": values[0] / n}
        if self.mode != "forecast":
            out["accuracy"] = values[1] / n if len(values) > 1 else float("nan")
        return out

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        out = self.forward(x)
        return out if self.mode == "forecast" else self._log_probs(out).exp()

    # Probes ---------------------------------------------------------------------------------------------------

    def compute_probes(self, names: set[str]) -> list[Record]:
        kinds = {n.split(":", 1)[0] for n in names}
        out: list[Record] = []
        if "forecast" in kinds and self.mode == "forecast":
            out.append(self._throttled("forecast", FORECAST_EVERY, self.forecast))
        if "hidden_states" in kinds or "gates" in kinds:
            out.extend(self.inner_states("hidden_states" in kinds, "gates" in kinds))
        if "text_sample" in kinds and self.mode == "text":
            out.append(self._throttled("text_sample", SAMPLE_EVERY, self.text_sample))
        return out

    def _weights_version(self) -> float:
        # A fingerprint of the weights (fused optimizers change them without bumping tensors' version counters).
        params = [p.detach().float().sum() for p in self.model.parameters()]
        return float(torch.stack(params).sum()) if params else 0.0

    def _throttled(self, name: str, every: float, make: Callable[[], Record]) -> Record:
        """A probe that costs many small passes, recomputed only when the weights or the settings changed, and
        while the run trains on at most every ``every`` seconds and after five times its own cost (snapshots come
        about 30 times a second); when the run pauses or stops, always."""
        key = (self._weights_version(), float(self.settings.temperature))
        now = time.perf_counter()
        cached = self._cache.get(name)
        if cached is not None:
            old_key, when, cost, result = cached
            # At most a sixth of the time goes to this probe, so a stale answer is at most a few steps old.
            if old_key == key or (self.training_live and old_key[1] == key[1] and now - when < min(every, 5 * cost)):
                return result
        result = make()
        done = time.perf_counter()
        self._cache[name] = (key, done, done - now, result)
        return result

    def _device(self) -> torch.device:
        return next(self.model.parameters(), torch.zeros(())).device

    def _stateful_ok(self) -> bool:
        # A backward-reading layer sees the future, so it cannot run step by step: rerun the whole sequence.
        return not any(self.params[n].get("bidirectional") for n in self.recurrent)

    @torch.no_grad()
    def forecast(self, warmup: int | None = None, horizon: int | None = None) -> Forecast:
        """A fresh test series: the truth, the network's one-step predictions from the true past (teacher forced)
        and, from ``warmup`` on, a free-running continuation that feeds each prediction back as the next input."""
        steps = self.data.input_shape[0]
        warmup = steps if warmup is None else warmup
        horizon = 2 * steps if horizon is None else horizon
        length = warmup + horizon
        settings = self.lab.dataset
        series = seqdata.sum_of_sines(1, length, FORECAST_SEED + self.lab.seed, settings.noise)[0]
        dev = self._device()
        x = torch.as_tensor(series, device=dev).reshape(1, length, 1)
        one_step = self.forward(x[:, :-1]).reshape(-1).float().cpu().numpy()
        free = np.full(length, np.nan, np.float32)
        if self._stateful_ok():
            states: dict[str, Any] = {}
            runner = _Stateful(self.net.module, states)
            out = runner.run(x[:, :warmup])
            nxt = out[:, -1:]
            values = []
            for _ in range(horizon):
                values.append(nxt)
                nxt = runner.run(nxt)[:, -1:]
            free[warmup:] = torch.cat(values, dim=1).reshape(-1).float().cpu().numpy()
        else:
            seq = x[:, :warmup]
            for t in range(horizon):
                nxt = self.model(seq)[:, -1:]
                free[warmup + t] = float(nxt.reshape(-1)[0])
                seq = torch.cat([seq, nxt], dim=1)
        pred = np.full(length, np.nan, np.float32)
        pred[1:] = one_step
        truth = series.astype(np.float32)
        free_mse = float(np.mean((free[warmup:] - truth[warmup:]) ** 2)) if horizon else float("nan")
        return Forecast(truth=truth, one_step=pred, free=free, start=int(warmup),
                        one_step_error=float(np.float32(np.nanmean((pred[1:] - truth[1:]) ** 2))),
                        free_error=float(np.float32(free_mse)), baseline_error=float(np.float32(self.baseline)))

    def _probe_input(self) -> torch.Tensor:
        x = self.data.x_test if len(self.data.x_test) else self.data.x_train
        return torch.as_tensor(x[:1], device=self._device())

    @torch.no_grad()
    def inner_states(self, hidden: bool = True, gates: bool = True) -> list[Record]:
        """Over one test sequence: every recurrent layer's output at each step (steps × units) and, for GRU and
        LSTM, their first layer's gates."""
        if not self.recurrent:
            return []
        x = self._probe_input()
        inputs: dict[str, torch.Tensor] = {}
        outputs: dict[str, torch.Tensor] = {}
        handles = []
        for name in self.recurrent:
            sub = self.model.get_submodule(name)
            assert isinstance(sub, Recurrent)

            def pre(_m: nn.Module, args: Any, key: str = name) -> None:
                inputs[key] = args[0].detach()

            def post(_m: nn.Module, _args: Any, result: Any, key: str = name) -> None:
                outputs[key] = (result[0] if isinstance(result, tuple) else result).detach()

            handles.append(sub.register_forward_pre_hook(pre))
            handles.append(sub.rnn.register_forward_hook(post))
        try:
            predicted = self.forward(x)
        finally:
            for h in handles:
                h.remove()
        sample = x[0]
        if self.mode == "text":
            assert self.vocabulary is not None
            shown = self.vocabulary.code_points()[sample.cpu().numpy()]
        else:
            shown = sample[:, 0].float().cpu().numpy().copy()
        label, probabilities = None, None
        if self.mode == "classify":
            label = int((self.data.y_test if len(self.data.y_test) else self.data.y_train).reshape(-1)[0])
            probabilities = self._log_probs(predicted).exp()[0].float().cpu().numpy()
        states: dict[str, np.ndarray] = {}
        gate_values: dict[str, dict[str, np.ndarray]] = {}
        for name in self.recurrent:
            if hidden and name in outputs:
                states[name] = outputs[name][0].float().cpu().numpy().copy()
            layer = self.model.get_submodule(name)
            assert isinstance(layer, Recurrent)
            if gates and layer.cell in GATE_NAMES and name in inputs:
                found = gate_activations(layer, inputs[name].float())
                gate_values[name] = {gate: found[gate][0].cpu().numpy().copy() for gate in GATE_NAMES[layer.cell]}
        out: list[Record] = []
        if hidden:
            out.append(SequenceStates(states, shown, text=self.mode == "text", label=label,
                                      probabilities=probabilities))
        if gates:
            out.append(Gates(gate_values))
        return out

    @torch.no_grad()
    def text_sample(self, length: int = SAMPLE_LENGTH, seed: int | None = None) -> GeneratedText:
        """Text the network writes: a prompt from the held-out text, then ``length`` characters sampled one at a
        time at the settings' temperature (low: nearly always the likeliest)."""
        assert self.vocabulary is not None
        temperature = float(self.settings.temperature)
        self.step_hint += 1
        dev = self._device()
        test = self.data.x_test if len(self.data.x_test) else self.data.x_train
        flat = test.reshape(-1)
        text = self.vocabulary.decode(flat[: 4 * PROMPT_LENGTH])
        # Start the prompt at the beginning of a sentence or line, when there is one near the start.
        start = 0
        for mark in ("\n", ". "):
            i = text.find(mark)
            if 0 <= i < 2 * PROMPT_LENGTH:
                start = i + len(mark)
                break
        prompt_ids = flat[start:start + PROMPT_LENGTH]
        generator = torch.Generator(device="cpu")
        generator.manual_seed(int(self.lab.seed * 1_000_003 + (self.step_hint if seed is None else seed)))
        ids = torch.as_tensor(prompt_ids, device=dev).reshape(1, -1)
        generated: list[int] = []
        if self._stateful_ok():
            runner = _Stateful(self.net.module, {})

            def step(inp: torch.Tensor) -> torch.Tensor:
                if self._one_hot:
                    inp = F.one_hot(inp, self._one_hot).float()
                scores: torch.Tensor = runner.run(inp)
                return scores[:, -1]

            scores = step(ids)
            for _ in range(length):
                nxt = self._choose(scores, temperature, generator)
                generated.append(nxt)
                scores = step(torch.tensor([[nxt]], device=dev))
        else:
            seq = ids
            for _ in range(length):
                nxt = self._choose(self.forward(seq)[:, -1], temperature, generator)
                generated.append(nxt)
                seq = torch.cat([seq, torch.tensor([[nxt]], device=dev)], dim=1)
        codes = self.vocabulary.code_points()
        return GeneratedText(
            codes=np.concatenate([codes[np.asarray(prompt_ids)], codes[np.asarray(generated, np.int64)]]),
            prompt_length=len(prompt_ids), temperature=float(np.float32(temperature)))

    def _choose(self, scores: torch.Tensor, temperature: float, generator: torch.Generator) -> int:
        logp = self._log_probs(scores.reshape(-1).float())
        if temperature <= 1e-6:
            return int(logp.argmax())
        probs = torch.softmax(logp / temperature, dim=-1).cpu()
        return int(torch.multinomial(probs, 1, generator=generator))


__all__ = ["SequenceTask", "gate_activations"]
