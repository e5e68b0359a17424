"""A network's JSON read entry by entry (each node and edge checked before it goes into the graph), and the
positions of nodes on the canvas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from .errors import GraphError, LabFormatError, ParameterError, shown


class EntryTarget(Protocol):
    """What reading an entry needs of the graph it goes into: ``graph.Graph`` reads its JSON with this module, so
    the module asks only for the two methods it calls."""

    def add_node(self, kind: str, name: str | None = None, params: Mapping[str, Any] | None = None,
                 position: tuple[float, float] = (0.0, 0.0)) -> object: ...

    def connect(self, source: str, target: str, port: str | None = None, *,
                check_shapes: bool = True) -> object: ...


# Far beyond any canvas, yet small enough that the editor's scene arithmetic never overflows.
MAX_POSITION = 1e7

_POSITION_RANGE = f"two numbers from {-int(MAX_POSITION)} to {int(MAX_POSITION)}"


def _is_position(position: Any) -> bool:
    # NaN fails the comparison, and an integer of 400 digits compares without the float() that would overflow.
    return isinstance(position, (list, tuple)) and len(position) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and -MAX_POSITION <= v <= MAX_POSITION
        for v in position)


def checked_position(position: Any, label: str, node: str) -> tuple[float, float]:
    """``position`` as two floats, or a ParameterError naming the node (``label`` is e.g. "Dense 'dense_1'")."""
    if not _is_position(position):
        raise ParameterError(f"{label}: position must be [x, y], {_POSITION_RANGE}. "
                             f"Received: position={shown(position)}", node=node, field="position")
    return float(position[0]), float(position[1])


def add_node_entry(graph: EntryTarget, item: Any, i: int, where: str) -> None:
    """Node #``i + 1`` of a network's JSON, checked and added."""
    if not isinstance(item, Mapping) or "kind" not in item or "name" not in item:
        raise LabFormatError(f"{where}: node #{i + 1} needs a 'name' and a 'kind'")
    unknown = sorted(set(item) - {"name", "kind", "params", "position"})
    if unknown:
        raise LabFormatError(f"{where}: node #{i + 1} has an unknown field {shown(unknown[0])} (fields: name, "
                             f"kind, params, position)", field=str(unknown[0]))
    if not isinstance(item["name"], str) or not item["name"]:
        raise LabFormatError(f"{where}: node #{i + 1} needs a name that is a non-empty string. "
                             f"Received: name={shown(item['name'])}", field="name")
    params = item.get("params", {})
    if not isinstance(params, Mapping):
        raise LabFormatError(f"{where}: node {shown(item['name'])} has params that are not an object")
    pos = item.get("position", [0.0, 0.0])
    if not isinstance(pos, list) or not _is_position(pos):
        raise LabFormatError(f"{where}: node {shown(item['name'])} has a position that is not [x, y], "
                             f"{_POSITION_RANGE}. Received: position={shown(pos)}", field="position")
    try:
        graph.add_node(item["kind"], item["name"], params, (pos[0], pos[1]))
    except GraphError as e:
        e.message = f"{where}: {e.message}"
        raise


def add_edge_entry(graph: EntryTarget, item: Any, i: int, where: str) -> None:
    """Edge #``i + 1`` of a network's JSON, checked and connected (shapes are checked once all are in)."""
    if not isinstance(item, Mapping) or "source" not in item or "target" not in item:
        raise LabFormatError(f"{where}: edge #{i + 1} needs a 'source' and a 'target'")
    unknown = sorted(set(item) - {"source", "target", "port"})
    if unknown:
        raise LabFormatError(f"{where}: edge #{i + 1} has an unknown field {shown(unknown[0])} (fields: "
                             f"source, target, port)", field=str(unknown[0]))
    if item.get("port") is not None and not isinstance(item.get("port"), str):
        raise LabFormatError(f"{where}: edge #{i + 1} has a port that is not a name. "
                             f"Received: port={shown(item['port'])}", field="port")
    try:
        graph.connect(item["source"], item["target"], item.get("port"), check_shapes=False)
    except GraphError as e:
        e.message = f"{where}: {e.message}"
        raise
