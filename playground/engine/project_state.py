"""Checks of a project's training state before anything opens: the weights against the shapes the lab's graph
compiles to, the plain state and the non-weight tensors against what the trainer trusts, and every value of the
saved optimizer states against what the lab's optimizer takes."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from playground.graph import GraphError, Lab

from .errors import EngineError
from .optimizers import make_optimizer
from .project_format import STATE_JSON, STATE_TENSORS, ProjectError


@dataclass(frozen=True)
class NetworkShapes:
    """What a network's graph compiles to, as shapes only (meta tensors: no memory): its state dict, and how many
    parameter tensors and bytes of parameters it has (optimizer state is kept per parameter)."""

    state: dict[str, torch.Tensor]
    parameters: int
    parameter_bytes: int

    @property
    def state_bytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.state.values())


def network_shapes(lab: Lab, where: str) -> dict[str, NetworkShapes]:
    """Each network of ``lab`` compiled on the meta device. Raises ProjectError when the lab is not valid."""
    from playground.compile import compile_network

    try:
        lab.check()
    except GraphError as e:
        raise ProjectError(f"{where}: the lab the weights were trained with is not valid: {e}") from None
    shapes: dict[str, NetworkShapes] = {}
    for net in lab.networks:
        try:
            with torch.device("meta"):  # shapes only: no memory for the weights, no initialisation cost
                module = compile_network(net.graph, net.name).module
        except (GraphError, EngineError) as e:
            raise ProjectError(f"{where}: the network '{net.name}' does not compile: {e}") from None
        params = list(module.parameters())
        shapes[net.name] = NetworkShapes(module.state_dict(), len(params),
                                         sum(p.numel() * p.element_size() for p in params))
    return shapes


def check_weights_fit(lab: Lab, weights: Mapping[str, Mapping[str, torch.Tensor]], where: str,
                      shapes: Mapping[str, NetworkShapes] | None = None) -> None:
    """Raise ProjectError unless each network's saved tensors have exactly the names and shapes its graph
    compiles to: checked before anything opens, so weights that do not fit never replace the open work.
    ``shapes`` is :func:`network_shapes` of ``lab`` when the caller has it already."""
    if shapes is None:
        shapes = network_shapes(lab, where)
    for net in lab.networks:
        saved = weights.get(net.name)
        if saved is None:
            raise ProjectError(f"{where}: no weights for the network '{net.name}'")
        expected = shapes[net.name].state
        missing = sorted(set(expected) - set(saved))
        extra = sorted(set(saved) - set(expected))
        if missing or extra:
            what = (f"missing {', '.join(missing[:3])}" if missing else "") + \
                   ("; " if missing and extra else "") + (f"unexpected {', '.join(extra[:3])}" if extra else "")
            raise ProjectError(f"{where}: the weights of '{net.name}' do not fit its graph ({what})")
        for key, tensor in expected.items():
            if tuple(saved[key].shape) != tuple(tensor.shape):
                raise ProjectError(f"{where}: the weights of '{net.name}' do not fit its graph: '{key}' has shape "
                                   f"{tuple(saved[key].shape)}, the graph needs {tuple(tensor.shape)}")
            if saved[key].dtype != tensor.dtype:
                raise ProjectError(f"{where}: the weights of '{net.name}' do not fit its graph: '{key}' is "
                                   f"{saved[key].dtype}, the graph needs {tensor.dtype}")


_META_INTS = ("epoch", "step", "pos", "seed", "batches", "seen", "epoch_limit", "data_version")


def _check_state(meta: dict[str, Any], tensors: Mapping[str, torch.Tensor], where: str) -> None:
    """The plain state and the non-weight tensors have the types and shapes the trainer will trust: a hand-made
    file must fail here, with a message, not later inside a training step."""
    for key in _META_INTS:
        value = meta.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
            raise ProjectError(f"{where}: {STATE_JSON}: '{key}' must be a non-negative integer. Received: "
                               f"{value!r}"[:300])
    for key in ("elapsed", "start_loss"):
        value = meta.get(key, 0.0)
        if value is not None and not _finite_number(value):
            raise ProjectError(f"{where}: {STATE_JSON}: '{key}' must be a number. Received: {value!r}"[:300])
    optimizers = meta.get("optimizers", {})
    if not isinstance(optimizers, dict) or not all(
            isinstance(o, dict) and isinstance(o.get("param_groups"), list) and isinstance(o.get("state", {}), dict)
            and all(isinstance(g, dict) for g in o["param_groups"])
            and all(isinstance(v, dict) for v in o.get("state", {}).values()) for o in optimizers.values()):
        raise ProjectError(f"{where}: {STATE_JSON}: 'optimizers' is not a valid optimizer state")
    # The CPU generator's state (Mersenne Twister) or a CUDA generator's (Philox seed and offset): the training
    # generator lives on the device the run used, so a project saved from a GPU run holds the short one.
    cpu_state = torch.get_rng_state().numel()
    for name, sizes in (("rng/torch", (cpu_state,)), ("rng/generator", (cpu_state, CUDA_RNG_STATE_BYTES)),
                        ("rng/cuda", (CUDA_RNG_STATE_BYTES,))):
        t = tensors.get(name)
        if t is not None and (t.dtype != torch.uint8 or t.dim() != 1 or t.numel() not in sizes):
            raise ProjectError(f"{where}: {STATE_TENSORS}: '{name}' is not a random generator state")
    perm = tensors.get("perm")
    if perm is not None:
        if perm.dtype != torch.int64 or perm.dim() != 1 or not torch.equal(
                torch.sort(perm).values, torch.arange(perm.numel())):
            raise ProjectError(f"{where}: {STATE_TENSORS}: 'perm' is not a permutation")
        if meta.get("pos", 0) >= perm.numel():
            raise ProjectError(f"{where}: {STATE_JSON}: 'pos' lies beyond the epoch's permutation")
    for name in ("running/losses", "running/corrects"):
        t = tensors.get(name)
        # The running loss is averaged (a mean of integers fails inside the step), correct answers are summed.
        ok = t is None or (t.dim() == 1 and (t.is_floating_point() or (
            name == "running/corrects" and t.dtype in (torch.int64, torch.int32))))
        if not ok:
            raise ProjectError(f"{where}: {STATE_TENSORS}: '{name}' must be a list of numbers")
    for name in tensors:
        if not name.startswith(("optimizer/", "rng/", "running/")) and name != "perm":
            raise ProjectError(f"{where}: {STATE_TENSORS}: unexpected tensor '{name}'"[:300])


CUDA_RNG_STATE_BYTES = 16  # a CUDA generator's state: its seed and its Philox offset, 8 bytes each
_HOW_FLAGS = ("foreach", "fused")  # how torch runs the update, not what it computes: may differ between machines
# Hyperparameters handed to the optimizer's constructor, so that torch's own range checks judge them.
_CONSTRUCTOR_KEYS = ("lr", "betas", "eps", "weight_decay", "momentum", "dampening", "nesterov", "alpha", "lr_decay",
                     "initial_accumulator_value")


def _finite_number(value: Any) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond any float
        return False


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_optimizer_states(lab: Lab, meta: Mapping[str, Any], tensors: Mapping[str, torch.Tensor],
                           parameters: int, where: str) -> None:
    """Every value of the saved optimizer states against what the lab's optimizer takes: each parameter group's
    settings (type, range, the flags this app sets), its parameter numbers, and each parameter's state entries.
    torch checks almost none of this when a state is loaded; a wrong value surfaces later, inside a (fused) step,
    as a TypeError from the kernel. ``parameters`` is the number of parameter tensors of the lab's networks."""
    optimizers = meta.get("optimizers", {})
    probe = torch.nn.Parameter(torch.zeros(2))
    try:
        reference = make_optimizer(lab.training, [probe])
    except EngineError as e:
        raise ProjectError(f"{where}: {e.message}") from None
    kind = type(reference).__name__
    ref_group = {k: v for k, v in reference.param_groups[0].items() if k != "params"}
    state_keys: dict[str, set[str]] = {}
    for name, saved in optimizers.items():
        what = f"{where}: {STATE_JSON}: optimizer {_short(name)}"
        groups = saved["param_groups"]
        if not groups:
            raise ProjectError(f"{what} has no parameter groups")
        numbered: list[int] = []
        settings: dict[str, Any] = {}
        for g, group in enumerate(groups):
            numbered += _check_group(f"{what}, parameter group {g}", group, reference, ref_group)
            settings = {k: tuple(group[k]) if isinstance(group[k], list) else group[k]
                        for k in _CONSTRUCTOR_KEYS if k in group}
        if numbered != list(range(len(numbered))) or len(numbered) > parameters:
            raise ProjectError(f"{what}: 'params' must number the lab's {parameters} parameters 0, 1, 2... in "
                               f"order. Received: {_short(numbered)}")
        state_keys[name] = _state_entries(type(reference), settings)
        _check_saved_state(what, saved.get("state", {}), len(numbered))
    _check_state_tensors(where, tensors, optimizers, state_keys, kind)


def _check_group(at: str, group: Mapping[str, Any], reference: torch.optim.Optimizer,
                 ref_group: Mapping[str, Any]) -> list[int]:
    """One saved parameter group against the lab's optimizer; the parameter numbers it holds."""
    kind = type(reference).__name__
    for key, ref in ref_group.items():
        if key not in group and not (isinstance(ref, bool) or ref is None):
            raise ProjectError(f"{at} has no {key!r}, which the lab's {kind} optimizer needs")
    numbered: list[int] = []
    for key, value in group.items():
        if key == "params":
            if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
                raise ProjectError(f"{at}: 'params' must be a list of parameter numbers. Received: {_short(value)}")
            numbered += value
            continue
        if key not in ref_group:
            raise ProjectError(f"{at}: {_short(key)} is no setting of the lab's {kind} optimizer")
        _check_setting(at, key, value, ref_group[key], kind)
    if group.get("foreach") and group.get("fused"):
        raise ProjectError(f"{at}: 'foreach' and 'fused' cannot both be true")
    settings: dict[str, Any] = {k: tuple(group[k]) if isinstance(group[k], list) else group[k]
                                for k in _CONSTRUCTOR_KEYS if k in group}
    try:  # torch's own checks: a negative rate, betas outside [0, 1), Nesterov without momentum...
        type(reference)([torch.nn.Parameter(torch.zeros(2))], **settings)
    except (ValueError, TypeError, RuntimeError) as e:
        raise ProjectError(f"{at}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    return numbered


def _check_setting(at: str, key: str, value: Any, ref: Any, kind: str) -> None:
    """One setting of a saved group against the lab's optimizer's own value ``ref`` of it."""
    if key in _HOW_FLAGS:
        if value is not None and not isinstance(value, bool) or (value and not ref and key == "fused"):
            raise ProjectError(f"{at}: {key!r} must be " + ("true, false or null" if ref else "false or null")
                               + f" for the lab's {kind} optimizer. Received: {_short(value)}")
    elif isinstance(ref, bool) or ref is None:
        if type(value) is not type(ref) or value != ref:
            raise ProjectError(f"{at}: {key!r} must be {json.dumps(ref)} for the lab's {kind} optimizer. "
                               f"Received: {_short(value)}")
    elif isinstance(ref, tuple):
        if not isinstance(value, (list, tuple)) or len(value) != len(ref) or not all(
                _finite_number(v) for v in value):
            raise ProjectError(f"{at}: {key!r} must be a list of {len(ref)} numbers. Received: {_short(value)}")
    elif not _finite_number(value):
        raise ProjectError(f"{at}: {key!r} must be a finite number. Received: {_short(value)}")


def _state_entries(optimizer: type[torch.optim.Optimizer], settings: dict[str, Any]) -> set[str]:
    """The state entries this optimizer keeps per parameter: those of one step with the saved settings."""
    sample = torch.nn.Parameter(torch.zeros(2))
    stepper = optimizer([sample], **settings)
    sample.grad = torch.ones(2)
    stepper.step()
    return set(stepper.state[sample])


def _check_saved_state(what: str, state: Mapping[Any, Any], parameters: int) -> None:
    for index, entry in state.items():
        if not (isinstance(index, str) and index.isdigit() and int(index) < parameters):
            raise ProjectError(f"{what}: a state for parameter {_short(index)}, which its groups do not have")
        for key, value in entry.items():
            if key == "step" and _finite_number(value) and value >= 0:
                continue  # older files keep the step count as a plain number
            raise ProjectError(f"{what}: the state of parameter {index} has {_short(key)} = {_short(value)}; "
                               f"optimizer state values are tensors")


def _check_state_tensors(where: str, tensors: Mapping[str, torch.Tensor], optimizers: Mapping[str, Any],
                         state_keys: dict[str, set[str]], kind: str) -> None:
    for key in tensors:
        if not key.startswith("optimizer/"):
            continue
        parts = key.split("/")
        saved = optimizers.get(parts[1]) if len(parts) == 4 else None
        if saved is None or parts[2] not in saved.get("state", {}):
            raise ProjectError(f"{where}: {STATE_TENSORS}: {_short(key)} belongs to no saved optimizer state")
        if parts[3] not in state_keys[parts[1]]:
            raise ProjectError(f"{where}: {STATE_TENSORS}: {_short(key)}: the lab's {kind} optimizer keeps no "
                               f"{parts[3]!r} (it keeps {', '.join(sorted(state_keys[parts[1]])) or 'none'})")
