"""Frozen layers: the lab's locks (``Lab.frozen``) applied to compiled networks.

A frozen layer's parameters get ``requires_grad`` False, so backward computes no gradient for them, and they leave
the optimizer (its groups list only trainable parameters), so neither a step nor weight decay moves them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch import nn

from playground.graph import Lab

from .errors import EngineError


def layer_of(parameter_name: str) -> str:
    """The node a compiled parameter belongs to: the compiler names each submodule after its node."""
    return parameter_name.split(".", 1)[0]


def apply_freeze(lab: Lab, modules: Mapping[str, nn.Module]) -> int:
    """Set ``requires_grad`` of every parameter of ``modules`` (network name -> module) from ``lab.frozen``; returns
    how many parameter tensors are frozen. Raises EngineError, before changing anything, when every layer with
    weights of a network would be frozen: nothing of it could learn, and its optimizer would have nothing to step."""
    plan: list[tuple[nn.Parameter, bool]] = []
    for network, module in modules.items():
        frozen = set(lab.frozen_layers(network))
        named = list(module.named_parameters())
        flags = [(p, layer_of(name) not in frozen) for name, p in named]
        if named and not any(trainable for _p, trainable in flags):
            raise EngineError(f"Every layer with weights of network '{network}' is frozen, so nothing of it would "
                              f"learn: unfreeze one ({', '.join(sorted(frozen))})", field="frozen")
        plan.extend(flags)
    for p, trainable in plan:
        p.requires_grad_(trainable)
    return sum(1 for _p, trainable in plan if not trainable)


def trainable(params: Iterable[nn.Parameter]) -> list[nn.Parameter]:
    """The parameters an optimizer should hold: those not frozen."""
    return [p for p in params if p.requires_grad]


def carry_state(old: Mapping[str, torch.optim.Optimizer], new: Mapping[str, torch.optim.Optimizer]) -> None:
    """Give each parameter that stays trainable its optimizer state (momentum, Adam's moments and step) in the
    rebuilt optimizers, so freezing one layer does not restart the others' momentum."""
    for name, optimizer in new.items():
        before = old.get(name)
        if before is None:
            continue
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p in before.state:
                    optimizer.state[p] = before.state[p]
