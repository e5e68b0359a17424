"""Throughput of the engine against a bare PyTorch loop on the same model, data and device.

Both loops index device tensors with a fresh permutation per epoch and run the same optimizer; the engine also
does what the app needs (snapshots about 30 times a second, per-epoch test evaluation, divergence checks and,
for 2-D data, the decision-boundary probe). Runs alternate so machine noise hits both alike; ratios compare
medians measured in one run.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from playground.compile import compile_network
from playground.graph import Lab
from playground.graph.templates import sequential, spiral

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

    @property
    def ratio(self) -> float:
        """Median of the per-round ratios: each round's engine run against the bare run just before it, so a
        slow patch of the machine hits both sides of a ratio alike."""
        if self.ratios:
            return statistics.median(self.ratios)
        return self.engine_samples_per_s / self.bare_samples_per_s


def _bare_loop(lab: Lab, data: DataBundle, device: torch.device, epochs: int) -> float:
    """Samples per second of the plainest correct training loop for this lab."""
    torch.manual_seed(lab.seed)
    net = compile_network(lab.networks[0].graph)
    model = net.module.to(device)
    opt = make_optimizer(lab.training, model.parameters())
    x = torch.as_tensor(data.x_train, device=device)
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


def _engine_loop(lab: Lab, data: DataBundle, device: torch.device, epochs: int, probes: tuple[str, ...]) -> tuple[
        float, float]:
    trainer = Trainer(lab, device=device.type, data=data, probes=probes)
    trainer._epoch_limit = epochs
    snapshots = 0
    _sync(device)
    t0 = time.perf_counter()
    for snap in trainer.run(interval=1 / 30):
        snapshots += 1
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


def run_benchmarks(device_name: str = "auto", rounds: int = 5, quick: bool = False) -> tuple[str, list[BenchResult]]:
    device = resolve_device(device_name)
    results: list[BenchResult] = []

    mlp = mnist_mlp_lab()
    mlp_data = random_mnist_data(2048 if quick else 8192)
    mlp_epochs = 1 if quick else 4
    results.append(_compare("MLP 784-512-10 (random data, batch 64)", mlp, mlp_data, device, mlp_epochs, (), rounds,
                            0.9))

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
                       ratios)
