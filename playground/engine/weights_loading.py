"""Tensors put into a model in place: what a running trainer does with weights copied into it (``SetWeights``) and
what a lab's starting weights are built with (``weights_copy``). Its own module so the trainer needs nothing of the
copy's planning, which reads project files."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn


def load_into(module: nn.Module, tensors: Mapping[str, torch.Tensor]) -> None:
    """Copy ``tensors`` into ``module``'s parameters and buffers in place (an optimizer keeps its parameters)."""
    own = module.state_dict()
    with torch.no_grad():
        for key, value in tensors.items():
            own[key].copy_(value.to(own[key].device, own[key].dtype))
