"""Throughput of the engine against a bare PyTorch loop on the same model, data and device.

Both loops index device tensors with a fresh permutation per epoch and run the same optimizer; the engine also
does what the app needs (snapshots about 30 times a second, per-epoch test evaluation, divergence checks and,
for 2-D data, the decision-boundary probe). Runs alternate so machine noise hits both alike; ratios compare
medians measured in one run.
"""

from __future__ import annotations

import queue
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from playground.compile import compile_network
from playground.graph import DatasetSettings, Lab, TrainingSettings
from playground.graph.templates import lenet, sequential, spiral

from .commands import SetProbes
from .datasets import DataBundle, load_dataset
from .device import resolve_device
from .threads import configure_cpu_threads
from .trainer import Trainer, make_optimizer


@dataclass
class BenchResult:
    name: str
    bare_samples_per_s: float
    engine_samples_per_s: float
    engine_epochs_per_s: float
    goal: float
    ratios: tuple[float, ...] = ()
    probes: tuple[str, ...] = ()

    @property
    def ratio(self) -> float:
        """Median of the per-round ratios: each round's engine run against the bare run just before it, so a
        slow patch of the machine hits both sides of a ratio alike."""
        if self.ratios:
            return statistics.median(self.ratios)
        return self.engine_samples_per_s / self.bare_samples_per_s


def _bare_loop(lab: Lab, data: DataBundle, device: torch.device, epochs: int) -> float:
    """Samples per second of the plainest correct training loop for this lab (the same model, optimizer and
    input shape as the engine's)."""
    torch.manual_seed(lab.seed)
    net = compile_network(lab.networks[0].graph)
    model = net.module.to(device)
    opt = make_optimizer(lab.training, model.parameters())
    shape = net.input_shapes[net.inputs[0]].dims
    x = torch.as_tensor(data.x_train, device=device).reshape(len(data.x_train), *shape)
    y = torch.as_tensor(data.y_train, device=device, dtype=torch.int64)
    n, bs = x.shape[0], lab.training.batch_size
    gen = torch.Generator(device=device if device.type == "cuda" else "cpu").manual_seed(lab.seed)
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen, device=gen.device).to(device)
        for start in range(0, n, bs):
            idx = perm[start:start + bs]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    _sync(device)
    return n * epochs / (time.perf_counter() - t0)


def _engine_loop(lab: Lab, data: DataBundle, device: torch.device, epochs: int, probes: tuple[str, ...],
                 trainer: Trainer | None = None) -> tuple[float, float]:
    """Samples and epochs per second of the engine as the app runs it: snapshots about 30 times a second with
    the given probes. With ``trainer``, that one trains ``epochs`` more epochs (a built fast path stays)."""
    if trainer is None:
        trainer = Trainer(lab, device=device.type, data=data, probes=probes, fast_path=False)
        trainer._epoch_limit = epochs
    else:
        trainer._epoch_limit = trainer.epoch + epochs
        trainer._state = "ready"
    _sync(device)
    t0 = time.perf_counter()
    for snap in trainer.run(interval=1 / 30):
        _ = snap.probes  # views would read these
    _sync(device)
    seconds = time.perf_counter() - t0
    return data.x_train.shape[0] * epochs / seconds, epochs / seconds


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def mnist_mlp_lab(batch_size: int = 64) -> Lab:
    lab = Lab(name="MNIST-sized MLP", task="classification")
    lab.training = lab.training.updated(optimizer="adam", learning_rate=0.001, batch_size=batch_size)
    lab.add_network("model", "model", sequential([
        ("Input", {"kind": "vector", "features": 784}), ("Dense", {"units": 512}), ("ReLU", {}),
        ("Dense", {"units": 10}), ("Output", {"head": "classification"})]))
    return lab


def random_mnist_data(samples: int, seed: int = 0) -> DataBundle:
    rng = np.random.default_rng(seed)
    test = max(1, samples // 16)
    return DataBundle(
        name="random 784", kind="classification",
        x_train=rng.random((samples, 784), dtype=np.float32), y_train=rng.integers(0, 10, samples),
        x_test=rng.random((test, 784), dtype=np.float32), y_test=rng.integers(0, 10, test), classes=10,
    )


# The image views of a classifier (confusion matrix, feature maps of the drawn or chosen sample, filters).
IMAGE_VIEW_PROBES = ("confusion", "feature_maps", "filters")


def lenet_data(samples: int, seed: int = 1) -> DataBundle:
    """The built-in 28×28 digits: the first ``samples`` of the training split and a test split in the set's own
    proportion (1 to 7), so the per-epoch test pass weighs what it weighs in the app."""
    lab = lenet()
    full = load_dataset(lab.dataset, seed)
    test = max(1, samples * len(full.x_test) // len(full.x_train))
    return DataBundle(name=full.name, kind=full.kind, x_train=full.x_train[:samples], y_train=full.y_train[:samples],
                      x_test=full.x_test[:test], y_test=full.y_test[:test], classes=full.classes,
                      class_names=full.class_names)


def run_benchmarks(device_name: str = "auto", rounds: int = 5, quick: bool = False) -> tuple[str, list[BenchResult]]:
    """The larger networks (MLP, LeNet) and the spiral with its boundary live, each against the bare loop; the
    engine's ordinary loop (the fast path is measured by :func:`run_fast_path_benchmark`)."""
    device = resolve_device(device_name)
    results: list[BenchResult] = []

    mlp = mnist_mlp_lab()
    mlp_data = random_mnist_data(2048 if quick else 8192)
    mlp_epochs = 1 if quick else 4
    results.append(_compare("MLP 784-512-10 (random data, batch 64)", mlp, mlp_data, device, mlp_epochs, (), rounds,
                            0.95))
    results.append(_compare("MLP 784-512-10, gradient and confusion views open", mlp, mlp_data, device, mlp_epochs,
                            ("gradients", "confusion"), rounds, 0.9))

    ln = lenet()
    ln_data = lenet_data(512 if quick else 2048)
    ln_epochs = 1 if quick else 2
    results.append(_compare("LeNet (digits, batch 64)", ln, ln_data, device, ln_epochs, (), rounds, 0.95))
    results.append(_compare("LeNet, image views open (confusion, feature maps, filters)", ln, ln_data, device,
                            ln_epochs, IMAGE_VIEW_PROBES, rounds, 0.9))

    sp = spiral()
    sp.training = sp.training.updated(batch_size=10)
    sp_data = load_dataset(sp.dataset, sp.seed)
    results.append(_compare("Spiral 2-16-16-16-2 tanh (batch 10, boundary 100×100 live)", sp, sp_data, device,
                            30 if quick else 150, ("boundary",), rounds, 0.8))
    return str(device), results


def _compare(name: str, lab: Lab, data: DataBundle, device: torch.device, epochs: int, probes: tuple[str, ...],
             rounds: int, goal: float) -> BenchResult:
    model = compile_network(lab.networks[0].graph).module
    configure_cpu_threads(sum(p.numel() for p in model.parameters()), device)  # the same policy for both loops
    _bare_loop(lab, data, device, 1)  # warm up allocators and kernels
    _engine_loop(lab, data, device, 1, probes)
    bare, engine, eps = [], [], []
    for _ in range(rounds):
        bare.append(_bare_loop(lab, data, device, epochs))
        s, e = _engine_loop(lab, data, device, epochs, probes)
        engine.append(s)
        eps.append(e)
    ratios = tuple(e / b for e, b in zip(engine, bare))
    return BenchResult(name, statistics.median(bare), statistics.median(engine), statistics.median(eps), goal,
                       ratios, probes)


# TensorFlow Playground's own engine (its nn.ts under Node) on this network and data: epochs per second, measured
# on the 2-core CI machine (issue 19). Kept as a reference, not re-measured here (it needs Node).
TF_PLAYGROUND_EPOCHS_PER_S = 1030.0


def tf_playground_spiral_lab() -> Lab:
    """TensorFlow Playground's spiral setup: 2-8-8-8 tanh, SGD 0.03, batch 10, half of 500 points to train on
    (two softmax outputs here where it has one tanh output)."""
    lab = Lab(name="Spiral (TF Playground setup)", task="classification",
              dataset=DatasetSettings("spiral", noise=0.0, train_ratio=0.5),
              training=TrainingSettings(optimizer="sgd", learning_rate=0.03, batch_size=10, epochs=1000))
    lab.add_network("model", "model", sequential([
        ("Input", {"kind": "vector", "features": 2}), ("Dense", {"units": 8}), ("Tanh", {}), ("Dense", {"units": 8}),
        ("Tanh", {}), ("Dense", {"units": 8}), ("Tanh", {}), ("Dense", {"units": 2}),
        ("Output", {"head": "classification"})]))
    return lab


@dataclass
class FastPathResult:
    """Pure training (no probes) of the spiral net: epochs per second of the bare loop, of the engine's ordinary
    loop and of the engine with its compiled fast path, in alternating rounds."""

    bare_epochs_per_s: float
    ordinary_epochs_per_s: float
    fast_epochs_per_s: float | None  # None: no fast path here (see ``reason``)
    ordinary_ratios: tuple[float, ...]
    fast_ratios: tuple[float, ...]
    build_seconds: float | None
    reason: str
    # The fast path with the decision-boundary view open (a 100×100 grid probe with every snapshot).
    boundary_epochs_per_s: float | None = None
    boundary_ratios: tuple[float, ...] = ()

    @property
    def ordinary_ratio(self) -> float:
        return statistics.median(self.ordinary_ratios)

    @property
    def fast_ratio(self) -> float | None:
        return statistics.median(self.fast_ratios) if self.fast_ratios else None


def run_fast_path_benchmark(device_name: str = "auto", rounds: int = 5, quick: bool = False,
                            build_timeout: float = 1200.0) -> FastPathResult:
    """The spiral net of TF Playground's setup with the fast path off and on, against the bare loop."""
    device = resolve_device(device_name)
    lab = tf_playground_spiral_lab()
    data = load_dataset(lab.dataset, lab.seed)
    configure_cpu_threads(1, device)
    ordinary = Trainer(lab, device=device.type, data=data, fast_path=False)
    fast = Trainer(lab, device=device.type, data=data, fast_path=True)
    t0 = time.perf_counter()
    fast.train(1)  # the first epoch (eager) creates the optimizer's state; the program is built meanwhile
    fast.fast_path.program(fast, True)
    ready = fast.fast_path.wait(build_timeout)
    build = time.perf_counter() - t0 if ready else None
    epochs = 20 if quick else 100
    _bare_loop(lab, data, device, 2)
    _engine_loop(lab, data, device, 2, (), ordinary)
    if ready:
        _engine_loop(lab, data, device, 2, (), fast)
    bare, plain, compiled, boundary = [], [], [], []
    for _ in range(rounds):
        n = data.x_train.shape[0]
        bare.append(_bare_loop(lab, data, device, epochs) / n)
        plain.append(_engine_loop(lab, data, device, epochs, (), ordinary)[1])
        if ready:
            compiled.append(_engine_loop(lab, data, device, epochs * 8, (), fast)[1])
            fast.send(SetProbes(frozenset({"boundary"})))
            boundary.append(_engine_loop(lab, data, device, epochs * 4, (), fast)[1])
            fast.send(SetProbes(frozenset()))
    return FastPathResult(
        statistics.median(bare), statistics.median(plain), statistics.median(compiled) if compiled else None,
        tuple(p / b for p, b in zip(plain, bare)), tuple(c / b for c, b in zip(compiled, bare)), build,
        "" if ready else (fast.fast_path.reason or "the compiled program was not ready in time"),
        statistics.median(boundary) if boundary else None, tuple(c / b for c, b in zip(boundary, bare)))


def fast_path_table(r: FastPathResult, rounds: int) -> str:
    """The spiral rows of ``playground bench`` as a Markdown table."""
    lines = [(f"Pure training of TF Playground's spiral setup (2-8-8-8-2 tanh, SGD 0.03, batch 10, 250 training "
              f"points, no probes): epochs per second, medians of {rounds} alternating rounds; ratios against the "
              f"bare PyTorch loop (range in brackets)\n"),
             "| loop | epochs/s | against the bare loop | against TF Playground's engine (about 1,030/s) |",
             "| --- | ---: | ---: | ---: |",
             f"| bare PyTorch loop | {r.bare_epochs_per_s:,.0f} | 1.00 "
             f"| {r.bare_epochs_per_s / TF_PLAYGROUND_EPOCHS_PER_S:.2f} |",
             (f"| engine, fast path off | {r.ordinary_epochs_per_s:,.0f} | {r.ordinary_ratio:.2f}"
              f"{_spread(r.ordinary_ratios)} | {r.ordinary_epochs_per_s / TF_PLAYGROUND_EPOCHS_PER_S:.2f} |")]
    if r.fast_epochs_per_s is not None and r.fast_ratio is not None:
        lines.append(f"| engine, fast path on (torch.compile of whole epochs) | {r.fast_epochs_per_s:,.0f} | "
                     f"{r.fast_ratio:.2f}{_spread(r.fast_ratios)} | "
                     f"{r.fast_epochs_per_s / TF_PLAYGROUND_EPOCHS_PER_S:.2f} |")
        if r.boundary_epochs_per_s is not None:
            lines.append(f"| engine, fast path on, decision boundary 100×100 live (about 30 per s) | "
                         f"{r.boundary_epochs_per_s:,.0f} | {statistics.median(r.boundary_ratios):.2f}"
                         f"{_spread(r.boundary_ratios)} | "
                         f"{r.boundary_epochs_per_s / TF_PLAYGROUND_EPOCHS_PER_S:.2f} |")
        lines.append(f"\nFast path: ready {r.build_seconds:.1f} s after the run started (compiled in the background "
                     f"while the ordinary loop trained; inductor's cache: {_cache_folder()})")
    else:
        lines.append(f"| engine, fast path on | — | — | — |\n\nNo fast path here: {r.reason}")
    return "\n".join(lines)


def engine_table(device: str, results: list[BenchResult], rounds: int) -> str:
    lines = [(f"Engine against a bare PyTorch loop on {device}: {rounds} alternating rounds; throughputs are "
              f"medians, the ratio is the median of the per-round ratios (range in brackets)\n"),
             "| model | bare loop (samples/s) | engine (samples/s) | ratio | goal | engine epochs/s |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r.name} | {r.bare_samples_per_s:,.0f} | {r.engine_samples_per_s:,.0f} | "
                     f"{r.ratio:.2f}{_spread(r.ratios)} | ≥ {r.goal} | {r.engine_epochs_per_s:,.1f} |")
    return "\n".join(lines)


@dataclass
class WatchResult:
    """One workload trained with the time machine (moments) and the health badges on, and with both off, in
    alternating rounds: samples per second of each, and the per-round ratios on/off."""

    name: str
    off_samples_per_s: float
    on_samples_per_s: float
    ratios: tuple[float, ...]
    goal: float = 0.9

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def _watched(lab: Lab, data: DataBundle, device: torch.device, epochs: int, probes: tuple[str, ...],
             on: bool) -> float:
    trainer = Trainer(lab, device=device.type, data=data, probes=probes, fast_path=False, moments=on, health=on)
    return _engine_loop(lab, data, device, epochs, probes, trainer)[0]


def run_watch_benchmark(device_name: str = "auto", rounds: int = 5, quick: bool = False) -> list[WatchResult]:
    """The app's runs as the window trains them (snapshots about 30 times a second), with the time machine's
    moments and the health probe on against off: the spiral with its boundary live (small moments, kept in
    memory) and the MLP 784-512-10 with Adam (moments of about 5 MB, kept on disk)."""
    device = resolve_device(device_name)
    sp = spiral()
    sp.training = sp.training.updated(batch_size=10)
    mlp = mnist_mlp_lab()
    workloads = [
        ("Spiral 2-16-16-16-2 tanh (batch 10, boundary live)", sp, load_dataset(sp.dataset, sp.seed),
         20 if quick else 100, ("boundary",)),
        ("MLP 784-512-10, Adam (random data, batch 64)", mlp, random_mnist_data(2048 if quick else 8192),
         1 if quick else 3, ()),
    ]
    results = []
    for name, lab, data, epochs, probes in workloads:
        configure_cpu_threads(sum(p.numel() for p in compile_network(lab.networks[0].graph).module.parameters()),
                              device)
        _watched(lab, data, device, 1, probes, True)  # warm up
        off, on = [], []
        for _ in range(rounds):
            off.append(_watched(lab, data, device, epochs, probes, False))
            on.append(_watched(lab, data, device, epochs, probes, True))
        results.append(WatchResult(name, statistics.median(off), statistics.median(on),
                                   tuple(a / b for a, b in zip(on, off))))
    return results


def watch_table(results: list[WatchResult], rounds: int) -> str:
    lines = [(f"Time machine (up to 200 moments kept) and health badges (the health probe with every snapshot) "
              f"on, against both off: {rounds} alternating rounds, medians (range of the per-round ratios)\n"),
             "| workload | off (samples/s) | on (samples/s) | on / off | goal |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r.name} | {r.off_samples_per_s:,.0f} | {r.on_samples_per_s:,.0f} | "
                     f"{r.ratio:.2f}{_spread(r.ratios)} | ≥ {r.goal} |")
    return "\n".join(lines)


# As the landscape window does (app/presenters/landscape.py): the running weights every 3 s, a random slice on a
# grid sized so one refresh costs about 2 s, 7 to 25 points a side, computed on a thread beside the training.
LANDSCAPE_REFRESH_S = 3.0
LANDSCAPE_GRID_BUDGET_S = 2.0
LANDSCAPE_GRID_POINTS = (7, 25)


class _LandscapeWatch:
    """The landscape window's refresh loop without the window: on its own thread, every LANDSCAPE_REFRESH_S it asks
    the trainer for its state (a command answered between two steps, as the window's session does) and computes
    the loss on a random slice through those weights. ``refreshes`` counts the slices drawn."""

    def __init__(self, lab: Lab, trainer: Trainer) -> None:
        from .insight.landscape import LabLoss, random_directions

        self.trainer = trainer
        self.lab_loss = LabLoss(lab)
        self.directions = random_directions(self.lab_loss.problem, int(lab.seed))
        seconds = max(self.lab_loss.problem.seconds_per_point(), 1e-6)
        side = int((LANDSCAPE_GRID_BUDGET_S / seconds) ** 0.5)
        self.points = max(LANDSCAPE_GRID_POINTS[0], min(LANDSCAPE_GRID_POINTS[1], side)) | 1
        self.refreshes = 0
        self.busy_s = 0.0  # seconds spent reading the weights and computing slices
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="landscape-watch", daemon=True)

    def __enter__(self) -> _LandscapeWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        from .commands import TakeCheckpoint
        from .insight.landscape import random_slice

        while not self._stop.wait(LANDSCAPE_REFRESH_S):
            answer: queue.Queue[dict[str, Any]] = queue.Queue()
            self.trainer.send(TakeCheckpoint(answer.put))
            try:
                checkpoint = answer.get(timeout=LANDSCAPE_REFRESH_S)
            except queue.Empty:  # the run ended before it answered
                return
            started = time.perf_counter()
            self.lab_loss.load(checkpoint)
            random_slice(self.lab_loss.problem, points=self.points, directions=self.directions)
            self.busy_s += time.perf_counter() - started
            self.refreshes += 1


@dataclass
class LandscapeResult:
    """The spiral trained as the window does, with the loss landscape window open (recomputed as it does) and the
    health badges on, against both off, in alternating rounds."""

    name: str
    off_samples_per_s: float
    on_samples_per_s: float
    ratios: tuple[float, ...]
    refreshes: int
    points: int
    busy: float = 0.0  # the share of the "on" rounds' training time the landscape thread spent computing
    goal: float = 0.9

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def _landscape_round(lab: Lab, data: DataBundle, device: torch.device, epochs: int, probes: tuple[str, ...],
                     on: bool) -> tuple[float, int, int, float]:
    trainer = Trainer(lab, device=device.type, data=data, probes=probes, fast_path=False, health=on)
    if not on:
        return _engine_loop(lab, data, device, epochs, probes, trainer)[0], 0, 0, 0.0
    with _LandscapeWatch(lab, trainer) as watch:
        started = time.perf_counter()
        speed = _engine_loop(lab, data, device, epochs, probes, trainer)[0]
        seconds = time.perf_counter() - started
    return speed, watch.refreshes, watch.points, min(watch.busy_s, seconds) / seconds


def run_landscape_benchmark(device_name: str = "auto", rounds: int = 5, quick: bool = False) -> LandscapeResult:
    """Training speed with the landscape and the badges on against off: the spiral (batch 10, boundary live), long
    enough for several refreshes of the landscape."""
    device = resolve_device(device_name)
    lab = spiral()
    lab.training = lab.training.updated(batch_size=10)
    data = load_dataset(lab.dataset, lab.seed)
    epochs, probes = (20 if quick else 150), ("boundary",)
    configure_cpu_threads(sum(p.numel() for p in compile_network(lab.networks[0].graph).module.parameters()), device)
    _landscape_round(lab, data, device, 1, probes, True)  # warm up
    off, on, busy, refreshes, points = [], [], [], 0, 0
    for _ in range(rounds):
        off.append(_landscape_round(lab, data, device, epochs, probes, False)[0])
        speed, count, points, share = _landscape_round(lab, data, device, epochs, probes, True)
        on.append(speed)
        busy.append(share)
        refreshes += count
    return LandscapeResult("Spiral 2-16-16-16-2 tanh (batch 10, boundary live)", statistics.median(off),
                           statistics.median(on), tuple(a / b for a, b in zip(on, off, strict=True)), refreshes,
                           points, statistics.median(busy))


def landscape_table(r: LandscapeResult, rounds: int) -> str:
    return "\n".join([
        f"Loss landscape window open (a random slice recomputed every {LANDSCAPE_REFRESH_S:.0f} s from the running "
        f"weights, {r.points}×{r.points} grid, on a thread beside the training; {r.refreshes} slices in all, that "
        f"thread busy {r.busy:.0%} of the time) and health badges on, against both off: {rounds} alternating rounds, "
        "medians (range of the per-round ratios)\n",
        "| workload | off (samples/s) | on (samples/s) | on / off | goal |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| {r.name} | {r.off_samples_per_s:,.0f} | {r.on_samples_per_s:,.0f} | {r.ratio:.2f}{_spread(r.ratios)} | "
        f"≥ {r.goal} |"])


def _spread(ratios: tuple[float, ...]) -> str:
    return f" ({min(ratios):.2f}–{max(ratios):.2f})" if len(ratios) > 1 else ""


def _cache_folder() -> str:
    import os

    return os.environ.get("TORCHINDUCTOR_CACHE_DIR", "default")

