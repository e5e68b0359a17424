"""The values the interpreter works with: layers made in ``__init__`` (kept as their arguments), the tensors of
forward (graph nodes), the steps of a VAE's sampling, and values that cannot be known without running the file.

Also the small helpers on these values: quoting code for messages, comparing sizes, naming modules by their path.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

_MISSING = object()


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
class _StateArgument(_Unknown):
    """A parameter of forward that a recurrent layer reads as its starting state (``self.rnn(x, hidden)``): taken
    as zeros, as torch takes ``hidden=None``; of no other use."""

    name: str = ""

    def refuse(self, use: str) -> _Refused:
        return _Refused(self.node, f"forward's `{self.name}` is a recurrent state and cannot be used {use}: a state "
                                   f"passed to forward is read only as the starting state of a recurrent layer, "
                                   f"which the editor's layers take as zeros")


@dataclass(frozen=True)
class _ReturnedState(_Unknown):
    """The state a recurrent layer returns beside its output, when forward was given its starting state: dropped
    from forward's outputs, of no other use."""

    def refuse(self, use: str) -> _Refused:
        return _Refused(self.node, f"the state {_code(self.node)} returns cannot be used {use}: the editor's "
                                   f"recurrent layers give their outputs only, and a returned state is only "
                                   f"dropped from forward's outputs")


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


_BATCH = _Batch()
_MODULES = (_Leaf, _Seq, _ModuleList, _Instance)


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


def _is_zero_state(value: Any) -> bool:
    if value is None or isinstance(value, _State):
        return True
    return isinstance(value, tuple) and all(v is None or isinstance(v, _State) for v in value)


def _is_state_argument(value: Any) -> bool:
    """``hidden`` or ``(h0, c0)``: forward's own parameters, passed on as a recurrent layer's starting state."""
    if isinstance(value, tuple):
        return bool(value) and all(isinstance(v, _StateArgument) for v in value)
    return isinstance(value, _StateArgument)


def _is_returned_state(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return bool(value) and all(_is_returned_state(v) for v in value)
    return isinstance(value, _ReturnedState)
