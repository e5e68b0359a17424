"""Data-parallel training across processes with torch.distributed (under ``torchrun``).

Every process builds the same lab from the same seed, so each starts with the same weights and the same data on its
device. Each epoch's permutation is the same everywhere too; a process trains on its shard of it (every
``world``-th sample from its rank on, padded to equal length as ``DistributedSampler`` pads), through
``DistributedDataParallel``, which averages the gradients before every optimizer step. The epoch's training loss
and accuracy are reduced across processes, so every process takes the same decisions (divergence, early stopping,
the end) at the same step. Only rank 0 prints and writes.

Not data-parallel here: a GAN, whose two networks take alternating steps of their own (refused with a message).
"""

from __future__ import annotations

import datetime
import os
from typing import Any

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from playground.engine.errors import EngineError
from playground.engine.trainer import Trainer
from playground.graph import Lab

#: How long a collective waits for a process that stopped answering before the run ends with a message.
PEER_TIMEOUT_S = float(os.environ.get("PLAYGROUND_DIST_TIMEOUT", "60"))


def launched_by_torchrun() -> bool:
    """True inside a process started by ``torchrun`` (or any launcher that sets the usual variables)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else int(os.environ.get("RANK", "0"))


def init_process_group(device: str) -> torch.device:
    """Join the run: gloo on the CPU, NCCL on CUDA GPUs (one per local rank). Returns this process's device."""
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device in ("auto", "cuda") and torch.cuda.is_available():
        torch.cuda.set_device(local % torch.cuda.device_count())
        where, backend = torch.device("cuda", torch.cuda.current_device()), "nccl"
    else:
        if device == "cuda":
            raise EngineError("This lab asks for CUDA, but this machine has no CUDA GPU: use --device cpu")
        where, backend = torch.device("cpu"), "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=PEER_TIMEOUT_S))
    return where


def shutdown() -> None:
    """Leave the run. Call it after the trainer is gone: a DDP wrapper that outlives its process group aborts the
    process at exit ('terminate called without an active exception')."""
    if dist.is_available() and dist.is_initialized():
        import gc

        gc.collect()
        if not _lost_a_process:
            # Leave together: a process that closes its connections while another still uses them can take the
            # other down with it (gloo aborts on a reset connection).
            dist.barrier()
        dist.destroy_process_group()


def leave(code: int) -> None:
    """End this process of the run with ``code``, its outputs already written and flushed.

    It skips the interpreter's finalisation, where gloo's worker threads may still hold tensors and abort the
    process ('terminate called without an active exception', seen here in one exit of five); torchrun would then
    report a run that succeeded as failed.
    """
    import contextlib
    import sys

    with contextlib.suppress(Exception):  # a peer that is already gone: the run's result stands
        shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def stop_on_sigterm() -> None:
    """torchrun ends the other processes with SIGTERM when one dies: say so in one line instead of vanishing."""
    import signal

    def stopped(signum: int, frame: Any) -> None:
        raise RuntimeError("the launcher stopped this process (SIGTERM) because another process of the run ended")

    signal.signal(signal.SIGTERM, stopped)


class DistributedTrainer(Trainer):
    """A :class:`Trainer` that is one of ``world`` processes of a data-parallel run."""

    def __init__(self, lab: Lab, *, device: str | None = None) -> None:
        if not dist.is_initialized():
            raise EngineError("Distributed training needs a process group: start it with torchrun")
        self.world = dist.get_world_size()
        self.rank = dist.get_rank()
        super().__init__(lab, device=device)
        if self.task.custom_step:
            raise EngineError(
                f"A {self.lab.task} lab cannot train data-parallel: its networks take alternating steps of their "
                f"own. Train it in one process (without torchrun or --nproc).")

    # Every rebuild (a new seed, a recompile) wraps the new modules again.
    def _build_model(self, seed: int, keep: dict[str, dict[str, torch.Tensor]] | None = None) -> int:
        kept = super()._build_model(seed, keep)
        ids = [self.device.index] if self.device.type == "cuda" else None
        self._parallel = {name: DistributedDataParallel(net.module, device_ids=ids)
                          for name, net in self.networks.items() if any(p.requires_grad
                                                                       for p in net.module.parameters())}
        return kept

    def _train_batch(self) -> bool:
        if self._perm is None:
            # The same permutation in every process (same generator, same seed); this process keeps its shard.
            n = self.x_train.shape[0]
            perm = torch.randperm(n, generator=self._generator, device=self._gen_device)
            per_rank = -(-n // self.world)
            padded = torch.cat([perm, perm[:per_rank * self.world - n]]) if per_rank * self.world > n else perm
            self._perm = padded[self.rank::self.world].to(self.device)
            self._pos = 0
        return super()._train_batch()

    def _default_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        # The forward of this step goes through DDP, whose backward averages the gradients across processes.
        plain = {name: self.networks[name].module for name in self._parallel}
        for name, wrapped in self._parallel.items():
            self.networks[name].module = wrapped  # type: ignore[assignment]
        try:
            return super()._default_step(x, y)
        finally:
            for name, module in plain.items():
                self.networks[name].module = module

    def checkpoint(self) -> dict[str, Any]:
        # A shard's permutation means nothing to a run with another number of processes (or to the window):
        # a checkpoint taken mid-epoch goes on from a fresh epoch.
        perm, self._perm = self._perm, None
        try:
            return super().checkpoint()
        finally:
            self._perm = perm

    def restore(self, checkpoint: dict[str, Any]) -> None:
        super().restore(checkpoint)
        self._perm = None  # the same fresh permutation in every process, from the restored generator

    def _end_epoch(self) -> None:
        # One loss and accuracy for the run as a whole, so that every process decides alike.
        device = self.device
        loss_sum = torch.stack(self._losses).sum() if self._losses else torch.zeros((), device=device)
        correct = torch.stack(self._corrects).sum().float() if self._corrects else torch.zeros((), device=device)
        totals = torch.stack([loss_sum.float(), torch.tensor(float(len(self._losses)), device=device),
                              correct, torch.tensor(float(self._seen), device=device)])
        dist.all_reduce(totals)
        batches = max(1.0, float(totals[1]))
        self._losses = [totals[0] / batches]
        if self._corrects:
            self._corrects = [totals[2]]
        self._seen = int(totals[3])
        self._good_time = float("-inf")  # a restore point at every epoch's end, the same one in every process
        super()._end_epoch()


_lost_a_process = False


def describe_failure(error: BaseException) -> str:
    """One line for a run that lost a process (a killed worker, a closed connection, a timeout)."""
    global _lost_a_process
    _lost_a_process = True
    text = " ".join(str(error).split())
    if len(text) > 200:
        text = text[:200] + "…"
    return (f"A training process stopped or stopped answering, so the run ended (rank {rank()}): "
            f"{type(error).__name__}: {text}")


def local_launch_command(argv: list[str], nproc: int) -> list[str]:
    """The torchrun command that runs ``playground <argv>`` in ``nproc`` local processes."""
    import sys

    return [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc), "--nnodes", "1",
            "--master-addr", "127.0.0.1", "--master-port", str(_free_port()), "-m", "playground", *argv]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
