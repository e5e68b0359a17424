"""Loops over time steps: ``for x_t in x.split(1, dim=1)`` (or ``x.unbind(1)``, or ``for t in range(x.size(1))``
with ``x[:, t]``) feeding ``nn.LSTMCell``/``GRUCell``/``RNNCell`` that
carry their own state from one step to the next, as in the PyTorch examples' time-sequence model. Such a loop is
exactly the editor's recurrent layer run over the whole sequence; this module holds the values the loop works with
and the checks that make sure it is that and nothing else."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from .values import _Leaf, _Refused, _Tensor

CELLS = {"LSTMCell": "LSTM", "GRUCell": "GRU", "RNNCell": "RNN"}
CELL_SIGNATURES: dict[str, tuple[str, ...]] = {
    "LSTMCell": ("input_size", "hidden_size", "bias"),
    "GRUCell": ("input_size", "hidden_size", "bias"),
    "RNNCell": ("input_size", "hidden_size", "bias", "nonlinearity"),
}
# Layers that compute each step on its own, so applying them to every step is applying them to the sequence.
PER_STEP = {"Dense", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "GELU", "Softplus", "Identity", "Dropout"}


@dataclass(frozen=True)
class _Steps:
    """``x.split(1, dim=1)``, ``x.unbind(1)`` or ``range(x.size(1))``: the time steps of ``tensor``, only to be
    looped over. ``how``: "split" keeps a step axis of 1, so a (batch, steps) tensor gives steps of one feature;
    "unbind" gives the steps of a sequence; "range" their indices, for ``x[:, t]``."""

    tensor: _Tensor
    call: ast.AST
    how: str


@dataclass(frozen=True)
class _StepCount:
    """``x.size(1)``: the number of time steps of x, only to be looped over with ``range``."""

    tensor: _Tensor
    call: ast.AST


@dataclass(frozen=True)
class _StepIndex:
    """The index of a loop over ``range(x.size(1))``: ``x[:, t]`` is one time step of x."""

    tensor: _Tensor
    loop: ast.For


@dataclass(frozen=True)
class _Step:
    """A value of one time step inside a loop over steps; ``node`` holds it for every step at once (a sequence).
    ``cell``/``part``: the cell whose output (part 0) or cell state (part 1) it is, so the next step's call can be
    checked to read its own state. A cell state has no node: it is not data the editor draws."""

    node: str
    loop: ast.For
    cell: _Leaf | None = None
    part: int = 0


@dataclass(frozen=True)
class _AfterLoop:
    """A step value used after its loop: the last step, which the loop's shape alone does not give."""

    name: str
    loop: ast.For

    def refuse(self, node: ast.AST) -> _Refused:
        return _Refused(node, f"{self.name!r} is the last step of the loop over time steps at line "
                              f"{self.loop.lineno}: collect every step in a list and join them with "
                              f"torch.cat(outputs, dim=1) or torch.stack(outputs, dim=1)")


@dataclass
class _StepLoop:
    """A loop over time steps being read: the cells it calls (each once) and the node each one's output is."""

    node: ast.For
    cells: list[tuple[_Leaf, ast.AST]] = field(default_factory=list)


def holds_step(value: Any) -> bool:
    """A step value, or a tuple of them: after the loop it would be only the last step."""
    return isinstance(value, (_Step, _StepIndex)) or isinstance(value, tuple) and any(
        isinstance(v, _Step) for v in value)


def step_subscript(key: list[Any], tensor: _Tensor) -> _Step | str | None:
    """``x[:, t]`` or ``x[:, t, :]`` with ``t`` the index of a loop over x's steps: that step of x; what is wrong
    with it when ``t`` is such an index but the subscript is not exactly that; None otherwise."""
    index = next((k for k in key if isinstance(k, _StepIndex)), None)
    if index is None:
        return None
    full = slice(None, None, None)
    if len(key) not in (2, 3) or key[0] != full or key[1] is not index or key[2:] not in ([], [full]):
        return "must take one whole time step, as in x[:, t] or x[:, t, :]"
    if index.tensor.node != tensor.node:
        return f"takes a step of another tensor than the loop's (range({index.tensor.node}.size(1)))"
    return _Step(tensor.node, index.loop)


def state_expected(cell: _Leaf) -> int:
    """How many tensors the cell's state holds: (h, c) for an LSTM cell, h for the others."""
    return 2 if cell.kind == "LSTMCell" else 1


def carried_names(stmt: ast.Assign) -> list[str] | None:
    """``h, c = cell(x, (h, c))`` or ``h = cell(x, h)``: the names that carry the state to the next step, when the
    statement writes the state back to the names it reads it from; else None."""
    if len(stmt.targets) != 1 or not isinstance(stmt.value, ast.Call) or len(stmt.value.args) != 2:
        return None
    target, state = stmt.targets[0], stmt.value.args[1]

    def names(e: ast.expr) -> list[str] | None:
        if isinstance(e, ast.Name):
            return [e.id]
        if isinstance(e, ast.Tuple) and all(isinstance(x, ast.Name) for x in e.elts):
            return [x.id for x in e.elts if isinstance(x, ast.Name)]
        return None

    written, read = names(target), names(state)
    return written if written is not None and written == read else None


def bound_in(body: list[ast.stmt], name: str) -> list[ast.AST]:
    """The statements of ``body`` (nested ones too) that bind ``name``."""
    found: list[ast.AST] = []
    for node in (n for s in body for n in ast.walk(s)):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)):
            targets = [node.target]
        for t in targets:
            if any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(t)):
                found.append(node)
    return found
