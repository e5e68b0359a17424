"""Recurrent layers (LSTM, GRU, RNN), stacked and bidirectional, and the Transpose, Squeeze, Unsqueeze, Reshape and
Gather of the last step that torch writes around them; ONNX's gate blocks are reordered into torch's."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import _ReaderBase
from .values import _Aux, _Const, _Data, _Layer, _Rec, _Seq, _tensor, _Unusable

_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
# Rows of ONNX's gate blocks in torch's order: ONNX LSTM is i, o, f, c (torch i, f, g, o); GRU z, r, h (torch r, z, n).
_GATE_ORDER = {"RNN": [0], "GRU": [1, 0, 2], "LSTM": [0, 2, 3, 1]}


class _Recurrent(_ReaderBase):
    """Recurrent operators and the layout operators around them."""

    def _axes_of(self, node: Any, index: int, what: str) -> list[int]:
        if len(node.input) > 1 and node.input[1]:
            return [int(v) for v in np.asarray(self.const(node, 1, what)).reshape(-1)]
        a = self.attrs(node)
        if "axes" in a:
            return [int(v) for v in a["axes"]]
        return []

    def _layout(self, node: Any) -> None:
        """Transpose, Squeeze, Unsqueeze, Reshape and Gather of one step on the tensors around recurrent layers."""
        value = self.values.get(node.input[0])
        if isinstance(value, _Data):
            if node.op_type == "Transpose":
                dims = self.shape(node.input[0])
                if len(dims) != 3:
                    raise self.fail(node, "permutes the axes of the data: the editor has no layer for that")
                value = _Seq(None, value.node, (("B",), ("T",), ("F",)))
            else:
                self._reshape(node)  # Squeeze/Unsqueeze of data is a Reshape to the inferred shape
                return
        if not isinstance(value, _Seq):
            raise self.fail(node, "reads a value that is not the data")
        axes = list(value.axes)
        last = value.last
        op = node.op_type
        if op == "Transpose":
            perm = self.attrs(node).get("perm") or list(reversed(range(len(axes))))
            axes = [axes[int(p)] for p in perm]
        elif op == "Squeeze":
            drop = [a % len(axes) for a in self._axes_of(node, 1, "axes")] or [i for i, x in enumerate(axes) if not x]
            if any(axes[i] for i in drop):
                raise self.fail(node, "removes an axis of more than one entry")
            axes = [x for i, x in enumerate(axes) if i not in drop]
        elif op == "Unsqueeze":
            for a in sorted(self._axes_of(node, 1, "axes")):
                axes.insert(a % (len(axes) + 1), ())
        elif op == "Gather":
            axis = int(self.attrs(node).get("axis", 0)) % len(axes)
            index = np.asarray(self.const(node, 1, "index"))
            if axes[axis] != ("T",) or index.ndim != 0 or int(index) != -1:
                raise self.fail(node, "picks entries of a recurrent layer's output other than its last step")
            del axes[axis]
            last = True
        self.values[node.output[0]] = _Seq(value.rec, value.source, tuple(axes), last, value.final_state)

    def _seq_reshape(self, node: Any, value: _Seq) -> None:
        shape = [int(v) for v in np.asarray(self.const(node, 1, "shape")).reshape(-1)]
        sizes: dict[str, int | None] = {"B": None, "T": None}
        if value.rec is not None:
            sizes.update(D=value.rec.dirs, H=value.rec.hidden)
        for axis, dim in zip(value.axes, self.shape(node.input[0])):
            if len(axis) == 1 and dim is not None:
                sizes[axis[0]] = dim  # a file traced with a fixed batch or length writes them out
        atoms = [a for axis in value.axes for a in axis]
        starts, k = [], 0
        for axis in value.axes:
            starts.append(k)
            k += len(axis)
        out: list[tuple[str, ...] | None] = []
        pos = 0

        def take(size: int) -> tuple[str, ...]:
            nonlocal pos
            got: list[str] = []
            product = 1
            while product < size and pos < len(atoms):
                s = sizes.get(atoms[pos])
                if s is None:
                    break
                got.append(atoms[pos])
                product *= s
                pos += 1
            if product != size:
                raise self.fail(node, f"reshapes a recurrent layer's output in a way the editor cannot follow "
                                      f"({shape})")
            return tuple(got)

        hole = shape.index(-1) if -1 in shape else None
        for j, v in enumerate(shape if hole is None else shape[:hole]):
            if v == 0:
                if j >= len(value.axes) or starts[j] != pos:
                    raise self.fail(node, f"reshapes a recurrent layer's output in a way the editor cannot follow "
                                          f"({shape})")
                out.append(value.axes[j])
                pos += len(value.axes[j])
            else:
                out.append(() if v == 1 else take(v))
        if hole is not None:
            tail = shape[hole + 1:]
            if any(v not in (1,) for v in tail):
                raise self.fail(node, f"reshapes a recurrent layer's output in a way the editor cannot follow "
                                      f"({shape})")
            out.append(tuple(atoms[pos:]))
            out.extend(() for _ in tail)
            pos = len(atoms)
        if pos != len(atoms):
            raise self.fail(node, f"reshapes a recurrent layer's output in a way the editor cannot follow ({shape})")
        self.values[node.output[0]] = _Seq(value.rec, value.source, tuple(x for x in out if x is not None),
                                           value.last, value.final_state)

    def finish(self, node: Any, value: _Seq) -> str:
        """The layer drawn for a recurrent block's complete output (every step, or only the last)."""
        rec = value.rec
        if rec is None:
            raise self.fail(node, "reads the data with its axes permuted: the editor has no layer for that")
        features = ("D", "H") if rec.dirs == 2 else ("H",)
        want = (("B",), features) if value.last else (("B",), ("T",), features)
        if value.axes != want:
            raise self.fail(node, f"reads the output of {rec.kind} {rec.onnx_name!r} arranged otherwise than "
                                  f"batch×steps×features: the editor's {rec.kind} is batch-first")
        if value.final_state and rec.dirs == 2:
            raise self.fail(node, f"reads the final state of the bidirectional {rec.kind} {rec.onnx_name!r}, whose "
                                  f"backward half is its first step: the editor's layer gives the last step")
        if value.last in rec.drawn:
            return rec.drawn[value.last]
        if rec.drawn:
            raise self.fail(node, f"reads both every step and the last step of {rec.kind} {rec.onnx_name!r}: the "
                                  f"editor's layer gives one of them")
        params: dict[str, Any] = {"hidden": rec.hidden, "layers": len(rec.layers), "bidirectional": rec.dirs == 2,
                                  "output": "last" if value.last else "sequence"}
        if rec.kind == "RNN":
            params["nonlinearity"] = rec.nonlinearity
        name = rec.name
        self.layers.append(_Layer(name, rec.kind, params, [rec.source]))
        for layer, weights in enumerate(rec.layers):
            for key, array in weights.items():
                self.state[_param_key(name, key, layer)] = _tensor(array)
        rec.drawn[value.last] = name
        return name

    def _recurrent(self, node: Any) -> None:
        kind = node.op_type
        a = self.attrs(node)
        layout = int(a.get("layout", 0))
        direction = a.get("direction", "forward")
        if direction not in ("forward", "bidirectional"):
            raise self.fail(node, f"reads the sequence {direction}: the editor's {kind} reads it forward (or both "
                                  f"ways)")
        dirs = 2 if direction == "bidirectional" else 1
        nonlinearity = self._recurrent_options(node, kind, a, dirs)
        source, rec = self._recurrent_input(node, kind, a, layout, dirs)
        w, r = self.const(node, 1, "input weights"), self.const(node, 2, "recurrent weights")
        b = self.optional_const(node, 3)
        hidden = int(a.get("hidden_size") or r.shape[-1])
        gates = _GATES[kind]
        if b is None:
            b = np.zeros((dirs, 2 * gates * hidden), dtype=w.dtype)
        if rec is None:
            rec = _Rec(kind, hidden, dirs, source, self.layer_name(node, kind), node.name, nonlinearity)
        elif rec.nonlinearity != nonlinearity:
            raise self.fail(node, "uses another activation than the layer below it")
        weights: dict[str, np.ndarray] = {}
        for d in range(dirs):
            suffix = "_reverse" if d == 1 else ""
            weights[f"weight_ih{suffix}"] = _reorder(w[d], kind, hidden)
            weights[f"weight_hh{suffix}"] = _reorder(r[d], kind, hidden)
            weights[f"bias_ih{suffix}"] = _reorder(b[d][: gates * hidden], kind, hidden)
            weights[f"bias_hh{suffix}"] = _reorder(b[d][gates * hidden:], kind, hidden)
        rec.layers.append(weights)
        batch_steps = (("T",), ("D",) if dirs == 2 else (), ("B",), ("H",)) if layout == 0 else \
            (("B",), ("T",), ("D",) if dirs == 2 else (), ("H",))
        self.values[node.output[0]] = _Seq(rec, source, batch_steps)
        if len(node.output) > 1 and node.output[1]:
            state = (("D",) if dirs == 2 else (), ("B",), ("H",)) if layout == 0 else \
                (("B",), ("D",) if dirs == 2 else (), ("H",))
            self.values[node.output[1]] = _Seq(rec, source, state, last=True, final_state=True)
        if len(node.output) > 2 and node.output[2]:
            self.values[node.output[2]] = _Unusable("the LSTM's cell state, which the editor's LSTM keeps inside")

    def _recurrent_options(self, node: Any, kind: str, a: dict[str, Any], dirs: int) -> str:
        """Refuse what the editor's layer does not do; its nonlinearity (an RNN's tanh or relu)."""
        if a.get("clip") is not None:
            raise self.fail(node, "clips its cell values: the editor's layer does not")
        if a.get("input_forget", 0):
            raise self.fail(node, "couples its input and forget gates: the editor's LSTM does not")
        if kind == "GRU" and not a.get("linear_before_reset", 0):
            raise self.fail(node, "applies its reset gate before the linear map (linear_before_reset=0): torch's "
                                  "GRU, and the editor's, apply it after")
        nonlinearity = "tanh"
        acts = [str(x).lower() for x in a.get("activations", [])]
        defaults = {"LSTM": ["sigmoid", "tanh", "tanh"], "GRU": ["sigmoid", "tanh"], "RNN": ["tanh"]}[kind]
        if kind == "RNN" and acts:
            if len(set(acts)) != 1 or acts[0] not in ("tanh", "relu"):
                raise self.fail(node, f"uses activations {acts}: the editor's RNN uses tanh or relu")
            nonlinearity = acts[0]
        elif acts and acts != defaults * dirs:
            raise self.fail(node, f"uses activations {acts}: the editor's {kind} uses {defaults}")
        for index, what in ((4, "sequence lengths"), (7, "peepholes")):
            if index < len(node.input) and node.input[index]:
                value = self.values.get(node.input[index])
                if not (isinstance(value, _Const) and (index == 7 and not value.array.any())):
                    raise self.fail(node, f"takes {what}, which the editor's {kind} does not")
        for index in (5, 6):
            if index < len(node.input) and node.input[index] and not self._zeros(node.input[index]):
                raise self.fail(node, "starts from a given state: the editor's layer starts from zeros")
        return nonlinearity

    def _recurrent_input(self, node: Any, kind: str, a: dict[str, Any], layout: int, dirs: int
                         ) -> tuple[str, _Rec | None]:
        """The layer the sequence comes from, and the stack this layer continues (None when it starts one)."""
        x = self.values.get(node.input[0])
        time_major = (("T",), ("B",)) if layout == 0 else (("B",), ("T",))
        if isinstance(x, _Data):
            if layout == 0:
                raise self.fail(node, "reads a sequence laid out steps×batch×features: the editor's recurrent "
                                      "layers read batch×steps×features")
            return x.node, None
        if isinstance(x, _Seq) and x.rec is None and x.axes[:2] == time_major and x.axes[2:] == (("F",),):
            return x.source, None
        if (isinstance(x, _Seq) and x.rec is not None and not x.last and x.rec.kind == kind
                and x.rec.hidden == int(a.get("hidden_size", 0)) and x.rec.dirs == dirs and not x.rec.drawn
                and x.axes[:2] == time_major and x.axes[2:] == ((("D", "H") if dirs == 2 else ("H",)),)):
            return x.rec.source, x.rec  # the next layer of a stack
        raise self.fail(node, "reads a sequence arranged in a way the editor cannot follow")

    def _op_LSTM(self, node: Any) -> None:
        self._recurrent(node)

    def _op_GRU(self, node: Any) -> None:
        self._recurrent(node)

    def _op_RNN(self, node: Any) -> None:
        self._recurrent(node)

    def _zeros(self, name: str, depth: int = 0) -> bool:
        """True when the tensor is zeros: stored zeros, or zeros of a computed shape (ConstantOfShape)."""
        value = self.values.get(name)
        if isinstance(value, _Const):
            return not np.asarray(value.array).any()
        producer = self.producers.get(name)
        if producer is None or depth > 8 or not isinstance(value, _Aux):
            return False
        if producer.op_type == "ConstantOfShape":
            a = self.attrs(producer).get("value")
            return a is None or not self.numpy_helper.to_array(a).any()
        if producer.op_type in ("Slice", "Expand", "Identity", "Cast", "Reshape", "Unsqueeze", "Squeeze", "Tile"):
            return self._zeros(producer.input[0], depth + 1)
        return False


def _param_key(name: str, key: str, layer: int) -> str:
    base, reverse, _rest = key.partition("_reverse")
    return f"{name}.rnn.{base}_l{layer}{reverse}"


def _reorder(array: np.ndarray, kind: str, hidden: int) -> np.ndarray:
    blocks = [array[i * hidden:(i + 1) * hidden] for i in range(_GATES[kind])]
    return np.concatenate([blocks[i] for i in _GATE_ORDER[kind]], axis=0)
