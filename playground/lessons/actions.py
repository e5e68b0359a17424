"""What a lesson can do for the student ("Show me") and what its reference solution does: parsed, never evaluated.

One action per ``;``-separated part::

    play 30 epochs                      train 30 more epochs (the window presses Play until then)
    set training.learning_rate = 0.3    a training setting, live when the run allows it
    set dataset.noise = 20              a dataset setting (dataset.features = x1, x2, x1*x2 takes a list)
    set dense_1.units = 8               a layer's parameter (network.node.param when the lab has several networks)
    add Dropout p=0.3 after dense_1     a new layer between dense_1 and what followed it
    remove dense_2                      a layer out, its input joined to what followed it
    reset                               fresh weights, the same seed
    freeze conv_1                       lock a layer: training leaves its weights alone (unfreeze conv_1 undoes it)
    open view boundary                  bring a view forward (the window only)
    open view lossLandscapeView         open the loss landscape window (optimizerRaceView: the same window's race)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from playground.graph import DatasetSettings, Lab, Network
from playground.graph.catalog import get_kind
from playground.graph.lab import DATASET_FIELDS, TRAINING_FIELDS

ACTIONS = ("play", "set", "add", "remove", "reset", "open", "freeze", "unfreeze")
_TRAINING = {p.name for p in TRAINING_FIELDS}
_DATASET = {p.name for p in DATASET_FIELDS} | {"name", "features"}
# Views that live in a window of their own (Learning menu) rather than in a dock, by their object names: the
# lesson names them as the student's automation would, and the window opens the one that holds them.
WINDOW_VIEWS = ("lossLandscapeView", "optimizerRaceView")


class ActionSyntaxError(ValueError):
    """An action that does not parse, or that cannot be applied to the lesson's lab."""


@dataclass(frozen=True)
class Action:
    """One thing done to the lab or the run. ``scope`` says what it changes: training, dataset, graph, seed, run,
    view."""

    text: str
    verb: str
    target: str = ""
    value: Any = None
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def scope(self) -> str:
        if self.verb == "set":
            head = self.target.split(".")[0]
            return head if head in ("training", "dataset", "seed") else "graph"
        return {"play": "run", "reset": "run", "open": "view", "freeze": "frozen", "unfreeze": "frozen"}.get(
            self.verb, "graph")


def parse_actions(text: str) -> tuple[Action, ...]:
    return tuple(_action(part.strip()) for part in text.split(";") if part.strip())


def value_of(text: str) -> Any:
    """A literal of a lesson file: a number, true or false, or a word."""
    word = text.strip()
    if word.lower() in ("true", "false"):
        return word.lower() == "true"
    try:
        return int(word)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        return word


def _action(text: str) -> Action:
    low = " ".join(text.split())
    if m := re.fullmatch(r"play(?:\s+(\d+)\s+epochs?)?", low, re.I):
        epochs = int(m[1]) if m[1] else 0
        if m[1] and not 1 <= epochs <= 100000:
            raise ActionSyntaxError(f"{text!r}: play from 1 to 100000 epochs")
        return Action(low, "play", value=epochs)
    if m := re.fullmatch(r"set\s+([A-Za-z_][\w.]*)\s*=\s*(.+)", low, re.I):
        target, raw = m[1], m[2]
        value: Any = [f.strip() for f in raw.split(",") if f.strip()] if target == "dataset.features" else \
            value_of(raw)
        _check_setting(target, value, text)
        return Action(low, "set", target, value)
    if m := re.fullmatch(r"add\s+(\w+)((?:\s+\w+=\S+)*)\s+after\s+([\w.]+)", low, re.I):
        try:
            kind = get_kind(m[1]).name
        except Exception as e:
            raise ActionSyntaxError(f"{text!r}: {e}") from None
        params = tuple((k, value_of(v)) for k, v in re.findall(r"(\w+)=(\S+)", m[2]))
        return Action(low, "add", m[3], kind, params)
    if m := re.fullmatch(r"remove\s+([\w.]+)", low, re.I):
        return Action(low, "remove", m[1])
    if m := re.fullmatch(r"(freeze|unfreeze)\s+([\w.]+)", low, re.I):
        return Action(low, m[1].lower(), m[2])
    if re.fullmatch(r"reset", low, re.I):
        return Action(low, "reset")
    if m := re.fullmatch(r"open\s+view\s+(\w+)", low, re.I):
        return Action(low, "open", _view_name(m[1], text))
    raise ActionSyntaxError(f"{text!r} is not an action; write one of: play 20 epochs, set training.learning_rate = "
                            "0.1, set dense_1.units = 4, add Dropout p=0.2 after dense_1, remove dense_2, reset, "
                            "open view boundary, freeze conv_1, unfreeze conv_1")


def _view_name(word: str, text: str) -> str:
    for name in WINDOW_VIEWS:
        if word.lower() == name.lower():
            return name
    if word.lower().endswith("view"):  # an object name, so it must be one of the windows' views
        raise ActionSyntaxError(f"{text!r}: no view {word!r} opens in a window of its own; known: "
                                f"{', '.join(WINDOW_VIEWS)}")
    return word.lower()


def _check_setting(target: str, value: Any, text: str) -> None:
    parts = target.split(".")
    if parts[0] == "training":
        if len(parts) != 2 or parts[1] not in _TRAINING:
            raise ActionSyntaxError(f"{text!r}: no training setting {target!r}; known: {', '.join(sorted(_TRAINING))}")
        try:
            Lab().training.updated(**{parts[1]: value})
        except Exception as e:
            raise ActionSyntaxError(f"{text!r}: {e}") from None
    elif parts[0] == "dataset":
        if len(parts) == 3 and parts[1] == "options":
            return
        if len(parts) != 2 or parts[1] not in _DATASET:
            raise ActionSyntaxError(f"{text!r}: no dataset setting {target!r}; known: {', '.join(sorted(_DATASET))}")
    elif parts[0] == "seed":
        if len(parts) != 1 or not isinstance(value, int) or not 0 <= value < 2**32:
            raise ActionSyntaxError(f"{text!r}: the seed is a whole number from 0 to {2**32 - 1}")
    elif len(parts) not in (2, 3):
        raise ActionSyntaxError(f"{text!r}: name a setting as training.NAME, dataset.NAME, seed, or a layer's "
                                "parameter as NODE.PARAM")


# -- applying to a lab ---------------------------------------------------------------------------------------------


def apply_to_lab(action: Action, lab: Lab) -> None:
    """Change ``lab`` as ``action`` says (play, reset and open change nothing in the lab). Raises ActionSyntaxError
    naming the node or the setting when the lab has no such thing."""
    try:
        if action.verb == "set":
            _set(action, lab)
        elif action.verb == "add":
            _add(action, lab)
        elif action.verb == "remove":
            _remove(action, lab)
        elif action.verb in ("freeze", "unfreeze"):
            network, node = _find_node(lab, action.target)
            lab.frozen = lab.with_frozen(network.name, node, action.verb == "freeze")
    except ActionSyntaxError:
        raise
    except Exception as e:  # the graph's and the lab's own errors name the field; keep their words
        raise ActionSyntaxError(f"{action.text!r}: {e}") from None


def _set(action: Action, lab: Lab) -> None:
    parts = action.target.split(".")
    if parts[0] == "training":
        lab.training = lab.training.updated(**{parts[1]: action.value})
    elif parts[0] == "dataset":
        data = lab.dataset.to_dict()
        if parts[1] == "options":
            data["options"] = {**data["options"], parts[2]: action.value}
        else:
            data[parts[1]] = action.value
        lab.dataset = DatasetSettings.from_dict(data)
        if parts[1] == "features" and lab.networks:  # as in the window: the Input layer follows the features
            net = lab.networks[0]
            inputs = net.graph.nodes_of_kind("Input")
            if inputs and inputs[0].params.get("kind") == "vector":
                net.graph.set_param(inputs[0].name, "features", len(lab.dataset.features))
    elif parts[0] == "seed":
        lab.seed = int(action.value)
    else:
        network, node = _find_node(lab, ".".join(parts[:-1]))
        network.graph.set_param(node, parts[-1], action.value)


def _find_node(lab: Lab, name: str) -> tuple[Network, str]:
    if "." in name:
        net, node = name.split(".", 1)
        network = lab.network(net)
        if node in network.graph:
            return network, node
    else:
        for network in lab.networks:
            if name in network.graph:
                return network, name
    raise ActionSyntaxError(f"the lab has no layer {name!r}")


def _add(action: Action, lab: Lab) -> None:
    network, after = _find_node(lab, action.target)
    graph = network.graph
    x, y = graph.node(after).position
    node = graph.add_node(str(action.value), params=dict(action.params), position=(x + 95.0, y + 60.0))
    followers = graph.outgoing(after)
    for edge in followers:
        graph.disconnect(edge.source, edge.target, edge.port)
    graph.connect(after, node.name)
    for edge in followers:
        graph.connect(node.name, edge.target, edge.port)


def _remove(action: Action, lab: Lab) -> None:
    network, name = _find_node(lab, action.target)
    graph = network.graph
    sources = list(graph.incoming(name).values())
    followers = graph.outgoing(name)
    if len(sources) != 1:
        raise ActionSyntaxError(f"{action.text!r}: only a layer with one input can be removed this way")
    graph.remove_node(name)
    for edge in followers:
        graph.connect(sources[0], edge.target, edge.port)
