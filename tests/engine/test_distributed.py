"""Data-parallel training under torchrun: real gloo processes talking over 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from playground.engine.trainer import Trainer
from playground.graph import templates

WORKER = Path(__file__).with_name("ddp_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def torchrun(args: list[str], cwd: Path, env: dict[str, str] | None = None, nproc: int = 2,
             timeout: float = 300) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc), "--nnodes", "1",
           "--master-addr", "127.0.0.1", "--master-port", str(_free_port()), *args]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, env=environment,
                          cwd=cwd)


def one_process(template: str, epochs: int) -> tuple[dict[str, float], int]:
    lab = templates.build_template(template)
    lab.training = lab.training.updated(epochs=epochs, device="cpu")
    trainer = Trainer(lab)
    trainer.train()
    return trainer.snapshot().metrics, trainer.step


@pytest.mark.slow
@pytest.mark.parametrize("template, epochs", [("spiral", 120), ("mnist_1_layer", 2)])
def test_two_processes_end_alike_and_learn_as_one_does(tmp_path, template, epochs):
    result = torchrun([str(WORKER), template, str(epochs), str(tmp_path)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    first, second = load_file(tmp_path / "rank0.safetensors"), load_file(tmp_path / "rank1.safetensors")
    assert first.keys() == second.keys()
    for name in first:  # DDP averaged the gradients, so both processes took the very same steps
        torch.testing.assert_close(first[name], second[name], rtol=0, atol=0)
    metrics = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert metrics[0] == metrics[1]  # the reduced loss and accuracy: one run, not two
    alone, steps = one_process(template, epochs)
    # Each process took its half of every epoch: half as many steps, on batches twice as large in all.
    assert steps // 2 <= metrics[0]["steps"] <= steps // 2 + epochs
    assert metrics[0]["test_accuracy"] >= alone["test_accuracy"] - 0.08, (metrics[0], alone)
    assert metrics[0]["test_accuracy"] > (0.85 if template == "spiral" else 0.8)


@pytest.mark.slow
def test_the_cli_trains_under_torchrun_and_writes_its_outputs_once(tmp_path):
    lab = templates.build_template("tensorflow_playground")
    lab.training = lab.training.updated(epochs=4, device="cpu")
    (tmp_path / "lab.json").write_text(lab.to_json())
    result = torchrun(["-m", "playground", "train", "lab.json", "--out", "run", "--quiet"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("Saved weights, history and metrics") == 1  # rank 0 alone reports and writes
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["history.csv", "lab.json", "metrics.json",
                                                                     "model.safetensors"]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["epochs"] == 4 and metrics["state"] == "finished"
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert len(history) == 1 + 4  # one row an epoch, not one per process
    # The run opens and goes on in one process, as any other run does.
    assert set(load_file(tmp_path / "run" / "model.safetensors")) == set(Trainer(lab).state_dicts()["model"])


@pytest.mark.slow
def test_a_bad_lab_is_refused_by_every_process_with_one_line(tmp_path):
    (tmp_path / "lab.json").write_text('{"format": "nn-playground-lab", "version": 1, "name": 3}')
    result = torchrun(["-m", "playground", "train", "lab.json", "--quiet"], cwd=tmp_path)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and errors[0] == errors[1], result.stderr[-2000:]


@pytest.mark.slow
def test_a_gan_is_refused_with_a_reason(tmp_path):
    lab = templates.build_template("gan")
    lab.training = lab.training.updated(epochs=1, device="cpu")
    (tmp_path / "lab.json").write_text(lab.to_json())
    result = torchrun(["-m", "playground", "train", "lab.json", "--quiet"], cwd=tmp_path)
    assert result.returncode != 0
    assert "cannot train data-parallel" in result.stderr


@pytest.mark.slow
def test_a_worker_that_dies_ends_the_run_with_a_message(tmp_path):
    result = torchrun([str(WORKER), "tensorflow_playground", "100000", str(tmp_path)], cwd=tmp_path,
                      env={"KILL_RANK1_AT_EPOCH": "2", "PLAYGROUND_DIST_TIMEOUT": "30"}, timeout=120)
    assert result.returncode != 0  # ended, not hung (subprocess.run's timeout would raise)
    assert "A training process stopped" in result.stderr, result.stderr[-3000:]
    assert not (tmp_path / "rank0.safetensors").exists()
