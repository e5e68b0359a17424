"""Copying trained weights into a lab's network, layer by layer, from a project file or another network.

A layer is copied when the source has a layer of the same name whose tensors have the same names and shapes (a
trained encoder's ``dense_1`` into a classifier's ``dense_1``); every other layer is listed with the reason, so a
preview can show what will and will not change. Nothing is copied when no layer fits: the error names each
mismatch. The copy goes into a running trainer (:class:`~playground.engine.commands.SetWeights`) or into the lab's
starting weights (``task_options["initial_weights"]``, which a fresh start and a reset load).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from playground.compile import compile_network
from playground.graph import GraphError, Lab

from .errors import EngineError
from .freezing import layer_of
from .insight.backprop import load_given_weights
from .project import load_project
from .weights_loading import load_into

COPY, MISMATCH, MISSING = "copy", "mismatch", "missing"


class WeightsCopyError(EngineError):
    """Nothing of the source fits the network, or the source cannot be read; the message names each mismatch."""


@dataclass(frozen=True)
class LayerRow:
    """One layer with weights of the target network: whether it is copied, and why not when it is not."""

    layer: str
    status: str  # COPY, MISMATCH or MISSING
    detail: str


@dataclass
class WeightsCopy:
    """What copying ``source`` into ``network`` would do: ``tensors`` (state-dict key -> tensor) are copied."""

    network: str
    source: str
    rows: list[LayerRow] = field(default_factory=list)
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)  # layers of the source that nothing here takes

    @property
    def copied(self) -> list[str]:
        return [r.layer for r in self.rows if r.status == COPY]

    @property
    def mismatches(self) -> list[LayerRow]:
        return [r for r in self.rows if r.status != COPY]

    def summary(self) -> str:
        head = (f"{len(self.copied)} of {len(self.rows)} layers of '{self.network}' take their weights from "
                f"{self.source}")
        lines = [head] + [f"  {r.layer}: {r.detail}" for r in self.rows]
        if self.unused:
            lines.append(f"  not used from the source: {', '.join(self.unused)}")
        return "\n".join(lines)


def _dims(shape: tuple[int, ...] | torch.Size) -> str:
    return "×".join(str(d) for d in shape) or "scalar"


def _by_layer(state: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    layers: dict[str, dict[str, Any]] = {}
    for key, value in state.items():
        layers.setdefault(layer_of(key), {})[key] = value
    return layers


def network_state_shapes(lab: Lab, network: str) -> dict[str, tuple[int, ...]]:
    """The state-dict keys of ``network`` compiled, with their shapes (built on the meta device: no memory)."""
    try:
        graph = lab.network(network).graph
        with torch.device("meta"):
            module = compile_network(graph, network).module
    except (GraphError, EngineError) as e:
        raise WeightsCopyError(f"The network '{network}' does not compile: {e}") from None
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def match_layers(lab: Lab, network: str, source_state: Mapping[str, torch.Tensor], source: str) -> WeightsCopy:
    """Which layers of ``lab``'s ``network`` take their weights from ``source_state`` (a state dict). Raises
    WeightsCopyError naming every layer and why when none does."""
    target = _by_layer(network_state_shapes(lab, network))
    given = _by_layer(source_state)
    plan = WeightsCopy(network, source)
    for layer, keys in target.items():
        theirs = given.get(layer)
        if theirs is None:
            plan.rows.append(LayerRow(layer, MISSING, f"the source has no layer '{layer}'"))
            continue
        problems = []
        for key, shape in keys.items():
            value = theirs.get(key)
            name = key[len(layer) + 1:]
            if value is None:
                problems.append(f"the source's '{layer}' has no {name}")
            elif tuple(value.shape) != shape:
                problems.append(f"{name} is {_dims(shape)} here, {_dims(tuple(value.shape))} in the source")
        extra = sorted(k[len(layer) + 1:] for k in theirs if k not in keys)
        if extra:
            problems.append(f"the source's '{layer}' also has {', '.join(extra)}")
        if problems:
            plan.rows.append(LayerRow(layer, MISMATCH, "; ".join(problems)))
        else:
            plan.rows.append(LayerRow(layer, COPY, ", ".join(f"{k[len(layer) + 1:]} {_dims(s)}"
                                                             for k, s in keys.items())))
            plan.tensors.update({k: theirs[k].detach().clone() for k in keys})
    plan.unused = [layer for layer in given if layer not in target]
    if not plan.tensors:
        reasons = "; ".join(f"{r.layer}: {r.detail}" for r in plan.rows) or f"'{network}' has no layer with weights"
        raise WeightsCopyError(f"No layer of '{network}' fits the weights of {source}, so nothing was copied. "
                               f"{reasons}")
    return plan


# Sources ----------------------------------------------------------------------------------------------------------


def checkpoint_states(lab: Lab, checkpoint: Mapping[str, Any]) -> dict[str, dict[str, torch.Tensor]]:
    """Each network's weights in a :meth:`Trainer.checkpoint` of ``lab``."""
    tensors = checkpoint.get("tensors", {})
    states: dict[str, dict[str, torch.Tensor]] = {}
    for net in lab.networks:
        prefix = f"model/{net.name}/"
        states[net.name] = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    return states


def project_states(path: str | Path) -> tuple[Lab, dict[str, dict[str, torch.Tensor]]]:
    """The trained lab of a project file and each network's weights; WeightsCopyError when it never trained."""
    project = load_project(path)  # ProjectError (an EngineError) names the file and what is wrong with it
    if project.checkpoint is None:
        raise WeightsCopyError(f"{Path(path).name} holds no trained weights: its lab was saved before training")
    return project.training_lab, checkpoint_states(project.training_lab, project.checkpoint)


def source_network(source_lab: Lab, states: Mapping[str, Any], network: str, wanted: str | None = None) -> str:
    """The source network to copy from: ``wanted``, else the one named like the target, else one of the same
    role's family, else the first."""
    names = [n.name for n in source_lab.networks if n.name in states]
    if wanted is not None:
        if wanted not in names:
            raise WeightsCopyError(f"The source has no network '{wanted}' (networks: {', '.join(names)})")
        return wanted
    if network in names:
        return network
    if not names:
        raise WeightsCopyError("The source has no network with weights")
    return names[0]


# Applying ---------------------------------------------------------------------------------------------------------


def starting_weights(lab: Lab, network: str, tensors: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """The full state of ``network`` as the lab starts it (its seed, or the starting weights it gives) with
    ``tensors`` copied over, as nested lists for ``task_options["initial_weights"][network]``."""
    torch.manual_seed(lab.seed)  # the trainer compiles every network in order under the lab's seed
    modules = {net.name: compile_network(net.graph, net.name).module for net in lab.networks}
    module = modules[network]
    load_given_weights(lab, network, module)
    load_into(module, tensors)
    return {k: v.detach().cpu().double().tolist() for k, v in module.state_dict().items()}


def with_starting_weights(lab: Lab, network: str, tensors: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """``lab.task_options`` with ``network``'s starting weights replaced (assign it to change the lab)."""
    options = dict(lab.task_options)
    given = dict(options.get("initial_weights") or {})
    given[network] = starting_weights(lab, network, tensors)
    options["initial_weights"] = given
    return options
