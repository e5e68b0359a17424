"""Undo commands for every edit of a graph. Their ``redo`` and ``undo`` call only the Graph API (orange's
``document/commands.py`` habit), so the views, which mirror graph events, follow undo and redo by themselves.

Commands are pushed only after the edit has been validated (``Graph.check_connect``, ``LayerKind.check_params``,
``Graph.check_name``), so ``redo`` does not raise on first push.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtGui import QUndoCommand

from playground.graph import Graph

MOVE_ID = 1001
PARAM_ID = 1002


def restore_graph(graph: Graph, state: Mapping[str, Any]) -> None:
    """Make ``graph`` equal to ``state`` (a ``Graph.to_dict()``) through the Graph API, node and edge order included.

    Removing a node and adding it back would append it at the end, so the lab JSON would differ after undo; here the
    nodes and edges after the first difference are removed and re-added in their recorded order.
    """
    want_nodes = list(state["nodes"])
    have = list(graph.nodes.values())
    keep = 0
    while (keep < len(have) and keep < len(want_nodes) and have[keep].name == want_nodes[keep]["name"]
           and have[keep].kind == want_nodes[keep]["kind"]):
        keep += 1
    for node in reversed(have[keep:]):
        graph.remove_node(node.name)
    for item in want_nodes[:keep]:
        node = graph.node(item["name"])
        for key, value in item["params"].items():
            if node.params.get(key) != value:
                graph.set_param(node.name, key, value)
        if list(node.position) != list(item["position"]):
            graph.move_node(node.name, tuple(item["position"]))
    for item in want_nodes[keep:]:
        graph.add_node(item["kind"], item["name"], item["params"], tuple(item["position"]))
    want_edges = [(e["source"], e["target"], e["port"]) for e in state["edges"]]
    have_edges = [(e.source, e.target, e.port) for e in graph.edges]
    keep = 0
    while keep < len(have_edges) and keep < len(want_edges) and have_edges[keep] == want_edges[keep]:
        keep += 1
    for source, target, port in reversed(have_edges[keep:]):
        graph.disconnect(source, target, port)
    for source, target, port in want_edges[keep:]:
        graph.connect(source, target, port, check_shapes=False)


class GraphCommand(QUndoCommand):
    """Base: remembers the graph (and the name of its network, so the window can show it on undo)."""

    def __init__(self, graph: Graph, text: str, network: str = "") -> None:
        super().__init__(text)
        self.graph = graph
        self.network = network


class SnapshotCommand(GraphCommand):
    """An edit whose undo restores the whole graph as it was: used for removals, where order matters."""

    def __init__(self, graph: Graph, text: str, network: str = "") -> None:
        super().__init__(graph, text, network)
        self._before = graph.to_dict()

    def undo(self) -> None:
        restore_graph(self.graph, self._before)


class AddNodeCommand(GraphCommand):
    def __init__(self, graph: Graph, kind: str, name: str, params: Mapping[str, Any], position: tuple[float, float],
                 network: str = "") -> None:
        super().__init__(graph, f"Add {kind} '{name}'", network)
        self.kind, self.name, self.params, self.position = kind, name, dict(params), position

    def redo(self) -> None:
        self.graph.add_node(self.kind, self.name, self.params, self.position)

    def undo(self) -> None:
        self.graph.remove_node(self.name)


class AddNodesCommand(GraphCommand):
    """Paste or duplicate: several nodes and the edges between them."""

    def __init__(self, graph: Graph, nodes: Sequence[Mapping[str, Any]], edges: Sequence[tuple[str, str, str]],
                 text: str, network: str = "") -> None:
        super().__init__(graph, text, network)
        self.nodes = [dict(n) for n in nodes]
        self.edges = list(edges)

    def redo(self) -> None:
        for n in self.nodes:
            self.graph.add_node(n["kind"], n["name"], n["params"], tuple(n["position"]))
        for source, target, port in self.edges:
            self.graph.connect(source, target, port, check_shapes=False)

    def undo(self) -> None:
        for n in reversed(self.nodes):
            self.graph.remove_node(n["name"])


class RemoveCommand(SnapshotCommand):
    """Delete nodes (with their edges) and single edges."""

    def __init__(self, graph: Graph, nodes: Sequence[str], edges: Sequence[tuple[str, str, str]],
                 network: str = "") -> None:
        super().__init__(graph, "", network)
        self.nodes = list(nodes)
        self.edges = [e for e in edges if e[0] not in nodes and e[1] not in nodes]
        parts = []
        if self.nodes:
            parts.append(f"{len(self.nodes)} layers" if len(self.nodes) > 1 else f"'{self.nodes[0]}'")
        if self.edges:
            parts.append(f"{len(self.edges)} connection" + ("s" if len(self.edges) > 1 else ""))
        self.setText("Delete " + " and ".join(parts))

    def redo(self) -> None:
        for source, target, port in self.edges:
            self.graph.disconnect(source, target, port)
        for name in self.nodes:
            self.graph.remove_node(name)


class ConnectCommand(GraphCommand):
    def __init__(self, graph: Graph, source: str, target: str, port: str, network: str = "") -> None:
        super().__init__(graph, f"Connect '{source}' to '{target}'", network)
        self.source, self.target, self.port = source, target, port

    def redo(self) -> None:
        self.graph.connect(self.source, self.target, self.port, check_shapes=False)

    def undo(self) -> None:
        self.graph.disconnect(self.source, self.target, self.port)


class SetParamCommand(GraphCommand):
    def __init__(self, graph: Graph, name: str, field: str, value: Any, network: str = "") -> None:
        super().__init__(graph, f"Set {field} of '{name}'", network)
        self.name, self.field, self.new = name, field, value
        self.old = graph.node(name).params.get(field)

    def id(self) -> int:
        return PARAM_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # Qt's name
        # Spinning a value up ten clicks is one edit to undo, not ten.
        if not isinstance(other, SetParamCommand) or other.graph is not self.graph:
            return False
        if (other.name, other.field) != (self.name, self.field):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.graph.set_param(self.name, self.field, self.new)

    def undo(self) -> None:
        self.graph.set_param(self.name, self.field, self.old)


class RenameNodeCommand(GraphCommand):
    def __init__(self, graph: Graph, old: str, new: str, network: str = "") -> None:
        super().__init__(graph, f"Rename '{old}' to '{new}'", network)
        self.old, self.new = old, new

    def redo(self) -> None:
        self.graph.rename_node(self.old, self.new)

    def undo(self) -> None:
        self.graph.rename_node(self.new, self.old)


class MoveNodesCommand(GraphCommand):
    def __init__(self, graph: Graph, moves: Mapping[str, tuple[float, float]], text: str = "",
                 network: str = "") -> None:
        count = len(moves)
        super().__init__(graph, text or (f"Move '{next(iter(moves))}'" if count == 1 else f"Move {count} layers"),
                         network)
        self.new = dict(moves)
        self.old = {name: graph.node(name).position for name in moves}

    def redo(self) -> None:
        for name, pos in self.new.items():
            self.graph.move_node(name, pos)

    def undo(self) -> None:
        for name, pos in self.old.items():
            self.graph.move_node(name, pos)
