"""Weights for an imported model: a ``.safetensors`` file or a ``.pt``/``.pth`` state dict, matched to the lab.

A state dict is read as data only: safetensors holds nothing but tensors, and ``torch.load`` runs with
``weights_only=True``, which refuses any pickled Python object (a whole model saved with ``torch.save(model)``)
instead of running it. The tensors are matched to the parameters of the lab's compiled networks, whose names
follow the editor's nodes and may differ from the source's: by name first (also without the ``rnn.`` that the
editor's recurrent layers add, and with or without the network's name in front), then layer by layer in order,
where a layer's tensors have the same names and shapes. What matched and what did not is reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from playground.graph import GraphError, Lab

from .errors import EngineError

MAX_FILE_BYTES = 4 * 1024**3  # a module attribute, so tests can lower it
SUFFIXES = (".safetensors", ".pt", ".pth", ".bin", ".ckpt")
_WRAPPERS = ("state_dict", "model_state_dict", "model", "module", "net", "network", "weights")
_PREFIXES = ("module.", "_orig_mod.", "model.")
_OPTIONAL = ("num_batches_tracked",)  # counters torch keeps beside BatchNorm's statistics: nothing is lost without


class WeightsImportError(EngineError):
    """The weights file cannot be read, or nothing in it fits the lab; the message says which and why."""


@dataclass
class WeightsMatch:
    """Which tensors of the file went to which parameters of the lab's networks."""

    states: dict[str, dict[str, torch.Tensor]]  # network -> compiled parameter name -> tensor from the file
    matched: list[tuple[str, str, str, str]] = field(default_factory=list)  # network, parameter, file key, how
    missing: list[tuple[str, str, tuple[int, ...]]] = field(default_factory=list)  # left at their start values
    unused: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)  # tensors of the file that fit nothing
    source: str = ""

    @property
    def complete(self) -> bool:
        return not self.missing

    def summary(self) -> str:
        """One line first (for a status bar), then the details."""
        by_name = sum(1 for m in self.matched if m[3] == "name")
        total = len(self.matched) + len(self.missing)
        head = f"{self.source}: {len(self.matched)} of {total} weight tensors matched"
        if self.matched:
            head += f" ({by_name} by name, {len(self.matched) - by_name} by order and shape)"
        lines = [head]
        if self.missing:
            shown = ", ".join(f"{k} {_dims(s)}" for _n, k, s in self.missing[:6])
            more = f" and {len(self.missing) - 6} more" if len(self.missing) > 6 else ""
            lines.append(f"Not in the file, left at their starting values: {shown}{more}")
        if self.unused:
            shown = ", ".join(f"{k!r} {_dims(s)}" for k, s in self.unused[:6])
            more = f" and {len(self.unused) - 6} more" if len(self.unused) > 6 else ""
            lines.append(f"In the file but fitting no layer, ignored: {shown}{more}")
        renamed = [(n, t, s) for n, t, s, how in self.matched if t != s]
        if renamed:
            shown = ", ".join(f"{s!r} → {t}" for _n, t, s in renamed[:6])
            more = f" and {len(renamed) - 6} more" if len(renamed) > 6 else ""
            lines.append(f"Renamed: {shown}{more}")
        return "\n".join(lines)


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape) or "scalar"


# Reading ---------------------------------------------------------------------------------------------------------


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a ``.safetensors`` file or a ``.pt``/``.pth`` state dict (never unpickling objects)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise WeightsImportError(f"Cannot read {p}: {e.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise WeightsImportError(f"{p.name} is {size / 2**30:.1f} GiB, more than the "
                                 f"{MAX_FILE_BYTES / 2**30:.1f} GiB a weights file may have here")
    suffix = p.suffix.lower()
    if suffix == ".safetensors":
        return _read_safetensors(p)
    if suffix in SUFFIXES:
        return _read_torch(p)
    with open(p, "rb") as f:
        head = f.read(2)
    # torch.save writes a zip (or, in old files, a pickle); anything else is read as safetensors, which is data only
    return _read_torch(p) if head in (b"PK", b"\x80\x02") or head[:1] == b"\x80" else _read_safetensors(p)


def _read_safetensors(p: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return dict(load_file(str(p)))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise WeightsImportError(f"{p.name} is not a readable safetensors file ({_first_line(e)})") from None


def _read_torch(p: Path) -> dict[str, torch.Tensor]:
    import pickle

    try:
        loaded = torch.load(str(p), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        text = str(e)
        if not re.search(r"Unsupported global|GLOBAL ", text):  # not a pickled object: a broken or foreign file
            raise WeightsImportError(f"{p.name} is not a PyTorch weights file ({_first_line(e)})") from None
        found = re.search(r"GLOBAL ([\w.]+)", text) or re.search(r"Unsupported global: ([\w.]+)", text)
        what = f" ({found.group(1)})" if found else ""
        raise WeightsImportError(f"{p.name} holds pickled Python objects{what}, not only tensors, so it is not "
                                 f"opened: unpickling could run code. If it is a whole model saved with "
                                 f"torch.save(model), save torch.save(model.state_dict(), path) instead") from None
    except (RuntimeError, OSError, EOFError, ValueError) as e:
        raise WeightsImportError(f"{p.name} is not a PyTorch weights file ({_first_line(e)})") from None
    return _tensors_of(loaded, p.name)


def _tensors_of(loaded: Any, name: str) -> dict[str, torch.Tensor]:
    if isinstance(loaded, torch.Tensor) or not isinstance(loaded, Mapping):
        raise WeightsImportError(f"{name} holds a {type(loaded).__name__}, not a state dict (names to tensors)")
    if loaded and all(isinstance(v, torch.Tensor) for v in loaded.values()):
        return {str(k): v for k, v in loaded.items()}
    for key in _WRAPPERS:  # a training checkpoint: {"state_dict": {...}, "epoch": 3, "optimizer": {...}}
        inner = loaded.get(key)
        if isinstance(inner, Mapping) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
            return {str(k): v for k, v in inner.items()}
    flat: dict[str, torch.Tensor] = {}

    def walk(value: Any, prefix: str) -> None:
        if isinstance(value, torch.Tensor):
            flat[prefix] = value
        elif isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, f"{prefix}.{k}" if prefix else str(k))

    walk(loaded, "")
    if not flat:
        raise WeightsImportError(f"{name} holds no tensors")
    return flat


def _first_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return lines[0][:200] if lines else type(e).__name__


# Matching --------------------------------------------------------------------------------------------------------


def _strip_prefixes(keys: list[str]) -> dict[str, str]:
    """Normalized name -> the file's name, without wrappers every key shares (DataParallel's ``module.``...)."""
    names = {k: k for k in keys}
    changed = True
    while changed and names:
        changed = False
        for prefix in _PREFIXES:
            if all(n.startswith(prefix) for n in names):
                names = {n[len(prefix):]: k for n, k in names.items()}
                changed = True
    return names


def _natural(key: str) -> list[Any]:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.]", key)]


def _plain(key: str) -> str:
    """A compiled name as the source would write it: the editor's recurrent layers hold their nn.LSTM as ``rnn``."""
    return key.replace(".rnn.", ".")


def _last(key: str) -> str:
    return key.rsplit(".", 1)[-1]


_Target = tuple[str, str, tuple[int, ...], torch.dtype]  # network, state-dict key, shape, dtype


def match_weights(lab: Lab, tensors: Mapping[str, torch.Tensor], source: str = "the weights file") -> WeightsMatch:
    """Match ``tensors`` to the parameters (and buffers) of the lab's compiled networks."""
    targets = _targets(lab)
    matcher = _Matcher(lab, tensors, source)
    matcher.by_name(targets)
    order = matcher.by_order_and_shape(targets)
    match, remaining = matcher.match, matcher.remaining
    done = {(n, k) for n, k, _f, _h in match.matched}
    match.missing = [(n, k, s) for n, k, s, _d in targets if (n, k) not in done and _last(k) not in _OPTIONAL]
    match.unused = [(remaining[n], tuple(tensors[remaining[n]].shape)) for n in order if n in remaining]
    if not match.matched:
        want = ", ".join(f"{k} {_dims(s)}" for _n, k, s, _d in targets[:4])
        have = ", ".join(f"{k!r} {_dims(tuple(v.shape))}" for k, v in list(tensors.items())[:4])
        raise WeightsImportError(f"No tensor of {source} fits the lab's layers: the lab needs {want or 'nothing'}; "
                                 f"the file has {have or 'nothing'}")
    return match


def _targets(lab: Lab) -> list[_Target]:
    """Every tensor of the lab's compiled networks' state dicts."""
    from playground.compile import compile_network

    targets: list[_Target] = []
    for network in lab.networks:
        try:
            compiled = compile_network(network.graph, network.name)
        except GraphError as e:
            raise WeightsImportError(f"The lab's network '{network.name}' does not compile: {e}") from None
        for key, value in compiled.module.state_dict().items():
            targets.append((network.name, key, tuple(value.shape), value.dtype))
    return targets


def _signature(items: list[tuple[str, tuple[int, ...]]]) -> set[tuple[str, tuple[int, ...]]]:
    return {(_last(k), s) for k, s in items if _last(k) not in _OPTIONAL}


class _Matcher:
    """The file's tensors not yet taken, and the networks' state dicts as they fill."""

    def __init__(self, lab: Lab, tensors: Mapping[str, torch.Tensor], source: str) -> None:
        self.tensors, self.source = tensors, source
        self.remaining = dict(_strip_prefixes(list(tensors)))  # normalized name -> file key, while not taken
        self.states: dict[str, dict[str, torch.Tensor]] = {n.name: {} for n in lab.networks}
        self.match = WeightsMatch(self.states, source=source)

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self.tensors[self.remaining[name]].shape)

    def take(self, net: str, key: str, dtype: torch.dtype, name: str, how: str) -> None:
        file_key = self.remaining.pop(name)
        value = self.tensors[file_key].detach().to("cpu")
        self.states[net][key] = value.to(dtype) if value.is_floating_point() and dtype.is_floating_point else value
        self.match.matched.append((net, key, file_key, how))

    def by_name(self, targets: list[_Target]) -> None:
        """The compiled name, with or without "rnn.", with or without the network's name in front."""
        for net, key, shape, dtype in targets:
            for name in (key, _plain(key), f"{net}.{key}", f"{net}.{_plain(key)}", f"{net}/{key}"):
                if name in self.remaining and self.shape(name) == shape:
                    self.take(net, key, dtype, name, "name")
                    break

    def by_order_and_shape(self, targets: list[_Target]) -> list[str]:
        """Layer by layer, a layer of the file fits one of the lab when its tensors have the same last names and
        shapes. A state dict from torch.load keeps the module order; safetensors sorts its names, so their numbers
        are read as numbers (layers.10 after layers.9). Returns the file's names in that order."""
        done = {(n, k) for n, k, _f, _h in self.match.matched}
        groups: dict[tuple[str, str], list[tuple[str, tuple[int, ...], torch.dtype]]] = {}
        for net, key, shape, dtype in targets:
            if (net, key) not in done:
                groups.setdefault((net, key.split(".", 1)[0]), []).append((key, shape, dtype))
        order = list(self.remaining)
        if self.source.lower().endswith(".safetensors"):
            order.sort(key=_natural)
        file_groups: dict[str, list[str]] = {}
        for name in order:
            file_groups.setdefault(name.rsplit(".", 1)[0] if "." in name else "", []).append(name)
        for (net, _node), items in groups.items():
            wanted = _signature([(k, s) for k, s, _d in items])
            if wanted:
                self._take_layer(net, items, wanted, file_groups)
        return order

    def _take_layer(self, net: str, items: list[tuple[str, tuple[int, ...], torch.dtype]],
                    wanted: set[tuple[str, tuple[int, ...]]], file_groups: dict[str, list[str]]) -> None:
        for names in file_groups.values():
            free = [n for n in names if n in self.remaining]
            if not free or _signature([(n, self.shape(n)) for n in free]) != wanted:
                continue
            by_last = {_last(n): n for n in free}
            for key, shape, dtype in items:
                found = by_last.get(_last(key))
                if found is not None and self.shape(found) == shape:
                    self.take(net, key, dtype, found, "order and shape")
            return


def import_weights(lab: Lab, path: str | Path) -> WeightsMatch:
    """Read a weights file and match it to the lab (see :func:`match_weights`)."""
    p = Path(path)
    return match_weights(lab, read_state_dict(p), p.name)


# Opening the lab trained -------------------------------------------------------------------------------------------


def trained_project(lab: Lab, states: Mapping[str, Mapping[str, torch.Tensor]]) -> Any:
    """A :class:`~playground.engine.project.Project` of ``lab`` whose checkpoint holds ``states`` (the rest of each
    network at the seeded start), at epoch 0: opening it shows the imported network as trained, ready to go on.

    Raises EngineError or GraphError when the lab cannot train (its data does not fit its input, say)."""
    from .project import Project
    from .trainer import Trainer

    trainer = Trainer(lab, device="cpu")
    modules = trainer.task.modules()
    for net, state in states.items():
        if not state:
            continue
        module = modules.get(net)
        if module is None:
            raise WeightsImportError(f"The lab has no network '{net}' for the weights")
        own = module.state_dict()
        for key, value in state.items():
            if key not in own or tuple(own[key].shape) != tuple(value.shape):
                raise WeightsImportError(f"The weights of network '{net}' do not fit its graph: {key}")
        with torch.no_grad():
            module.load_state_dict({**own, **{k: v.to(own[k].dtype) for k, v in state.items()}})
    return Project(lab, trainer.checkpoint())
