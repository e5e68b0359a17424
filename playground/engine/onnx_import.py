"""Open ``.onnx`` files in the editor: the graph becomes a lab, its initializers the network's weights.

The file is read with the ``onnx`` package (parsed and shape-inferred, never run). Each ONNX operator, or the
short patterns torch writes for one module (MatMul + Add for a Linear on sequences, Transpose + LSTM + Squeeze +
Transpose for a batch-first recurrent layer), becomes one layer of the catalog, and its weights are converted to
the names and layouts the compiler's modules use. Operators that compute shapes (Shape, Gather on a shape,
Concat of sizes...) draw nothing. Anything the editor cannot represent is refused with one message that names
the operator and its node.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from playground.graph import DatasetSettings, Graph, GraphError, Lab

from .errors import EngineError

MAX_FILE_BYTES = 1 << 30  # a module attribute, so tests can lower it
EPSILON = 1e-5  # the eps of torch's BatchNorm and LayerNorm, which the editor's layers use

# Operators that take part in the data flow and have a layer (or belong to a pattern that has one).
_LAYER_OPS = {
    "Gemm", "MatMul", "Add", "Conv", "ConvTranspose", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Softplus", "Gelu",
    "Identity", "Dropout", "Softmax", "Flatten", "Reshape", "MaxPool", "AveragePool", "GlobalAveragePool",
    "GlobalMaxPool", "BatchNormalization", "LayerNormalization", "Concat", "Resize", "Upsample", "LSTM", "GRU",
    "RNN", "Transpose", "Squeeze", "Unsqueeze", "Gather", "Shape", "Size", "Cast", "ReduceMean", "ReduceMax",
    "Pad", "InstanceNormalization", "Mul",
}
# Operators on stored tensors only that are worked out on import: torch writes a Pad's sizes as such a chain.
_FOLDABLE = {"ConstantOfShape", "Concat", "Reshape", "Slice", "Transpose", "Unsqueeze", "Squeeze", "Cast"}
_PAD_MODES = {"constant": "zeros", "reflect": "reflect", "edge": "replicate"}
_SQRT2 = math.sqrt(2.0)
_ACTIVATIONS = {"Relu": "ReLU", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "Gelu": "GELU"}
_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
# Rows of ONNX's gate blocks in torch's order: ONNX LSTM is i, o, f, c (torch i, f, g, o); GRU z, r, h (torch r, z, n).
_GATE_ORDER = {"RNN": [0], "GRU": [1, 0, 2], "LSTM": [0, 2, 3, 1]}
_DEFAULT_STEPS = 20  # the length given to a sequence input whose length the file leaves free


class OnnxImportError(EngineError):
    """The file cannot be opened as a lab; the message names the file and, where there is one, the node."""


@dataclass
class OnnxImport:
    """What an ONNX file becomes: a lab of one network, and that network's weights (compiled names)."""

    lab: Lab
    weights: dict[str, dict[str, torch.Tensor]]
    notes: list[str] = field(default_factory=list)

    @property
    def network(self) -> str:
        return self.lab.networks[0].name


# Values flowing along the ONNX graph ---------------------------------------------------------------------------


@dataclass
class _Const:
    array: np.ndarray


@dataclass
class _Aux:
    """A value that is not data: a shape, a size or anything computed from them."""

    op: str


@dataclass
class _Data:
    """A batch-first tensor: the output of the layer ``node``."""

    node: str


@dataclass
class _Unusable:
    why: str


@dataclass
class _Rec:
    """A recurrent layer being read: one ONNX operator per stacked layer."""

    kind: str
    hidden: int
    dirs: int
    source: str  # the layer whose output it reads
    name: str
    onnx_name: str
    nonlinearity: str = "tanh"
    layers: list[dict[str, np.ndarray]] = field(default_factory=list)
    drawn: dict[bool, str] = field(default_factory=dict)  # last-only? -> the layer drawn for that output


Axes = tuple[tuple[str, ...], ...]


@dataclass
class _Seq:
    """A tensor inside a recurrent block, its axes described by what they hold: B batch, T steps, D directions,
    H hidden units, F input features; an axis of () has size 1. ``rec`` is None for the input of a first layer."""

    rec: _Rec | None
    source: str
    axes: Axes
    last: bool = False  # the steps were reduced to the last one
    final_state: bool = False  # it is the final hidden state (Y_h), not the outputs


Value = _Const | _Aux | _Data | _Seq | _Unusable


@dataclass
class _Layer:
    name: str
    kind: str
    params: dict[str, Any]
    sources: list[str]


# Reading the file ------------------------------------------------------------------------------------------------


def import_onnx(path: str | Path) -> OnnxImport:
    """The lab and weights of an ``.onnx`` file (read and shape-inferred, never run)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise OnnxImportError(f"Cannot read {p}: {e.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise OnnxImportError(f"{p.name} is {size / 2**20:.0f} MiB, more than the {MAX_FILE_BYTES / 2**20:.0f} MiB "
                              f"an ONNX file may have here")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise OnnxImportError(f"Cannot read {p}: {e.strerror}") from None
    return import_onnx_bytes(data, p.name)


def import_onnx_bytes(data: bytes, filename: str = "model.onnx") -> OnnxImport:
    import onnx
    from onnx import shape_inference

    if len(data) > MAX_FILE_BYTES:
        raise OnnxImportError(f"{filename} is {len(data) / 2**20:.0f} MiB, more than the "
                              f"{MAX_FILE_BYTES / 2**20:.0f} MiB an ONNX file may have here")
    try:
        model = onnx.load_from_string(data)
    except Exception:  # noqa: BLE001 - protobuf raises DecodeError and others: any of them means "not ONNX"
        raise OnnxImportError(f"{filename} is not an ONNX model (it cannot be parsed)") from None
    if not model.graph.node and not model.graph.input:
        raise OnnxImportError(f"{filename} is not an ONNX model (it has no graph)")
    for tensor in model.graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            raise OnnxImportError(f"{filename} keeps its weights in separate files ({tensor.name!r}): save the "
                                  f"model as one file (onnx.save(model, path, save_as_external_data=False))")
    _fold_constants(model)
    try:
        inferred = shape_inference.infer_shapes(model, data_prop=True)
    except Exception as e:  # noqa: BLE001 - the inference raises several types for a broken graph
        raise OnnxImportError(f"{filename}: onnx cannot infer the shapes of its graph ({_first_line(e)})") from None
    reader = _Reader(inferred, filename)
    graph, state = reader.read()
    name = Path(filename).stem.replace("_", " ") or "Imported model"
    lab = Lab(name=name, description=f"Imported from {filename}.")
    lab.add_network("model", "model", graph)
    _guess_data(lab, graph)
    _check_weights(lab, state, filename)
    return OnnxImport(lab, {"model": state}, reader.notes)


def lab_from_onnx(path: str | Path) -> Lab:
    """Only the lab of an ONNX file (its weights are dropped)."""
    return import_onnx(path).lab


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _guess_data(lab: Lab, graph: Graph) -> None:
    """A dataset that fits the network's input, where a built-in one does (as the Python importer does)."""
    inputs = graph.nodes_of_kind("Input")
    outputs = graph.nodes_of_kind("Output")
    if outputs and outputs[0].params["head"] == "regression":
        lab.task = "regression"
    if len(inputs) != 1:
        return
    p = inputs[0].params
    if p["kind"] == "image" and (p["channels"], p["height"], p["width"]) == (1, 28, 28):
        lab.dataset = DatasetSettings("digits", train_ratio=0.8, features=[])
    elif p["kind"] == "vector" and p["features"] == 2:
        lab.dataset = DatasetSettings("plane" if lab.task == "regression" else "circle")
    elif p["kind"] in ("sequence", "tokens") and len(outputs) == 1:
        # The built-in sequence sets, as the templates use them: a wave to forecast step by step, wave shapes to
        # tell apart from the last step, a text to continue one character at a time.
        steps = {"steps": p["steps"]}
        per_step = outputs[0].params["head"] == "regression"
        if p["kind"] == "tokens":
            lab.task, lab.dataset = "sequence", DatasetSettings("austen", samples=1000, train_ratio=0.9,
                                                                features=[], options=steps)
        elif p["features"] == 1 and per_step:
            lab.task, lab.dataset = "sequence", DatasetSettings("sine", noise=2.0, samples=1000, train_ratio=0.8,
                                                                features=[], options=steps)
        elif p["features"] == 1:
            lab.task, lab.dataset = "sequence", DatasetSettings("waves", noise=5.0, samples=1000, train_ratio=0.8,
                                                                features=[], options=steps)


def _check_weights(lab: Lab, state: dict[str, torch.Tensor], filename: str) -> None:
    """Compile the network and load the converted weights: what does not fit is a bug of this reader, said so."""
    from playground.compile import compile_network

    from .export import ExportError, load_weights

    net = lab.networks[0]
    try:
        compiled = compile_network(net.graph, net.name)
        load_weights(compiled, state)
    except (GraphError, ExportError) as e:
        raise OnnxImportError(f"{filename}: {e}") from None


def _fold_constants(model: Any) -> None:
    """Replace small operators on stored tensors by their values (onnx's reference implementation), so that shape
    inference sees through them: torch writes a Pad's sizes as such a chain."""
    from onnx import helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    known: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer
                                    if t.data_type != 0}
    nodes = list(model.graph.node)
    for i, node in enumerate(nodes):
        if node.op_type == "Constant" and len(node.attribute) == 1 and node.attribute[0].name == "value":
            known[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
            continue
        names = [n for n in node.input if n]
        if node.op_type not in _FOLDABLE or len(node.output) != 1 or node.domain not in ("", "ai.onnx") \
                or not all(n in known for n in names) or sum(known[n].size for n in names) > 10_000:
            continue
        try:
            (out,) = ReferenceEvaluator(node).run(None, {n: known[n] for n in names})
        except Exception:  # noqa: BLE001, S112 - an operator the reference cannot run is left as it is
            continue
        value = np.asarray(out)
        known[node.output[0]] = value
        nodes[i] = helper.make_node("Constant", [], list(node.output), name=node.name,
                                    value=numpy_helper.from_array(value, node.output[0]))
    del model.graph.node[:]
    model.graph.node.extend(nodes)


def _text(value: Any) -> Any:
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value.decode() if isinstance(value, bytes) else value


class _Reader:
    def __init__(self, model: Any, filename: str) -> None:
        import onnx
        from onnx import numpy_helper

        self.onnx = onnx
        self.numpy_helper = numpy_helper
        self.model = model
        self.g = model.graph
        self.filename = filename
        self.values: dict[str, Value] = {}
        self.layers: list[_Layer] = []
        self.names: set[str] = set()
        self.state: dict[str, torch.Tensor] = {}
        self.notes: list[str] = []
        self.shapes: dict[str, list[int | None]] = {}
        self.types: dict[str, int] = {}
        for vi in list(self.g.value_info) + list(self.g.input) + list(self.g.output):
            t = vi.type.tensor_type
            self.types[vi.name] = t.elem_type
            if t.HasField("shape"):
                self.shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        self.producers: dict[str, Any] = {o: n for n in self.g.node for o in n.output}
        self.consumers: dict[str, int] = {}
        for n in self.g.node:
            for i in n.input:
                if i:
                    self.consumers[i] = self.consumers.get(i, 0) + 1
        for o in self.g.output:
            self.consumers[o.name] = self.consumers.get(o.name, 0) + 1
        self.pending_bias: dict[str, str] = {}  # MatMul output -> its Dense layer, whose bias an Add may bring
        self.users: dict[str, list[Any]] = {}
        for n in self.g.node:
            for i in n.input:
                if i:
                    self.users.setdefault(i, []).append(n)
        # Operators torch writes for one module: the first node of each -> (kind, params, last node's output)
        self.patterns: dict[int, tuple[str, dict[str, Any], str]] = {}
        self.inside: set[int] = set()  # the other nodes of those patterns

    # Errors and names ------------------------------------------------------------------------------------------

    def fail(self, node: Any, text: str) -> OnnxImportError:
        where = f"{node.op_type} {node.name!r}" if node.name else node.op_type
        return OnnxImportError(f"{self.filename}: {where} {text}")

    def fresh(self, wanted: str, prefix: str) -> str:
        name = re.sub(r"[^A-Za-z0-9_]", "_", wanted).strip("_")
        name = re.sub(r"_+", "_", name)[:64]
        if not name or not name[0].isalpha() or name in self.names:
            i = 1
            while f"{prefix}_{i}" in self.names:
                i += 1
            name = f"{prefix}_{i}"
        self.names.add(name)
        return name

    def layer_name(self, node: Any, kind: str) -> str:
        from playground.graph import get_kind

        # torch names a node after the module it came from: "/dense_1/Gemm", "/lstm_1/rnn/LSTM".
        parts = node.name.strip("/").split("/") if node.name.startswith("/") else [node.name]
        return self.fresh(parts[0] if parts else "", get_kind(kind).prefix)

    def add(self, kind: str, node: Any, params: dict[str, Any], sources: Sequence[str],
            name: str | None = None) -> str:
        name = name or self.layer_name(node, kind)
        self.layers.append(_Layer(name, kind, params, list(sources)))
        return name

    # Patterns: one module written as several operators ----------------------------------------------------------

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

    # Values ----------------------------------------------------------------------------------------------------

    def const(self, node: Any, index: int, what: str) -> np.ndarray:
        name = node.input[index] if index < len(node.input) else ""
        value = self.values.get(name) if name else None
        if isinstance(value, _Const):
            return value.array
        if not name:
            raise self.fail(node, f"has no {what}")
        raise self.fail(node, f"computes its {what} {name!r} in the graph: the editor needs it stored in the file")

    def optional_const(self, node: Any, index: int) -> np.ndarray | None:
        if index >= len(node.input) or not node.input[index]:
            return None
        value = self.values.get(node.input[index])
        return value.array if isinstance(value, _Const) else None

    def data(self, node: Any, name: str) -> str:
        """The layer whose output the tensor ``name`` is; ends a recurrent block where its output is complete."""
        value = self.values.get(name)
        if isinstance(value, _Data):
            return value.node
        if isinstance(value, _Seq):
            return self.finish(node, value)
        if isinstance(value, _Unusable):
            raise self.fail(node, f"reads {name!r}, {value.why}")
        raise self.fail(node, f"reads {name!r}, which is not computed from the network's input")

    def shape(self, name: str) -> list[int | None]:
        return self.shapes.get(name, [])

    def attrs(self, node: Any) -> dict[str, Any]:
        return {a.name: _text(self.onnx.helper.get_attribute_value(a)) for a in node.attribute}

    # The whole graph --------------------------------------------------------------------------------------------

    def read(self) -> tuple[Graph, dict[str, torch.Tensor]]:
        for init in self.g.initializer:
            self.values[init.name] = _Const(self.numpy_helper.to_array(init))
        self._find_patterns()
        self._check_operators()
        for inp in self.g.input:
            if inp.name not in self.values:
                self._input(inp)
        if not any(isinstance(v, _Data) for v in self.values.values()):
            raise OnnxImportError(f"{self.filename} has no input: the graph takes no data")
        for node in self.g.node:
            self._node(node)
        outputs = []
        for out in self.g.output:
            value = self.values.get(out.name)
            if isinstance(value, (_Const, _Aux)) or value is None:
                raise OnnxImportError(f"{self.filename}: output {out.name!r} is not computed from the input")
            fake = self.onnx.NodeProto(op_type="output", name=out.name)
            source = self.data(fake, out.name)
            if any(layer.name == source and layer.kind == "Input" for layer in self.layers):
                raise OnnxImportError(f"{self.filename}: output {out.name!r} is the input itself: there is no layer "
                                      f"between them to draw")
            outputs.append((out.name, source))
        for name, source in outputs:
            dims = tuple(d for d in self.shape(name)[1:])
            head = "regression" if dims in ((1,), (None, 1)) or (len(dims) == 2 and dims[-1] == 1) else \
                "classification"  # one number, or one per step
            self.add("Output", None, {"head": head}, [source], name=self.fresh(name, "output"))
        return self._graph(), self.state

    def _check_operators(self) -> None:
        """Every operator on the data's path must be one the editor knows: name all that are not, at once."""
        data = {i.name for i in self.g.input if i.name not in self.values}
        unknown: list[str] = []
        for node in self.g.node:
            if not any(i in data for i in node.input if i):
                continue
            if id(node) in self.inside or id(node) in self.patterns:
                data.update(o for o in node.output if o)
                continue
            op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
            if op not in _LAYER_OPS:
                unknown.append(f"{op} {node.name!r}" if node.name else op)
            if node.op_type not in ("Shape", "Size"):
                data.update(o for o in node.output if o)
        if unknown:
            shown = ", ".join(unknown[:8]) + (f" and {len(unknown) - 8} more" if len(unknown) > 8 else "")
            raise OnnxImportError(f"{self.filename} uses {len(unknown)} operator(s) the editor has no layer for: "
                                  f"{shown}")

    def _input(self, inp: Any) -> None:
        dims = self.shape(inp.name)
        elem = self.types.get(inp.name, 0)
        where = f"{self.filename}: input {inp.name!r}"
        if not dims:
            raise OnnxImportError(f"{where} has no known shape")
        rest = dims[1:]
        floating = elem in (self.onnx.TensorProto.FLOAT, self.onnx.TensorProto.DOUBLE, self.onnx.TensorProto.FLOAT16)
        integer = elem in (self.onnx.TensorProto.INT64, self.onnx.TensorProto.INT32)
        shape_text = "×".join("?" if d is None else str(d) for d in dims)
        if floating and len(rest) == 1 and rest[0]:
            params: dict[str, Any] = {"kind": "vector", "features": rest[0]}
        elif floating and len(rest) == 3 and all(rest):
            params = {"kind": "image", "channels": rest[0], "height": rest[1], "width": rest[2]}
        elif floating and len(rest) == 2 and rest[1]:
            params = {"kind": "sequence", "steps": rest[0] or self._steps(inp.name), "features": rest[1]}
        elif integer and len(rest) == 1:
            params = {"kind": "tokens", "steps": rest[0] or self._steps(inp.name)}
        else:
            raise OnnxImportError(f"{where} is {shape_text} ({'numbers' if floating else 'integers'}): the editor's "
                                  f"inputs are batch×features, batch×channels×height×width, batch×steps×features "
                                  f"or batch×steps of token ids")
        name = self.fresh(inp.name, "input")
        self.layers.append(_Layer(name, "Input", params, []))
        self.values[inp.name] = _Data(name)

    def _steps(self, name: str) -> int:
        """The length of a sequence input the file leaves free: the trained one, where the playground wrote it."""
        for prop in self.model.metadata_props:
            if prop.key == f"playground.steps.{name}" and prop.value.isdigit() and 1 <= int(prop.value) <= 10000:
                return int(prop.value)
        return _DEFAULT_STEPS

    # One operator -----------------------------------------------------------------------------------------------

    def _node(self, node: Any) -> None:
        op = node.op_type
        if id(node) in self.inside:
            return
        if id(node) in self.patterns:
            kind, params, output = self.patterns[id(node)]
            source = self.data(node, node.input[0])
            self.values[output] = _Data(self.add(kind, node, params, [source]))
            return
        ins = [self.values.get(i) if i else None for i in node.input]
        if op == "Constant":
            self.values[node.output[0]] = self._constant(node)
            return
        data_in = [v for v in ins if isinstance(v, (_Data, _Seq, _Unusable))]
        if not data_in:
            # Shape arithmetic, or constants folded by hand: Identity and Cast of a stored tensor stay constants.
            if op in ("Identity", "Cast") and isinstance(ins[0], _Const):
                array = ins[0].array
                if op == "Cast":
                    to = self.attrs(node).get("to")
                    array = array.astype(self.onnx.helper.tensor_dtype_to_np_dtype(to)) if to else array
                self.values[node.output[0]] = _Const(array)
                return
            for o in node.output:
                self.values[o] = _Aux(op)
            return
        if op in ("Shape", "Size"):
            self.values[node.output[0]] = _Aux(op)
            return
        handler: Callable[[Any], None] | None = getattr(self, f"_op_{op}", None)
        if handler is None or node.domain not in ("", "ai.onnx"):  # pragma: no cover - _check_operators guards
            raise self.fail(node, "has no layer in the editor")
        handler(node)

    def _constant(self, node: Any) -> Value:
        a = node.attribute[0] if node.attribute else None
        if a is None:
            return _Aux("Constant")
        if a.name == "value":
            return _Const(self.numpy_helper.to_array(a.t))
        value = self.onnx.helper.get_attribute_value(a)
        if a.name in ("value_float", "value_int", "value_floats", "value_ints"):
            return _Const(np.array(value))
        return _Aux("Constant")

    def _set(self, node: Any, layer: str) -> None:
        self.values[node.output[0]] = _Data(layer)
        for extra in node.output[1:]:
            if extra:
                self.values[extra] = _Unusable(f"an extra output of {node.op_type} that the editor's layers do not have")

    def _alias(self, node: Any, source: str) -> None:
        self.values[node.output[0]] = _Data(source)

    # Dense ------------------------------------------------------------------------------------------------------

    def _op_Gemm(self, node: Any) -> None:
        a = self.attrs(node)
        if a.get("transA", 0):
            raise self.fail(node, "multiplies a transposed input (transA=1): the editor's Dense reads x·Wᵀ")
        source = self.data(node, node.input[0])
        b = self.const(node, 1, "weight")
        weight = (b if a.get("transB", 0) else b.T) * float(a.get("alpha", 1.0))
        c = self.optional_const(node, 2)
        if len(node.input) > 2 and node.input[2] and c is None:
            raise self.fail(node, f"computes its bias {node.input[2]!r} in the graph: the editor needs it stored")
        units = weight.shape[0]
        name = self.add("Dense", node, {"units": units, "bias": c is not None}, [source])
        self._store(name, weight=weight)
        if c is not None:
            self._store(name, bias=np.broadcast_to(c * float(a.get("beta", 1.0)), (units,)))
        self._set(node, name)

    def _op_MatMul(self, node: Any) -> None:
        if not isinstance(self.values.get(node.input[0]), (_Data, _Seq)):
            raise self.fail(node, "multiplies a stored matrix by the data from the left: the editor's Dense reads x·Wᵀ")
        source = self.data(node, node.input[0])
        w = self.const(node, 1, "weight")
        if w.ndim != 2:
            raise self.fail(node, f"multiplies by a {w.ndim}-D tensor: a Dense layer has a 2-D weight")
        name = self.add("Dense", node, {"units": int(w.shape[1]), "bias": False}, [source])
        self._store(name, weight=w.T)
        self._set(node, name)
        self._bias_may_follow(node, name, None)

    def _op_Add(self, node: Any) -> None:
        a, b = (self.values.get(i) for i in node.input[:2])
        if isinstance(a, _Const) or isinstance(b, _Const):
            data_index = 1 if isinstance(a, _Const) else 0
            const = (a if isinstance(a, _Const) else b).array  # type: ignore[union-attr]
            dense = self.pending_bias.pop(node.input[data_index], None)
            layer = next((x for x in self.layers if x.name == dense), None)
            units = int(layer.params.get("units") or layer.params.get("filters") or 0) if layer else 0
            if layer is not None and layer.kind == "Dense":
                fits = const.size in (1, units) and (const.ndim <= 1 or const.shape[-1] == const.size)
            else:  # a convolution's bias is one value per channel: C×1×1 (or 1×C×1×1)
                fits = const.size == units and const.ndim >= 3 and const.shape[-2:] == (1, 1)
            if layer is None or not fits:
                raise self.fail(node, "adds a stored tensor that is not the bias of a Dense or convolution layer "
                                      "before it: the editor has no layer for that")
            layer.params["bias"] = True
            self._store(layer.name, bias=np.broadcast_to(const.reshape(-1), (units,)))
            self._alias(node, layer.name)
            return
        first, second = self.data(node, node.input[0]), self.data(node, node.input[1])
        self._set(node, self.add("Add", node, {}, [first, second]))

    def _op_Mul(self, node: Any) -> None:
        a, b = (self.values.get(i) for i in node.input[:2])
        if isinstance(a, _Const) or isinstance(b, _Const):
            raise self.fail(node, "multiplies by a stored tensor: the editor has no layer for that (its Multiply "
                                  "multiplies two tensors of the network)")
        first, second = self.data(node, node.input[0]), self.data(node, node.input[1])
        self._set(node, self.add("Multiply", node, {}, [first, second]))

    # Convolutions and pooling -----------------------------------------------------------------------------------

    def _square(self, node: Any, values: Iterable[int], what: str) -> int:
        values = [int(v) for v in values]
        if len(set(values)) > 1:
            raise self.fail(node, f"has a {what} of {values}: the editor's layers use the same {what} for height "
                                  f"and width")
        return values[0] if values else 0

    def _pads(self, node: Any, a: dict[str, Any], kernel: int) -> int:
        auto = a.get("auto_pad", "NOTSET")
        if auto not in ("NOTSET", "VALID"):
            raise self.fail(node, f"pads with auto_pad={auto!r}: the editor's layers need the padding written out")
        return self._square(node, a.get("pads", [0, 0, 0, 0]), "padding")

    def _conv_common(self, node: Any, a: dict[str, Any], w: np.ndarray) -> tuple[int, int, int]:
        if w.ndim != 4:
            raise self.fail(node, f"is a {w.ndim - 2}-D convolution: the editor's convolutions are 2-D")
        if self._square(node, a.get("dilations", [1, 1]), "dilation") != 1:
            raise self.fail(node, "is dilated: the editor's convolutions are not")
        k = self._square(node, w.shape[2:], "kernel")
        return k, self._square(node, a.get("strides", [1, 1]), "stride"), self._pads(node, a, k)

    def _op_Conv(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        a = self.attrs(node)
        w = self.const(node, 1, "weight")
        k, stride, pad = self._conv_common(node, a, w)
        bias = self.optional_const(node, 2)
        params = {"filters": int(w.shape[0]), "kernel_size": k, "stride": stride, "padding": pad,
                  "bias": bias is not None}
        if int(a.get("group", 1)) != 1:
            params["groups"] = int(a["group"])
        name = self.add("Conv2d", node, params, [source])
        self._store(name, weight=w, bias=bias)
        self._set(node, name)
        self._bias_may_follow(node, name, bias)

    def _bias_may_follow(self, node: Any, layer: str, bias: np.ndarray | None) -> None:
        """Some exporters write a bias as an Add after the layer: the Add that follows may bring it."""
        if bias is None and self.consumers.get(node.output[0], 0) == 1:
            self.pending_bias[node.output[0]] = layer

    def _op_ConvTranspose(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        a = self.attrs(node)
        w = self.const(node, 1, "weight")
        k, stride, pad = self._conv_common(node, a, w)
        if a.get("group", 1) != 1:
            raise self.fail(node, f"is a grouped transposed convolution (group={a['group']}): the editor's has "
                                  f"one group")
        if "output_shape" in a:
            raise self.fail(node, "gives its output_shape instead of its padding: the editor needs the padding")
        extra = self._square(node, a.get("output_padding", [0, 0]), "output padding")
        bias = self.optional_const(node, 2)
        name = self.add("ConvTranspose2d", node, {"filters": int(w.shape[1]), "kernel_size": k, "stride": stride,
                                                  "padding": pad, "output_padding": extra,
                                                  "bias": bias is not None}, [source])
        self._store(name, weight=w, bias=bias)
        self._set(node, name)
        self._bias_may_follow(node, name, bias)

    def _pool(self, node: Any, kind: str) -> None:
        source = self.data(node, node.input[0])
        a = self.attrs(node)
        if len(a.get("kernel_shape", [])) != 2:
            raise self.fail(node, "is not a 2-D pooling: the editor's pools work on images")
        k = self._square(node, a["kernel_shape"], "window")
        stride = self._square(node, a.get("strides", [1, 1]), "stride")
        pad = self._pads(node, a, k)
        if a.get("ceil_mode", 0):
            raise self.fail(node, "rounds its output size up (ceil_mode=1): the editor's pools round down")
        if self._square(node, a.get("dilations", [1, 1]), "dilation") != 1:
            raise self.fail(node, "is dilated: the editor's pools are not")
        if kind == "AvgPool2d" and pad and not a.get("count_include_pad", 0):
            raise self.fail(node, "leaves the padding out of its averages (count_include_pad=0): the editor's "
                                  "average pool counts it, as torch does by default")
        self._set(node, self.add(kind, node, {"kernel_size": k, "stride": 0 if stride == k else stride,
                                              "padding": pad}, [source]))

    def _op_MaxPool(self, node: Any) -> None:
        if len(node.output) > 1 and node.output[1] and self.consumers.get(node.output[1]):
            raise self.fail(node, "also returns the indices of the maxima, which the editor's MaxPool does not")
        self._pool(node, "MaxPool2d")

    def _op_AveragePool(self, node: Any) -> None:
        self._pool(node, "AvgPool2d")

    def _global_pool(self, node: Any, kind: str) -> None:
        source = self.data(node, node.input[0])
        dims = self.shape(node.input[0])
        if len(dims) != 4 or dims[2] is None or dims[2] != dims[3]:
            raise self.fail(node, "pools an image whose size is not known and square: the editor's pools need it")
        k = int(dims[2])
        self._set(node, self.add(kind, node, {"kernel_size": k, "stride": 0, "padding": 0}, [source]))

    def _reduce(self, node: Any, kind: str) -> None:
        """A mean or max over height and width (adaptive pooling to 1×1): a pool as large as the image."""
        dims = self.shape(node.input[0])
        axes = {a % 4 for a in self._axes_of(node, 1, "axes")} if len(dims) == 4 else set()
        if axes != {2, 3}:
            raise self.fail(node, "reduces axes other than height and width of an image: the editor has no layer "
                                  "for that")
        self._global_pool(node, kind)
        if not int(self.attrs(node).get("keepdims", 1)):
            pooled = self.values[node.output[0]]
            assert isinstance(pooled, _Data)
            self._set(node, self.add("Flatten", node, {}, [pooled.node], name=self.fresh(f"{pooled.node}_flat",
                                                                                            "flatten")))

    def _op_ReduceMean(self, node: Any) -> None:
        self._reduce(node, "AvgPool2d")

    def _op_ReduceMax(self, node: Any) -> None:
        self._reduce(node, "MaxPool2d")

    def _op_GlobalAveragePool(self, node: Any) -> None:
        self._global_pool(node, "AvgPool2d")

    def _op_GlobalMaxPool(self, node: Any) -> None:
        self._global_pool(node, "MaxPool2d")

    def _upsample(self, node: Any, mode: str, a: dict[str, Any]) -> None:
        source = self.data(node, node.input[0])
        before, after = self.shape(node.input[0]), self.shape(node.output[0])
        if len(before) != 4 or len(after) != 4 or None in before[1:] or None in after[1:]:
            raise self.fail(node, "resizes a tensor whose size is not known: the editor's Upsample needs an image")
        assert all(d is not None for d in before[1:] + after[1:])
        if before[1] != after[1] or after[2] % before[2] or after[3] % before[3]:  # type: ignore[operator]
            raise self.fail(node, f"resizes {before[1:]} to {after[1:]}: the editor's Upsample enlarges height and "
                                  f"width by a whole factor")
        fh, fw = after[2] // before[2], after[3] // before[3]  # type: ignore[operator]
        if fh != fw:
            raise self.fail(node, f"enlarges height by {fh} and width by {fw}: the editor's Upsample uses one factor")
        coordinates = a.get("coordinate_transformation_mode", "half_pixel")
        if mode == "nearest":
            if node.op_type == "Resize" and (coordinates != "asymmetric" or a.get("nearest_mode", "round_prefer_floor")
                                             != "floor"):
                raise self.fail(node, "picks nearest pixels otherwise than torch's Upsample (it needs "
                                      "coordinate_transformation_mode='asymmetric' and nearest_mode='floor')")
            kind = "nearest"
        elif mode in ("linear", "bilinear"):
            if node.op_type == "Resize" and coordinates not in ("half_pixel", "pytorch_half_pixel"):
                raise self.fail(node, f"interpolates with coordinate_transformation_mode={coordinates!r}: torch's "
                                      f"bilinear Upsample (align_corners=False) is 'half_pixel'")
            kind = "bilinear"
        else:
            raise self.fail(node, f"resizes with mode {mode!r}: the editor's Upsample is nearest or bilinear")
        self._set(node, self.add("Upsample", node, {"scale": int(fh), "mode": kind}, [source]))

    def _op_Resize(self, node: Any) -> None:
        a = self.attrs(node)
        self._upsample(node, a.get("mode", "nearest"), a)

    def _op_Upsample(self, node: Any) -> None:
        a = self.attrs(node)
        self._upsample(node, a.get("mode", "nearest"), a)

    # Normalization, activations, shape --------------------------------------------------------------------------

    def _op_BatchNormalization(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        a = self.attrs(node)
        if a.get("training_mode", 0):
            raise self.fail(node, "normalizes with the batch's statistics (training_mode=1): the file should hold "
                                  "the network in inference mode")
        rank = len(self.shape(node.input[0]))
        if rank not in (2, 4):
            raise self.fail(node, "normalizes a sequence: the editor's BatchNorm normalizes vectors and images")
        scale, bias = self.const(node, 1, "scale"), self.const(node, 2, "bias")
        mean, var = self.const(node, 3, "running mean"), self.const(node, 4, "running variance")
        eps = float(a.get("epsilon", 1e-5))
        # The editor's BatchNorm divides by sqrt(var + 1e-5): another epsilon moves into the variance, exactly.
        var = var.astype(np.float64) + eps - EPSILON
        momentum = min(1.0, max(0.0, round(1.0 - float(a.get("momentum", 0.9)), 6)))
        name = self.add("BatchNorm", node, {"momentum": momentum}, [source])
        self._store(name, weight=scale, bias=bias, running_mean=mean, running_var=var)
        self.state[f"{name}.num_batches_tracked"] = torch.tensor(0)
        self._set(node, name)

    def _op_Pad(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        mode = self.attrs(node).get("mode", "constant")
        if mode not in _PAD_MODES:
            raise self.fail(node, f"pads in mode {mode!r}: the editor's Pad2d has zeros, reflect and replicate")
        pads = [int(v) for v in self.const(node, 1, "padding").reshape(-1)]
        fill = self.optional_const(node, 2)
        if fill is not None and fill.size and float(fill.reshape(-1)[0]) != 0.0:
            raise self.fail(node, f"pads with the value {float(fill.reshape(-1)[0])}: the editor's Pad2d pads with "
                                  f"zeros")
        if len(node.input) > 3 and node.input[3] or len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
            raise self.fail(node, "pads more than the height and width of an image: the editor's Pad2d pads "
                                  "images")
        side = self._square(node, [pads[i] for i in (2, 3, 6, 7)], "padding")
        if side < 1:
            raise self.fail(node, f"pads by {side}: the editor's Pad2d adds at least one row and column")
        self._set(node, self.add("Pad2d", node, {"padding": side, "mode": _PAD_MODES[mode]}, [source]))

    def _op_InstanceNormalization(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        if len(self.shape(node.input[0])) != 4:
            raise self.fail(node, "normalizes something other than images: the editor's InstanceNorm normalizes "
                                  "images")
        eps = float(self.attrs(node).get("epsilon", 1e-5))
        if not math.isclose(eps, EPSILON, rel_tol=1e-3):
            raise self.fail(node, f"uses epsilon {eps}: the editor's InstanceNorm uses 1e-5")
        scale, bias = self.const(node, 1, "scale"), self.const(node, 2, "bias")
        stored = {i.name for i in self.g.initializer}
        affine = node.input[1] in stored or node.input[2] in stored or not (
            np.all(scale == 1.0) and np.all(bias == 0.0))
        name = self.add("InstanceNorm", node, {"affine": bool(affine)}, [source])
        if affine:
            self._store(name, weight=scale, bias=bias)
        self._set(node, name)

    def _op_LayerNormalization(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        a = self.attrs(node)
        rank = len(self.shape(node.input[0]))
        axis = int(a.get("axis", -1)) % max(rank, 1)
        if not math.isclose(float(a.get("epsilon", 1e-5)), EPSILON, rel_tol=1e-3):
            raise self.fail(node, f"uses epsilon {a.get('epsilon')}: the editor's LayerNorm uses 1e-5")
        wanted = 1 if rank == 4 else rank - 1
        if axis != wanted:
            raise self.fail(node, f"normalizes from axis {axis}: the editor's LayerNorm normalizes "
                                  f"{'channels, height and width' if rank == 4 else 'the features'}")
        scale = self.const(node, 1, "scale")
        bias = self.optional_const(node, 2)
        name = self.add("LayerNorm", node, {}, [source])
        self._store(name, weight=scale, bias=bias if bias is not None else np.zeros_like(scale))
        self._set(node, name)

    def _activation(self, node: Any, kind: str, params: dict[str, Any] | None = None) -> None:
        source = self.data(node, node.input[0])
        self._set(node, self.add(kind, node, params or {}, [source]))

    def _op_Relu(self, node: Any) -> None:
        self._activation(node, "ReLU")

    def _op_Sigmoid(self, node: Any) -> None:
        self._activation(node, "Sigmoid")

    def _op_Tanh(self, node: Any) -> None:
        self._activation(node, "Tanh")

    def _op_Gelu(self, node: Any) -> None:
        if self.attrs(node).get("approximate", "none") != "none":
            raise self.fail(node, "uses the tanh approximation: the editor's GELU is the exact one")
        self._activation(node, "GELU")

    def _op_LeakyRelu(self, node: Any) -> None:
        self._activation(node, "LeakyReLU", {"slope": round(float(self.attrs(node).get("alpha", 0.01)), 7)})

    def _op_Softplus(self, node: Any) -> None:
        self._activation(node, "Softplus", {"beta": 1.0})

    def _op_Softmax(self, node: Any) -> None:
        rank = len(self.shape(node.input[0]))
        axis = int(self.attrs(node).get("axis", -1 if self._opset() >= 13 else 1))
        if rank and axis % rank != rank - 1:
            raise self.fail(node, f"is over axis {axis} of a {rank}-D tensor: the editor's Softmax is over the "
                                  f"last one")
        self._activation(node, "Softmax")

    def _op_Dropout(self, node: Any) -> None:
        ratio = self.optional_const(node, 1)
        p = float(ratio) if ratio is not None else float(self.attrs(node).get("ratio", 0.5))
        self._activation(node, "Dropout", {"p": round(min(p, 0.95), 6)})

    def _op_Identity(self, node: Any) -> None:
        value = self.values.get(node.input[0])
        if isinstance(value, _Seq):
            self.values[node.output[0]] = value
            return
        self._alias(node, self.data(node, node.input[0]))

    def _op_Cast(self, node: Any) -> None:
        to = self.attrs(node).get("to")
        if to not in (self.onnx.TensorProto.FLOAT, self.onnx.TensorProto.INT64, self.onnx.TensorProto.INT32):
            raise self.fail(node, "changes the data's type to one the editor's layers do not use")
        self._op_Identity(node)

    def _op_Flatten(self, node: Any) -> None:
        if int(self.attrs(node).get("axis", 1)) != 1:
            raise self.fail(node, "keeps more than the batch axis: the editor's Flatten keeps only the batch")
        self._activation(node, "Flatten")

    def _op_Reshape(self, node: Any) -> None:
        value = self.values.get(node.input[0])
        if isinstance(value, _Seq):
            self._seq_reshape(node, value)
            return
        self._reshape(node)

    def _reshape(self, node: Any) -> None:
        source = self.data(node, node.input[0])
        before, after = self.shape(node.input[0]), self.shape(node.output[0])
        if not after or None in after[1:]:
            raise self.fail(node, "reshapes to a size the file leaves open: the editor's Reshape needs it known")
        dims = [int(d) for d in after[1:]]  # type: ignore[arg-type]
        if before[1:] == after[1:]:
            self._alias(node, source)
            return
        if not 1 <= len(dims) <= 3:
            raise self.fail(node, f"reshapes to {len(dims)} axes besides the batch: the editor's Reshape makes 1 to 3")
        self._set(node, self.add("Reshape", node, {"shape": dims}, [source]))

    def _op_Squeeze(self, node: Any) -> None:
        self._layout(node)

    def _op_Unsqueeze(self, node: Any) -> None:
        self._layout(node)

    def _op_Transpose(self, node: Any) -> None:
        self._layout(node)

    def _op_Concat(self, node: Any) -> None:
        rank = len(self.shape(node.output[0]))
        axis = int(self.attrs(node).get("axis", 1)) % max(rank, 1)
        if rank and axis != (1 if rank == 4 else rank - 1):
            raise self.fail(node, f"joins along axis {axis}: the editor's Concat joins images along channels and "
                                  f"vectors or sequences along features")
        sources = [self.data(node, i) for i in node.input]
        if len(sources) < 2:
            self._alias(node, sources[0])
            return
        name = self.layer_name(node, "Concat")
        current = sources[0]
        for i, other in enumerate(sources[1:]):
            last = i == len(sources) - 2
            current = self.add("Concat", node, {}, [current, other],
                               name=name if last else self.fresh(f"{name}_{i + 1}", "concat"))
        self._set(node, current)

    def _op_Gather(self, node: Any) -> None:
        value = self.values.get(node.input[1])
        table = self.values.get(node.input[0])
        if isinstance(table, _Const) and isinstance(value, _Data):
            if int(self.attrs(node).get("axis", 0)) != 0 or table.array.ndim != 2:
                raise self.fail(node, "looks up rows of a table otherwise than an Embedding does")
            vocabulary, dim = (int(d) for d in table.array.shape)
            name = self.add("Embedding", node, {"vocabulary": vocabulary, "dim": dim}, [value.node])
            self._store(name, weight=table.array)
            self._set(node, name)
            return
        if isinstance(table, _Seq):
            self._layout(node)
            return
        raise self.fail(node, "picks entries out of the data: the editor has a layer for that only as the last step "
                              "of a recurrent layer")

    def _opset(self) -> int:
        return max((o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx")), default=13)

    # Recurrent blocks ---------------------------------------------------------------------------------------------

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
        x = self.values.get(node.input[0])
        time_major = (("T",), ("B",)) if layout == 0 else (("B",), ("T",))
        rec: _Rec | None = None
        if isinstance(x, _Data):
            if layout == 0:
                raise self.fail(node, "reads a sequence laid out steps×batch×features: the editor's recurrent "
                                      "layers read batch×steps×features")
            source = x.node
        elif isinstance(x, _Seq) and x.rec is None and x.axes[:2] == time_major and x.axes[2:] == (("F",),):
            source = x.source
        elif (isinstance(x, _Seq) and x.rec is not None and not x.last and x.rec.kind == kind
              and x.rec.hidden == int(a.get("hidden_size", 0)) and x.rec.dirs == dirs and not x.rec.drawn
              and x.axes[:2] == time_major and x.axes[2:] == ((("D", "H") if dirs == 2 else ("H",)),)):
            rec = x.rec  # the next layer of a stack
            source = rec.source
        else:
            raise self.fail(node, "reads a sequence arranged in a way the editor cannot follow")
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

    # Weights and the graph ---------------------------------------------------------------------------------------

    def _store(self, layer: str, **arrays: np.ndarray | None) -> None:
        for key, array in arrays.items():
            if array is not None:
                self.state[f"{layer}.{key}"] = _tensor(array)

    def _graph(self) -> Graph:
        g = Graph()
        depth: dict[str, int] = {}
        rows: dict[int, int] = {}
        try:
            for layer in self.layers:
                d = max((depth[s] + 1 for s in layer.sources), default=0)
                depth[layer.name] = d
                row = rows.get(d, 0)
                rows[d] = row + 1
                g.add_node(layer.kind, layer.name, layer.params, (190.0 * d, 150.0 * row))
                ports = g.node(layer.name).spec.inputs
                for port, source in zip(ports, layer.sources):
                    g.connect(source, layer.name, port, check_shapes=False)
        except GraphError as e:
            raise OnnxImportError(f"{self.filename}: {e.message}") from None
        inference = g.infer()
        if inference.problems:
            raise OnnxImportError(f"{self.filename}: {inference.problems[0].message}")
        return g


def _param_key(name: str, key: str, layer: int) -> str:
    base, reverse, _rest = key.partition("_reverse")
    return f"{name}.rnn.{base}_l{layer}{reverse}"


def _reorder(array: np.ndarray, kind: str, hidden: int) -> np.ndarray:
    blocks = [array[i * hidden:(i + 1) * hidden] for i in range(_GATES[kind])]
    return np.concatenate([blocks[i] for i in _GATE_ORDER[kind]], axis=0)


def _tensor(array: np.ndarray) -> torch.Tensor:
    a = np.asarray(array)
    dtype = np.float32 if a.dtype.kind == "f" else a.dtype
    return torch.from_numpy(np.ascontiguousarray(a, dtype=dtype).copy())
