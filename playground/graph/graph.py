"""The architecture graph of one network: nodes with ports, edges, change events, shape inference, problems.

Every mutating method validates first and changes nothing when it raises, then emits one event per change so a
view can mirror the graph without owning state (orange-canvas-core style).
"""

from __future__ import annotations

import heapq
import keyword
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import LayerKind, get_kind
from .errors import (
    CycleError,
    DisconnectedNodeError,
    DuplicateEdgeError,
    DuplicateNameError,
    GraphError,
    MissingInputError,
    MissingOutputError,
    PortOccupiedError,
    ShapeError,
    UnknownNodeError,
    UnknownPortError,
    shown,
)
from .network_json import add_edge_entry, add_node_entry, checked_position
from .shapes import Shape

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")

# A node's name becomes an attribute of the compiled torch module (``self.dense_1``), so it must not shadow what
# torch.nn.Module and torch.fx.GraphModule already have: a node called "forward" or "training" would break the
# model in confusing ways. tests/compile checks that this list covers torch's public attributes.
RESERVED_NAMES: frozenset[str] = frozenset({
    "self", "T_destination", "add_module", "add_submodule", "apply", "bfloat16", "buffers", "call_super_init",
    "children", "code", "compile", "cpu", "cuda", "delete_all_unused_submodules", "delete_submodule", "double",
    "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter",
    "get_submodule", "graph", "half", "ipu", "load_state_dict", "meta", "modules", "mtia", "named_buffers",
    "named_children", "named_modules", "named_parameters", "parameters", "print_readable", "recompile",
    "register_backward_hook", "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter", "register_state_dict_post_hook",
    "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule", "shape_env",
    "share_memory", "state_dict", "to", "to_empty", "to_folder", "train", "training", "type", "xpu", "zero_grad",
})


@dataclass
class Node:
    """A layer placed in the graph. ``name`` is unique in its graph and names the compiled submodule."""

    name: str
    kind: str
    params: dict[str, Any]
    position: tuple[float, float] = (0.0, 0.0)

    @property
    def spec(self) -> LayerKind:
        return get_kind(self.kind)

    @property
    def label(self) -> str:
        return f"{self.kind} {shown(self.name)}"


@dataclass(frozen=True)
class Edge:
    """Data flowing from ``source``'s output to input port ``port`` of ``target``."""

    source: str
    target: str
    port: str = "in"


# Events ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeAdded:
    node: Node


@dataclass(frozen=True)
class NodeRemoved:
    node: Node


@dataclass(frozen=True)
class NodeRenamed:
    old: str
    new: str


@dataclass(frozen=True)
class NodeMoved:
    name: str
    position: tuple[float, float]


@dataclass(frozen=True)
class ParamChanged:
    name: str
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class EdgeAdded:
    edge: Edge


@dataclass(frozen=True)
class EdgeRemoved:
    edge: Edge


GraphEvent = NodeAdded | NodeRemoved | NodeRenamed | NodeMoved | ParamChanged | EdgeAdded | EdgeRemoved


@dataclass
class Inference:
    """The result of shape inference over the whole graph.

    ``shapes`` has the output shape of every node whose inputs and parameters are fine; ``problems`` every
    error found, at most one per node; ``param_counts`` the trainable parameters of each node with a shape.
    """

    shapes: dict[str, Shape] = field(default_factory=dict)
    input_shapes: dict[str, list[Shape]] = field(default_factory=dict)
    param_counts: dict[str, int] = field(default_factory=dict)
    problems: list[GraphError] = field(default_factory=list)

    @property
    def total_params(self) -> int:
        return sum(self.param_counts.values())

    def problem_for(self, node: str) -> GraphError | None:
        for p in self.problems:
            if p.node == node:
                return p
        return None

    @property
    def ok(self) -> bool:
        return not self.problems


class Graph:
    """One network's architecture."""

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._edges: list[Edge] = []
        # Indexes of the edges by target (port -> source) and by source, so that connecting, inferring and ordering
        # stay linear in the size of the graph (scanning every edge per node made a 20,000-layer import take 80 s).
        self._incoming: dict[str, dict[str, str]] = {}
        self._outgoing: dict[str, list[Edge]] = {}
        self._listeners: list[Callable[[GraphEvent], None]] = []
        self._inference: Inference | None = None

    def __getstate__(self) -> dict[str, Any]:
        # A copy (copy.deepcopy, pickle) is a new graph: the views and documents that follow this one do not follow it.
        state = dict(self.__dict__)
        state["_listeners"] = []
        return state

    # Reading --------------------------------------------------------------------------------------------------

    @property
    def nodes(self) -> Mapping[str, Node]:
        return self._nodes

    @property
    def edges(self) -> tuple[Edge, ...]:
        return tuple(self._edges)

    def node(self, name: str) -> Node:
        if isinstance(name, str) and name in self._nodes:
            return self._nodes[name]
        raise UnknownNodeError(f"There is no node named {shown(name)}", node=name if isinstance(name, str) else None)

    def __contains__(self, name: object) -> bool:
        return name in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def incoming(self, name: str) -> dict[str, str]:
        """Map of input port to the source node feeding it."""
        return dict(self._incoming.get(name, {}))

    def outgoing(self, name: str) -> list[Edge]:
        return list(self._outgoing.get(name, []))

    def _reindex(self) -> None:
        self._incoming = {n: {} for n in self._nodes}
        self._outgoing = {n: [] for n in self._nodes}
        for e in self._edges:
            self._incoming[e.target][e.port] = e.source
            self._outgoing[e.source].append(e)

    def nodes_of_kind(self, kind: str) -> list[Node]:
        return [n for n in self._nodes.values() if n.kind == kind]

    def unique_name(self, prefix: str) -> str:
        i = 1
        while f"{prefix}_{i}" in self._nodes:
            i += 1
        return f"{prefix}_{i}"

    def topological_order(self) -> list[str]:
        """Node names with every node after all its sources; ties keep insertion order."""
        indegree = {n: 0 for n in self._nodes}
        for e in self._edges:
            indegree[e.target] += 1
        rank = {n: i for i, n in enumerate(self._nodes)}
        ready = [rank[n] for n in self._nodes if indegree[n] == 0]  # a heap of ranks: the earliest node first
        names = list(self._nodes)
        order: list[str] = []
        while ready:
            n = names[heapq.heappop(ready)]
            order.append(n)
            for e in self._outgoing[n]:
                indegree[e.target] -= 1
                if indegree[e.target] == 0:
                    heapq.heappush(ready, rank[e.target])
        return order

    def reaches(self, start: str, goal: str) -> bool:
        """Whether a path of edges leads from ``start`` to ``goal``."""
        seen, stack = set(), [start]
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            if n in seen:
                continue
            seen.add(n)
            stack.extend(e.target for e in self._outgoing.get(n, ()))
        return False

    # Events ---------------------------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[GraphEvent], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[GraphEvent], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: GraphEvent) -> None:
        self._inference = None
        for listener in list(self._listeners):
            listener(event)

    # Editing --------------------------------------------------------------------------------------------------

    def check_name(self, name: str) -> None:
        if not isinstance(name, str) or not _NAME.fullmatch(name) or keyword.iskeyword(name):
            raise DuplicateNameError(
                f"{shown(name)} is not a valid node name: use up to 64 letters, digits and underscores, starting "
                f"with a letter",
                node=name if isinstance(name, str) else None, field="name",
            )
        if name in RESERVED_NAMES:
            raise DuplicateNameError(
                f"{shown(name)} is reserved (the compiled PyTorch model already has an attribute of that name): "
                f"choose another name, e.g. '{name}_1'",
                node=name, field="name",
            )
        if name in self._nodes:
            raise DuplicateNameError(f"A node named {shown(name)} already exists: choose another name",
                                     node=name, field="name")

    def add_node(
        self,
        kind: str,
        name: str | None = None,
        params: Mapping[str, Any] | None = None,
        position: tuple[float, float] = (0.0, 0.0),
    ) -> Node:
        spec = get_kind(kind)
        name = name or self.unique_name(spec.prefix)
        self.check_name(name)
        checked = spec.check_params(dict(params or {}), name)
        node = Node(name, kind, checked, checked_position(position, f"{kind} {shown(name)}", name))
        self._nodes[name] = node
        self._incoming[name] = {}
        self._outgoing[name] = []
        self._emit(NodeAdded(node))
        return node

    def remove_node(self, name: str) -> Node:
        node = self.node(name)
        for e in [e for e in self._edges if name in (e.source, e.target)]:
            self._edges.remove(e)
            self._outgoing[e.source].remove(e)
            self._incoming[e.target].pop(e.port, None)
            self._emit(EdgeRemoved(e))
        del self._nodes[name]
        self._reindex()
        self._emit(NodeRemoved(node))
        return node

    def rename_node(self, old: str, new: str) -> None:
        node = self.node(old)
        if new == old:
            return
        self.check_name(new)
        self._nodes = {(new if k == old else k): v for k, v in self._nodes.items()}
        node.name = new
        self._edges = [
            Edge(new if e.source == old else e.source, new if e.target == old else e.target, e.port)
            for e in self._edges
        ]
        self._reindex()
        self._emit(NodeRenamed(old, new))

    def move_node(self, name: str, position: tuple[float, float]) -> None:
        node = self.node(name)
        node.position = checked_position(position, node.label, name)
        self._listeners_only(NodeMoved(name, node.position))

    def _listeners_only(self, event: GraphEvent) -> None:
        # Moving a node changes no shape, so the inference cache stays valid.
        for listener in list(self._listeners):
            listener(event)

    def set_param(self, name: str, field_name: str, value: Any) -> None:
        node = self.node(name)
        merged = dict(node.params)
        merged[field_name] = value
        checked = node.spec.check_params(merged, name)
        old = node.params.get(field_name)
        if old == checked[field_name]:
            return
        node.params = checked
        self._emit(ParamChanged(name, field_name, old, checked[field_name]))

    def check_connect(self, source: str, target: str, port: str | None = None, *, check_shapes: bool = True) -> Edge:
        """Validate a new edge without adding it; return the edge that ``connect`` would add."""
        src, dst = self.node(source), self.node(target)
        ports = dst.spec.inputs
        if not ports:
            raise UnknownPortError(f"{dst.label} has no inputs: it is where data enters the network",
                                   node=target, field="port")
        if src.spec.name == "Output":
            raise UnknownPortError(f"{src.label} has no output to connect: it is where the network ends",
                                   node=source, field="port")
        if port is None:
            free = [p for p in ports if p not in self.incoming(target)]
            port = free[0] if free else ports[0]
        if port not in ports:
            raise UnknownPortError(f"{dst.label} has no input port {shown(port)} (ports: {', '.join(ports)})",
                                   node=target, field="port")
        edge = Edge(source, target, port)
        if self._incoming[target].get(port) == source:
            raise DuplicateEdgeError(f"{src.label} is already connected to {dst.label}", node=target, field=port)
        if port in self.incoming(target):
            other = self.incoming(target)[port]
            raise PortOccupiedError(
                f"Input '{port}' of {dst.label} is already fed by '{other}': remove that edge first, or use an "
                f"Add or Concat to merge both",
                node=target, field=port,
            )
        if source == target or self.reaches(target, source):
            raise CycleError(f"Connecting {src.label} to {dst.label} would make a cycle: data must flow one way",
                             node=target, field=port)
        if check_shapes:
            self._check_edge_shape(edge)
        return edge

    def _check_edge_shape(self, edge: Edge) -> None:
        inference = self.infer()
        src_shape = inference.shapes.get(edge.source)
        if src_shape is None:
            return
        dst = self._nodes[edge.target]
        feeds = self.incoming(edge.target)
        shapes: list[Shape] = []
        for p in dst.spec.inputs:
            if p == edge.port:
                shapes.append(src_shape)
            elif p in feeds and feeds[p] in inference.shapes:
                shapes.append(inference.shapes[feeds[p]])
            else:
                return  # another port still unknown: judge when it is connected
        dst.spec.output_shape(dst.name, dst.params, shapes)

    def connect(self, source: str, target: str, port: str | None = None, *, check_shapes: bool = True) -> Edge:
        """Add an edge. Raises (and changes nothing) for a cycle, a duplicate, an occupied port, or, with
        ``check_shapes``, a shape the target cannot take."""
        edge = self.check_connect(source, target, port, check_shapes=check_shapes)
        self._edges.append(edge)
        self._incoming[target][edge.port] = source
        self._outgoing[source].append(edge)
        self._emit(EdgeAdded(edge))
        return edge

    def disconnect(self, source: str, target: str, port: str | None = None) -> Edge:
        for e in self._edges:
            if e.source == source and e.target == target and (port is None or e.port == port):
                self._edges.remove(e)
                self._reindex()
                self._emit(EdgeRemoved(e))
                return e
        raise UnknownNodeError(f"There is no edge from {shown(source)} to {shown(target)}",
                               node=target if isinstance(target, str) else None)

    def chain(self, *names: str) -> None:
        """Connect each node to the next: a convenience for building sequential networks."""
        for a, b in zip(names, names[1:]):
            self.connect(a, b)

    # Shapes and problems --------------------------------------------------------------------------------------

    def infer(self) -> Inference:
        """Shapes, parameter counts and problems of the whole graph, cached until the next change."""
        if self._inference is not None:
            return self._inference
        result = Inference()
        failed: set[str] = set()
        for name in self.topological_order():
            node = self._nodes[name]
            spec = node.spec
            feeds = self.incoming(name)
            missing = [p for p in spec.inputs if p not in feeds]
            if missing:
                port = missing[0]
                what = "its input" if len(spec.inputs) == 1 else f"its input '{port}'"
                result.problems.append(MissingInputError(
                    f"{node.label} has nothing connected to {what}: drag an edge from a layer's output to it",
                    node=name, field=port))
                failed.add(name)
                continue
            if any(feeds[p] in failed for p in spec.inputs):
                failed.add(name)  # the cause is upstream and already reported
                continue
            ins = [result.shapes[feeds[p]] for p in spec.inputs]
            try:
                shape = spec.output_shape(name, node.params, ins)
            except ShapeError as e:
                result.problems.append(e)
                failed.add(name)
                continue
            result.shapes[name] = shape
            result.input_shapes[name] = ins
            result.param_counts[name] = spec.parameter_count(node.params, ins)
        self._add_structure_problems(result)
        self._inference = result
        return result

    def _add_structure_problems(self, result: Inference) -> None:
        inputs = [n for n in self._nodes.values() if n.kind == "Input"]
        outputs = [n for n in self._nodes.values() if n.kind == "Output"]
        if not inputs:
            result.problems.append(MissingInputError(
                "The network has no Input node: add one from the Inputs group", field="Input"))
        if not outputs:
            result.problems.append(MissingOutputError(
                "The network has no Output node: add one from the Outputs group and connect the last layer to it",
                field="Output"))
        if not inputs or not outputs:
            return
        forward = self._closure([n.name for n in inputs], downstream=True)
        backward = self._closure([n.name for n in outputs], downstream=False)
        reported = {p.node for p in result.problems}
        for name, node in self._nodes.items():
            if name in reported:
                continue
            if name not in forward or name not in backward:
                why = "no Input feeds it" if name not in forward else "its result reaches no Output"
                result.problems.append(DisconnectedNodeError(
                    f"{node.label} is not connected: {why}. Connect it or delete it", node=name))

    def _closure(self, start: Iterable[str], *, downstream: bool) -> set[str]:
        seen: set[str] = set()
        stack = list(start)
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            if downstream:
                stack.extend(e.target for e in self._outgoing.get(n, ()))
            else:
                stack.extend(self._incoming.get(n, {}).values())
        return seen

    def problems(self) -> list[GraphError]:
        return list(self.infer().problems)

    def check(self) -> Inference:
        """Raise the first problem, or return the inference of a graph that is ready to compile."""
        inference = self.infer()
        if inference.problems:
            raise inference.problems[0]
        return inference

    # Serialisation --------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [
                {"name": n.name, "kind": n.kind, "params": _plain(n.params), "position": list(n.position)}
                for n in self._nodes.values()
            ],
            "edges": [{"source": e.source, "target": e.target, "port": e.port} for e in self._edges],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "network") -> Graph:
        from .errors import LabFormatError

        graph = cls()
        if not isinstance(data, Mapping):
            raise LabFormatError(f"{where} must be an object with 'nodes' and 'edges'")
        unknown = sorted(set(data) - {"nodes", "edges"})
        if unknown:
            raise LabFormatError(f"{where} has an unknown field {shown(unknown[0])} (fields: nodes, edges)",
                                 field=str(unknown[0]))
        nodes, edges = data.get("nodes", []), data.get("edges", [])
        if not isinstance(nodes, list) or not isinstance(edges, list):
            raise LabFormatError(f"{where}: 'nodes' and 'edges' must be lists")
        for i, item in enumerate(nodes):
            add_node_entry(graph, item, i, where)
        for i, item in enumerate(edges):
            add_edge_entry(graph, item, i, where)
        return graph

    def copy(self) -> Graph:
        return Graph.from_dict(self.to_dict())


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in params.items()}
