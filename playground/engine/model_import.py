"""Open models written as Python in the editor: the playground's own ``.py`` exports, ``nn.Sequential`` and the
``nn.Module`` classes people write.

The file is parsed with :mod:`ast` and never run or imported. A small interpreter walks the syntax tree: module
constants, constructor defaults, loops over ranges and lists, ``nn.ModuleList``, block classes and helper methods of
the file give the layers; forward's calls, reshapes, joins and adds give the edges. Values the tree does not hold
(argparse options, data, devices) stay unknown and are refused, with the line, where a layer needs them. Each network
of a file is opened or refused on its own (:func:`import_report`). Budgets on size, depth, steps and layers keep any
file from hanging or exhausting the importer.
"""

from __future__ import annotations

import ast
import functools
import io
import math
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.graph import DatasetSettings, Graph, GraphError, Lab, Shape

from .errors import EngineError

HELPERS = {"Reshape", "Add", "Multiply", "Sample", "Concat", "Recurrent"}  # the classes the playground's own exports define
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
    resolve: Callable[[Shape], dict[str, Any] | str] | None = None  # params from the arriving shape, or what is wrong


@dataclass
class ImportedNetwork:
    name: str
    graph: Graph
    origin: str = ""  # the Python expression that makes this network in the file: "Net()", "model", "ResNet18()"
    parts: list[ImportedNetwork] = field(default_factory=list)  # an autoencoder's encoder and decoder, drawn alone


@dataclass
class ImportReport:
    """What one file gives: the networks that open, and for each that does not, its name and why."""

    networks: list[ImportedNetwork] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


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
    "InstanceNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "ZeroPad2d": ("padding",), "ReflectionPad2d": ("padding",), "ReplicationPad2d": ("padding",),
    "ReLU": ("inplace",), "Sigmoid": (), "Tanh": (), "Identity": (), "GELU": ("approximate",),
    "LeakyReLU": ("negative_slope", "inplace"),
    "Softplus": ("beta", "threshold"),
    "Softmax": ("dim",),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx", "max_norm"),
    "Recurrent": ("cell", "input_size", "hidden", "layers", "bidirectional", "last_only", "nonlinearity"),
    "Reshape": ("shape",), "Add": (), "Multiply": (), "Sample": (), "Concat": ("dim",),
}
# Values the editor's layers always have: another value cannot be represented.
_FIXED: dict[str, dict[str, Any]] = {
    "Conv2d": {"dilation": 1, "padding_mode": "zeros"},
    "ConvTranspose2d": {"dilation": 1, "groups": 1, "padding_mode": "zeros"},
    "MaxPool2d": {"dilation": 1, "return_indices": False, "ceil_mode": False},
    "AvgPool2d": {"ceil_mode": False, "count_include_pad": True, "divisor_override": None},
    "Upsample": {"size": None, "align_corners": None},
    "Flatten": {"start_dim": 1, "end_dim": -1},
    "Unflatten": {"dim": 1},
    "BatchNorm1d": {"eps": 1e-5, "affine": True, "track_running_stats": True},
    "BatchNorm2d": {"eps": 1e-5, "affine": True, "track_running_stats": True},
    "LayerNorm": {"eps": 1e-5, "elementwise_affine": True, "bias": True},
    "InstanceNorm2d": {"eps": 1e-5, "track_running_stats": False},
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
    return import_source(_read(p), p.name)


def _read(p: Path) -> str:
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise ModelImportError(f"{p.name} is {size:,} bytes: the importer reads model files of at most "
                                   f"{MAX_BYTES:,} bytes")
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ModelImportError(f"{p.name} is not a text file") from None
    except OSError as e:
        raise ModelImportError(f"Cannot read {p}: {e.strerror}") from None


def lab_from_file(path: str | Path) -> Lab:
    """A lab holding the file's networks, with a dataset that fits the first network's input where one does.

    The task is guessed where the names make it clear: a generator and a discriminator make a GAN, an encoder and a
    decoder an autoencoder. Networks of the file that cannot be opened are named in the lab's description.
    """
    p = Path(path)
    report = import_report(_read(p), p.name)
    if not report.networks:
        raise ModelImportError(report.refused[0][1] if report.refused else
                               f"{p.name} holds no model the editor can open: write an nn.Sequential "
                               f"(model = nn.Sequential(...)) or an nn.Module class with __init__ and forward")
    networks = report.networks
    if len(networks) == 1 and networks[0].parts:
        networks = networks[0].parts  # an autoencoder class: its encoder and decoder, as the autoencoder task trains
    description = f"Imported from {p.name}."
    if report.refused:
        description += " Not opened: " + "; ".join(why for _name, why in report.refused)
    lab = Lab(name=p.stem.replace("_", " ") or "Imported model", description=description)
    roles = _guess_roles(networks)
    found = set(roles.values())
    if {"generator", "discriminator"} <= found:
        lab.task = "gan"
    elif {"encoder", "decoder"} <= found:
        lab.task = "autoencoder"
    else:
        roles = {}  # half a pair says nothing: a lone "d" is a model like any other
    pair = {"gan": ("generator", "discriminator"), "autoencoder": ("encoder", "decoder")}.get(lab.task, ())
    roles = {name: role for name, role in roles.items() if role in pair}
    for net in networks:
        lab.add_network(net.name, roles.get(net.name, "model"), net.graph)
    for net in networks:
        head = _ROLE_HEADS.get(roles.get(net.name, "")) if lab.task in ("gan", "autoencoder") else None
        outputs = net.graph.nodes_of_kind("Output")
        if head and len(outputs) == 1:
            net.graph.set_param(outputs[0].name, "head", head)
    # The network that reads the data: the discriminator of a GAN, the encoder of an autoencoder, else the first.
    reader = next((n for n in networks if roles.get(n.name) in ("discriminator", "encoder")), networks[0])
    first = reader.graph
    inputs = first.nodes_of_kind("Input")
    outputs = first.nodes_of_kind("Output")
    if lab.task == "classification" and outputs and outputs[0].params["head"] == "regression":
        lab.task = "regression"
    if inputs:
        p0 = inputs[0].params
        digit_image = p0["kind"] == "image" and (p0["channels"], p0["height"], p0["width"]) == (1, 28, 28)
        if digit_image or (p0["kind"] == "vector" and p0["features"] == 28 * 28):  # a digit, maybe flattened
            lab.dataset = DatasetSettings("digits", train_ratio=0.8, features=[])
        elif p0["kind"] == "vector" and p0["features"] == 2 and lab.task in ("classification", "regression"):
            lab.dataset = DatasetSettings("plane" if lab.task == "regression" else "circle")
    return lab


_ROLE_NAMES = {
    "generator": ("g", "gen", "generator", "netg", "net_g", "g_net", "generator_net"),
    "discriminator": ("d", "disc", "discriminator", "netd", "net_d", "d_net", "discriminator_net", "critic"),
    "encoder": ("enc", "encoder", "encoder_net"),
    "decoder": ("dec", "decoder", "decoder_net"),
}
_ROLE_HEADS = {"generator": "generated", "discriminator": "realness", "encoder": "code", "decoder": "reconstruction"}


def _guess_roles(networks: list[ImportedNetwork]) -> dict[str, str]:
    """Network name -> role, for names that say it (``G``, ``netD``, ``Generator``, ``encoder``); one network a role."""
    roles: dict[str, str] = {}
    for role, names in _ROLE_NAMES.items():
        for net in networks:
            name = net.name.lower()
            if net.name not in roles and (name in names or name.startswith(role) or name.endswith("_" + role)):
                roles[net.name] = role
                break
    return roles


def import_source(text: str, filename: str = "model.py") -> list[ImportedNetwork]:
    """The networks of Python source that can be opened; raises when none can, with the first reason."""
    report = import_report(text, filename)
    if not report.networks:
        if report.refused:
            raise ModelImportError(report.refused[0][1])
        raise ModelImportError(f"{filename} holds no model the editor can open: write an nn.Sequential "
                               f"(model = nn.Sequential(...)) or an nn.Module class with __init__ and forward")
    return report.networks


def import_report(text: str, filename: str = "model.py") -> ImportReport:
    """Every network of Python source: those that open, and for each one that cannot, its name and why.

    One network that cannot be opened does not stop the others of the same file.
    """
    tree = _parse(text, filename)
    return _Reader(filename, tree).report()


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


class _Refused(Exception):
    """Raised inside the interpreter: ``node`` is where, ``text`` what; the reader adds the file name and line."""

    def __init__(self, node: ast.AST | int, text: str) -> None:
        super().__init__(text)
        self.node = node
        self.text = text


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


@dataclass(frozen=True)
class _Unknown:
    """A value the importer cannot know without running the file (argparse options, data, devices...)."""

    node: ast.AST

    def refuse(self, use: str) -> _Refused:
        return _Refused(self.node, f"{_code(self.node)} is not known without running the file, so it cannot be "
                                   f"used {use}: write the value out (or as a constant of the file)")


@dataclass(frozen=True)
class _Halved:
    """``0.5 * logvar`` or ``logvar / 2``: half of a tensor, of use only inside a VAE's sampling."""

    tensor: Any


@dataclass(frozen=True)
class _Spread:
    """``torch.exp(0.5 * logvar)``: the standard deviation of a VAE's latent code."""

    log_variance: Any


@dataclass(frozen=True)
class _Noise:
    """``torch.randn_like(std)``: noise of the standard deviation's shape."""

    spread: _Spread


@dataclass(frozen=True)
class _Jitter:
    """``eps * std``: the noise a VAE adds to its mean."""

    log_variance: Any


@dataclass(frozen=True)
class _Side(_Unknown):
    """``x.size(2)``: the height (or width) of an image, known only once its shape is; of use as the window of a
    pool over the whole image (squeeze-and-excitation's F.avg_pool2d(x, x.size(2))), unknown anywhere else."""

    tensor: Any = None


@dataclass(eq=False)
class _Leaf:
    """One torch.nn layer (or a helper class of the playground's exports) made in __init__."""

    kind: str
    args: dict[str, Any]
    call: ast.Call
    path: str = ""
    uses: int = 0


@dataclass(eq=False)
class _Seq:
    items: list[Any]
    names: list[str | None]
    call: ast.AST
    path: str = ""


@dataclass(eq=False)
class _ModuleList:
    items: list[Any]
    call: ast.AST
    path: str = ""


@dataclass(eq=False)
class _Instance:
    """An object of an nn.Module class defined in the file, after its __init__ ran in the interpreter."""

    cls: ast.ClassDef
    attrs: dict[str, Any]
    call: ast.AST
    path: str = ""


@dataclass(frozen=True)
class _ClassRef:
    cls: ast.ClassDef


@dataclass(frozen=True)
class _FuncRef:
    func: ast.FunctionDef
    bound: Any = None  # the instance of a method


@dataclass(frozen=True)
class _Torch:
    """A name from torch, torch.nn, torch.nn.functional, math or the builtins: ``path`` as written."""

    path: str


@dataclass(frozen=True)
class _Tensor:
    node: str  # the graph node holding the value
    final: str = ""  # "log_softmax": only valid as a returned value (the classification head applies it)


class _Batch:
    """The batch size, x.size(0): only useful as the first size of a view or reshape."""


@dataclass(frozen=True)
class _State:
    """An initial recurrent state made of zeros (or None): the default, so it changes nothing."""


_BATCH = _Batch()
_MODULES = (_Leaf, _Seq, _ModuleList, _Instance)
_PARAMETER_FREE = {"ReLU", "Sigmoid", "Tanh", "Identity", "GELU", "LeakyReLU", "Softplus", "Softmax", "LogSoftmax",
                   "Flatten", "Unflatten", "Reshape", "Dropout", "Dropout2d", "MaxPool2d", "AvgPool2d", "Upsample",
                   "Add", "Multiply", "Sample", "Concat", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "ZeroPad2d", "ReflectionPad2d",
                   "ReplicationPad2d"}
_ADAPTIVE = {"AdaptiveAvgPool2d": "AvgPool2d", "AdaptiveMaxPool2d": "MaxPool2d"}
_LAYER_CLASSES = set(_SIGNATURES) | {"Sequential", "ModuleList", "RNN", "GRU", "LSTM", "Dropout2d", "LogSoftmax"} \
    | set(_ADAPTIVE)
_NAMESPACES = {"torch", "nn", "F", "functional", "torch.nn", "torch.nn.functional", "nn.functional", "math", "init",
               "nn.init", "torch.nn.init"}
_BUILTINS = {"range", "len", "int", "float", "min", "max", "abs", "round", "sum", "list", "tuple", "zip",
             "enumerate", "isinstance", "bool", "str", "print", "super", "OrderedDict", "reversed", "dict", "pow",
             "hasattr", "getattr", "sorted"}
_PLAIN_BUILTINS: dict[str, Callable[..., Any]] = {
    "int": int, "float": float, "abs": abs, "round": round, "bool": bool, "str": str, "min": min, "max": max,
    "sum": sum, "sorted": sorted, "pow": pow}
_LOOP_LIMIT = 10_000  # iterations of one loop, unrolled
_STEP_LIMIT = 2_000_000  # expressions evaluated for one file: nested loops cannot make the importer hang
_ITEM_LIMIT = 100_000  # entries of one list or tuple the file builds
_CALL_DEPTH = 40  # nested calls of the file's own functions and methods


def _stripped_device(expr: ast.expr) -> ast.expr:
    """``Net().to(device)``, ``Net().cuda()``, ``Net().float()``: the model without the move."""
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) \
            and expr.func.attr in ("to", "cuda", "cpu", "float", "double", "train", "eval", "half"):
        expr = expr.func.value
    return expr


class _Reader:
    """Interprets the file's syntax tree: module constants, the model classes' __init__ (which layers exist) and
    their forward (how data flows). Nothing is run: values the tree does not give are _Unknown and refused where
    a layer needs them."""

    def __init__(self, filename: str, tree: ast.Module) -> None:
        self.filename = filename
        self.tree = tree
        self.classes: dict[str, ast.ClassDef] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        self.env: dict[str, Any] = {}
        self.constants: dict[str, Any] = {}
        self.depth = 0
        self.steps = 0
        for stmt in tree.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name not in HELPERS:
                self.classes[stmt.name] = stmt
                self.env[stmt.name] = _ClassRef(stmt)
            elif isinstance(stmt, ast.FunctionDef):
                self.functions[stmt.name] = stmt
                self.env[stmt.name] = _FuncRef(stmt)
        # Scripts often define their model inside main() or under "if __name__ == '__main__'": such a class
        # counts when its name is not taken.
        for outer in tree.body:
            for node in ast.walk(outer):
                if isinstance(node, ast.ClassDef) and node.name not in self.env and node.name not in HELPERS:
                    self.classes[node.name] = node
                    self.env[node.name] = _ClassRef(node)
        self.module_values: dict[str, tuple[Any, ast.expr]] = {}
        self.module_refused: dict[str, _Refused] = {}
        for stmt in tree.body:
            self._module_statement(stmt)
        inputs = self.constants.get("INPUTS")
        outputs = self.constants.get("OUTPUTS")
        self.inputs: dict[str, dict[str, Any]] = inputs if isinstance(inputs, dict) else {}
        self.heads: dict[str, str] = outputs if isinstance(outputs, dict) else {}

    def fail(self, node: ast.AST | int, text: str) -> ModelImportError:
        line = node if isinstance(node, int) else getattr(node, "lineno", 0)
        return ModelImportError(f"{self.filename}, line {line}: {text}")

    def _bases(self, cls: ast.ClassDef) -> list[ast.ClassDef]:
        """``cls`` and the classes of the file it derives from, nearest first."""
        out: list[ast.ClassDef] = []
        todo = [cls]
        while todo and len(out) < 50:
            c = todo.pop(0)
            if c in out:
                continue
            out.append(c)
            todo.extend(self.classes[b.id] for b in c.bases if isinstance(b, ast.Name) and b.id in self.classes)
        return out

    def _m(self, cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
        """A method of ``cls``, inherited from a class of the file where ``cls`` does not define it."""
        for c in self._bases(cls):
            found = _method(c, name)
            if found is not None:
                return found
        return None

    def _is_module(self, cls: ast.ClassDef) -> bool:
        return any(_is_module_class(c) for c in self._bases(cls))

    def _module_statement(self, stmt: ast.stmt) -> None:
        """Module-level assignments: constants (and tuples of them) and models made at module level."""
        if isinstance(stmt, ast.If) and _is_main_guard(stmt):
            for inner in stmt.body:
                self._module_statement(inner)
            return
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value_expr = _stripped_device(stmt.value)
            try:
                value = self.evaluate(value_expr, dict(self.env), None)
            except _Refused as e:
                value = _Unknown(stmt.value)
                called = _call_name(value_expr.func) if isinstance(value_expr, ast.Call) else ""
                if called in _LAYER_CLASSES or called in self.classes or called in self.functions:
                    for target in targets:
                        if isinstance(target, ast.Name):
                            self.module_refused[target.id] = e
                return
            except _Return:
                value = _Unknown(stmt.value)
            for target in targets:
                try:
                    self._bind(target, value, self.env)
                except _Refused:
                    continue
                if isinstance(target, ast.Name):
                    if isinstance(value, _MODULES):
                        self.module_values[target.id] = (value, value_expr)
                    else:
                        self.module_values.pop(target.id, None)
                    if _is_plain(value):
                        self.constants[target.id] = value
                    else:
                        self.constants.pop(target.id, None)

    # Finding networks ------------------------------------------------------------------------------------------

    def report(self) -> ImportReport:
        """Every network of the file, and for each one that cannot be opened, why."""
        report = ImportReport()
        candidates: list[tuple[str, str, Callable[[], Any], ast.AST]] = []  # name, origin, make, where
        made_classes: set[str] = set()
        for var, (value, expr) in self.module_values.items():
            if isinstance(value, _Leaf) and value.kind not in _SIGNATURES:
                continue  # a loss (nn.MSELoss()) or another object that is not a network
            candidates.append((var, ast.unparse(expr), functools.partial(_identity, value), expr))
            if isinstance(value, _Instance):
                made_classes.add(value.cls.name)
        # A class another class (or a helper function of the file) builds is a block of a network, not a network.
        used: set[str] = set()
        scopes: list[ast.ClassDef | ast.FunctionDef] = [*self.classes.values(), *self.functions.values()]
        for c in scopes:
            made_by = _factory_of(c) if isinstance(c, ast.FunctionDef) else None
            if isinstance(c, ast.FunctionDef) and made_by is None:
                continue  # main(), train(): they make models, they are not part of one
            for n in ast.walk(c):
                if isinstance(n, ast.Name) and n.id in self.classes and n.id not in (c.name, made_by):
                    used.add(n.id)
        factories: dict[str, list[ast.FunctionDef]] = {}
        for func in self.functions.values():
            made = _factory_of(func)
            if made in self.classes and not _required(func):
                factories.setdefault(made, []).append(func)
        for name, cls in self.classes.items():
            if not self._is_module(cls) or name in made_classes or name in used:
                continue
            init = self._m(cls, "__init__")
            if name in factories:
                for func in factories[name]:
                    candidates.append((func.name.lower(), f"{func.name}()",
                                       functools.partial(self.call, _FuncRef(func), [], {}, func), func))
                continue
            missing = _required(init) if init is not None else []
            if not missing:
                candidates.append((_network_name(name), f"{name}()",
                                   functools.partial(self.call, _ClassRef(cls), [], {}, cls), cls))
                continue
            call = self._instantiation(name)
            if call is None:
                report.refused.append((_network_name(name), self.fail(
                    cls, f"class {name} needs the arguments {', '.join(missing)}, and the file never makes one "
                         f"with values written out (as in {name}({', '.join(missing)}) with constants)").message))
                continue
            candidates.append((_network_name(name), ast.unparse(call),
                               functools.partial(self.evaluate, call, dict(self.env), None), call))
        for var, refusal in self.module_refused.items():
            if var not in self.module_values:
                report.refused.append((var, self.fail(refusal.node, refusal.text).message))
        names = [c[0] for c in candidates]
        for i, (name, origin, make, where) in enumerate(candidates):
            if names.count(name) > 1:
                name = f"{name}_{i + 1}"
            try:
                value = make()
                _reset_uses(value)  # a module of the file may belong to several networks (G, D and nn.Sequential(G, D))
                builder = _Builder(self)
                self._network(value, builder, where)
                net = ImportedNetwork(name, builder.build(), origin)
                net.parts = self._parts(value, origin)
            except _Refused as e:
                report.refused.append((name, self.fail(e.node, e.text).message))
                continue
            except ModelImportError as e:
                report.refused.append((name, e.message))
                continue
            except RecursionError:
                report.refused.append((name, self.fail(where, "the model nests its calls too deeply to be read")
                                       .message))
                continue
            report.networks.append(net)
        return report

    def _parts(self, model: Any, origin: str) -> list[ImportedNetwork]:
        """An autoencoder class holding ``self.encoder`` and ``self.decoder``: each as a network of its own, so the
        lab can train it as the autoencoder task does (two networks). Empty where the parts cannot be drawn alone."""
        if not isinstance(model, _Instance):
            return []
        encoder, decoder = model.attrs.get("encoder"), model.attrs.get("decoder")
        if not (isinstance(encoder, _MODULES) and isinstance(decoder, _MODULES)):
            return []
        _reset_uses(model)
        parts = []
        try:
            for role, part in (("encoder", encoder), ("decoder", decoder)):
                builder = _Builder(self)
                self._network(part, builder, part.call)
                parts.append(ImportedNetwork(role, builder.build(), f"({origin}).{role}"))
        except (_Refused, ModelImportError, RecursionError):
            return []
        return parts

    def _instantiation(self, class_name: str) -> ast.Call | None:
        """A call ``ClassName(...)`` anywhere in the file whose arguments the module's constants give."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == class_name:
                try:
                    args = [self.evaluate(a, dict(self.env), None) for a in node.args]
                    kwargs = [self.evaluate(k.value, dict(self.env), None) for k in node.keywords]
                except _Refused:
                    continue
                if not any(isinstance(v, _Unknown) for v in args + kwargs):
                    return node
        return None

    def _network(self, model: Any, builder: _Builder, where: ast.AST) -> None:
        """Lay the model's forward out in ``builder``."""
        if isinstance(model, _Unknown):
            raise model.refuse("as a model")
        if isinstance(model, (_Leaf, _Seq)):
            line = getattr(where, "lineno", 1)
            x = _Tensor(builder.add_input("input_1", self.inputs.get("input_1"), line))
            out = self.call_module(model, [x], {}, builder, model.call)
            self._outputs([out], builder, line, model.call)
        elif isinstance(model, _Instance):
            forward = self._m(model.cls, "forward")
            init = self._m(model.cls, "__init__")
            if forward is None or init is None:
                raise _Refused(model.cls, f"class {model.cls.name} needs both __init__ and forward to be opened")
            params = [a.arg for a in forward.args.args[1:]]
            if not params:
                raise _Refused(forward, "forward takes no input")
            if forward.args.vararg or forward.args.kwarg or forward.args.kwonlyargs:
                raise _Refused(forward, "forward must name each input (no *args or **kwargs)")
            defaults = len(forward.args.defaults)
            required = params[:len(params) - defaults] if defaults else params
            inputs = [_Tensor(builder.add_input(p, self.inputs.get(p), forward.lineno)) for p in required]
            result = self.call(_FuncRef(forward, model), inputs, {}, forward, builder)
            parts = list(result) if isinstance(result, tuple) else [result]
            self._outputs(parts, builder, forward.lineno, forward)
        else:
            raise _Refused(where, f"{_code(where)} is not a model")
        self._check_all_used(model)

    def _outputs(self, parts: list[Any], builder: _Builder, line: int, where: ast.AST) -> None:
        heads = list(self.heads)
        for i, part in enumerate(parts):
            if not isinstance(part, _Tensor):
                raise _Refused(where, "forward must return the network's outputs (a tensor or a tuple of "
                                      "tensors)")
            name = heads[i] if i < len(heads) else f"output_{i + 1}"
            head = self.heads.get(name) or ("classification" if part.final == "log_softmax" else None)
            builder.add_output(name, part.node, line, head)

    def _check_all_used(self, model: Any) -> None:
        """A layer with weights that forward never calls still has weights in torch: drawing the model without it
        would show a different network, so refuse it."""
        stack = [model]
        seen: set[int] = set()
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            if isinstance(m, _Leaf):
                if m.uses == 0 and m.kind not in _PARAMETER_FREE:
                    where = f"self.{m.path}" if m.path else f"the {m.kind}"
                    raise _Refused(m.call, f"{where} ({m.kind}) is made but forward never uses it: its weights "
                                           f"would be missing from the drawn network")
            elif isinstance(m, (_Seq, _ModuleList)):
                stack.extend(m.items)
            elif isinstance(m, _Instance):
                stack.extend(v for v in m.attrs.values() if isinstance(v, _MODULES))
                stack.extend(i for v in m.attrs.values() if isinstance(v, (list, tuple)) for i in v
                             if isinstance(i, _MODULES))

    # Interpreting ----------------------------------------------------------------------------------------------

    def call(self, func: Any, args: list[Any], kwargs: dict[str, Any], node: ast.AST,
             builder: _Builder | None = None) -> Any:
        """Call one of the file's classes (making an instance) or functions (running its body here)."""
        if isinstance(func, _ClassRef):
            cls = func.cls
            if not self._is_module(cls):
                raise _Refused(node, f"class {cls.name} is not an nn.Module")
            instance = _Instance(cls, {}, node)
            init = self._m(cls, "__init__")
            if init is None:
                raise _Refused(cls, f"class {cls.name} needs __init__ to be opened")
            self.call(_FuncRef(init, instance), args, kwargs, node)
            return instance
        if not isinstance(func, _FuncRef):
            raise _Refused(node, f"{_code(node)} cannot be called here")
        f = func.func
        if self.depth >= _CALL_DEPTH:
            raise _Refused(node, f"calls nest more than {_CALL_DEPTH} levels deep")
        env: dict[str, Any] = dict(self.env)
        params = f.args.posonlyargs + f.args.args
        positional = list(args)
        if func.bound is not None:
            positional = [func.bound, *positional]
        if len(positional) > len(params) and f.args.vararg is None:
            raise _Refused(node, f"{f.name}() takes {len(params)} arguments but is given {len(positional)}")
        defaults = f.args.defaults
        first_default = len(params) - len(defaults)
        for i, p in enumerate(params):
            if i < len(positional):
                env[p.arg] = positional[i]
            elif p.arg in kwargs:
                env[p.arg] = kwargs.pop(p.arg)
            elif i >= first_default:
                env[p.arg] = self.evaluate(defaults[i - first_default], dict(self.env), None)
            else:
                raise _Refused(node, f"{f.name}() is called without its argument {p.arg!r}")
        if f.args.vararg is not None:
            env[f.args.vararg.arg] = tuple(positional[len(params):])
        for p, d in zip(f.args.kwonlyargs, f.args.kw_defaults):
            if p.arg in kwargs:
                env[p.arg] = kwargs.pop(p.arg)
            elif d is not None:
                env[p.arg] = self.evaluate(d, dict(self.env), None)
            else:
                raise _Refused(node, f"{f.name}() is called without its argument {p.arg!r}")
        if f.args.kwarg is not None:
            env[f.args.kwarg.arg] = dict(kwargs)
        elif kwargs:
            raise _Refused(node, f"{f.name}() has no argument {next(iter(kwargs))!r}")
        self.depth += 1
        try:
            self.block(f.body, env, builder)
        except _Return as r:
            return r.value
        finally:
            self.depth -= 1
        return None

    def block(self, body: list[ast.stmt], env: dict[str, Any], builder: _Builder | None) -> None:
        for stmt in body:
            self.statement(stmt, env, builder)

    def statement(self, stmt: ast.stmt, env: dict[str, Any], builder: _Builder | None) -> None:
        if isinstance(stmt, (ast.Pass, ast.Assert, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)):
            return
        if isinstance(stmt, ast.Expr):
            value = stmt.value
            if isinstance(value, ast.Constant):
                return
            if isinstance(value, ast.Call) and self._ignorable(value, env):
                return
            self.evaluate(value, env, builder)
            return
        if isinstance(stmt, ast.Assign):
            value = self.evaluate(stmt.value, env, builder)
            for target in stmt.targets:
                self._bind(target, value, env)
            return
        if isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self._bind(stmt.target, self.evaluate(stmt.value, env, builder), env)
            return
        if isinstance(stmt, ast.AugAssign):
            current = self.evaluate(_load(stmt.target), env, builder)
            value = self.evaluate(stmt.value, env, builder)
            self._bind(stmt.target, self.binary(stmt.op, current, value, stmt, builder), env)
            return
        if isinstance(stmt, ast.Return):
            raise _Return(None if stmt.value is None else self.evaluate(stmt.value, env, builder))
        if isinstance(stmt, ast.If):
            test = self.evaluate(stmt.test, env, builder)
            if isinstance(test, (_Unknown, _Tensor, _Batch)):
                raise _Refused(stmt, f"'if {_code(stmt.test)[1:-1]}' depends on what is known only when the model "
                                     f"runs, so the importer cannot tell which branch builds the network")
            self.block(stmt.body if test else stmt.orelse, env, builder)
            return
        if isinstance(stmt, ast.For):
            items = self.evaluate(stmt.iter, env, builder)
            if isinstance(items, _SampleDims) and _multiplies(stmt, env):
                # "for s in x.size()[1:]: n *= s", the tutorials' num_flat_features: the values of one sample.
                env[stmt.body[0].target.id] = _SampleCount(items.tensor)  # type: ignore[attr-defined]
                return
            if isinstance(items, (_Seq, _ModuleList)):
                items = list(items.items)
            if not isinstance(items, (list, tuple, range, dict)):
                raise _Refused(stmt, f"'for ... in {_code(stmt.iter)[1:-1]}' does not loop over a fixed list or "
                                     f"range the importer can unroll")
            if len(items) > _LOOP_LIMIT:
                raise _Refused(stmt, f"the loop runs {len(items)} times: the importer unrolls at most {_LOOP_LIMIT}")
            for item in items:
                self._bind(stmt.target, item, env)
                self.block(stmt.body, env, builder)
            if stmt.orelse:
                self.block(stmt.orelse, env, builder)
            return
        raise _Refused(stmt, f"{_code(stmt)} cannot be read without running it ({type(stmt).__name__.lower()} "
                             f"statements are not followed)")

    def _ignorable(self, call: ast.Call, env: dict[str, Any]) -> bool:
        """Calls made for their effect on values, not on the layers: weight initialisation, printing."""
        name = _call_name(call.func)
        text = ast.unparse(call.func)
        if name == "__init__" or name == "print" or text.startswith(("nn.init.", "torch.nn.init.", "init.")):
            return True
        return name in ("apply", "_initialize_weights", "init_weights", "_init_weights", "initialize_weights",
                        "reset_parameters", "_reset_parameters", "manual_seed")

    def _bind(self, target: ast.expr, value: Any, env: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, _Unknown):
                for t in target.elts:
                    self._bind(t, value, env)
                return
            if not isinstance(value, (tuple, list)) or len(value) != len(target.elts):
                raise _Refused(target, f"{_code(target)} unpacks a value that is not a tuple of "
                                       f"{len(target.elts)}")
            for t, v in zip(target.elts, value):
                self._bind(t, v, env)
            return
        if isinstance(target, ast.Attribute):
            owner = self.evaluate(target.value, env, None)
            if isinstance(owner, _Instance):
                if isinstance(value, _MODULES) and not value.path:
                    _set_path(value, _join(owner.path, target.attr))
                owner.attrs[target.attr] = value
                return
            raise _Refused(target, f"{_code(target)} sets an attribute of something that is not the model")
        if isinstance(target, ast.Subscript):
            owner = self.evaluate(target.value, env, None)
            key = self.evaluate(target.slice, env, None)
            if isinstance(owner, (list, dict)) and not isinstance(key, (_Unknown, slice)):
                try:
                    owner[key] = value
                    return
                except (IndexError, KeyError, TypeError):
                    pass
            raise _Refused(target, f"{_code(target)} cannot be assigned without running the file")
        raise _Refused(target, f"{_code(target)} cannot be assigned without running the file")

    def evaluate(self, expr: ast.expr, env: dict[str, Any], builder: _Builder | None) -> Any:
        self.steps += 1
        if self.steps > _STEP_LIMIT:
            raise _Refused(expr, f"the file's code takes more than {_STEP_LIMIT:,} steps to build its models: the "
                                 f"importer stops there")
        if isinstance(expr, ast.Constant):
            return expr.value
        if isinstance(expr, ast.Name):
            if expr.id in env:
                return env[expr.id]
            if expr.id in ("torch", "nn", "F", "math", "init", "functional") or expr.id in _BUILTINS \
                    or expr.id in _LAYER_CLASSES or expr.id in HELPERS:
                return _Torch(expr.id)
            if expr.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[expr.id]
            return _Unknown(expr)
        if isinstance(expr, (ast.Tuple, ast.List)):
            items: list[Any] = []
            for e in expr.elts:
                if isinstance(e, ast.Starred):
                    inner = self.evaluate(e.value, env, builder)
                    if isinstance(inner, (_Seq, _ModuleList)):
                        inner = inner.items
                    if not isinstance(inner, (list, tuple, range)):
                        return _Unknown(expr)
                    items.extend(inner)
                else:
                    items.append(self.evaluate(e, env, builder))
            return tuple(items) if isinstance(expr, ast.Tuple) else items
        if isinstance(expr, ast.Dict):
            out: dict[Any, Any] = {}
            for k, v in zip(expr.keys, expr.values):
                if k is None:
                    return _Unknown(expr)
                key = self.evaluate(k, env, builder)
                if not _hashable(key):
                    return _Unknown(expr)
                out[key] = self.evaluate(v, env, builder)
            return out
        if isinstance(expr, ast.Attribute):
            return self.attribute(self.evaluate(expr.value, env, builder), expr, builder)
        if isinstance(expr, ast.Subscript):
            return self.subscript(expr, env, builder)
        if isinstance(expr, ast.UnaryOp):
            v = self.evaluate(expr.operand, env, builder)
            if isinstance(expr.op, ast.Not) and not isinstance(v, (_Unknown, _Tensor)):
                return not v
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return -v if isinstance(expr.op, ast.USub) else (v if isinstance(expr.op, ast.UAdd) else _Unknown(expr))
            return _Unknown(expr)
        if isinstance(expr, ast.BinOp):
            a = self.evaluate(expr.left, env, builder)
            b = self.evaluate(expr.right, env, builder)
            return self.binary(expr.op, a, b, expr, builder)
        if isinstance(expr, ast.BoolOp):
            values = [self.evaluate(v, env, builder) for v in expr.values]
            if any(isinstance(v, (_Unknown, _Tensor)) for v in values):
                return _Unknown(expr)
            result = values[0]
            for v in values[1:]:
                if isinstance(expr.op, ast.And):
                    result = result and v
                else:
                    result = result or v
            return result
        if isinstance(expr, ast.Compare):
            return self.compare(expr, env, builder)
        if isinstance(expr, ast.IfExp):
            test = self.evaluate(expr.test, env, builder)
            if isinstance(test, (_Unknown, _Tensor, _Batch)):
                return _Unknown(expr)
            return self.evaluate(expr.body if test else expr.orelse, env, builder)
        if isinstance(expr, ast.Call):
            return self.evaluate_call(expr, env, builder)
        if isinstance(expr, ast.JoinedStr):
            return _Unknown(expr)
        if isinstance(expr, (ast.ListComp, ast.GeneratorExp)) and len(expr.generators) == 1 \
                and not expr.generators[0].ifs and not expr.generators[0].is_async:
            gen = expr.generators[0]
            items = self.evaluate(gen.iter, env, builder)
            if isinstance(items, (_Seq, _ModuleList)):
                items = items.items
            if not isinstance(items, (list, tuple, range)) or len(items) > _LOOP_LIMIT:
                return _Unknown(expr)
            inner = dict(env)
            out_list = []
            for item in items:
                self._bind(gen.target, item, inner)
                out_list.append(self.evaluate(expr.elt, inner, builder))
            return out_list
        return _Unknown(expr)

    def binary(self, op: ast.operator, a: Any, b: Any, node: ast.AST, builder: _Builder | None) -> Any:
        sampled = self._reparameterization(op, a, b, node, builder)
        if sampled is not None:
            return sampled
        if isinstance(a, _Tensor) or isinstance(b, _Tensor):
            if isinstance(op, ast.Add) and isinstance(a, _Tensor) and isinstance(b, _Tensor) and builder:
                return self._merge("Add", [a, b], node, builder)
            if isinstance(op, ast.Mult) and isinstance(a, _Tensor) and isinstance(b, _Tensor) and builder:
                return self._merge("Multiply", [a, b], node, builder)
            raise _Refused(node, f"{_code(node)} is arithmetic on tensors that the editor has no layer for "
                                 f"(it draws a + b of two tensors as an Add, a * b as a Multiply)")
        if isinstance(a, _Unknown) or isinstance(b, _Unknown):
            return a if isinstance(a, _Unknown) else b
        made = a if isinstance(a, _Made) else b
        if isinstance(made, _Made) and isinstance(b if made is a else a, (int, float)) \
                and isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            return made  # torch.randn(4, 1) * 5: the same sizes
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
        if numbers:
            if abs(a) > 1e12 or abs(b) > 1e12:
                raise _Refused(node, f"{_code(node)} works on numbers too large for a layer")
            try:
                if isinstance(op, ast.Pow):
                    if abs(b) > 64:
                        raise _Refused(node, f"{_code(node)} works on numbers too large for a layer")
                    return a ** b
                fn = _ARITHMETIC.get(type(op))
                if fn is None and isinstance(op, ast.Mod):
                    return a % b
                if fn is not None:
                    return fn(a, b)
            except ZeroDivisionError:
                raise _Refused(node, f"{_code(node)} divides by zero") from None
        joined = isinstance(op, ast.Add) and isinstance(a, (list, tuple)) and type(a) is type(b)
        repeated = isinstance(op, ast.Mult) and isinstance(a, (list, tuple)) and isinstance(b, int) \
            and not isinstance(b, bool) and b >= 0
        if joined or repeated:
            size = len(a) + len(b) if joined else len(a) * b
            if size > _ITEM_LIMIT:
                raise _Refused(node, f"{_code(node)} builds a list of {size:,} entries: the importer reads lists "
                                     f"of at most {_ITEM_LIMIT:,}")
            return a + b if joined else a * b
        if isinstance(op, ast.Mod) and isinstance(a, str):
            return _Unknown(node)
        return _Unknown(node)

    def _reparameterization(self, op: ast.operator, a: Any, b: Any, node: ast.AST,
                            builder: _Builder | None) -> Any:
        """A VAE's sampling, step by step: std = torch.exp(0.5 * logvar) (or logvar / 2), eps =
        torch.randn_like(std), z = mu + eps * std, drawn as one Sample layer. None for any other arithmetic."""
        half = (isinstance(op, ast.Mult) and any(_same(v, 0.5) for v in (a, b))) \
            or (isinstance(op, ast.Div) and _same(b, 2))
        if half:
            tensor = a if isinstance(a, _Tensor) else b
            if isinstance(tensor, _Tensor) and not tensor.final:
                return _Halved(tensor)
        if isinstance(op, ast.Mult):
            noise, spread = (a, b) if isinstance(a, _Noise) else (b, a)
            if isinstance(noise, _Noise) and isinstance(spread, _Spread) and noise.spread == spread:
                return _Jitter(spread.log_variance)
        if isinstance(op, ast.Add) and builder is not None:
            mean, jitter = (a, b) if isinstance(b, _Jitter) else (b, a)
            if isinstance(jitter, _Jitter) and isinstance(mean, _Tensor):
                mean = self._tensor_of(mean, node)
                layer = _Layer(builder.fresh("sample"), "Sample", {}, getattr(node, "lineno", 0),
                               [mean.node, jitter.log_variance.node])
                builder.add(layer)
                return _Tensor(layer.name)
        return None

    def compare(self, expr: ast.Compare, env: dict[str, Any], builder: _Builder | None) -> Any:
        left = self.evaluate(expr.left, env, builder)
        for op, right_expr in zip(expr.ops, expr.comparators):
            right = self.evaluate(right_expr, env, builder)
            if isinstance(op, (ast.Is, ast.IsNot)):
                if isinstance(left, _Unknown) or isinstance(right, _Unknown):
                    return _Unknown(expr)
                same = (left is None and right is None) or (left is right) or \
                    (right is None and isinstance(left, _MODULES + (_Tensor,)) and False)
                ok = same if isinstance(op, ast.Is) else not same
            else:
                if any(isinstance(v, (_Unknown, _Tensor, _Batch)) for v in (left, right)):
                    return _Unknown(expr)
                try:
                    ok = _COMPARE[type(op)](left, right)
                except (TypeError, KeyError):
                    return _Unknown(expr)
            if not ok:
                return False
            left = right
        return True

    def subscript(self, expr: ast.Subscript, env: dict[str, Any], builder: _Builder | None) -> Any:
        owner = self.evaluate(expr.value, env, builder)
        if isinstance(owner, _Tensor):
            return self._tensor_subscript(owner, expr, builder)
        if isinstance(expr.slice, ast.Slice):
            lo, hi, step = (None if e is None else self.evaluate(e, env, builder)
                            for e in (expr.slice.lower, expr.slice.upper, expr.slice.step))
            if any(isinstance(v, _Unknown) for v in (lo, hi, step)):
                return _Unknown(expr)
            key: Any = slice(lo, hi, step)
        else:
            key = self.evaluate(expr.slice, env, builder)
        if isinstance(owner, (_Seq, _ModuleList)):
            if isinstance(key, int) and not isinstance(key, bool) and -len(owner.items) <= key < len(owner.items):
                return owner.items[key]
            if isinstance(key, slice):
                return _Seq(owner.items[key], [None] * len(owner.items[key]), expr)
            raise _Refused(expr, f"{_code(expr)} picks no layer of {_code(expr.value)}")
        if isinstance(owner, (list, tuple, str, range)) and isinstance(key, slice):
            return owner[key]
        if isinstance(owner, (list, tuple, dict, str, range)) and _hashable(key):
            try:
                return owner[key]
            except (IndexError, KeyError, TypeError):
                return _Unknown(expr)
        if isinstance(owner, tuple) and isinstance(key, slice):
            return owner[key]
        if isinstance(owner, _ShapeOf) and key == 0:
            return _BATCH  # x.shape[0], x.size()[0]
        if isinstance(owner, _ShapeOf) and key == slice(1, None, None):
            return _SampleDims(owner.tensor)  # x.size()[1:]: the sizes of one sample
        return _Unknown(expr)

    def attribute(self, owner: Any, expr: ast.Attribute, builder: _Builder | None) -> Any:
        name = expr.attr
        if isinstance(owner, _Instance):
            if name in owner.attrs:
                return owner.attrs[name]
            method = self._m(owner.cls, name)
            if method is not None:
                return _FuncRef(method, owner)
            for base in owner.cls.bases:  # class attributes of the class itself, e.g. expansion = 4
                pass
            for stmt in (st for c in self._bases(owner.cls) for st in c.body):
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                        for t in stmt.targets):
                    return self.evaluate(stmt.value, dict(self.env), None)
            if name == "training":
                return _Unknown(expr)
            return _Unknown(expr)
        if isinstance(owner, _ClassRef):
            for stmt in (st for c in self._bases(owner.cls) for st in c.body):
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                        for t in stmt.targets):
                    return self.evaluate(stmt.value, dict(self.env), None)
            return _Unknown(expr)
        if isinstance(owner, _Torch):
            return _Torch(f"{owner.path}.{name}")
        if isinstance(owner, _Tensor):
            if name == "shape":
                return _ShapeOf(owner)
            return _Method(owner, name)
        if isinstance(owner, _Made):
            return owner.dims if name == "shape" else _Method(owner, name)
        if isinstance(owner, (_Seq, _ModuleList, _Leaf, _State, list, dict)):
            return _Method(owner, name)
        return _Unknown(expr)

    def evaluate_call(self, call: ast.Call, env: dict[str, Any], builder: _Builder | None) -> Any:
        func = self.evaluate(call.func, env, builder)
        if isinstance(func, _Unknown) and isinstance(call.func, ast.Attribute) \
                and isinstance(call.func.value, ast.Call) and _call_name(call.func.value.func) == "super":
            # super().__init__(...): a base class of the file may make layers of its own.
            me = env.get("self")
            if call.func.attr == "__init__" and isinstance(me, _Instance):
                for base in self._bases(me.cls)[1:]:
                    init = _method(base, "__init__")
                    if init is not None:
                        base_args = [self.evaluate(a, env, builder) for a in call.args]
                        base_kwargs = {k.arg: self.evaluate(k.value, env, builder) for k in call.keywords if k.arg}
                        self.call(_FuncRef(init, me), base_args, base_kwargs, call)
                        break
            return None
        args: list[Any] = []
        for a in call.args:
            if isinstance(a, ast.Starred):
                inner = self.evaluate(a.value, env, builder)
                if isinstance(inner, (_Seq, _ModuleList)):
                    inner = inner.items
                if not isinstance(inner, (list, tuple, range)):
                    raise _Refused(a, f"{_code(a)} unpacks something that is not a list written in the file")
                args.extend(inner)
            else:
                args.append(self.evaluate(a, env, builder))
        kwargs: dict[str, Any] = {}
        for k in call.keywords:
            if k.arg is None:
                inner = self.evaluate(k.value, env, builder)
                if not isinstance(inner, dict) or not all(isinstance(key, str) for key in inner):
                    name = _call_name(call.func) or "the call"
                    raise _Refused(k, f"{name} is called with {_code(k)}: write its arguments out, the importer "
                                      f"does not run code to find them")
                kwargs.update(inner)
            else:
                kwargs[k.arg] = self.evaluate(k.value, env, builder)
        if isinstance(func, (_ClassRef, _FuncRef)):
            return self.call(func, args, dict(kwargs), call, builder)
        if isinstance(func, _MODULES):
            if builder is None:
                return _Unknown(call)
            return self.call_module(func, args, kwargs, builder, call)
        if isinstance(func, _Method):
            return self.method(func, args, kwargs, call, builder)
        if isinstance(func, _Torch):
            return self.torch_call(func.path, args, kwargs, call, builder)
        return _Unknown(call)

    # torch and builtins ----------------------------------------------------------------------------------------

    def torch_call(self, path: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call,
                   builder: _Builder | None) -> Any:
        name = path.rsplit(".", 1)[-1]
        space = path.rsplit(".", 1)[0] if "." in path else ""
        if not space:
            if name in _BUILTINS:
                return self.builtin(name, args, kwargs, call)
            if name in _LAYER_CLASSES or name in HELPERS:
                return self.layer(name, args, kwargs, call)
            return _Unknown(call)
        if space in ("nn", "torch.nn") and name in ("Sequential", "ModuleList"):
            return self.layer(name, args, kwargs, call)
        if space in ("nn", "torch.nn"):
            if name[:1].isupper():
                return self.layer(name, args, kwargs, call)
            return _Unknown(call)
        if space in ("math",):
            if name == "prod" and len(args) == 1 and isinstance(args[0], _SampleDims):
                return _SampleCount(args[0].tensor)
            if name in ("floor", "ceil", "sqrt", "log2", "prod") and all(isinstance(a, (int, float)) for a in args):
                import math as m
                try:
                    return getattr(m, name)(*args)
                except (ValueError, TypeError):
                    return _Unknown(call)
            return _Unknown(call)
        if space in ("collections",) and name == "OrderedDict":
            return self.builtin("OrderedDict", args, kwargs, call)
        if builder is not None and space in ("F", "torch", "torch.nn.functional", "nn.functional", "functional"):
            return self.function(name, args, kwargs, call, builder)
        if builder is None and space == "torch" and name in _MAKERS:
            sizes = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            if sizes and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d for d in sizes):
                return _Made(tuple(sizes))
            return _Unknown(call)
        if name == "device" or name in ("zeros", "ones", "randn") and builder is None:
            return _Unknown(call)
        return _Unknown(call)

    def builtin(self, name: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call) -> Any:
        if name in ("print", "super"):
            return None
        if any(isinstance(a, _Unknown) for a in args):
            return _Unknown(call)
        try:
            if name == "range":
                if not all(isinstance(a, int) for a in args):
                    return _Unknown(call)
                r = range(*args)
                if len(r) > _LOOP_LIMIT:
                    raise _Refused(call, f"{_code(call)} is longer than the {_LOOP_LIMIT} steps the importer unrolls")
                return r
            if name == "len":
                (a,) = args
                return len(a.items if isinstance(a, (_Seq, _ModuleList)) else a)
            if name in _PLAIN_BUILTINS:
                return _PLAIN_BUILTINS[name](*args)
            if name in ("list", "tuple", "reversed"):
                a = args[0] if args else []
                a = a.items if isinstance(a, (_Seq, _ModuleList)) else a
                return tuple(a) if name == "tuple" else list(reversed(list(a)) if name == "reversed" else a)
            if name == "zip":
                return list(zip(*args))
            if name == "enumerate":
                a = args[0].items if isinstance(args[0], (_Seq, _ModuleList)) else args[0]
                return list(enumerate(a, *args[1:]))
            if name in ("dict", "OrderedDict"):
                return dict(*args, **kwargs)
            if name == "isinstance":
                value, kinds = args
                kinds = kinds if isinstance(kinds, tuple) else (kinds,)
                plain = {"int": int, "float": float, "str": str, "list": list, "tuple": tuple, "dict": dict,
                         "bool": bool}
                for k in kinds:
                    if not (isinstance(k, _Torch) and k.path in plain):
                        return _Unknown(call)  # isinstance(m, nn.Conv2d) and the like: not followed
                    if isinstance(value, plain[k.path]):
                        return True
                return False
            if name == "hasattr":
                owner, attr = args
                if isinstance(owner, _Instance) and isinstance(attr, str):
                    return attr in owner.attrs or self._m(owner.cls, attr) is not None
        except (TypeError, ValueError, IndexError, KeyError, OverflowError):
            return _Unknown(call)
        return _Unknown(call)

    def layer(self, kind: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call) -> Any:
        """A torch.nn constructor: a _Leaf holding its arguments (checked when forward uses it)."""
        if kind == "Sequential":
            if len(args) == 1 and isinstance(args[0], dict):
                items = list(args[0].values())
                names: list[str | None] = [str(k) for k in args[0]]
            elif len(args) == 1 and isinstance(args[0], list) and args[0] and \
                    all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in args[0]):
                items = [p[1] for p in args[0]]
                names = [p[0] for p in args[0]]
            else:
                items, names = list(args), [None] * len(args)
            for item in items:
                if not isinstance(item, _MODULES):
                    if isinstance(item, _Unknown):
                        raise item.refuse("as a layer of nn.Sequential")
                    raise _Refused(call, f"nn.Sequential holds {item!r}, which is not a layer")
            seq = _Seq(items, names, call)
            for item, n in zip(items, names):
                if n is not None and isinstance(item, _MODULES) and not item.path:
                    _set_path(item, n)
            return seq
        if kind == "ModuleList":
            if args and isinstance(args[0], _Unknown):
                raise args[0].refuse("as the layers of nn.ModuleList")
            items = list(args[0]) if args else []
            if args and isinstance(args[0], (_Seq, _ModuleList)):
                items = list(args[0].items)
            if not all(isinstance(i, _MODULES) for i in items):
                raise _Refused(call, "nn.ModuleList holds something that is not a layer")
            return _ModuleList(items, call)
        if kind not in _SIGNATURES and kind not in ("RNN", "GRU", "LSTM", "Dropout2d", "LogSoftmax", *_ADAPTIVE):
            return _Leaf(kind, {}, call)
        names_ = _SIGNATURES[kind] if kind in _SIGNATURES else {
            "RNN": ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout",
                    "bidirectional"),
            "GRU": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"),
            "LSTM": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional",
                     "proj_size"),
            "Dropout2d": ("p", "inplace"), "LogSoftmax": ("dim",), "AdaptiveAvgPool2d": ("output_size",),
            "AdaptiveMaxPool2d": ("output_size", "return_indices")}[kind]
        if len(args) > len(names_):
            raise _Refused(call, f"{kind} takes at most {len(names_)} positional arguments")
        a = dict(zip(names_, args))
        for k, v in kwargs.items():
            if k not in names_:
                raise _Refused(_keyword(call, k), f"{kind} has no argument {k!r}")
            a[k] = v
        return _Leaf(kind, a, call)

    # Forward ---------------------------------------------------------------------------------------------------

    def call_module(self, module: Any, args: list[Any], kwargs: dict[str, Any], builder: _Builder,
                    node: ast.AST) -> Any:
        if isinstance(module, _Seq):
            if kwargs or len(args) != 1:
                raise _Refused(node, "an nn.Sequential takes one input")
            x = args[0]
            for item in module.items:
                if isinstance(item, _Leaf) and item.kind in ("RNN", "GRU", "LSTM"):
                    raise _Refused(item.call, f"nn.{item.kind} " + _RECURRENT_HINT.format(kind=item.kind))
                x = self.call_module(item, [x], {}, builder, node)
            return x
        if isinstance(module, _ModuleList):
            raise _Refused(node, "an nn.ModuleList cannot be called: loop over it or index it")
        if isinstance(module, _Instance):
            forward = self._m(module.cls, "forward")
            if forward is None:
                raise _Refused(node, f"class {module.cls.name} has no forward")
            return self.call(_FuncRef(forward, module), args, kwargs, node, builder)
        leaf: _Leaf = module
        if leaf.kind in ("RNN", "GRU", "LSTM"):
            return self._recurrent(leaf, args, kwargs, builder, node)
        if kwargs or len(args) != 1 and leaf.kind not in ("Add", "Multiply", "Sample", "Concat"):
            raise _Refused(node, f"{_code(node)} passes {len(args) + len(kwargs)} inputs to a {leaf.kind}, which "
                                 f"takes one")
        leaf.uses += 1
        if leaf.uses > 1 and leaf.kind not in _PARAMETER_FREE:
            where = f"self.{leaf.path}" if leaf.path else f"the {leaf.kind}"
            raise _Refused(node, f"{where} is used twice: its weights are shared between both uses, which the "
                                 f"editor cannot draw (declare a second layer for the second use)")
        sources = []
        for a in args:
            sources.append(self._tensor_of(a, node))
        if leaf.kind == "LogSoftmax":
            return self._log_softmax(sources[0], leaf.args.get("dim", _MISSING), leaf.call)
        if leaf.kind == "Dropout2d":
            leaf = _Leaf("Dropout", {"p": leaf.args.get("p", 0.5)}, leaf.call, leaf.path)
        if leaf.kind in _ADAPTIVE:
            return self._adaptive(leaf.kind, leaf.args.get("output_size", _MISSING), sources[0], leaf.call, builder,
                                  _node_name(leaf.path))
        implicit = leaf.kind == "Softmax" and "dim" not in leaf.args
        if implicit:
            leaf = _Leaf("Softmax", {"dim": -1}, leaf.call, leaf.path)
        layer = self.translate(leaf, builder)
        if implicit:  # torch picks the dimension: the features of a batch of vectors, but the batch of sequences
            layer.expects = lambda s: None if s.rank == 1 else (f"without dim receives {s.describe()}, where torch "
                                                                f"would pick another dimension: write dim=-1")
        layer.sources = [s.node for s in sources]
        builder.add(layer)
        return _Tensor(layer.name)

    def translate(self, leaf: _Leaf, builder: _Builder) -> _Layer:
        call = leaf.call
        kind = leaf.kind
        if kind not in _SIGNATURES:
            raise _Refused(call, f"{ast.unparse(call.func)} is not a layer the editor knows (it knows "
                                 f"{', '.join(sorted(k for k in _SIGNATURES if k not in HELPERS))})")
        a: dict[str, Any] = {}
        for pname, value in leaf.args.items():
            if isinstance(value, _Unknown):
                raise value.refuse(f"as the {pname} of {kind}")
            if not _is_plain(value):
                raise _Refused(call, f"the {pname} of {kind} is not a number, text or tuple")
            a[pname] = value
        for pname, fixed in _FIXED.get(kind, {}).items():
            if pname in a and not _same(a[pname], fixed):
                raise _Refused(call, f"{kind} with {pname}={a[pname]!r} cannot be drawn: the editor's layer "
                                     f"always has {pname}={fixed!r}")
        try:
            layer = self._translate(kind, a, call)
        except ModelImportError as e:
            raise _Refused(call, e.message.split(": ", 1)[1]) from None
        except (KeyError, TypeError) as e:
            raise _Refused(call, f"{kind} is missing its argument {e}") from None
        own = _node_name(leaf.path)
        layer.name = builder.claim(own, own or _prefix(layer.kind))  # a second use of self.pool is pool_1
        return layer

    def _tensor_of(self, value: Any, node: ast.AST) -> _Tensor:
        if isinstance(value, _Tensor):
            if value.final:
                raise _Refused(node, f"{_code(node)} uses the result of {value.final}, which the editor draws only "
                                     f"as the last step of a classifier")
            return value
        if isinstance(value, _Unknown):
            raise value.refuse("as a layer's input")
        raise _Refused(node, f"{_code(node)} gives a layer an input that is not a tensor of the network")

    def _merge(self, kind: str, parts: list[Any], node: ast.AST, builder: _Builder) -> _Tensor:
        tensors = [self._tensor_of(p, node) for p in parts]
        if len(tensors) < 2:
            raise _Refused(node, f"{_code(node)} joins fewer than two tensors")
        current = tensors[0]
        for other in tensors[1:]:
            layer = _Layer(builder.fresh(kind.lower()), kind, {}, getattr(node, "lineno", 0),
                           [current.node, other.node])
            builder.add(layer)
            current = _Tensor(layer.name)
        return current

    def _adaptive(self, kind: str, size: Any, x: _Tensor, call: ast.AST, builder: _Builder,
                  own: str | None) -> _Tensor:
        """nn.AdaptiveAvgPool2d(n): a pool whose window is worked out from the image arriving (n divides its side)."""
        if isinstance(size, _Unknown):
            raise size.refuse(f"as the output size of {kind}")
        n = _square(size) if size is not _MISSING else None
        if n is None or n < 1:
            raise _Refused(call, f"{kind} with output size {size!r} cannot be drawn: give one whole size, e.g. 1")
        pool = _ADAPTIVE[kind]

        def resolve(s: Shape) -> dict[str, Any] | str:
            if s.rank != 3 or s.dims[1] != s.dims[2] or s.dims[1] % n:
                return (f"pools {s.describe()} to {n}×{n}, which the editor's {pool} does only for a square image "
                        f"whose side {n} divides")
            return {"kernel_size": s.dims[1] // n, "stride": 0, "padding": 0}

        layer = _Layer(builder.claim(own, _prefix(pool)), pool, {"kernel_size": 1, "stride": 0, "padding": 0},
                       getattr(call, "lineno", 0), [x.node], resolve=resolve)
        builder.add(layer)
        return _Tensor(layer.name)

    def _log_softmax(self, x: _Tensor, dim: Any, node: ast.AST) -> _Tensor:
        if dim not in (-1, 1, _MISSING):
            raise _Refused(node, f"log_softmax(dim={dim!r}) cannot be drawn: only over the classes (dim=1 or -1)")
        return _Tensor(x.node, "log_softmax")

    def _recurrent(self, leaf: _Leaf, args: list[Any], kwargs: dict[str, Any], builder: _Builder,
                   node: ast.AST) -> Any:
        kind = leaf.kind
        a = dict(leaf.args)
        for pname, value in a.items():
            if isinstance(value, _Unknown):
                raise value.refuse(f"as the {pname} of nn.{kind}")
        if not a.get("batch_first", False):
            raise _Refused(leaf.call, f"nn.{kind} must read batch-first sequences to be drawn: add batch_first=True")
        if a.get("dropout", 0) or not a.get("bias", True) or a.get("proj_size", 0):
            raise _Refused(leaf.call, f"nn.{kind} with dropout, proj_size or without bias cannot be drawn")
        if kwargs or not args or len(args) > 2 or (len(args) == 2 and not _is_zero_state(args[1])):
            raise _Refused(node, f"{_code(node)} passes a starting state to nn.{kind}: the editor's {kind} starts "
                                 f"from zeros (leave the state out, or pass zeros or None)")
        leaf.uses += 1
        if leaf.uses > 1:
            raise _Refused(node, f"self.{leaf.path} is used twice: its weights are shared between both uses, which "
                                 f"the editor cannot draw")
        source = self._tensor_of(args[0], node)
        params = {"hidden": a["hidden_size"], "layers": a.get("num_layers", 1),
                  "bidirectional": bool(a.get("bidirectional", False)), "output": "sequence"}
        if kind == "RNN":
            params["nonlinearity"] = a.get("nonlinearity", "tanh")
        n_in = a["input_size"]
        name = builder.claim(_node_name(leaf.path), kind.lower())
        builder.add(_Layer(name, kind, params, leaf.call.lineno, [source.node], size=n_in,
                           expects=lambda s: None if s.dims[-1] == n_in else
                           f"expects {n_in} features per step but receives {s.describe()}"))
        return (_Tensor(name), _Unknown(node))

    def _tensor_subscript(self, x: _Tensor, expr: ast.Subscript, builder: _Builder | None) -> Any:
        text = ast.unparse(expr.slice).replace(" ", "").strip("()")
        if builder is not None and text in (":,-1", ":,-1,:"):
            layer = builder.layer(x.node)
            if layer is None or layer.kind not in ("RNN", "GRU", "LSTM") or layer.params["output"] != "sequence" \
                    or builder.consumers(x.node):
                raise _Refused(expr, f"{_code(expr)} takes the last step of a sequence: the editor draws that only "
                                     f"right after a recurrent layer")
            layer.params["output"] = "last"
            return x
        raise _Refused(expr, f"{_code(expr)} slices a tensor, which the editor has no layer for")

    def method(self, m: _Method, args: list[Any], kwargs: dict[str, Any], call: ast.Call,
               builder: _Builder | None) -> Any:
        owner, name = m.owner, m.name
        if isinstance(owner, _State):
            return owner  # torch.zeros(...).to(device): still the default state
        if isinstance(owner, list):
            if len(owner) >= _ITEM_LIMIT and name in ("append", "extend", "insert"):
                raise _Refused(call, f"{_code(call)} grows a list past {_ITEM_LIMIT:,} entries")
            if name == "append" and len(args) == 1:
                owner.append(args[0])
                return None
            if name == "extend" and len(args) == 1 and isinstance(args[0], (list, tuple)):
                owner.extend(args[0])
                return None
            if name == "insert" and len(args) == 2 and isinstance(args[0], int):
                owner.insert(args[0], args[1])
                return None
            return _Unknown(call)
        if isinstance(owner, dict):
            if name in ("items", "keys", "values"):
                return list(getattr(owner, name)())
            if name == "get" and args and _hashable(args[0]):
                return owner.get(args[0], args[1] if len(args) > 1 else None)
            return _Unknown(call)
        if isinstance(owner, (_Seq, _ModuleList)):
            if name in ("append", "add_module") and args:
                item = args[-1]
                if not isinstance(item, _MODULES):
                    raise _Refused(call, f"{_code(call)} adds something that is not a layer")
                owner.items.append(item)
                if isinstance(owner, _Seq):
                    owner.names.append(args[0] if name == "add_module" and isinstance(args[0], str) else None)
                return None
            if name == "extend" and args and isinstance(args[0], (list, tuple)):
                owner.items.extend(args[0])
                if isinstance(owner, _Seq):
                    owner.names.extend([None] * len(args[0]))
                return None
            if name in ("children", "modules", "parameters"):
                return _Unknown(call)
            return _Unknown(call)
        if isinstance(owner, _Leaf):
            return _Unknown(call)
        if isinstance(owner, _Made):
            if name == "size" and not kwargs and not args:
                return owner.dims
            if name == "size" and len(args) == 1 and isinstance(args[0], int) and not isinstance(args[0], bool) \
                    and -len(owner.dims) <= args[0] < len(owner.dims):
                return owner.dims[args[0]]
            if name in ("to", "float", "double", "cpu", "cuda", "detach", "clone", "contiguous"):
                return owner
            return _Unknown(call)
        if isinstance(owner, _Tensor) and builder is not None:
            return self.tensor_method(owner, name, args, kwargs, call, builder)
        return _Unknown(call)

    def tensor_method(self, x: _Tensor, name: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call,
                      builder: _Builder) -> Any:
        if name == "size":
            if args == [0] or kwargs == {"dim": 0}:
                return _BATCH
            if not args and not kwargs:
                return _ShapeOf(x)
            if len(args) == 1 and not kwargs and args[0] in (2, 3, -1, -2) and not isinstance(args[0], bool):
                return _Side(call, x)
            raise _Refused(call, f"{_code(call)} reads a size of the data other than the batch, which the editor "
                                 f"cannot draw")
        if name in ("view", "reshape"):
            dims = list(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else list(args)
            return self._reshape(x, dims, call, builder)
        if name == "flatten":
            start = args[0] if args else kwargs.get("start_dim", 0)
            if start != 1 or (len(args) > 1 and args[1] != -1):
                raise _Refused(call, f"{_code(call)} must keep the batch to be drawn: write .flatten(1)")
            return self._single("Flatten", x, {}, call, builder)
        if name in ("to", "contiguous", "float", "cuda", "cpu", "clone", "detach", "type_as"):
            return x
        low = args[0] if args else kwargs.get("min")
        if name in ("clamp", "clamp_", "clamp_min", "clamp_min_") and not args[1:] and kwargs.get("max") is None \
                and isinstance(low, (int, float)) and low == 0:
            return self._single("ReLU", x, {}, call, builder)  # x.clamp(min=0) is a ReLU
        if name in _FUNCTIONAL:
            return self.function(name, [x, *args], kwargs, call, builder)
        raise _Refused(call, f"{_code(call)} is a tensor operation the editor has no layer for")

    def _reshape(self, x: _Tensor, dims: list[Any], call: ast.Call, builder: _Builder) -> _Tensor:
        if len(dims) == 2 and (dims[0] is _BATCH or dims[0] == -1) and isinstance(dims[1], _SampleCount) \
                and dims[1].tensor == x:
            return self._single("Flatten", x, {}, call, builder)  # x.view(-1, self.num_flat_features(x))
        if dims and dims[0] is _BATCH:
            rest = dims[1:]
            if rest == [-1]:
                return self._single("Flatten", x, {}, call, builder)
        elif dims and dims[0] == -1:
            rest = dims[1:]
            if -1 in rest:
                raise _Refused(call, f"{_code(call)} leaves two sizes open")
        else:
            raise _Refused(call, f"{_code(call)} must keep the batch first to be drawn: write "
                                 f"x.view(x.size(0), -1) or x.view(-1, size)")
        if not rest or not all(isinstance(d, int) and not isinstance(d, bool) and (d > 0 or d == -1) for d in rest):
            raise _Refused(call, f"{_code(call)} reshapes to sizes the importer cannot read as numbers")
        if len(rest) > 3:
            raise _Refused(call, f"{_code(call)} reshapes to {len(rest)} dimensions: the editor's Reshape has at "
                                 f"most 3")
        return self._single("Reshape", x, {"shape": rest}, call, builder)

    def _single(self, kind: str, x: Any, params: dict[str, Any], call: ast.Call, builder: _Builder) -> _Tensor:
        source = self._tensor_of(x, call)
        layer = _Layer(builder.fresh(_prefix(kind)), kind, params, call.lineno, [source.node])
        builder.add(layer)
        return _Tensor(layer.name)

    def function(self, name: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call,
                 builder: _Builder) -> Any:
        """torch.relu(x), F.max_pool2d(x, 2), torch.flatten(x, 1), torch.cat((a, b), 1), F.log_softmax(x, 1)..."""
        base = name.rstrip("_") if name.endswith("_") and not name.startswith("_") else name
        if base in ("zeros", "ones", "zeros_like") and all(isinstance(a, (int, _Batch)) for a in args):
            return _State()
        if base == "cat":
            parts = args[0] if args else kwargs.get("tensors")
            dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
            if not isinstance(parts, (tuple, list)):
                raise _Refused(call, "torch.cat needs a tuple of tensors written out: torch.cat((a, b), dim=1)")
            if dim == 0 or not isinstance(dim, int):
                raise _Refused(call, f"{_code(call)} joins along dim={dim!r}: the editor's Concat joins features "
                                     f"or channels (dim=1)")
            out = self._merge("Concat", list(parts), call, builder)
            concat = builder.layer(out.node)
            if concat is not None:
                concat.expects = _concat_dim(dim)
                node = builder.layer(out.node)
                assert node is not None
            return out
        if base == "add" and len(args) == 2:
            return self._merge("Add", list(args), call, builder)
        if base == "mul" and len(args) == 2:
            return self._merge("Multiply", list(args), call, builder)
        if base == "exp" and len(args) == 1 and not kwargs and isinstance(args[0], _Halved):
            return _Spread(args[0].tensor)  # the standard deviation, from a log-variance
        if base == "randn_like" and len(args) == 1 and not kwargs and isinstance(args[0], _Spread):
            return _Noise(args[0])
        if base not in _FUNCTIONAL:
            raise _Refused(call, f"{_code(call.func)}(...) is not a layer the editor knows: use layers declared in "
                                 f"__init__")
        if not args:
            raise _Refused(call, f"{_code(call.func)} needs an input")
        x = args[0]
        extra = args[1:]

        def arg(i: int, key: str, default: Any) -> Any:
            value = kwargs.get(key, extra[i] if len(extra) > i else default)
            if isinstance(value, _Unknown):
                raise value.refuse(f"as the {key} of {base}")
            return value

        if base == "log_softmax":
            return self._log_softmax(self._tensor_of(x, call), arg(0, "dim", _MISSING), call)
        if base in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
            kind = "AdaptiveAvgPool2d" if base == "adaptive_avg_pool2d" else "AdaptiveMaxPool2d"
            return self._adaptive(kind, arg(0, "output_size", _MISSING), self._tensor_of(x, call), call, builder, None)
        if base in ("max_pool2d", "avg_pool2d"):
            kind = "MaxPool2d" if base == "max_pool2d" else "AvgPool2d"
            window = extra[0] if extra else kwargs.get("kernel_size")
            if isinstance(window, _Side) and window.tensor == x and len(extra) <= 1 \
                    and set(kwargs) <= {"kernel_size"}:
                # F.avg_pool2d(x, x.size(2)): one window over the whole (square) image
                return self._adaptive("AdaptiveAvgPool2d" if kind == "AvgPool2d" else "AdaptiveMaxPool2d", 1,
                                      self._tensor_of(x, call), call, builder, None)
            names = _SIGNATURES[kind]
            a = {n: arg(i, n, _MISSING) for i, n in enumerate(names)}
            a = {k: v for k, v in a.items() if v is not _MISSING}
            leaf = _Leaf(kind, a, call)
            layer = self.translate(leaf, builder)
            layer.sources = [self._tensor_of(x, call).node]
            builder.add(layer)
            return _Tensor(layer.name)
        if base in ("dropout", "dropout2d"):
            p = arg(0, "p", 0.5)
            if kwargs.get("training", True) is False:
                return x
            return self._single("Dropout", x, {"p": float(p)}, call, builder)
        if base == "flatten":
            start = arg(0, "start_dim", 0)
            if start != 1 or arg(1, "end_dim", -1) != -1:
                raise _Refused(call, "torch.flatten must keep the batch: torch.flatten(x, 1)")
            return self._single("Flatten", x, {}, call, builder)
        if base == "interpolate" or base == "upsample":
            scale = arg(1, "scale_factor", None)
            mode = arg(2, "mode", "nearest")
            leaf = _Leaf("Upsample", {"scale_factor": scale, "mode": mode}, call)
            layer = self.translate(leaf, builder)
            layer.sources = [self._tensor_of(x, call).node]
            builder.add(layer)
            return _Tensor(layer.name)
        kind = _FUNCTIONAL[base]
        params: dict[str, Any] = {}
        if kind == "LeakyReLU":
            params["slope"] = float(arg(0, "negative_slope", 0.01))
        elif kind == "Softplus":
            params["beta"] = float(arg(0, "beta", 1.0))
        elif kind == "Softmax":
            dim = arg(0, "dim", _MISSING)
            if dim not in (-1, 1):
                raise _Refused(call, "softmax must be over the last dimension (dim=-1)")
        return self._single(kind, x, params, call, builder)

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
            elif a.get("groups", 1) != 1:
                params["groups"] = a["groups"]
            c_in = a["in_channels"]
            return _Layer("", kind, params, line, expects=lambda s: None if s.rank == 3 and s.dims[0] == c_in else
                          f"expects {c_in} input channels but receives {s.describe()}", size=c_in, image=True)
        if kind in ("MaxPool2d", "AvgPool2d"):
            k = square(a["kernel_size"], "window")
            pool_stride = a.get("stride")
            window_stride = 0 if pool_stride in (None, k) else square(pool_stride, "stride")
            return _Layer("", kind, {"kernel_size": k, "stride": window_stride,
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
        if kind in _PADS:
            return _Layer("", "Pad2d", {"padding": square(a["padding"], "padding"), "mode": _PADS[kind]}, line)
        if kind == "InstanceNorm2d":
            n_channels = a["num_features"]
            return _Layer("", "InstanceNorm", {"affine": bool(a.get("affine", False))}, line,
                          expects=lambda s: None if s.rank == 3 and s.dims[0] == n_channels else
                          f"expects {n_channels} channels (an image) but receives {s.describe()}",
                          size=n_channels, image=True)
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
        if kind in ("Add", "Multiply", "Sample", "Concat"):
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
            if layer.kind == "Reshape" and -1 not in layer.params["shape"]:
                n = math.prod(layer.params["shape"])
                out = []
                for c in (1, 3):
                    side = math.isqrt(n // c) if n % c == 0 else 0
                    if side and side * side * c == n:
                        out.append({"kind": "image", "channels": c, "height": side, "width": side})
                return out + [{"kind": "vector", "features": n}]
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
                params = layer.params
                if layer.resolve is not None:
                    # The window of an adaptive pool follows from the image that arrives: infer up to here.
                    arriving = g.infer().shapes.get(layer.sources[0]) if layer.sources else None
                    if arriving is not None:
                        resolved = layer.resolve(arriving)
                        if isinstance(resolved, str):
                            raise self.reader.fail(layer.line, f"{layer.kind} '{layer.name}' {resolved}")
                        params = resolved
                g.add_node(layer.kind, layer.name, params, place(layer.name, layer.sources))
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
    """``ResidualNet`` -> ``residual_net``, ``VGG`` -> ``vgg``: a word starts where a capital follows a small letter."""
    out = "".join("_" + c.lower() if c.isupper() and i and class_name[i - 1].islower() else c.lower()
                  for i, c in enumerate(class_name))
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


@dataclass(frozen=True)
class _Method:
    """A method looked up on a value: ``layers.append``, ``x.view``."""

    owner: Any
    name: str


@dataclass(frozen=True)
class _Made:
    """A tensor the file makes outside forward from sizes written out (``torch.randn(4, 1) * 5``): only its sizes
    are of use, as the sizes of a layer."""

    dims: tuple[int, ...]


@dataclass(frozen=True)
class _ShapeOf:
    """``x.shape`` or ``x.size()``: only its first entry, the batch, is of use."""

    tensor: Any


@dataclass(frozen=True)
class _SampleDims:
    """``x.size()[1:]``: the sizes of one sample, known only once the input's shape is."""

    tensor: Any


@dataclass(frozen=True)
class _SampleCount:
    """The number of values in one sample of ``tensor``: the product of ``x.size()[1:]``."""

    tensor: Any


def _multiplies(loop: ast.For, env: dict[str, Any]) -> bool:
    """``for s in dims: n *= s`` with n == 1 before it."""
    body = loop.body
    return (len(body) == 1 and isinstance(body[0], ast.AugAssign) and isinstance(body[0].op, ast.Mult)
            and isinstance(body[0].target, ast.Name) and env.get(body[0].target.id) == 1
            and isinstance(loop.target, ast.Name) and isinstance(body[0].value, ast.Name)
            and body[0].value.id == loop.target.id and not loop.orelse)


_FUNCTIONAL = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU", "leaky_relu": "LeakyReLU",
               "softplus": "Softplus", "softmax": "Softmax", "flatten": "Flatten", "log_softmax": "",
               "max_pool2d": "MaxPool2d", "avg_pool2d": "AvgPool2d", "dropout": "Dropout", "dropout2d": "Dropout",
               "interpolate": "Upsample", "adaptive_avg_pool2d": "", "adaptive_max_pool2d": ""}
_PADS = {"ZeroPad2d": "zeros", "ReflectionPad2d": "reflect", "ReplicationPad2d": "replicate"}
_MAKERS = {"randn", "rand", "zeros", "ones", "empty"}  # torch functions that make a tensor of sizes written out
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: bool(a == b), ast.NotEq: lambda a, b: bool(a != b), ast.Lt: lambda a, b: bool(a < b),
    ast.LtE: lambda a, b: bool(a <= b), ast.Gt: lambda a, b: bool(a > b), ast.GtE: lambda a, b: bool(a >= b),
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


def _reset_uses(module: Any) -> None:
    stack, seen = [module], set()
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        if isinstance(m, _Leaf):
            m.uses = 0
        elif isinstance(m, (_Seq, _ModuleList)):
            stack.extend(m.items)
        elif isinstance(m, _Instance):
            stack.extend(v for v in m.attrs.values() if isinstance(v, _MODULES))


def _identity(value: Any) -> Any:
    return value


def _is_plain(value: Any) -> bool:
    """Numbers, text, None, booleans and tuples, lists and dicts of them: values a layer parameter can hold."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (tuple, list)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(k) and _is_plain(v) for k, v in value.items())
    return False


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _set_path(module: Any, path: str) -> None:
    """Name a module (and what it holds) after where it sits: ``layer1.0.conv1``."""
    module.path = path
    if isinstance(module, (_Seq, _ModuleList)):
        names = module.names if isinstance(module, _Seq) else [None] * len(module.items)
        for i, (item, n) in enumerate(zip(module.items, names)):
            _set_path(item, _join(path, n or str(i)))
    elif isinstance(module, _Instance):
        for key, value in module.attrs.items():
            if isinstance(value, _MODULES):
                _set_path(value, _join(path, key))


def _node_name(path: str) -> str | None:
    """A node name from a module path: ``layer1.0.conv1`` -> ``layer1_0_conv1``."""
    if not path:
        return None
    name = path.replace(".", "_")
    return name if len(name) <= 64 and name[:1].isalpha() else None


def _load(target: ast.expr) -> ast.expr:
    """The target of ``x += y`` read as a value."""
    out = ast.parse(ast.unparse(target), mode="eval").body
    return ast.copy_location(out, target)


def _is_main_guard(stmt: ast.If) -> bool:
    return ast.unparse(stmt.test).replace('"', "'") in ("__name__ == '__main__'", "'__main__' == __name__")


def _factory_of(func: ast.FunctionDef) -> str | None:
    """``def ResNet18(): return ResNet(BasicBlock, [2, 2, 2, 2])``: the class such a factory makes."""
    body = [s for s in func.body if not _is_docstring(s)]
    if len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Call):
        call = _stripped_device(body[0].value)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            return call.func.id
    return None


def _required(func: ast.FunctionDef | None) -> list[str]:
    """The parameters of ``func`` without defaults (``self`` left out)."""
    if func is None:
        return []
    params = [a.arg for a in func.args.posonlyargs + func.args.args]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    n = len(params) - len(func.args.defaults)
    required = params[:n]
    required += [a.arg for a, d in zip(func.args.kwonlyargs, func.args.kw_defaults) if d is None]
    return required


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
            return stmt
    return None


def _keyword(call: ast.Call, name: str) -> ast.AST:
    return next((k for k in call.keywords if k.arg == name), call)


def _is_zero_state(value: Any) -> bool:
    if value is None or isinstance(value, _State):
        return True
    return isinstance(value, tuple) and all(v is None or isinstance(v, _State) for v in value)


def _concat_dim(dim: int) -> Callable[[Shape], str | None]:
    """What is wrong with joining along ``dim`` (with the batch first) what arrives, if anything."""

    def check(s: Shape) -> str | None:
        rank = s.rank + 1
        own = 1 if s.rank in (1, 3) else rank - 1  # channels of an image, features of a vector or a sequence
        if dim % rank == own % rank:
            return None
        return (f"joins along dim={dim} of {s.describe()}: the editor's Concat joins along "
                f"{'channels' if s.rank == 3 else 'features'} (dim={own})")

    return check
