"""Embedding and the recurrent layers. An RNN, GRU or LSTM node is one :class:`Recurrent` module (the bare torch
classes return ``(output, state)``, which a chain of layers cannot pass on); exports define that class, and a file
may also use the bare torch class the way the importer allows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from playground.graph import Shape

from ..modules import Recurrent
from .base import CodeWriter, Imported, ImportPattern, KindHome, Params, PatternError, first

RECURRENT_SOURCE = '''
class Recurrent(nn.Module):
    """An RNN, GRU or LSTM over batch-first sequences that returns every step's output or only the last one."""

    CELLS = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}

    def __init__(self, cell, input_size, hidden, layers=1, bidirectional=False, last_only=False,
                 nonlinearity="tanh"):
        super().__init__()
        kwargs = {"nonlinearity": nonlinearity} if cell == "RNN" else {}
        self.rnn = self.CELLS[cell](input_size, hidden, num_layers=layers, batch_first=True,
                                    bidirectional=bidirectional, **kwargs)
        self.last_only = last_only

    def forward(self, x):
        out, _state = self.rnn(x)
        return out[:, -1] if self.last_only else out
'''

EMBEDDING = KindHome(
    "Embedding", lambda p, inputs: nn.Embedding(p["vocabulary"], p["dim"]),
    (CodeWriter(nn.Embedding, lambda m: f"nn.Embedding({m.num_embeddings}, {m.embedding_dim})"),),
    (ImportPattern("Embedding", ("num_embeddings", "embedding_dim", "padding_idx", "max_norm"),
                   lambda a: Imported("Embedding", {"vocabulary": a["num_embeddings"], "dim": a["embedding_dim"]}),
                   {"padding_idx": None, "max_norm": None}),),
)


def _build(cell: str, p: Params, inputs: Sequence[Shape]) -> nn.Module:
    return Recurrent(cell, first(inputs).dims[-1], p["hidden"], p["layers"], p["bidirectional"],
                     last_only=p["output"] == "last", nonlinearity=p.get("nonlinearity", "tanh"))


def _code(m: Recurrent) -> str:
    rnn = m.rnn
    nonlinearity = getattr(rnn, "nonlinearity", "tanh")
    return (f"Recurrent({m.cell!r}, {rnn.input_size}, {rnn.hidden_size}, layers={rnn.num_layers}, "
            f"bidirectional={rnn.bidirectional}, last_only={m.last_only}, nonlinearity={nonlinearity!r})")


def _reads(cell: str, n_in: int, params: dict[str, Any]) -> Imported:
    if cell == "RNN":
        params["nonlinearity"] = params.get("nonlinearity", "tanh")
    else:
        params.pop("nonlinearity", None)
    return Imported(cell, params, size=n_in, expects=lambda s: None if s.dims[-1] == n_in else
                    f"expects {n_in} features per step but receives {s.describe()}")


def _read_recurrent(a: dict[str, Any]) -> Imported:
    cell = a["cell"]
    if cell not in Recurrent.CELLS:
        raise PatternError(f"Recurrent cell {cell!r} is not RNN, GRU or LSTM")
    params = {"hidden": a["hidden"], "layers": a.get("layers", 1), "bidirectional": bool(a.get("bidirectional", False)),
              "output": "last" if a.get("last_only", False) else "sequence",
              "nonlinearity": a.get("nonlinearity", "tanh")}
    return _reads(cell, a["input_size"], params)


def _read_cell(cell: str, a: dict[str, Any]) -> Imported:
    """A bare ``nn.RNN``/``GRU``/``LSTM``: every step's output (its state is dropped where forward calls it)."""
    if not a.get("batch_first", False):
        raise PatternError(f"nn.{cell} must read batch-first sequences to be drawn: add batch_first=True")
    if a.get("dropout", 0) or not a.get("bias", True) or a.get("proj_size", 0):
        raise PatternError(f"nn.{cell} with dropout, proj_size or without bias cannot be drawn")
    params = {"hidden": a["hidden_size"], "layers": a.get("num_layers", 1),
              "bidirectional": bool(a.get("bidirectional", False)), "output": "sequence",
              "nonlinearity": a.get("nonlinearity", "tanh")}
    return _reads(cell, a["input_size"], params)


WRITER = CodeWriter(Recurrent, _code, RECURRENT_SOURCE)
PATTERN = ImportPattern("Recurrent", ("cell", "input_size", "hidden", "layers", "bidirectional", "last_only",
                                      "nonlinearity"), _read_recurrent, helper=True)
CELL_PATTERNS = {
    "RNN": ImportPattern("RNN", ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first",
                                 "dropout", "bidirectional"), lambda a: _read_cell("RNN", a),
                         stateful=True),
    "GRU": ImportPattern("GRU", ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                                 "bidirectional"), lambda a: _read_cell("GRU", a),
                         stateful=True),
    "LSTM": ImportPattern("LSTM", ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                                   "bidirectional", "proj_size"), lambda a: _read_cell("LSTM", a),
                         stateful=True),
}



def _home(cell: str) -> KindHome:
    return KindHome(cell, lambda p, inputs: _build(cell, p, inputs), (WRITER,), (PATTERN, CELL_PATTERNS[cell]))


HOMES = (EMBEDDING, _home("RNN"), _home("GRU"), _home("LSTM"))
