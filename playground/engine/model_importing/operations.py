"""What the file's operators, comparisons, indexing, attributes, builtins and torch names do to the interpreter's
values: numbers and lists as Python would, tensors as layers (a + b as an Add), unknowns passed on."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

from .builder import _Builder
from .forward import _Forward
from .given import _Trial
from .limits import _ITEM_LIMIT, _LOOP_LIMIT
from .options import _ArgumentParser, _Options, parser_method
from .steps import _Step, _StepCount, _Steps, step_subscript
from .values import (
    _BATCH,
    _MODULES,
    _Batch,
    _ClassRef,
    _code,
    _FuncRef,
    _hashable,
    _Instance,
    _is_plain,
    _Leaf,
    _Made,
    _Method,
    _ModuleList,
    _Refused,
    _SampleCount,
    _SampleDims,
    _Seq,
    _ShapeOf,
    _State,
    _Tensor,
    _Torch,
    _Unknown,
)
from .vocabulary import _BUILTINS, _LAYER_CLASSES, _MAKERS, _PLAIN_BUILTINS, HELPERS


class _Operations(_Forward):
    """Operators, comparisons, subscripts, attributes, builtins, torch's names and the methods of values."""

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
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)):
            result = _arithmetic(op, a, b, node)
            if result is not None:
                return result
        joined = isinstance(op, ast.Add) and isinstance(a, (list, tuple)) and type(a) is type(b)
        repeated = isinstance(op, ast.Mult) and isinstance(a, (list, tuple)) and isinstance(b, int) \
            and not isinstance(b, bool) and b >= 0
        if joined or repeated:
            size = len(a) + len(b) if joined else len(a) * b
            if size > _ITEM_LIMIT:
                raise _Refused(node, f"{_code(node)} builds a list of {size:,} entries: the importer reads lists "
                                     f"of at most {_ITEM_LIMIT:,}")
            return a + b if joined else a * b
        return _Unknown(node)

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
            step = self._step_subscript(owner, expr, env, builder)
            return step if step is not None else self._tensor_subscript(owner, expr, builder)
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
            return self._class_attribute(owner.cls, expr)
        if isinstance(owner, _ClassRef):
            return self._class_attribute(owner.cls, expr)
        if isinstance(owner, _Torch):
            return _Torch(f"{owner.path}.{name}")
        if isinstance(owner, _Tensor):
            if name == "shape":
                return _ShapeOf(owner)
            return _Method(owner, name)
        if isinstance(owner, _Made):
            return owner.dims if name == "shape" else _Method(owner, name)
        if isinstance(owner, (_Seq, _ModuleList, _Leaf, _State, list, dict, _ArgumentParser)):
            return _Method(owner, name)
        if isinstance(owner, _Options):
            return owner.get(expr)
        if isinstance(owner, (_Trial, str)):
            return _Method(owner, name)
        return _Unknown(expr)

    def _class_attribute(self, cls: ast.ClassDef, expr: ast.Attribute) -> Any:
        """A class attribute of ``cls`` or a class of the file it derives from (``expansion = 4``), else unknown."""
        for stmt in (st for c in self._bases(cls) for st in c.body):
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == expr.attr
                                                    for t in stmt.targets):
                return self.evaluate(stmt.value, dict(self.env), None)
        return _Unknown(expr)

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
                try:
                    return getattr(math, name)(*args)
                except (ValueError, TypeError):
                    return _Unknown(call)
            return _Unknown(call)
        if space in ("collections",) and name == "OrderedDict":
            return self.builtin("OrderedDict", args, kwargs, call)
        if builder is not None and space in ("F", "torch", "torch.nn.functional", "nn.functional", "functional"):
            return self.function(name, args, kwargs, call, builder)
        if builder is None and space == "torch" and name in _MAKERS:
            sizes = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            if sizes and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in sizes):
                return _Made(tuple(sizes))
            return _Unknown(call)
        return _Unknown(call)

    def _step_subscript(self, owner: _Tensor, expr: ast.Subscript, env: dict[str, Any],
                        builder: _Builder | None) -> _Step | None:
        """``x[:, t]`` inside a loop over ``range(x.size(1))``: that time step of x."""
        parts = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else []
        if not self.step_loops or not parts or not all(isinstance(p, (ast.Name, ast.Slice)) for p in parts):
            return None
        key = [self.evaluate(p, env, builder) if isinstance(p, ast.Name) else _whole(p) for p in parts]
        step = step_subscript(key, owner)
        if isinstance(step, str):
            raise _Refused(expr, f"{_code(expr)} {step}")
        return step

    def builtin(self, name: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call) -> Any:
        if name in ("print", "super"):
            return None
        if name == "range" and len(args) == 1 and isinstance(args[0], _StepCount):
            return _Steps(args[0].tensor, call, "range")
        if any(isinstance(a, _Unknown) for a in args):
            return _Unknown(call)
        try:
            if name == "range":
                return _range(args, call)
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
                return _isinstance(args, call)
            if name == "hasattr":
                owner, attr = args
                if isinstance(owner, _Instance) and isinstance(attr, str):
                    return attr in owner.attrs or self._m(owner.cls, attr) is not None
        except (TypeError, ValueError, IndexError, KeyError, OverflowError):
            return _Unknown(call)
        return _Unknown(call)

    def method(self, m: _Method, args: list[Any], kwargs: dict[str, Any], call: ast.Call,
               builder: _Builder | None) -> Any:
        owner, name = m.owner, m.name
        if isinstance(owner, _State):
            return owner  # torch.zeros(...).to(device): still the default state
        if isinstance(owner, list):
            return _list_method(owner, name, args, call)
        if isinstance(owner, dict):
            if name in ("items", "keys", "values"):
                return list(getattr(owner, name)())
            if name == "get" and args and _hashable(args[0]):
                return owner.get(args[0], args[1] if len(args) > 1 else None)
            return _Unknown(call)
        if isinstance(owner, (_Seq, _ModuleList)):
            return _container_method(owner, name, args, call)
        if isinstance(owner, _Leaf):
            return _Unknown(call)
        if isinstance(owner, _Made):
            return _made_method(owner, name, args, kwargs, call)
        if isinstance(owner, _Tensor) and builder is not None:
            return self.tensor_method(owner, name, args, kwargs, call, builder)
        if isinstance(owner, _ArgumentParser):
            return parser_method(owner, name, args, kwargs, call)
        if isinstance(owner, _Trial):
            return owner.suggest(name, args, call)
        if isinstance(owner, str) and name == "format" and all(_is_plain(v) for v in [*args, *kwargs.values()]):
            # 'n_units_l{}'.format(i): the name of an Optuna suggestion made in a loop
            try:
                return owner.format(*args, **kwargs)
            except (IndexError, KeyError, ValueError):
                return _Unknown(call)
        return _Unknown(call)


_ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b, ast.Div: lambda a, b: a / b,
}


_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: bool(a == b), ast.NotEq: lambda a, b: bool(a != b), ast.Lt: lambda a, b: bool(a < b),
    ast.LtE: lambda a, b: bool(a <= b), ast.Gt: lambda a, b: bool(a > b), ast.GtE: lambda a, b: bool(a >= b),
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


def _arithmetic(op: ast.operator, a: float, b: float, node: ast.AST) -> float | None:
    """``a op b`` of two plain numbers, or None for an operator the importer does not compute."""
    if abs(a) > 1e12 or abs(b) > 1e12:
        raise _Refused(node, f"{_code(node)} works on numbers too large for a layer")
    try:
        if isinstance(op, ast.Pow):
            if abs(b) > 64:
                raise _Refused(node, f"{_code(node)} works on numbers too large for a layer")
            result: float = a ** b
            return result
        fn = _ARITHMETIC.get(type(op))
        if fn is None and isinstance(op, ast.Mod):
            return a % b
        return fn(a, b) if fn is not None else None
    except ZeroDivisionError:
        raise _Refused(node, f"{_code(node)} divides by zero") from None


def _whole(part: ast.expr) -> Any:
    """``:`` as the slice it is; any other slice as its syntax (never equal to a whole one)."""
    if isinstance(part, ast.Slice) and part.lower is None and part.upper is None and part.step is None:
        return slice(None, None, None)
    return part


def _range(args: list[Any], call: ast.Call) -> Any:
    if not all(isinstance(a, int) for a in args):
        return _Unknown(call)
    r = range(*args)
    if len(r) > _LOOP_LIMIT:
        raise _Refused(call, f"{_code(call)} is longer than the {_LOOP_LIMIT} steps the importer unrolls")
    return r


_PLAIN_TYPES = {"int": int, "float": float, "str": str, "list": list, "tuple": tuple, "dict": dict, "bool": bool}


def _isinstance(args: list[Any], call: ast.Call) -> Any:
    """isinstance() against plain Python types; against anything else (nn.Conv2d and the like) not followed."""
    value, kinds = args
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    for k in kinds:
        if not (isinstance(k, _Torch) and k.path in _PLAIN_TYPES):
            return _Unknown(call)
        if isinstance(value, _PLAIN_TYPES[k.path]):
            return True
    return False


def _list_method(owner: list[Any], name: str, args: list[Any], call: ast.Call) -> Any:
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


def _container_method(owner: _Seq | _ModuleList, name: str, args: list[Any], call: ast.Call) -> Any:
    """A layer added to an nn.Sequential or nn.ModuleList; what else it is asked (children()...) is not followed."""
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
    return _Unknown(call)


def _made_method(owner: _Made, name: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call) -> Any:
    """A tensor the file makes (torch.zeros(...)): its size, and the same tensor moved or copied."""
    if name == "size" and not kwargs and not args:
        return owner.dims
    if name == "size" and len(args) == 1 and isinstance(args[0], int) and not isinstance(args[0], bool) \
            and -len(owner.dims) <= args[0] < len(owner.dims):
        return owner.dims[args[0]]
    if name in ("to", "float", "double", "cpu", "cuda", "detach", "clone", "contiguous"):
        return owner
    return _Unknown(call)
