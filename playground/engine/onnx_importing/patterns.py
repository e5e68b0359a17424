"""One module that torch writes as several operators, found before the graph is walked: GELU as
x * 0.5 * (1 + erf(x / sqrt(2))), Softplus with a sharpness as softplus(beta * x) / beta, GroupNorm as an
InstanceNormalization of the image reshaped to its groups, then scaled and shifted per channel."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .base import _ReaderBase
from .values import _Const

_SQRT2 = math.sqrt(2.0)


class _Patterns(_ReaderBase):
    """Finds the operator patterns before the walk; their nodes are then read as one layer."""

    def _static(self, name: str) -> np.ndarray | None:
        """A stored tensor or a Constant node's value (before the graph is walked)."""
        value = self.values.get(name)
        if isinstance(value, _Const):
            return value.array
        producer = self.producers.get(name)
        if producer is not None and producer.op_type == "Constant":
            c = self._constant(producer)
            return c.array if isinstance(c, _Const) else None
        return None

    def _only_user(self, name: str, op: str) -> Any:
        users = self.users.get(name, [])
        if len(users) == 1 and users[0].op_type == op and self.consumers.get(name, 0) == 1:
            return users[0]
        return None

    def _scalar_partner(self, node: Any, name: str, value: float) -> bool:
        """``node`` combines ``name`` with a stored scalar close to ``value``."""
        others = [i for i in node.input if i != name]
        if len(others) != 1:
            return False
        c = self._static(others[0])
        return c is not None and c.size == 1 and math.isclose(float(c.reshape(-1)[0]), value, rel_tol=1e-5)

    def _find_patterns(self) -> None:
        for node in self.g.node:
            x = node.input[0] if node.input else ""
            # GELU, as torch writes it: x * 0.5 * (1 + erf(x / sqrt(2)))
            if node.op_type == "Div" and self._scalar_partner(node, x, _SQRT2) and node.input[1] != x:
                erf = self._only_user(node.output[0], "Erf")
                add = erf and self._only_user(erf.output[0], "Add")
                if add and self._scalar_partner(add, erf.output[0], 1.0):
                    mul = self._only_user(add.output[0], "Mul")
                    half = mul and x in mul.input and self._only_user(mul.output[0], "Mul")
                    if half and self._scalar_partner(half, mul.output[0], 0.5):
                        self.patterns[id(node)] = ("GELU", {}, half.output[0])
                        self.inside.update(id(n) for n in (erf, add, mul, half))
            # Softplus with a sharpness: softplus(beta * x) / beta
            if node.op_type == "Mul" and len(node.input) == 2:
                beta = self._static(node.input[1])
                sp = self._only_user(node.output[0], "Softplus")
                div = sp and self._only_user(sp.output[0], "Div")
                if beta is not None and beta.size == 1 and div and self._scalar_partner(div, sp.output[0],
                                                                                        float(beta.reshape(-1)[0])):
                    self.patterns[id(node)] = ("Softplus", {"beta": round(float(beta.reshape(-1)[0]), 6)},
                                               div.output[0])
                    self.inside.update(id(n) for n in (sp, div))
            if node.op_type == "Reshape" and len(node.input) == 2:
                self._group_norm(node)

    def _group_norm(self, node: Any) -> None:
        """Reshape(x, [0, groups, -1]) -> InstanceNormalization (no scale, no shift) -> Reshape(., Shape(x)) ->
        Mul(gamma) -> Add(beta): torch's GroupNorm of an image."""
        target = self._static(node.input[1])
        norm = self._only_user(node.output[0], "InstanceNormalization")
        back = norm and self._only_user(norm.output[0], "Reshape")
        mul = back and self._only_user(back.output[0], "Mul")
        add = mul and self._only_user(mul.output[0], "Add")
        if target is None or target.size != 3 or [int(v) for v in target.reshape(-1)[::2]] != [0, -1] or not add:
            return
        scale, shift = self._static(norm.input[1]), self._static(norm.input[2])
        eps = float(next((a.f for a in norm.attribute if a.name == "epsilon"), 1e-5))
        gamma = self._static(next(i for i in mul.input if i != back.output[0]))
        beta = self._static(next(i for i in add.input if i != mul.output[0]))
        if scale is None or shift is None or gamma is None or beta is None \
                or not math.isclose(eps, 1e-5, rel_tol=1e-3) or not (np.all(scale == 1.0) and np.all(shift == 0.0)):
            return  # not a GroupNorm the editor's layer computes: its operators are read one by one
        stored = {i.name for i in self.g.initializer}
        affine = any(i in stored for i in (*mul.input, *add.input)) or not (np.all(gamma == 1.0)
                                                                            and np.all(beta == 0.0))
        self.patterns[id(node)] = ("GroupNorm", {"groups": int(target.reshape(-1)[1]), "affine": bool(affine)},
                                   add.output[0])
        self.inside.update(id(n) for n in (norm, back, mul, add))
        if affine:
            self.pattern_weights[id(node)] = {"weight": gamma.reshape(-1), "bias": beta.reshape(-1)}
