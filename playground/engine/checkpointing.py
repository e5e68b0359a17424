"""Checkpoint and restore of a Trainer (a mixin): weights, optimizer states, random generators, counters and
curves to plain data and CPU tensors, and back, checked before anything changes."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from .errors import EngineError
from .optimizers import _check_optimizer_entry, scheduled_rate

if TYPE_CHECKING:
    from .trainer_parts import TrainerParts
else:
    TrainerParts = object  # the declarations are for the type checker; at run time a mixin is a plain class


class Checkpointing(TrainerParts):
    """The Trainer's saving and restoring; it uses the Trainer's attributes (task, optimizers, generator...)."""

    def _capture_state(self) -> dict[str, Any]:
        return {
            "modules": {n: {k: v.detach().clone() for k, v in m.state_dict().items()}
                        for n, m in self.task.modules().items()},
            "optimizers": {n: copy.deepcopy(o.state_dict()) for n, o in self.optimizers.items()},
        }

    def _restore_state(self, state: dict[str, Any]) -> None:
        for name, module in self.task.modules().items():
            module.load_state_dict(state["modules"][name])
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        # The saved optimizer state carries the learning rate of its time; the settings are the user's word.
        self._set_rate(scheduled_rate(self.settings, self.epoch))

    def checkpoint(self) -> dict[str, Any]:
        """Everything needed to go on exactly where the run is: weights, optimizer states, random generators,
        the epoch's permutation and position, counters and curves. Tensors (CPU, contiguous) in a flat dict
        for safetensors; everything else plain JSON-able data. Taken between steps."""
        tensors: dict[str, torch.Tensor] = {}
        for name, module in self.task.modules().items():
            for key, value in module.state_dict().items():
                tensors[f"model/{name}/{key}"] = _copy(value)
        optimizers: dict[str, Any] = {}
        for name, optimizer in self.optimizers.items():
            sd = optimizer.state_dict()
            plain_state: dict[str, dict[str, Any]] = {}
            for index, entry in sd["state"].items():
                plain_state[str(index)] = {}
                for key, value in entry.items():
                    if isinstance(value, torch.Tensor):
                        tensors[f"optimizer/{name}/{index}/{key}"] = _copy(value)
                    else:
                        plain_state[str(index)][key] = value
            optimizers[name] = {"param_groups": sd["param_groups"], "state": plain_state}
        tensors["rng/torch"] = torch.get_rng_state()
        tensors["rng/generator"] = self._generator.get_state().cpu()
        if self.device.type == "cuda":
            tensors["rng/cuda"] = torch.cuda.get_rng_state(self.device)
        if self._perm is not None:
            tensors["perm"] = _copy(self._perm)
        if self._losses:
            tensors["running/losses"] = _flat(self._losses).detach().float().cpu()
        if self._corrects:
            tensors["running/corrects"] = _flat(self._corrects).detach().cpu()
        meta = {
            "epoch": self.epoch, "step": self.step, "elapsed": self._elapsed, "pos": self._pos, "seed": self.seed,
            "batches": self._batches, "seen": self._seen, "epoch_limit": self._epoch_limit,
            "state": self._state, "start_loss": self._start_loss if np.isfinite(self._start_loss) else None,
            "optimizers": optimizers, "data_version": self.data_version,
        }
        history = {name: self.history.column(name).tolist() for name in self.history.names}
        return {"tensors": tensors, "meta": meta, "history": history}

    def restore(self, checkpoint: dict[str, Any]) -> None:
        """Put a :meth:`checkpoint` back (of a run of the same lab). Raises EngineError, naming the network
        and the layer, if the weights do not fit; then nothing has changed."""
        try:
            tensors: dict[str, torch.Tensor] = checkpoint["tensors"]
            meta: dict[str, Any] = checkpoint["meta"]
            history: dict[str, list[float]] = checkpoint["history"]
        except (KeyError, TypeError):
            raise EngineError("The saved training state is incomplete (it needs tensors, meta and history)") \
                from None
        states = self._saved_weights(tensors)
        optimizer_states = self._saved_optimizer_states(meta, tensors)
        # Checked; from here on nothing can fail on the user's data, so change everything.
        old = self._capture_state()
        try:
            for name, module in self.task.modules().items():
                module.load_state_dict({k: v.to(self.device) for k, v in states[name].items()})
            for name, optimizer in self.optimizers.items():
                optimizer.load_state_dict(optimizer_states[name])
        except (RuntimeError, ValueError, KeyError, TypeError) as e:
            self._restore_state(old)
            raise EngineError(f"The saved optimizer state does not fit this lab's optimizer: {e}") from None
        self._restore_random_state(tensors)
        self.epoch, self.step = int(meta.get("epoch", 0)), int(meta.get("step", 0))
        self._elapsed = float(meta.get("elapsed", 0.0))
        self.seed = int(meta.get("seed", self.seed))
        self._epoch_limit = max(int(meta.get("epoch_limit", self.settings.epochs)), self.epoch)
        perm = tensors.get("perm")
        if perm is not None and perm.numel() == self.x_train.shape[0]:
            self._perm = perm.to(self.device)
            self._pos = int(meta.get("pos", 0))
        else:
            self._perm, self._pos = None, 0
        self._reset_accumulators()
        if "running/losses" in tensors and self._perm is not None:
            self._losses = list(tensors["running/losses"].to(self.device).unbind())
            if "running/corrects" in tensors:
                self._corrects = list(tensors["running/corrects"].to(self.device).unbind())
            self._batches, self._seen = int(meta.get("batches", 0)), int(meta.get("seen", 0))
        self._restore_history(history)
        start = meta.get("start_loss")
        if isinstance(start, (int, float)):
            self._start_loss = float(start)
        # A restored run waits for Play (or, headless, starts when run() is asked to start).
        self._state = "finished" if meta.get("state") == "finished" else "ready"
        self._message = ""
        self._reset_early_stopping()
        self._set_rate(scheduled_rate(self.settings, self.epoch))
        self._save_good()

    def _saved_weights(self, tensors: dict[str, torch.Tensor]) -> dict[str, dict[str, torch.Tensor]]:
        """Each network's saved state dict, checked against its modules: every key there, each of its shape."""
        states: dict[str, dict[str, torch.Tensor]] = {}
        for name, module in self.task.modules().items():
            prefix = f"model/{name}/"
            theirs = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            mine = module.state_dict()
            if not theirs:
                raise EngineError(f"The saved weights have no network '{name}'", field="weights")
            for key in mine:
                if key not in theirs:
                    raise EngineError(f"The saved weights of network '{name}' lack '{key}': they were saved for "
                                      f"another architecture", node=key.split(".")[0], field="weights")
                if tuple(theirs[key].shape) != tuple(mine[key].shape):
                    raise EngineError(f"The saved '{key}' of network '{name}' has shape "
                                      f"{tuple(theirs[key].shape)}, but the graph makes {tuple(mine[key].shape)}",
                                      node=key.split(".")[0], field="weights")
            extra = sorted(set(theirs) - set(mine))
            if extra:
                raise EngineError(f"The saved weights of network '{name}' have '{extra[0]}', which this graph "
                                  f"does not have", field="weights")
            states[name] = theirs
        return states

    def _saved_optimizer_states(self, meta: dict[str, Any], tensors: dict[str, torch.Tensor]
                                ) -> dict[str, dict[str, Any]]:
        """Each optimizer's saved state as ``load_state_dict`` takes it, every entry checked."""
        optimizer_states: dict[str, dict[str, Any]] = {}
        saved_optimizers = meta.get("optimizers", {})
        for name in self.optimizers:
            saved = saved_optimizers.get(name)
            if not isinstance(saved, dict):
                raise EngineError(f"The saved training state has no optimizer '{name}'")
            state: dict[int, dict[str, Any]] = {}
            params = [p for group in self.optimizers[name].param_groups for p in group["params"]]
            for index, plain in saved.get("state", {}).items():
                entry = dict(plain)
                prefix = f"optimizer/{name}/{index}/"
                entry.update({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
                _check_optimizer_entry(name, index, entry, params)
                state[int(index)] = entry
            optimizer_states[name] = {"state": state, "param_groups": saved["param_groups"]}
        return optimizer_states

    def _restore_random_state(self, tensors: dict[str, torch.Tensor]) -> None:
        if "rng/torch" in tensors:
            torch.set_rng_state(tensors["rng/torch"])
        if "rng/generator" in tensors and tensors["rng/generator"].numel() == self._generator.get_state().numel():
            # Only a state of this kind of generator: a GPU run's (Philox) does not fit the CPU's (Mersenne
            # Twister), and the other way round; the generator then keeps its seed.
            self._generator.set_state(tensors["rng/generator"])
        if "rng/cuda" in tensors and self.device.type == "cuda":
            torch.cuda.set_rng_state(tensors["rng/cuda"], self.device)

    def _restore_history(self, history: dict[str, list[float]]) -> None:
        self.history.clear()
        columns = [history.get(name, []) for name in self.history.names]
        rows = min((len(c) for c in columns), default=0)
        for i in range(rows):
            self.history.append(**{name: float(col[i]) if col[i] is not None else float("nan")
                                   for name, col in zip(self.history.names, columns)})

    def state_dicts(self) -> dict[str, dict[str, torch.Tensor]]:
        return {name: {k: v.detach().cpu().contiguous() for k, v in m.state_dict().items()}
                for name, m in self.task.modules().items()}


def _flat(parts: list[torch.Tensor]) -> torch.Tensor:
    """Per-batch values kept as single values (ordinary steps) and runs of them (fast-path calls), in order."""
    if all(p.dim() == 0 for p in parts):
        return torch.stack(parts)
    return torch.cat([p.reshape(-1) for p in parts])


def _copy(t: torch.Tensor) -> torch.Tensor:
    """A CPU copy that training can no longer change (``.cpu()`` of a CPU tensor is the same memory)."""
    return t.detach().to("cpu", copy=True).contiguous()


def _transfer(module: nn.Module, old: dict[str, torch.Tensor]) -> int:
    """Copy into ``module`` every layer of ``old`` whose tensors all have the same names and shapes."""
    kept = 0
    for name, child in module.named_children():
        mine = child.state_dict()
        theirs = {k[len(name) + 1:]: v for k, v in old.items() if k.startswith(name + ".")}
        if mine and set(mine) == set(theirs) and all(mine[k].shape == theirs[k].shape for k in mine):
            child.load_state_dict(theirs)
            kept += 1
    return kept
