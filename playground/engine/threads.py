"""CPU thread policy for training.

Small networks gain nothing from intra-op threads, and when another thread (the GUI, a second run) competes for
the cores, OpenMP workers spin-waiting for each other make a tiny MLP tens of times slower. So small models
train on one thread; large ones use all cores but one, leaving one for the window.
"""

from __future__ import annotations

import os

import torch

SMALL_MODEL_PARAMS = 200_000


def configure_cpu_threads(parameter_count: int, device: torch.device) -> int:
    """Set torch's intra-op thread count for training on ``device``; return the count in force."""
    if device.type != "cpu":
        return torch.get_num_threads()
    cores = os.cpu_count() or 1
    wanted = 1 if parameter_count < SMALL_MODEL_PARAMS else max(1, cores - 1)
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
    return wanted
