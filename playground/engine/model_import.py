"""Open models written as Python in the editor: the playground's own ``.py`` exports and plain ``nn.Sequential``.

The file is parsed with :mod:`ast` and never run or imported: only literal arguments (and module-level constants
holding literals) are read. Anything the editor cannot represent is refused with the line it is on.
"""

from __future__ import annotations

import ast
import io
import math
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.graph import ROLES, DatasetSettings, Graph, GraphError, Lab, Shape

from .errors import EngineError

HELPERS = {"Reshape", "Add", "Concat", "Recurrent"}  # the classes the playground's own exports define
MAX_BYTES = 1_000_000  # a model file larger than this is not a model a student wrote
MAX_LAYERS = 4_000  # per network: more than the editor can show
MAX_DEPTH = 100  # syntax-tree levels: real model code stays far below, and the readers recurse over expressions
_MISSING = object()


class ModelImportError(EngineError):
    """The file holds something the editor cannot represent; the message names the line."""


@dataclass
class _Layer:
    name: str
    kind: str
    params: dict[str, Any]
    line: int
    sources: list[str] = field(default_factory=list)  # producers, in port order
    expects: Callable[[Shape], str | None] | None = None  # says what is wrong with the shape arriving, if anything
    size: int | None = None  # the input size the file says this layer reads (features or channels)
    image: bool = False  # the layer reads images


@dataclass
class ImportedNetwork:
    name: str
    graph: Graph


# Signatures of the torch.nn classes (and the playground's helpers) the editor knows, in positional order.
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "Linear": ("in_features", "out_features", "bias", "device", "dtype"),
    "Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
               "padding_mode"),
    "ConvTranspose2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
                        "groups", "bias", "dilation", "padding_mode"),
    "MaxPool2d": ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
    "AvgPool2d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "Upsample": ("size", "scale_factor", "mode", "align_corners"),
    "Flatten": ("start_dim", "end_dim"),
    "Unflatten": ("dim", "unflattened_size"),
    "Dropout": ("p", "inplace"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "BatchNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", "bias"),
    "ReLU": ("inplace",), "Sigmoid": (), "Tanh": (), "Identity": (), "GELU": ("approximate",),
    "LeakyReLU": ("negative_slope", "inplace"),
    "Softplus": ("beta", "threshold"),
    "Softmax": ("dim",),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx", "max_norm"),
    "Recurrent": ("cell", "input_size", "hidden", "layers", "bidirectional", "last_only", "nonlinearity"),
    "Reshape": ("shape",), "Add": (), "Concat": ("dim",),
}
# Values the editor's layers always have: another value cannot be represented.
_FIXED: dict[str, dict[str, Any]] = {
    "Conv2d": {"dilation": 1, "groups": 1, "padding_mode": "zeros"},
    "ConvTranspose2d": {"dilation": 1, "groups": 1, "padding_mode": "zeros"},
    "MaxPool2d": {"dilation": 1, "return_indices": False, "ceil_mode": False},
    "AvgPool2d": {"ceil_mode": False, "count_include_pad": True, "divisor_override": None},
    "Upsample": {"size": None, "align_corners": None},
    "Flatten": {"start_dim": 1, "end_dim": -1},
    "Unflatten": {"dim": 1},
    "BatchNorm1d": {"eps": 1e-5, "affine": True, "track_running_stats": True},
    "BatchNorm2d": {"eps": 1e-5, "affine": True, "track_running_stats": True},
    "LayerNorm": {"eps": 1e-5, "elementwise_affine": True, "bias": True},
    "GELU": {"approximate": "none"},
    "Softplus": {"threshold": 20.0},
    "Embedding": {"padding_idx": None, "max_norm": None},
}
_RECURRENT_HINT = ("returns (output, state), which a chain of layers cannot pass on; the editor's {kind} layer "
                   "is written Recurrent({kind!r}, input_size, hidden, last_only=...) in its exports")
_FUNCTIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU", "leaky_relu": "LeakyReLU",
              "softplus": "Softplus", "softmax": "Softmax", "flatten": "Flatten", "cat": "Concat"}


def import_file(path: str | Path) -> list[ImportedNetwork]:
    """The networks of a Python file (parsed, never run)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ModelImportError(f"{p.name} is not a text file") from None
    except OSError as e:
        raise ModelImportError(f"Cannot read {p}: {e.strerror}") from None
    return import_source(text, p.name)


def lab_from_file(path: str | Path) -> Lab:
    """A lab holding the file's networks, with a dataset that fits the first network's input where one does."""
    p = Path(path)
    networks = import_file(p)
    lab = Lab(name=p.stem.replace("_", " ") or "Imported model", description=f"Imported from {p.name}.")
    for net in networks:
        lab.add_network(net.name, net.name if net.name in ROLES else "model", net.graph)
    first = networks[0].graph
    inputs = first.nodes_of_kind("Input")
    outputs = first.nodes_of_kind("Output")
    if outputs and outputs[0].params["head"] == "regression":
        lab.task = "regression"
    if inputs:
        p0 = inputs[0].params
        if p0["kind"] == "image" and (p0["channels"], p0["height"], p0["width"]) == (1, 28, 28):
            lab.dataset = DatasetSettings("digits", train_ratio=0.8, features=[])
        elif p0["kind"] == "vector" and p0["features"] == 2:
            lab.dataset = DatasetSettings("plane" if lab.task == "regression" else "circle")
    return lab


def import_source(text: str, filename: str = "model.py") -> list[ImportedNetwork]:
    tree = _parse(text, filename)
    reader = _Reader(filename, tree)
    return reader.networks()


def _parse(text: str, filename: str) -> ast.Module:
    """The syntax tree of ``text``, or a ModelImportError with a line for a file too large, too deep or invalid."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise ModelImportError(f"{filename} is {size:,} bytes: the importer reads model files of at most "
                               f"{MAX_BYTES:,} bytes")
    if "\0" in text:
        line, column = _place(text, text.index("\0"))
        raise ModelImportError(f"{filename}, line {line}: not valid Python (a NUL byte at column {column})")
    try:
        tree = ast.parse(text, filename)
    except SyntaxError as e:
        line = e.lineno if e.lineno is not None else _deepest_line(text)
        raise ModelImportError(f"{filename}, line {line}: not valid Python ({e.msg})") from None
    except (RecursionError, MemoryError):
        # Python's own parser gives up on very deep expressions without saying where: find the statement.
        raise ModelImportError(f"{filename}, line {_deepest_line(text)}: an expression nested too deeply for "
                               f"Python's parser; the importer reads expressions at most {MAX_DEPTH} levels "
                               f"deep") from None
    # Walk without recursion: the importer's own readers recurse over expressions, so bound their depth here.
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            line = getattr(node, "lineno", None) or _deepest_line(text)
            raise ModelImportError(f"{filename}, line {line}: an expression nested more than {MAX_DEPTH} levels "
                                   f"deep; the importer reads expressions at most {MAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return tree


def _place(text: str, index: int) -> tuple[int, int]:
    """Line and column (both from 1) of the character at ``index``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _deepest_line(text: str) -> int:
    """The first line of the statement with the most tokens: where a parser that gave up without a line gave up."""
    best, best_count, start, count = 1, -1, None, 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if start is not None and count > best_count:
                    best, best_count = start, count
                start, count = None, 0
            elif tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                if start is None:
                    start = tok.start[0]
                count += 1
    except (tokenize.TokenError, SyntaxError):
        if start is not None and count > best_count:
            best = start
    return best


class _Reader:
    def __init__(self, filename: str, tree: ast.Module) -> None:
        self.filename = filename
        self.tree = tree
        self.constants: dict[str, Any] = {}
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                try:
                    self.constants[stmt.targets[0].id] = _evaluate(stmt.value, self.constants)
                except ValueError:
                    pass
        inputs = self.constants.get("INPUTS")
        outputs = self.constants.get("OUTPUTS")
        self.inputs: dict[str, dict[str, Any]] = inputs if isinstance(inputs, dict) else {}
        self.heads: dict[str, str] = outputs if isinstance(outputs, dict) else {}

    def fail(self, node: ast.AST | int, text: str) -> ModelImportError:
        line = node if isinstance(node, int) else getattr(node, "lineno", 0)
        return ModelImportError(f"{self.filename}, line {line}: {text}")

    # Finding networks ------------------------------------------------------------------------------------------

    def networks(self) -> list[ImportedNetwork]:
        found: list[ImportedNetwork] = []
        classes = [c for c in self.tree.body if isinstance(c, ast.ClassDef) and c.name not in HELPERS
                   and _is_module_class(c)]
        used = {_call_name(n.func) for c in classes for n in ast.walk(c) if isinstance(n, ast.Call)}
        for cls in classes:
            if cls.name not in used:
                found.append(self._from_class(cls))
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) \
                    and _call_name(stmt.value.func) == "Sequential":
                target = stmt.targets[0]
                name = target.id if isinstance(target, ast.Name) else "model"
                found.append(self._from_sequential(name, stmt.value))
        if not found:
            raise ModelImportError(f"{self.filename} holds no model the editor can open: write an nn.Sequential "
                                   f"(model = nn.Sequential(...)) or an nn.Module class with __init__ and forward")
        names = [n.name for n in found]
        for i, net in enumerate(found):
            if names.count(net.name) > 1:
                net.name = f"{net.name}_{i + 1}"
        return found

    # Sequential ------------------------------------------------------------------------------------------------

    def _sequential_layers(self, call: ast.Call, prefix: str = "") -> list[tuple[str | None, ast.Call]]:
        items: list[tuple[str | None, ast.Call]] = []
        args = list(call.args)
        if len(args) == 1 and isinstance(args[0], ast.Call) and _call_name(args[0].func) == "OrderedDict":
            pairs = args[0].args[0] if args[0].args else None
            if not isinstance(pairs, (ast.List, ast.Tuple)):
                raise self.fail(args[0], "OrderedDict needs a list of (name, layer) pairs written out")
            for pair in pairs.elts:
                if not (isinstance(pair, ast.Tuple) and len(pair.elts) == 2 and isinstance(pair.elts[0], ast.Constant)
                        and isinstance(pair.elts[1], ast.Call)):
                    raise self.fail(pair, "each OrderedDict entry must be (\"name\", nn.Layer(...))")
                items.append((str(pair.elts[0].value), pair.elts[1]))
            return items
        for arg in args:
            if not isinstance(arg, ast.Call):
                raise self.fail(arg, f"'{ast.unparse(arg)}' is not a layer: write each layer as nn.Kind(...)")
            if _call_name(arg.func) == "Sequential":
                items.extend(self._sequential_layers(arg))
            else:
                items.append((None, arg))
        if call.keywords:
            raise self.fail(call, "nn.Sequential takes its layers as arguments only")
        return items

    def _from_sequential(self, name: str, call: ast.Call) -> ImportedNetwork:
        layers = self._sequential_layers(call)
        if not layers:
            raise self.fail(call, "an empty nn.Sequential has no layers to show")
        builder = _Builder(self)
        previous = builder.add_input("input_1", None, call.lineno)
        for wanted, item in layers:
            for layer in self.layers_of(item, wanted, builder):
                layer.sources = [previous]
                builder.add(layer)
                previous = layer.name
        builder.add_output("output_1", previous, call.lineno)
        return ImportedNetwork(name, builder.build())

    # Classes ---------------------------------------------------------------------------------------------------

    def _from_class(self, cls: ast.ClassDef) -> ImportedNetwork:
        methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
        if "__init__" not in methods or "forward" not in methods:
            raise self.fail(cls, f"class {cls.name} needs both __init__ and forward to be opened")
        declared: dict[str, ast.Call] = {}
        for stmt in methods["__init__"].body:
            if _is_docstring(stmt) or _is_super_init(stmt):
                continue
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and _self_attr(stmt.targets[0])
                    and isinstance(stmt.value, ast.Call)):
                declared[_self_attr(stmt.targets[0]) or ""] = stmt.value
                continue
            raise self.fail(stmt, f"'{ast.unparse(stmt)}' is not a layer declaration: __init__ may only hold "
                                  f"self.name = nn.Layer(...) lines")
        forward = methods["forward"]
        builder = _Builder(self)
        values: dict[str, str] = {}
        params = [a.arg for a in forward.args.args[1:]]
        if not params:
            raise self.fail(forward, "forward takes no input")
        if forward.args.vararg or forward.args.kwarg or forward.args.kwonlyargs:
            raise self.fail(forward, "forward must name each input (no *args or **kwargs)")
        for p in params:
            values[p] = builder.add_input(p, self.inputs.get(p), forward.lineno)
        called: set[str] = set()
        returned: list[str] | None = None
        for stmt in forward.body:
            if _is_docstring(stmt):
                continue
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant) and stmt.value.value is None:
                continue  # fx's "x = None" frees a value early: nothing to draw
            if self._recurrent_call(stmt, values, declared, called, builder):
                continue
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                values[stmt.targets[0].id] = self._expression(stmt.value, values, declared, called, builder)
                continue
            if isinstance(stmt, ast.Return) and stmt.value is not None:
                parts = stmt.value.elts if isinstance(stmt.value, ast.Tuple) else [stmt.value]
                returned = [self._expression(p, values, declared, called, builder) for p in parts]
                break
            raise self.fail(stmt, f"'{ast.unparse(stmt).splitlines()[0]}' cannot be drawn as layers: forward may "
                                  f"only assign layer calls (x = self.layer(x)) and return the result")
        if returned is None:
            raise self.fail(forward, "forward returns nothing")
        heads = list(self.heads)
        for i, source in enumerate(returned):
            name = heads[i] if i < len(heads) else f"output_{i + 1}"
            builder.add_output(name, source, forward.lineno, self.heads.get(name))
        return ImportedNetwork(_network_name(cls.name), builder.build())

    def _recurrent_call(self, stmt: ast.stmt, values: dict[str, str], declared: dict[str, ast.Call],
                        called: set[str], builder: _Builder) -> bool:
        """``out, state = self.lstm(x)`` with a batch-first nn.RNN/GRU/LSTM: a recurrent layer over every step."""
        if not (isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Tuple)
                and len(stmt.targets[0].elts) == 2 and all(isinstance(e, ast.Name) for e in stmt.targets[0].elts)
                and isinstance(stmt.value, ast.Call)):
            return False
        attr = _self_attr(stmt.value.func)
        ctor = declared.get(attr or "")
        if ctor is None or _call_name(ctor.func) not in ("RNN", "GRU", "LSTM") or len(stmt.value.args) != 1:
            return False
        kind = _call_name(ctor.func)
        names = ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout",
                 "bidirectional") if kind == "RNN" else ("input_size", "hidden_size", "num_layers", "bias",
                                                         "batch_first", "dropout", "bidirectional")
        a = {n: self._literal(v) for n, v in zip(names, ctor.args)}
        for k in ctor.keywords:
            if k.arg is None:
                raise self.fail(k, f"nn.{kind} is called with {_code(k)}: write its arguments out, the importer "
                                   f"does not run code to find them")
            if k.arg not in names:
                raise self.fail(k, f"nn.{kind} has no argument {k.arg!r}")
            a[k.arg] = self._literal(k.value)
        if not a.get("batch_first", False):
            raise self.fail(ctor, f"nn.{kind} must read batch-first sequences to be drawn: add batch_first=True")
        if a.get("dropout", 0) or not a.get("bias", True):
            raise self.fail(ctor, f"nn.{kind} with dropout or without bias cannot be drawn")
        if attr in called:
            raise self.fail(stmt, f"self.{attr} is used twice")
        called.add(attr or "")
        params = {"hidden": a["hidden_size"], "layers": a.get("num_layers", 1),
                  "bidirectional": bool(a.get("bidirectional", False)), "output": "sequence"}
        if kind == "RNN":
            params["nonlinearity"] = a.get("nonlinearity", "tanh")
        n_in = a["input_size"]
        source = self._expression(stmt.value.args[0], values, declared, called, builder)
        name = builder.claim(attr, kind.lower())
        builder.add(_Layer(name, kind, params, stmt.lineno, [source], size=n_in,
                           expects=lambda s: None if s.dims[-1] == n_in else
                           f"expects {n_in} features per step but receives {s.describe()}"))
        out, state = (e.id for e in stmt.targets[0].elts)  # type: ignore[attr-defined]
        values[out] = name
        values.pop(state, None)  # the final state is not drawn: using it fails as "used before it is assigned"
        return True

    def _expression(self, expr: ast.expr, values: dict[str, str], declared: dict[str, ast.Call], called: set[str],
                    builder: _Builder) -> str:
        """Add the layers that compute ``expr`` and return the name of the node holding its value."""
        if isinstance(expr, ast.Name):
            if expr.id not in values:
                raise self.fail(expr, f"'{expr.id}' is used before it is assigned (or is a state the editor does "
                                      f"not draw)")
            return values[expr.id]
        if isinstance(expr, ast.Subscript) and ast.unparse(expr.slice).strip("()") in (":, -1", ":, -1, :"):
            # out[:, -1]: the last step of a recurrent layer's sequence, so the layer outputs only its last step.
            source = self._expression(expr.value, values, declared, called, builder)
            layer = builder.layer(source)
            if layer is None or layer.kind not in ("RNN", "GRU", "LSTM") or layer.params["output"] != "sequence" \
                    or builder.consumers(source):
                raise self.fail(expr, f"'{ast.unparse(expr)}' takes the last step of a sequence: the editor draws "
                                      f"that only right after a recurrent layer")
            layer.params["output"] = "last"
            return source
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            a = self._expression(expr.left, values, declared, called, builder)
            b = self._expression(expr.right, values, declared, called, builder)
            layer = _Layer(builder.fresh("add"), "Add", {}, expr.lineno, [a, b])
            builder.add(layer)
            return layer.name
        if not isinstance(expr, ast.Call):
            raise self.fail(expr, f"'{ast.unparse(expr)}' cannot be drawn as a layer")
        attr = _self_attr(expr.func)
        if attr is not None:
            if attr not in declared:
                raise self.fail(expr, f"self.{attr} is not declared in __init__")
            if attr in called:
                raise self.fail(expr, f"self.{attr} is used twice: each layer of the editor has one place, so "
                                      f"declare a second layer for the second use")
            called.add(attr)
            args = [self._expression(a, values, declared, called, builder) for a in expr.args]
            if expr.keywords:
                raise self.fail(expr, f"self.{attr} is called with keyword arguments")
            layers = self.layers_of(declared[attr], attr, builder)
            if len(layers) > 1 and len(args) != 1:
                raise self.fail(expr, f"self.{attr} is a Sequential and takes one input")
            for layer in layers:
                layer.sources = args
                builder.add(layer)
                args = [layer.name]
            return layers[-1].name
        return self._function(expr, values, declared, called, builder)

    def _function(self, call: ast.Call, values: dict[str, str], declared: dict[str, ast.Call], called: set[str],
                  builder: _Builder) -> str:
        """torch.relu(x), F.softmax(x, dim=-1), torch.flatten(x, 1), x.view(x.size(0), -1), torch.cat((a, b), 1)."""
        func = call.func
        name = _call_name(func)
        method_of = func.value if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id in values else None
        if method_of is not None and name in ("view", "reshape", "flatten"):
            ok = name == "flatten" and [ast.unparse(a) for a in call.args] in (["1"], [])
            ok = ok or (len(call.args) == 2 and ast.unparse(call.args[1]) == "-1"
                        and ast.unparse(call.args[0]) in (f"{method_of.id}.size(0)", f"{method_of.id}.shape[0]"))
            if not ok:
                raise self.fail(call, f"'{ast.unparse(call)}' is not a flatten the editor can draw (write "
                                      f"{method_of.id}.flatten(1) or nn.Flatten())")
            layer = _Layer(builder.fresh("flatten"), "Flatten", {}, call.lineno, [values[method_of.id]])
            builder.add(layer)
            return layer.name
        module = func.value if isinstance(func, ast.Attribute) else None
        namespaces = ("torch", "F", "torch.nn.functional", "nn.functional")
        if name not in _FUNCTIONS or not (module is None or ast.unparse(module) in namespaces):
            raise self.fail(call, f"'{ast.unparse(call.func)}(...)' is not a layer the editor knows: use layers "
                                  f"declared in __init__")
        kind = _FUNCTIONS[name]
        args = list(call.args)
        if kind == "Concat":
            if not args or not isinstance(args[0], (ast.Tuple, ast.List)) or len(args[0].elts) != 2:
                raise self.fail(call, "torch.cat joins exactly two tensors here: torch.cat((a, b), dim=1)")
            sources = [self._expression(e, values, declared, called, builder) for e in args[0].elts]
            layer = _Layer(builder.fresh("concat"), "Concat", {}, call.lineno, sources)
            builder.add(layer)
            return layer.name
        if not args:
            raise self.fail(call, f"{ast.unparse(call.func)} needs an input")
        source = self._expression(args[0], values, declared, called, builder)
        extra = [self._literal(a) for a in args[1:]]
        keywords = {k.arg: self._literal(k.value) for k in call.keywords if k.arg}
        params: dict[str, Any] = {}
        if kind == "LeakyReLU":
            params["slope"] = float(keywords.get("negative_slope", extra[0] if extra else 0.01))
        elif kind == "Softplus":
            params["beta"] = float(keywords.get("beta", extra[0] if extra else 1.0))
        elif kind == "Softmax":
            dim = keywords.get("dim", extra[0] if extra else _MISSING)
            if dim not in (-1, 1):
                raise self.fail(call, "softmax must be over the last dimension (dim=-1)")
        elif kind == "Flatten" and ((extra or [1])[0] != 1 or keywords.get("start_dim", 1) != 1):
            raise self.fail(call, "torch.flatten must keep the batch: torch.flatten(x, 1)")
        layer = _Layer(builder.fresh(kind.lower()), kind, params, call.lineno, [source])
        builder.add(layer)
        return layer.name

    # One layer -------------------------------------------------------------------------------------------------

    def _literal(self, node: ast.expr) -> Any:
        try:
            return _evaluate(node, self.constants)
        except ValueError:
            raise self.fail(node, f"'{ast.unparse(node)}' must be a number, text or tuple written out (arithmetic "
                                  f"on the file's constants is fine)") from None

    def layers_of(self, call: ast.Call, wanted: str | None, builder: _Builder) -> list[_Layer]:
        """The editor's layers for one constructor call (several for an nn.Sequential)."""
        kind = _call_name(call.func)
        if kind == "Sequential":
            out: list[_Layer] = []
            for sub_name, sub in self._sequential_layers(call):
                out.extend(self.layers_of(sub, sub_name, builder))
            return out
        if kind in ("RNN", "GRU", "LSTM"):
            raise self.fail(call, f"nn.{kind} " + _RECURRENT_HINT.format(kind=kind))
        if kind not in _SIGNATURES:
            raise self.fail(call, f"{ast.unparse(call.func)} is not a layer the editor knows (it knows "
                                  f"{', '.join(sorted(k for k in _SIGNATURES if k not in HELPERS))})")
        names = _SIGNATURES[kind]
        if len(call.args) > len(names):
            raise self.fail(call, f"{kind} takes at most {len(names)} positional arguments")
        a: dict[str, Any] = {}
        for pname, value in zip(names, call.args):
            a[pname] = self._literal(value)
        for k in call.keywords:
            if k.arg is None:
                raise self.fail(k, f"{kind} is called with {_code(k)}: write its arguments out, the importer "
                                   f"does not run code to find them")
            if k.arg not in names:
                raise self.fail(k, f"{kind} has no argument {k.arg!r}")
            a[k.arg] = self._literal(k.value)
        for pname, fixed in _FIXED.get(kind, {}).items():
            if pname in a and not _same(a[pname], fixed):
                raise self.fail(call, f"{kind} with {pname}={a[pname]!r} cannot be drawn: the editor's layer "
                                      f"always has {pname}={fixed!r}")
        try:
            layer = self._translate(kind, a, call)
        except (KeyError, TypeError) as e:
            raise self.fail(call, f"{kind} is missing its argument {e}") from None
        layer.name = builder.claim(wanted, _prefix(layer.kind))
        return [layer]

    def _translate(self, kind: str, a: dict[str, Any], call: ast.Call) -> _Layer:
        line = call.lineno
        bad = self.fail

        def square(value: Any, what: str) -> int:
            v = _square(value)
            if v is None:
                raise bad(call, f"{kind} with a non-square {what} {value!r} cannot be drawn")
            return v

        if kind == "Linear":
            n_in = a["in_features"]
            return _Layer("", "Dense", {"units": a["out_features"], "bias": bool(a.get("bias", True))}, line,
                          expects=lambda s: None if s.dims[-1] == n_in else
                          f"expects {n_in} input features but receives {s.describe()}", size=n_in)
        if kind in ("Conv2d", "ConvTranspose2d"):
            k = square(a["kernel_size"], "kernel")
            stride = square(a.get("stride", 1), "stride")
            padding = a.get("padding", 0)
            if padding == "valid":
                padding = 0
            elif padding == "same":
                if kind != "Conv2d" or stride != 1 or k % 2 == 0:
                    raise bad(call, f"{kind} with padding='same' needs an odd kernel and stride 1 to be drawn")
                padding = (k - 1) // 2
            params = {"filters": a["out_channels"], "kernel_size": k, "stride": stride,
                      "padding": square(padding, "padding"), "bias": bool(a.get("bias", True))}
            if kind == "ConvTranspose2d":
                params["output_padding"] = square(a.get("output_padding", 0), "output padding")
            c_in = a["in_channels"]
            return _Layer("", kind, params, line, expects=lambda s: None if s.rank == 3 and s.dims[0] == c_in else
                          f"expects {c_in} input channels but receives {s.describe()}", size=c_in, image=True)
        if kind in ("MaxPool2d", "AvgPool2d"):
            k = square(a["kernel_size"], "window")
            stride = a.get("stride")
            return _Layer("", kind, {"kernel_size": k, "stride": 0 if stride in (None, k) else square(stride, "stride"),
                                     "padding": square(a.get("padding", 0), "padding")}, line)
        if kind == "Upsample":
            scale = a.get("scale_factor")
            scale = _square(scale) if isinstance(scale, (tuple, list)) else scale
            if not isinstance(scale, (int, float)) or float(scale) != int(scale):
                raise bad(call, "Upsample needs a whole scale_factor to be drawn")
            return _Layer("", "Upsample", {"scale": int(scale), "mode": a.get("mode", "nearest")}, line)
        if kind == "Flatten":
            return _Layer("", "Flatten", {}, line)
        if kind in ("Unflatten", "Reshape"):
            shape = a["unflattened_size" if kind == "Unflatten" else "shape"]
            return _Layer("", "Reshape", {"shape": list(shape)}, line)
        if kind == "Dropout":
            return _Layer("", "Dropout", {"p": float(a.get("p", 0.5))}, line)
        if kind in ("BatchNorm1d", "BatchNorm2d"):
            n = a["num_features"]
            rank = 1 if kind == "BatchNorm1d" else 3
            momentum = a.get("momentum", 0.1)
            if momentum is None:
                raise bad(call, "BatchNorm with momentum=None (a cumulative average) cannot be drawn")
            return _Layer("", "BatchNorm", {"momentum": float(momentum)}, line,
                          expects=lambda s: None if s.rank == rank and s.dims[0] == n else
                          f"expects {n} features{' (an image)' if rank == 3 else ''} but receives {s.describe()}",
                          size=n, image=rank == 3)
        if kind == "LayerNorm":
            shape = a["normalized_shape"]
            shape = list(shape) if isinstance(shape, (tuple, list)) else [shape]

            def layer_norm(s: Shape) -> str | None:
                own = list(s.dims) if s.rank == 3 else [s.dims[-1]]
                return None if own == shape else f"normalizes over {shape} but the editor's LayerNorm over {own}"

            return _Layer("", "LayerNorm", {}, line, expects=layer_norm)
        if kind in ("ReLU", "Sigmoid", "Tanh", "Identity", "GELU"):
            return _Layer("", kind, {}, line)
        if kind == "LeakyReLU":
            return _Layer("", kind, {"slope": float(a.get("negative_slope", 0.01))}, line)
        if kind == "Softplus":
            return _Layer("", kind, {"beta": float(a.get("beta", 1.0))}, line)
        if kind == "Softmax":
            dim = a.get("dim")
            if dim not in (-1, 1):
                raise bad(call, f"Softmax(dim={dim!r}) cannot be drawn: the editor's Softmax is over the last "
                                f"dimension (dim=-1)")
            return _Layer("", "Softmax", {}, line)
        if kind == "Embedding":
            return _Layer("", "Embedding", {"vocabulary": a["num_embeddings"], "dim": a["embedding_dim"]}, line)
        if kind == "Recurrent":
            cell = a["cell"]
            if cell not in ("RNN", "GRU", "LSTM"):
                raise bad(call, f"Recurrent cell {cell!r} is not RNN, GRU or LSTM")
            params = {"hidden": a["hidden"], "layers": a.get("layers", 1),
                      "bidirectional": bool(a.get("bidirectional", False)),
                      "output": "last" if a.get("last_only", False) else "sequence"}
            if cell == "RNN":
                params["nonlinearity"] = a.get("nonlinearity", "tanh")
            n_in = a["input_size"]
            return _Layer("", cell, params, line, expects=lambda s: None if s.dims[-1] == n_in else
                          f"expects {n_in} features per step but receives {s.describe()}", size=n_in)
        if kind in ("Add", "Concat"):
            return _Layer("", kind, {}, line)
        raise bad(call, f"{kind} is not a layer the editor knows")  # pragma: no cover - _SIGNATURES guards


class _Builder:
    """Collects layers and edges, then finds the input shape (when the file does not say it) and builds the Graph."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.layers: list[_Layer] = []
        self.input_params: dict[str, dict[str, Any] | None] = {}
        self.outputs: list[tuple[str, str, int, str | None]] = []
        self.names: set[str] = set()
        self.counters: dict[str, int] = {}
        self.by_name: dict[str, _Layer] = {}

    def free(self, name: str) -> bool:
        return name.isidentifier() and name not in self.names and not name.startswith("_")

    def claim(self, wanted: str | None, prefix: str) -> str:
        """``wanted`` when it is free, else a fresh ``prefix_<n>``; reserved either way."""
        if wanted and self.free(wanted):
            self.names.add(wanted)
            return wanted
        return self.fresh(prefix)

    def fresh(self, prefix: str) -> str:
        """A new node name ``prefix_<n>``, reserved at once (so the layers of one Sequential get distinct names).

        The counter per prefix keeps this constant time: scanning from 1 for each layer made imports quadratic.
        """
        i = self.counters.get(prefix, 0) + 1
        while f"{prefix}_{i}" in self.names:
            i += 1
        self.counters[prefix] = i
        name = f"{prefix}_{i}"
        self.names.add(name)
        return name

    def add_input(self, name: str, params: dict[str, Any] | None, line: int) -> str:
        self.names.add(name)
        self.input_params[name] = dict(params) if isinstance(params, dict) else None
        self.layers.append(_Layer(name, "Input", {}, line))
        return name

    def layer(self, name: str) -> _Layer | None:
        return self.by_name.get(name)

    def consumers(self, name: str) -> list[str]:
        return [x.name for x in self.layers if name in x.sources] + [o[0] for o in self.outputs if o[1] == name]

    def add(self, layer: _Layer) -> None:
        if len(self.by_name) >= MAX_LAYERS:
            raise self.reader.fail(layer.line, f"the network has more than {MAX_LAYERS} layers: the importer opens "
                                               f"networks of at most {MAX_LAYERS}")
        self.names.add(layer.name)
        self.layers.append(layer)
        self.by_name[layer.name] = layer

    def add_output(self, name: str, source: str, line: int, head: str | None = None) -> None:
        if not self.free(name):
            name = self.fresh("output")
        self.names.add(name)
        self.outputs.append((name, source, line, head))

    # Building --------------------------------------------------------------------------------------------------

    def build(self) -> Graph:
        unknown = [n for n, p in self.input_params.items() if p is None]
        if not unknown:
            return self._graph(self.input_params, strict=True)  # type: ignore[arg-type]
        if len(self.input_params) > 1:
            raise self.reader.fail(self.layers[0].line, "forward takes several inputs: say their shapes in a "
                                                        "constant INPUTS = {'x': {'kind': 'vector', 'features': 2}, "
                                                        "...}")
        name = unknown[0]
        candidates = self._candidates(name)
        for params in candidates:
            try:
                return self._graph({name: params}, strict=True)
            except ModelImportError:
                continue
        # None fits: report the first candidate's problem, which names the layer and its line.
        return self._graph({name: candidates[0]}, strict=True)

    def _candidates(self, input_name: str) -> list[dict[str, Any]]:
        """Input shapes to try, from what the first layers that care about their input reveal."""
        chain = [layer for layer in self.layers if layer.kind != "Input"]
        for i, layer in enumerate(chain):
            n = layer.size
            if layer.kind == "Dense" and n is not None:
                before = {c.kind for c in chain[:i]}
                if "Flatten" in before:
                    out = []
                    for c in (1, 3):
                        side = math.isqrt(n // c) if n % c == 0 else 0
                        if side and side * side * c == n:
                            out.append({"kind": "image", "channels": c, "height": side, "width": side})
                    return out + [{"kind": "vector", "features": n}]
                return [{"kind": "vector", "features": n}]
            if layer.image and n is not None:
                sides = [28, 32, 64, 224] + [s for s in range(1, 257) if s not in (28, 32, 64, 224)]
                return [{"kind": "image", "channels": n, "height": s, "width": s} for s in sides]
            if layer.kind in ("RNN", "GRU", "LSTM"):
                return [{"kind": "sequence", "steps": 20, "features": n}]
            if layer.kind == "Embedding":
                return [{"kind": "tokens", "steps": 20}]
            if layer.kind == "BatchNorm" and n is not None:
                return [{"kind": "vector", "features": n}]
        raise self.reader.fail(self.layers[0].line, "cannot tell the shape of the input from the layers: start "
                                                    "with a layer that says its input size (nn.Linear, nn.Conv2d...)")

    def _graph(self, inputs: dict[str, dict[str, Any]], strict: bool) -> Graph:
        g = Graph()
        depth: dict[str, int] = {}
        rows: dict[int, int] = {}

        def place(name: str, sources: list[str]) -> tuple[float, float]:
            d = max((depth[s] + 1 for s in sources), default=0)
            depth[name] = d
            row = rows.get(d, 0)
            rows[d] = row + 1
            return (190.0 * d, 150.0 * row)

        lines: dict[str, int] = {}
        try:
            for layer in self.layers:
                lines[layer.name] = layer.line
                if layer.kind == "Input":
                    g.add_node("Input", layer.name, inputs[layer.name], place(layer.name, []))
                    continue
                g.add_node(layer.kind, layer.name, layer.params, place(layer.name, layer.sources))
                ports = g.node(layer.name).spec.inputs
                if len(layer.sources) != len(ports):
                    raise self.reader.fail(layer.line, f"{layer.kind} '{layer.name}' takes {len(ports)} input(s) "
                                                       f"but receives {len(layer.sources)}")
                for port, source in zip(ports, layer.sources):
                    g.connect(source, layer.name, port, check_shapes=False)
            for name, source, line, head in self.outputs:
                lines[name] = line
                g.add_node("Output", name, {"head": head or "classification"}, place(name, [source]))
                g.connect(source, name, check_shapes=False)
        except GraphError as e:
            raise self.reader.fail(lines.get(e.node or "", self.layers[0].line), e.message) from None
        inference = g.infer()
        if inference.problems:
            problem = inference.problems[0]
            raise self.reader.fail(lines.get(problem.node or "", self.layers[0].line), problem.message)
        for layer in self.layers:
            if layer.expects is not None:
                arriving = inference.input_shapes[layer.name][0]
                wrong = layer.expects(arriving)
                if wrong:
                    raise self.reader.fail(layer.line, f"{layer.kind} '{layer.name}' {wrong}")
        for name, _source, _line, head in self.outputs:
            if head is None and inference.shapes[name].dims == (1,):
                g.set_param(name, "head", "regression")
        return g


_ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b, ast.Div: lambda a, b: a / b,
}


def _evaluate(node: ast.expr, constants: dict[str, Any]) -> Any:
    """The value of a literal, a constant's name, or + - * / // over them; ValueError for anything else.

    Nothing is run: this walks the syntax tree and knows only numbers, text, None, booleans, tuples and lists.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_evaluate(e, constants) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict):
        return {_evaluate(k, constants) if k is not None else None: _evaluate(v, constants)
                for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand, constants)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        a, b = _evaluate(node.left, constants), _evaluate(node.right, constants)
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
        if numbers and abs(a) < 1e12 and abs(b) < 1e12:
            try:
                return _ARITHMETIC[type(node.op)](a, b)
            except ZeroDivisionError:
                pass
    raise ValueError(ast.unparse(node))


def _code(node: ast.AST, limit: int = 60) -> str:
    """The source of ``node`` quoted on one line, shortened: for messages."""
    text = " ".join(ast.unparse(node).split())
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


def _same(value: Any, fixed: Any) -> bool:
    if isinstance(value, (tuple, list)):
        value = _square(value)
    if isinstance(fixed, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return math.isclose(value, fixed)
    return bool(value == fixed)


def _square(value: Any) -> int | None:
    if isinstance(value, (tuple, list)):
        if len(set(value)) != 1:
            return None
        value = value[0]
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _prefix(kind: str) -> str:
    from playground.graph import get_kind

    return get_kind(kind).prefix


def _network_name(class_name: str) -> str:
    out = "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(class_name))
    return out or "model"


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _self_attr(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _is_super_init(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and _call_name(stmt.value.func) == "__init__")


def _is_module_class(cls: ast.ClassDef) -> bool:
    return any(_call_name(b) == "Module" for b in cls.bases)
