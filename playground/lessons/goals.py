"""Lesson goals: a small declarative language, parsed into conditions and checked on a live run. Never evaluated.

A goal is conditions joined by ``and`` (or ``while``, which reads better for trends)::

    test accuracy >= 95%
    test loss rising while train loss falling
    hidden layers == 0 and test accuracy >= 0.9
    has Dropout and features are x1, x2
    changed learning rate while training

Each condition is one of the forms in :data:`FORMS`; a condition that fits none, or names a metric, a layer kind, a
feature or a setting that does not exist, is refused when the lesson is read, with its line.
"""

from __future__ import annotations

import contextlib
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from playground.graph import Lab
from playground.graph.catalog import KINDS
from playground.graph.lab import DATASET_FIELDS, TRAINING_FIELDS

# What the engine's tasks report, each as train_<name> and test_<name> (tests hold this against the engine).
TASK_METRICS = ("loss", "accuracy", "reconstruction", "code_l1", "kl", "d_loss", "g_loss", "d_real", "d_fake")
METRICS = tuple(f"{split}_{m}" for m in TASK_METRICS for split in ("train", "test"))
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2")
NETWORK_COUNTS = ("hidden_layers", "hidden_units", "parameters", "layers")
SETTING_CHOICES = ("optimizer", "schedule", "regularization", "dataset", "task", "freeze", "init")
STATES = ("diverged", "finished", "paused", "running")
TREND_WINDOW = 5  # points of history a trend looks back over

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq, "!=": operator.ne}
_NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?%?"
_OP = r"<=|>=|==|!=|<|>"


class RunView(Protocol):
    """What a goal may read of a run: a Snapshot fits, and so does the headless runner's record."""

    state: str
    epoch: int
    metrics: Mapping[str, float]
    history: Mapping[str, Any]


@dataclass(frozen=True)
class Condition:
    """One checkable statement of a goal, with the words it was written in."""

    text: str
    kind: str  # compare | trend | has | lacks | features | uses | choice | state | changed
    name: str = ""
    op: str = ""
    value: Any = None

    def met(self, lab: Lab, run: RunView | None, events: frozenset[str] = frozenset()) -> bool:
        checker = _CHECKS[self.kind]
        return bool(checker(self, lab, run, events))


@dataclass(frozen=True)
class Goal:
    """Conditions that must all hold at once."""

    text: str
    conditions: tuple[Condition, ...]

    def met(self, lab: Lab, run: RunView | None, events: frozenset[str] = frozenset()) -> bool:
        return all(c.met(lab, run, events) for c in self.conditions)

    def unmet(self, lab: Lab, run: RunView | None, events: frozenset[str] = frozenset()) -> list[str]:
        """The words of each condition not met yet, for a hint line."""
        return [c.text for c in self.conditions if not c.met(lab, run, events)]


class GoalSyntaxError(ValueError):
    """A goal that does not parse; the message names the condition and what is allowed."""


def parse_goal(text: str) -> Goal:
    words = " ".join(text.split())
    if not words:
        raise GoalSyntaxError("the goal is empty")
    parts = [p.strip() for p in re.split(r"\s+(?:and|while(?!\s+training\b))\s+", words) if p.strip()]
    return Goal(words, tuple(_condition(p) for p in parts))


def _key(words: str) -> str:
    return "_".join(words.lower().replace("training ", "train ").split())


def _number(text: str) -> float:
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def _condition(text: str) -> Condition:
    low = text.lower()
    m = re.fullmatch(r"(?P<kind>[a-z0-9_]+) layers\s*(?P<op>" + _OP + r")\s*(?P<value>\d+)", low)
    if m and m["kind"] not in ("hidden",):
        return Condition(text, "count", _kind(m["kind"], text), m["op"], int(m["value"]))
    m = re.fullmatch(rf"(?P<name>[a-z][a-z0-9 _^*]*?)\s*(?P<op>{_OP})\s*(?P<value>{_NUMBER})", low)
    if m:
        name = _key(m["name"])
        if name not in METRICS + NETWORK_COUNTS + ("epoch",) and name not in _SETTING_NUMBERS:
            raise GoalSyntaxError(f"{text!r} compares {m['name']!r}, which is not a metric, a setting or a count; "
                                  f"known: {', '.join(METRICS[:4])}, epoch, hidden layers, hidden units, parameters, "
                                  "learning rate, batch size, noise ...")
        return Condition(text, "compare", name, m["op"], _number(m["value"]))
    m = re.fullmatch(r"(?P<name>[a-z][a-z0-9 _]*?)\s+(?P<dir>rising|rises|falling|falls)", low)
    if m:
        name = _key(m["name"])
        if name not in METRICS:
            raise GoalSyntaxError(f"{text!r}: only a metric can rise or fall ({', '.join(METRICS[:4])} ...)")
        return Condition(text, "trend", name, "up" if m["dir"].startswith("ris") else "down")
    m = re.fullmatch(r"(?P<what>has|no)\s+(?:an?\s+)?(?P<kind>[a-z0-9_]+?)(?:\s+layers?)?", low)
    if m:
        return Condition(text, "has" if m["what"] == "has" else "lacks", _kind(m["kind"], text))
    m = re.fullmatch(r"features are\s+(?P<list>.+)", low)
    if m:
        return Condition(text, "features", value=frozenset(_features(m["list"], text)))
    m = re.fullmatch(r"(?P<what>uses|no) feature\s+(?P<name>\S+)", low)
    if m:
        (feature,) = _features(m["name"], text)
        return Condition(text, "uses", feature, value=m["what"] == "uses")
    m = re.fullmatch(r"(?P<name>[a-z_]+) is\s+(?P<value>[a-z0-9_]+)", low)
    if m and m["name"] in SETTING_CHOICES:
        return Condition(text, "choice", m["name"], value=m["value"])
    m = re.fullmatch(r"(?:the run (?:has |is )?)?(?P<state>diverged|finished|paused|running)", low)
    if m:
        return Condition(text, "state", m["state"])
    m = re.fullmatch(r"changed (?P<name>[a-z _]+?) while training", low)
    if m:
        name = _key(m["name"])
        if name not in _SETTING_NUMBERS and name not in SETTING_CHOICES and name != "dataset":
            raise GoalSyntaxError(f"{text!r}: {m['name']!r} is not a training setting")
        return Condition(text, "changed", name)
    raise GoalSyntaxError(
        f"{text!r} is not a condition this app can check. Write a comparison ('test accuracy >= 95%'), a trend "
        "('test loss rising'), a layer ('has Dropout', 'no Dense', 'Conv2d layers >= 2'), features ('features are "
        "x1, x2'), a choice ('optimizer is sgd'), a state ('diverged') or 'changed learning rate while training'")


def _kind(word: str, text: str) -> str:
    for kind in KINDS:
        if kind.lower() == word.lower():
            return kind
    raise GoalSyntaxError(f"{text!r}: {word!r} is not a layer kind; known: {', '.join(KINDS)}")


def _features(words: str, text: str) -> list[str]:
    names = [w.strip() for w in words.split(",") if w.strip()]
    bad = [n for n in names if n not in FEATURES]
    if bad or not names:
        raise GoalSyntaxError(f"{text!r}: {bad[0] if bad else words!r} is not a feature; known: {', '.join(FEATURES)}")
    return names


_SETTING_NUMBERS = {p.name: "training" for p in TRAINING_FIELDS if p.type in ("int", "float")}
_SETTING_NUMBERS.update({p.name: "dataset" for p in DATASET_FIELDS if p.type in ("int", "float")})
_SETTING_NUMBERS["seed"] = "lab"


# -- checking ------------------------------------------------------------------------------------------------------


def _compare(c: Condition, lab: Lab, run: RunView | None, events: frozenset[str]) -> bool:
    value = _value_of(c.name, lab, run)
    return value is not None and not math.isnan(value) and _OPS[c.op](value, c.value)


def _value_of(name: str, lab: Lab, run: RunView | None) -> float | None:
    if name in METRICS:
        if run is None or name not in run.metrics:
            return None
        return float(run.metrics[name])
    if name == "epoch":
        return float(run.epoch) if run is not None else 0.0
    if name in NETWORK_COUNTS:
        return float(network_counts(lab)[name])
    where = _SETTING_NUMBERS[name]
    holder: Any = lab if where == "lab" else getattr(lab, where)
    return float(getattr(holder, name))


def network_counts(lab: Lab) -> dict[str, int]:
    """Hidden layers (weight layers before the last one), their units, all parameters and all layers of the lab."""
    hidden_layers = hidden_units = parameters = layers = 0
    for network in lab.networks:
        graph = network.graph
        order = [graph.node(n) for n in graph.topological_order()]
        weighted = [n for n in order if n.kind in ("Dense", "Conv2d", "Conv1d", "RNN", "LSTM", "GRU")]
        hidden_layers += max(0, len(weighted) - 1)
        hidden_units += sum(int(n.params.get("units", n.params.get("filters", n.params.get("hidden", 0))) or 0)
                            for n in weighted[:-1])
        layers += sum(1 for n in order if n.kind not in ("Input", "Output"))
        with contextlib.suppress(Exception):  # a graph with a problem has no parameter count yet
            parameters += graph.check().total_params
    return {"hidden_layers": hidden_layers, "hidden_units": hidden_units, "parameters": parameters,
            "layers": layers}


def _trend(c: Condition, lab: Lab, run: RunView | None, events: frozenset[str]) -> bool:
    if run is None or c.name not in run.history:
        return False
    values = [float(v) for v in list(run.history[c.name])[-TREND_WINDOW:] if v == v]
    if len(values) < TREND_WINDOW:
        return False
    change = values[-1] - values[0]
    scale = max(abs(values[0]), 1e-12)
    return change > 0.01 * scale if c.op == "up" else change < -0.01 * scale


def _kinds(lab: Lab) -> list[str]:
    return [n.kind for network in lab.networks for n in network.graph.nodes.values()]


def _choice(c: Condition, lab: Lab, run: RunView | None, events: frozenset[str]) -> bool:
    if c.name == "dataset":
        return bool(lab.dataset.name.lower() == c.value)
    if c.name == "task":
        return bool(lab.task.lower() == c.value)
    return bool(str(getattr(lab.training, c.name)).lower() == c.value)


_CHECKS: dict[str, Callable[[Condition, Lab, RunView | None, frozenset[str]], bool]] = {
    "compare": _compare,
    "trend": _trend,
    "has": lambda c, lab, run, ev: c.name in _kinds(lab),
    "lacks": lambda c, lab, run, ev: c.name not in _kinds(lab),
    "count": lambda c, lab, run, ev: _OPS[c.op](_kinds(lab).count(c.name), c.value),
    "features": lambda c, lab, run, ev: frozenset(lab.dataset.features) == c.value,
    "uses": lambda c, lab, run, ev: (c.name in lab.dataset.features) == c.value,
    "choice": _choice,
    "state": lambda c, lab, run, ev: run is not None and run.state == c.name,
    "changed": lambda c, lab, run, ev: f"changed:{c.name}" in ev,
}


def describe(goal: Goal) -> str:
    """The goal as a student reads it."""
    return "; ".join(c.text for c in goal.conditions)


def all_kinds(conditions: Sequence[Condition]) -> set[str]:
    return {c.kind for c in conditions}
