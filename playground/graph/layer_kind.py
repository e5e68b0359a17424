"""One kind of layer: its parameters, ports, teaching text, shape rule and parameter count.

The rules themselves live in :mod:`shape_rules`; the table of kinds in :mod:`catalog`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ParameterError, ShapeError, shown
from .params import Param
from .shapes import Shape


class RuleContext:
    """What a shape rule knows about the node it is judging: its kind, name and parameters."""

    def __init__(self, kind: str, node: str, params: Mapping[str, Any]) -> None:
        self.kind = kind
        self.node = node
        self.p = params

    @property
    def label(self) -> str:
        return f"{self.kind} {shown(self.node)}"

    def fail(self, text: str, field: str | None = None) -> ShapeError:
        return ShapeError(f"{self.label} {text}", node=self.node, field=field)


ShapeRule = Callable[[RuleContext, list[Shape]], Shape]
CountRule = Callable[[Mapping[str, Any], list[Shape]], int]


@dataclass(frozen=True)
class LayerKind:
    """A kind of layer in the catalog."""

    name: str
    category: str
    summary: str
    params: tuple[Param, ...]
    inputs: tuple[str, ...]
    rule: ShapeRule
    count: CountRule
    prefix: str
    key_params: tuple[str, ...] = ()
    details: str = ""

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: (list(p.default) if isinstance(p.default, list) else p.default) for p in self.params}

    def check_params(self, params: Mapping[str, Any], node: str) -> dict[str, Any]:
        """Fill defaults and validate every value; raise ParameterError naming the node and field."""
        where = f"{self.name} {shown(node)}"
        known = {p.name for p in self.params}
        for key in params:
            if key not in known:
                hint = ", ".join(sorted(known)) or "none"
                raise ParameterError(
                    f"{where} has no parameter {shown(key)} (its parameters: {hint})", node=node, field=key
                )
        out = self.defaults()
        for p in self.params:
            if p.name in params:
                try:
                    out[p.name] = p.check(params[p.name], where)
                except ParameterError as e:
                    e.node = node
                    raise
        return out

    def output_shape(self, node: str, params: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        return self.rule(RuleContext(self.name, node, params), inputs)

    def parameter_count(self, params: Mapping[str, Any], inputs: list[Shape]) -> int:
        return self.count(params, inputs)

    def tooltip(self) -> str:
        text = f"{self.name}: {self.summary}"
        if self.details:
            text += "\n" + self.details
        return text
