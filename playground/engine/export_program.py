"""``torch.export`` programs (.pt2) with a dynamic batch dimension; a recurrent layer that reads a sequence of free
length is exported as a scan over the steps, so that the length stays free."""

from __future__ import annotations

import io
import time
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from playground.compile import CompiledNetwork
from playground.compile.modules import Recurrent
from playground.graph.files import atomic_write

from .export_networks import (
    EXPORT_BATCH,
    DynamicAxes,
    ExportError,
    ExportResult,
    _as_list,
    _check_inputs,
    _difference,
    _result,
    dynamic_axes,
    example_inputs,
    run_torch,
)


def export_program(net: CompiledNetwork, path: str | Path) -> ExportResult:
    """A ``torch.export`` program (.pt2) with a dynamic batch dimension."""
    start = time.perf_counter()
    path = Path(path)
    args = example_inputs(net, EXPORT_BATCH)
    axes = dynamic_axes(net)
    # torch traces nn.LSTM/GRU/RNN one step at a time, which fixes the length it was traced with; the same
    # recurrence written as a scan over the steps keeps it free (same parameters, same names in the program).
    module = _scanned(net, axes) if axes.steps else net.module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nn.LSTM's flat weights: "assigned during export", harmless
            try:
                program = torch.export.export(module, args, dynamic_shapes=_export_dims(net, axes))
            except Exception:  # a free length torch cannot keep: export the traced length
                if not axes.steps:
                    raise
                axes = DynamicAxes()
                program = torch.export.export(net.module, args, dynamic_shapes=_export_dims(net, axes))
    except Exception as e:  # torch.export raises many types, all meaning "cannot export"
        raise ExportError(f"{net.name}: torch.export cannot export this network: {e}") from None
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    atomic_write(path, buffer.getvalue())
    worst, scale = 0.0, 1.0
    runnable = program.module()
    for check in _check_inputs(net, axes):
        with torch.no_grad():
            got = _as_list(runnable(*check))
        w, s = _difference(run_torch(net, check), got)
        worst, scale = max(worst, w), max(scale, s)
    return _result(net, "pt2", [path], start, worst, scale, "the exported program")


class ScannedRecurrent(nn.Module):
    """The function of a :class:`Recurrent` (batch-first RNN, GRU or LSTM) as ``torch.scan`` over the steps, so
    that ``torch.export`` keeps the sequence length free. It holds the same ``rnn`` and so the same parameters."""

    def __init__(self, recurrent: Recurrent) -> None:
        super().__init__()
        self.cell = recurrent.cell
        self.rnn = recurrent.rnn
        self.last_only = recurrent.last_only

    def _direction(self, xs: torch.Tensor, layer: int, suffix: str) -> torch.Tensor:
        from torch._higher_order_ops.scan import scan

        rnn = self.rnn
        w_ih, w_hh = getattr(rnn, f"weight_ih_l{layer}{suffix}"), getattr(rnn, f"weight_hh_l{layer}{suffix}")
        b_ih, b_hh = getattr(rnn, f"bias_ih_l{layer}{suffix}"), getattr(rnn, f"bias_hh_l{layer}{suffix}")
        inputs = torch.matmul(xs, w_ih.t()) + b_ih  # every step's input projection at once: steps×batch×gates
        h0 = xs.new_zeros(xs.shape[1], rnn.hidden_size)
        cell, relu = self.cell, getattr(rnn, "nonlinearity", "tanh") == "relu"

        def step(carry: Any, x: torch.Tensor) -> Any:
            hidden = torch.matmul(carry[0], w_hh.t()) + b_hh
            if cell == "LSTM":
                i, f, g, o = (x + hidden).chunk(4, dim=-1)
                c = torch.sigmoid(f) * carry[1] + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                return (h, c), h.clone()
            if cell == "GRU":
                xr, xz, xn = x.chunk(3, dim=-1)
                hr, hz, hn = hidden.chunk(3, dim=-1)
                r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                n = torch.tanh(xn + r * hn)
                h = (1 - z) * n + z * carry[0]
                return (h,), h.clone()
            h = torch.relu(x + hidden) if relu else torch.tanh(x + hidden)
            return (h,), h.clone()

        init = (h0, h0.clone()) if cell == "LSTM" else (h0,)
        _state, ys = scan(step, init, inputs)
        out: torch.Tensor = ys
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs = x.transpose(0, 1)  # steps first, as the scan walks them
        for layer in range(self.rnn.num_layers):
            out = self._direction(xs, layer, "")
            if self.rnn.bidirectional:
                back = self._direction(xs.flip(0), layer, "_reverse").flip(0)
                out = torch.cat((out, back), dim=-1)
            xs = out
        out = xs.transpose(0, 1)
        return out[:, -1] if self.last_only else out


def _scanned(net: CompiledNetwork, axes: DynamicAxes) -> nn.Module:
    """A copy of the network's module whose Recurrent layers that read a sequence of free length are
    ScannedRecurrent (sharing the parameters); the others keep their fixed length as torch traces it."""
    import copy

    module = net.module
    free: set[str] = set(axes.steps_inputs)
    for node in module.graph.nodes:  # fx nodes come in topological order
        if any(str(a) in free for a in node.all_input_nodes):
            free.add(node.name)
    names = {str(n.target) for n in module.graph.nodes if n.op == "call_module" and n.name in free
             and isinstance(module.get_submodule(str(n.target)), Recurrent)}
    if not names:
        return module
    out = copy.copy(module)
    out._modules = dict(module._modules)
    for name in names:
        out._modules[name] = ScannedRecurrent(module.get_submodule(name))  # type: ignore[arg-type]
    return out


def _export_dims(net: CompiledNetwork, axes: DynamicAxes) -> tuple[dict[int, Any], ...]:
    """torch.export's dynamic shapes: the batch of every input, the length of the sequence inputs."""
    batch = torch.export.Dim("batch", min=1, max=1 << 20)
    steps = torch.export.Dim("steps", min=1, max=1 << 20)
    return tuple({0: batch, 1: steps} if name in axes.steps_inputs else {0: batch} for name in net.inputs)
