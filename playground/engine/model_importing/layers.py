"""Layers made in ``__init__``: an ``nn.*`` constructor is kept as its arguments (checked when forward uses it),
then translated into a layer of the editor's catalog by that constructor's import pattern, which lives with the
kind's build and code export in :mod:`playground.compile.kinds`."""

from __future__ import annotations

import ast
from typing import Any

from playground.compile.kinds import PATTERNS, PatternError

from .builder import _Builder, _Layer
from .scope import _FileScope
from .syntax import _keyword
from .values import (
    _MODULES,
    _is_plain,
    _Leaf,
    _ModuleList,
    _node_name,
    _Refused,
    _same,
    _Seq,
    _set_path,
    _Unknown,
)
from .vocabulary import _ROUTED, _SIGNATURES, HELPERS, _prefix


class _Layers(_FileScope):
    """nn.Sequential, nn.ModuleList and nn layers made; a layer's arguments translated into the catalog's."""

    def layer(self, kind: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call) -> Any:
        """A torch.nn constructor: a _Leaf holding its arguments (checked when forward uses it)."""
        if kind == "Sequential":
            return self._sequential(args, call)
        if kind == "ModuleList":
            return self._module_list(args, call)
        names_ = _SIGNATURES[kind] if kind in _SIGNATURES else _ROUTED.get(kind)
        if names_ is None:
            return _Leaf(kind, {}, call)
        if len(args) > len(names_):
            raise _Refused(call, f"{kind} takes at most {len(names_)} positional arguments")
        a = dict(zip(names_, args))
        for k, v in kwargs.items():
            if k not in names_:
                raise _Refused(_keyword(call, k), f"{kind} has no argument {k!r}")
            a[k] = v
        return _Leaf(kind, a, call)

    def _sequential(self, args: list[Any], call: ast.Call) -> _Seq:
        """nn.Sequential(a, b), nn.Sequential(OrderedDict(...)) or of named pairs: its layers, named where given."""
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

    def _module_list(self, args: list[Any], call: ast.Call) -> _ModuleList:
        """nn.ModuleList of a list of layers (or of another container's)."""
        if args and isinstance(args[0], _Unknown):
            raise args[0].refuse("as the layers of nn.ModuleList")
        items = list(args[0]) if args else []
        if args and isinstance(args[0], (_Seq, _ModuleList)):
            items = list(args[0].items)
        if not all(isinstance(i, _MODULES) for i in items):
            raise _Refused(call, "nn.ModuleList holds something that is not a layer")
        return _ModuleList(items, call)

    def translate(self, leaf: _Leaf, builder: _Builder) -> _Layer:
        """The editor's layer for a constructor a chain of calls uses, read by the kind's import pattern."""
        call = leaf.call
        kind = leaf.kind
        pattern = PATTERNS.get(kind)
        if pattern is None:
            raise _Refused(call, f"{ast.unparse(call.func)} is not a layer the editor knows (it knows "
                                 f"{', '.join(sorted(k for k in _SIGNATURES if k not in HELPERS))})")
        a: dict[str, Any] = {}
        for pname, value in leaf.args.items():
            if isinstance(value, _Unknown):
                raise value.refuse(f"as the {pname} of {kind}")
            if not _is_plain(value):
                raise _Refused(call, f"the {pname} of {kind} is not a number, text or tuple")
            a[pname] = value
        for pname, fixed in pattern.fixed.items():
            if pname in a and not _same(a[pname], fixed):
                raise _Refused(call, f"{kind} with {pname}={a[pname]!r} cannot be drawn: the editor's layer "
                                     f"always has {pname}={fixed!r}")
        try:
            found = pattern.read(a)
        except PatternError as e:
            raise _Refused(call, str(e)) from None
        except (KeyError, TypeError) as e:
            raise _Refused(call, f"{kind} is missing its argument {e}") from None
        layer = _Layer("", found.kind, found.params, call.lineno, expects=found.expects, size=found.size,
                       image=found.image)
        own = _node_name(leaf.path)
        layer.name = builder.claim(own, own or _prefix(layer.kind))  # a second use of self.pool is pool_1
        return layer
