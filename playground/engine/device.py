"""Choosing where to train: ``auto`` picks CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

from .errors import EngineError


def available_devices() -> list[str]:
    found = ["cpu"]
    if torch.cuda.is_available():
        found.insert(0, "cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.insert(0, "mps")
    return found


def resolve_device(name: str = "auto") -> torch.device:
    """The torch device for a setting of ``auto``, ``cuda``, ``mps`` or ``cpu``."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise EngineError("CUDA was asked for, but this machine has no CUDA GPU (or this torch build has no "
                              "CUDA support): choose device auto or cpu", field="device")
        return torch.device("cuda")
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise EngineError("MPS was asked for, but it is only on Apple silicon Macs: choose device auto or cpu",
                              field="device")
        return torch.device("mps")
    if name == "cpu":
        return torch.device("cpu")
    raise EngineError(f"Unknown device '{name}': choose auto, cuda, mps or cpu", field="device")


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Apple MPS"
    return "CPU"
