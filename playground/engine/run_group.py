"""Runs side by side: copies of one lab, each with one change (optimizer, learning rate, batch size, dropout, hidden
units, activation), trained together from the same start on one thread.

Every run is an ordinary :class:`~playground.engine.trainer.Trainer` on the same data bundle (loaded once) and the
same seed, so two runs without a change are the same computation. The group advances them in turns of one epoch
(round robin), which shares the cores fairly however many runs there are. Between turns each run keeps its own
state of torch's global random generator (dropout draws from it), so a run's numbers do not depend on how many
other runs share the thread or in which order they go. The compiled fast path stays off: whether an epoch runs
compiled depends on when its background build finished, and two runs must not differ by that timing.

A run whose network differs from the first run's (an architecture change) starts with the first run's initial
weights in every layer whose tensors have the same shapes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from playground.graph import GraphError, Lab
from playground.snapshots import Snapshot
from playground.snapshots.comparison import RunFailed, RunProgress, SettingRow, SettingsTable

from .commands import SetWeights
from .datasets import DataBundle, load_dataset
from .device import resolve_device
from .errors import EngineError
from .project_format import ProjectError
from .trainer import Trainer

MAX_RUNS = 8
GRID_RESOLUTION = 64  # the side-by-side boundaries are small: a coarser grid costs each turn less
ACTIVATIONS = ("ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softplus")
CHANGE_KINDS: dict[str, str] = {
    "none": "No change",
    "optimizer": "Optimizer",
    "learning_rate": "Learning rate",
    "batch_size": "Batch size",
    "dropout": "Dropout",
    "units": "Hidden units",
    "activation": "Activation",
}
_ENDED = ("finished", "diverged", "stopped")


# One change -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunChange:
    """What a duplicate changes: ``kind`` one of CHANGE_KINDS, ``value`` the new setting."""

    kind: str = "none"
    value: str | float | int = ""

    def describe(self) -> str:
        if self.kind == "none":
            return "no change"
        value = f"{self.value:g}" if isinstance(self.value, float) else str(self.value)
        return f"{CHANGE_KINDS.get(self.kind, self.kind).lower()} {value}"


def _first_graph(lab: Lab) -> Any:
    if not lab.networks:
        raise EngineError("The lab has no network to change")
    return lab.networks[0].graph


def _hidden_dense(graph: Any) -> list[str]:
    """The Dense layers before the last one (the last maps to the outputs, so its units are not free)."""
    dense = [name for name in graph.topological_order() if graph.node(name).kind == "Dense"]
    return dense[:-1]


def _set_dropout(lab: Lab, p: float) -> None:
    graph = _first_graph(lab)
    drops = graph.nodes_of_kind("Dropout")
    for node in drops:
        graph.set_param(node.name, "p", p)
    if drops or p <= 0:
        return
    # No dropout layer yet: one goes before the output layer, where it regularises the features the decision is
    # made from, as in most textbook networks.
    dense = [name for name in graph.topological_order() if graph.node(name).kind == "Dense"]
    incoming = graph.incoming(dense[-1]) if dense else {}
    if not incoming:
        raise EngineError("This network has no Dense output layer to put a Dropout layer before")
    port, source = next(iter(incoming.items()))
    target = dense[-1]
    x, y = graph.node(target).position
    drop = graph.add_node("Dropout", params={"p": p}, position=(x - 95.0, y + 60.0))
    graph.disconnect(source, target, port)
    graph.connect(source, drop.name)
    graph.connect(drop.name, target, port)


def _set_units(lab: Lab, units: int) -> None:
    graph = _first_graph(lab)
    hidden = _hidden_dense(graph)
    if not hidden:
        raise EngineError("This network has no hidden Dense layer whose units could change")
    for name in hidden:
        graph.set_param(name, "units", units)


def _set_activation(lab: Lab, kind: str) -> None:
    if kind not in ACTIVATIONS:
        raise EngineError(f"Unknown activation '{kind}' (one of {', '.join(ACTIVATIONS)})")
    graph = _first_graph(lab)
    swapped = [name for name in graph.topological_order() if graph.node(name).kind in ACTIVATIONS]
    if not swapped:
        raise EngineError("This network has no activation layer to swap")
    for name in swapped:
        node = graph.node(name)
        if node.kind == kind:
            continue
        incoming, outgoing = graph.incoming(name), [(e.target, e.port) for e in graph.outgoing(name)]
        position = node.position
        graph.remove_node(name)
        graph.add_node(kind, name=name, position=position)
        for port, source in incoming.items():
            graph.connect(source, name, port)
        for target, port in outgoing:
            graph.connect(name, target, port)


def duplicate(lab: Lab, change: RunChange | None = None) -> Lab:
    """A copy of ``lab`` with ``change`` applied and checked (GraphError or EngineError name what does not fit)."""
    copy = Lab.from_dict(lab.to_dict())
    change = change or RunChange()
    kind, value = change.kind, change.value
    if kind == "optimizer":
        copy.training = copy.training.updated(optimizer=str(value))
    elif kind == "learning_rate":
        copy.training = copy.training.updated(learning_rate=float(value))
    elif kind == "batch_size":
        copy.training = copy.training.updated(batch_size=int(value))
    elif kind == "dropout":
        _set_dropout(copy, float(value))
    elif kind == "units":
        _set_units(copy, int(value))
    elif kind == "activation":
        _set_activation(copy, str(value))
    elif kind != "none":
        raise EngineError(f"Unknown change '{kind}' (one of {', '.join(CHANGE_KINDS)})")
    copy.check()
    return copy


# The table of settings ------------------------------------------------------------------------------------------

def _number(x: float) -> str:
    return f"{x:g}"


def _network_rows(lab: Lab) -> dict[str, str]:
    graph = lab.networks[0].graph if lab.networks else None
    if graph is None:
        return {"Hidden units": "", "Activations": "", "Dropout": "", "Layers": "", "Parameters": ""}
    order = graph.topological_order()
    kinds = [graph.node(n).kind for n in order]
    drops = [_number(float(graph.node(n).params.get("p", 0.0))) for n in order if graph.node(n).kind == "Dropout"]
    activations = list(dict.fromkeys(k for k in kinds if k in ACTIVATIONS))
    try:
        parameters = f"{sum(net.graph.infer().total_params for net in lab.networks):,}"
    except GraphError:
        parameters = "?"
    return {
        "Hidden units": ", ".join(str(graph.node(n).params.get("units")) for n in _hidden_dense(graph)) or "none",
        "Activations": ", ".join(activations) or "none",
        "Dropout": ", ".join(drops) or "none",
        "Layers": str(len(order)),
        "Parameters": parameters,
    }


def lab_settings(lab: Lab) -> dict[str, str]:
    """The settings a comparison shows, by label, as text."""
    t = lab.training
    regularization = "none" if t.regularization == "none" else f"{t.regularization} {_number(t.regularization_rate)}"
    rows = {
        "Optimizer": t.optimizer,
        "Learning rate": _number(t.learning_rate),
        "Batch size": str(t.batch_size),
        "Momentum": _number(t.momentum) if t.optimizer in ("momentum", "nesterov") else "-",
        "Schedule": t.schedule,
        "Regularization": regularization,
        "Epochs": str(t.epochs),
        "Initialiser": t.init,
        "Seed": str(lab.seed),
        "Dataset": lab.dataset.name,
    }
    rows.update(_network_rows(lab))
    return rows


def settings_table(runs: Sequence[tuple[int, Lab]]) -> SettingsTable:
    """Each setting across the runs (id, lab), rows in a fixed order, those that differ marked."""
    columns = [lab_settings(lab) for _id, lab in runs]
    names = list(columns[0]) if columns else []
    rows = []
    for name in names:
        values = tuple(c.get(name, "") for c in columns)
        rows.append(SettingRow(name, values, len(set(values)) > 1))
    return SettingsTable(tuple(i for i, _lab in runs), tuple(rows))


# Training together ----------------------------------------------------------------------------------------------

def main_probe(lab: Lab, data: DataBundle) -> tuple[str, ...]:
    """The probe of each run's main view: the decision boundary for 2-D data, the confusion matrix for other
    classifications, the fitted curve of a 1-D function; nothing for the other families (their curves say it)."""
    if lab.task not in ("classification", "regression"):
        return ()
    if data.is_plane:
        return ("boundary",)
    if lab.task == "classification":
        return ("confusion",)
    return ("function",) if tuple(data.input_shape) == (1,) else ()


@dataclass
class _Run:
    id: int
    lab: Lab
    trainer: Trainer | None = None
    stream: Iterator[Snapshot] | None = None
    rng: tuple[torch.Tensor, torch.Tensor | None] | None = None  # torch's CPU and (on a GPU) CUDA generators
    ended: bool = False
    moved: bool = False  # it was given the first run's starting weights, which its first snapshot predates


class RunGroup:
    """Runs that train together in turns of one epoch. Not thread-safe: one thread owns it (the comparison's
    worker, or a test)."""

    def __init__(self, *, device: str | None = None, grid_resolution: int = GRID_RESOLUTION) -> None:
        self.device = device
        self.grid_resolution = grid_resolution
        self._runs: dict[int, _Run] = {}
        self._data: dict[str, DataBundle] = {}
        self._reference: dict[str, dict[str, torch.Tensor]] | None = None
        self._turn = -1

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(self._runs)

    def trainer(self, run_id: int) -> Trainer | None:
        return self._runs[run_id].trainer

    def add(self, run_id: int, lab: Lab, *, ended: bool = False) -> None:
        """Add a run (built at its first turn); ``ended`` for a run that only shows its saved curves."""
        if run_id in self._runs:
            raise EngineError(f"Run {run_id} is already in the comparison")
        if len(self._runs) >= MAX_RUNS:
            raise EngineError(f"A comparison holds at most {MAX_RUNS} runs: remove one first")
        self._runs[run_id] = _Run(run_id, Lab.from_dict(lab.to_dict()), ended=ended)

    def remove(self, run_id: int) -> None:
        self._runs.pop(run_id, None)
        if not self._runs:
            self._reference = None

    def restart(self) -> None:
        """Every run from the start again: the same initial weights, the same data, the same seed."""
        self._reference = None
        for run in self._runs.values():
            run.trainer = run.stream = run.rng = None
            run.ended = False

    @property
    def training(self) -> bool:
        """Whether a run has epochs left."""
        return any(not run.ended for run in self._runs.values())

    def advance(self) -> RunProgress | RunFailed | None:
        """The next run's turn: one epoch (its first turn builds it and reports where it starts). None when
        every run has ended."""
        order = list(self._runs)
        for k in range(1, len(order) + 1):
            run = self._runs[order[(self._turn + k) % len(order)]]
            if run.ended:
                continue
            self._turn = order.index(run.id)
            try:
                snap = self._turn_of(run)
            except (GraphError, EngineError) as e:
                run.ended = True
                return RunFailed(run.id, str(e))
            if snap is None:
                continue
            return RunProgress(run.id, snap)
        return None

    def _turn_of(self, run: _Run) -> Snapshot | None:
        if run.stream is None:
            self._build(run)
        assert run.stream is not None and run.rng is not None and run.trainer is not None
        device = run.trainer.device
        outside = _rng_state(device)
        _set_rng_state(device, run.rng)
        try:
            snap = next(run.stream, None)
            if run.moved:
                run.moved = False
                snap = next(run.stream, None)
        finally:
            run.rng = _rng_state(device)
            _set_rng_state(device, outside)
        if snap is None or snap.state in _ENDED:
            run.ended = True
        return snap

    def _bundle(self, lab: Lab) -> DataBundle:
        key = json.dumps([lab.dataset.to_dict(), lab.seed], sort_keys=True)
        if key not in self._data:
            self._data[key] = load_dataset(lab.dataset, lab.seed, self.grid_resolution)
        return self._data[key]

    def _build(self, run: _Run) -> None:
        device = resolve_device(self.device or run.lab.training.device)
        outside = _rng_state(device)
        try:
            data = self._bundle(run.lab)
            trainer = Trainer(run.lab, device=str(device), data=data, probes=main_probe(run.lab, data),
                              grid_resolution=self.grid_resolution, fast_path=False)
            run.rng = _rng_state(device)
        finally:
            _set_rng_state(device, outside)
        if self._reference is None:
            self._reference = {name: {k: v.clone() for k, v in sd.items()}
                               for name, sd in trainer.state_dicts().items()}
        else:
            run.moved = self._same_start(trainer)
        run.trainer = trainer
        run.stream = trainer.run(interval=None, every_epoch=True, stop_when_idle=True)

    def _same_start(self, trainer: Trainer) -> bool:
        """Layers whose tensors have the first run's shapes start from the first run's initial weights; True
        when that changed any."""
        assert self._reference is not None
        moved = False
        for name, own in trainer.state_dicts().items():
            theirs = self._reference.get(name, {})
            layers = {key.rsplit(".", 1)[0] for key in own}
            fitting: dict[str, torch.Tensor] = {}
            for layer in layers:
                keys = [k for k in own if k.rsplit(".", 1)[0] == layer]
                if all(k in theirs and theirs[k].shape == own[k].shape for k in keys):
                    fitting.update({k: theirs[k] for k in keys})
            if fitting and any(not torch.equal(fitting[k], own[k]) for k in fitting):
                trainer.send(SetWeights(name, fitting))
                moved = True
        return moved


def _rng_state(device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
    return torch.get_rng_state(), (torch.cuda.get_rng_state(device) if device.type == "cuda" else None)


def _set_rng_state(device: torch.device, state: tuple[torch.Tensor, torch.Tensor | None]) -> None:
    torch.set_rng_state(state[0])
    if device.type == "cuda" and state[1] is not None:
        torch.cuda.set_rng_state(state[1], device)


# Saved with the project -----------------------------------------------------------------------------------------

@dataclass
class SavedRun:
    """A run as the project file keeps it: its name, lab, change, whether it is shown, and its curves."""

    name: str
    lab: Lab
    change: str = ""
    hidden: bool = False
    history: dict[str, list[float]] = field(default_factory=dict)


def _plain(x: float) -> float | None:
    return None if not math.isfinite(x) else x


def runs_section(runs: Sequence[SavedRun]) -> list[dict[str, Any]]:
    """The project's runs section (JSON-ready); missing and infinite numbers are written as null."""
    return [{"name": r.name, "change": r.change, "hidden": r.hidden, "lab": r.lab.to_dict(),
             "history": {k: [_plain(float(v)) for v in col] for k, col in r.history.items()}} for r in runs]


def _history(value: Any, where: str) -> dict[str, list[float]]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, list) for k, v in value.items()):
        raise ProjectError(f"{where}: 'history' must map column names to lists of numbers")
    out: dict[str, list[float]] = {}
    for name, col in value.items():
        if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in col):
            raise ProjectError(f"{where}: the history column '{name[:40]}' holds something other than numbers")
        out[name] = [math.nan if v is None else float(v) for v in col]
    if len({len(c) for c in out.values()}) > 1:
        raise ProjectError(f"{where}: the history's columns have different lengths")
    return out


def parse_runs(data: Any, where: str) -> list[SavedRun]:
    """The runs of a project's runs section, checked; ProjectError names the run and what is wrong."""
    if not isinstance(data, list) or len(data) > MAX_RUNS:
        raise ProjectError(f"{where}: the runs section must be a list of at most {MAX_RUNS} runs")
    runs = []
    for i, item in enumerate(data, start=1):
        at = f"{where}: run {i}"
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise ProjectError(f"{at} needs a 'name'")
        if not isinstance(item.get("change", ""), str) or not isinstance(item.get("hidden", False), bool):
            raise ProjectError(f"{at}: 'change' must be text and 'hidden' true or false")
        try:
            lab = Lab.from_dict(item.get("lab"))
        except GraphError as e:
            raise ProjectError(f"{at}: its lab: {e.message}") from None
        runs.append(SavedRun(item["name"][:200], lab, item.get("change", ""), item.get("hidden", False),
                             _history(item.get("history", {}), at)))
    return runs
