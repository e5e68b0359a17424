"""The interpreter: statements (assignments, ifs on known values, loops unrolled), expressions, and calls of the
file's own classes, functions and methods. Nothing is run: values the tree does not give stay unknown."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from playground.graph import Shape

from .builder import _Builder, _Layer
from .limits import _CALL_DEPTH, _LOOP_LIMIT, _STEP_LIMIT
from .operations import _Operations
from .options import _ArgumentParser
from .steps import _AfterLoop, _Step, _StepIndex, _StepLoop, _Steps, bound_in, carried_names, holds_step
from .syntax import _call_name, _load, _method, _multiplies
from .values import (
    _MODULES,
    _Batch,
    _ClassRef,
    _code,
    _FuncRef,
    _hashable,
    _Instance,
    _join,
    _Method,
    _ModuleList,
    _Refused,
    _Return,
    _SampleCount,
    _SampleDims,
    _Seq,
    _set_path,
    _Tensor,
    _Torch,
    _Unknown,
)
from .vocabulary import _BUILTINS, _LAYER_CLASSES, HELPERS


class _Interpreter(_Operations):
    """Runs the file's statements and expressions over the interpreter's values, in the reader's own steps."""

    def call(self, func: Any, args: list[Any], kwargs: dict[str, Any], node: ast.AST,
             builder: _Builder | None = None) -> Any:
        """Call one of the file's classes (making an instance) or functions (running its body here)."""
        if isinstance(func, _ClassRef):
            cls = func.cls
            if not self._is_module(cls):
                raise _Refused(node, _not_a_module(cls))
            instance = _Instance(cls, {}, node)
            init = self._m(cls, "__init__")
            if init is None:
                raise _Refused(cls, f"class {cls.name} needs __init__ to be opened")
            self.call(_FuncRef(init, instance), args, kwargs, node)
            return instance
        if not isinstance(func, _FuncRef):
            raise _Refused(node, f"{_code(node)} cannot be called here")
        if self.depth >= _CALL_DEPTH:
            raise _Refused(node, f"calls nest more than {_CALL_DEPTH} levels deep")
        env = self._arguments(func, args, kwargs, node)
        self.depth += 1
        try:
            self.block(func.func.body, env, builder)
        except _Return as r:
            return r.value
        finally:
            self.depth -= 1
        return None

    def _arguments(self, func: _FuncRef, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> dict[str, Any]:
        """The function's scope: the module's names and its parameters bound as Python binds them."""
        f = func.func
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
        return env

    def block(self, body: list[ast.stmt], env: dict[str, Any], builder: _Builder | None) -> None:
        for stmt in body:
            self.statement(stmt, env, builder)

    def statement(self, stmt: ast.stmt, env: dict[str, Any], builder: _Builder | None) -> None:
        if isinstance(stmt, (ast.Pass, ast.Assert, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)):
            return
        if isinstance(stmt, ast.Expr):
            # A docstring, or a call made for its effect on values (initialising weights, printing), is skipped.
            if not isinstance(stmt.value, ast.Constant) and not (isinstance(stmt.value, ast.Call)
                                                                and self._ignorable(stmt.value, env)):
                self.evaluate(stmt.value, env, builder)
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
            if _undecided(test):
                raise _Refused(stmt, f"'if {_code(stmt.test)[1:-1]}' depends on what is known only when the model "
                                     f"runs, so the importer cannot tell which branch builds the network")
            self.block(stmt.body if test else stmt.orelse, env, builder)
            return
        if isinstance(stmt, ast.For):
            self._for(stmt, env, builder)
            return
        raise _Refused(stmt, f"{_code(stmt)} cannot be read without running it ({type(stmt).__name__.lower()} "
                             f"statements are not followed)")

    def _for(self, stmt: ast.For, env: dict[str, Any], builder: _Builder | None) -> None:
        """A loop over a list the file spells out, unrolled."""
        items = self.evaluate(stmt.iter, env, builder)
        if isinstance(items, _Steps):
            self._step_loop(stmt, items, env, builder)
            return
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

    def _step_loop(self, stmt: ast.For, steps: _Steps, env: dict[str, Any], builder: _Builder | None) -> None:
        """``for x_t in x.split(1, dim=1)``: the body is read once with x_t standing for every step; the cells it
        calls become recurrent layers over the whole sequence, when each writes its state back to the names it
        reads it from and nothing else in the loop changes them."""
        if builder is None or stmt.orelse or self.step_loops:
            raise _Refused(stmt, f"'for ... in {_code(stmt.iter)[1:-1]}' loops over time steps where the editor "
                                 f"cannot draw it (only in forward, not nested, without else)")
        first: _Step | _StepIndex
        if steps.how == "split":
            # Split into steps of one, a (batch, steps) tensor is a sequence of one feature per step; the number
            # of steps is the input's (20 when the file does not say it, as for the other recurrent layers).
            layer = _Layer(builder.fresh("reshape"), "Reshape", {"shape": [20, 1]}, stmt.lineno,
                           [steps.tensor.node], resolve=_one_feature_per_step)
            builder.add(layer)
            first = _Step(layer.name, stmt)
        elif steps.how == "unbind":
            first = _Step(steps.tensor.node, stmt)
        else:
            first = _StepIndex(steps.tensor, stmt)
        loop = _StepLoop(stmt)
        self.step_loops.append(loop)
        try:
            self._bind(stmt.target, first, env)
            self.block(stmt.body, env, builder)
        finally:
            self.step_loops.pop()
        writes = {id(s.value): s for s in stmt.body if isinstance(s, ast.Assign)}
        for leaf, call in loop.cells:
            assign = writes.get(id(call))
            names = carried_names(assign) if assign is not None else None
            if names is None or any(len(bound_in(stmt.body, n)) != 1 for n in names):
                raise _Refused(call, f"{_code(call)} must carry its state from one step to the next: write it "
                                     f"back to the names it reads, as in h, c = self.{leaf.path or 'cell'}(x_t, "
                                     f"(h, c)), and change them nowhere else in the loop")
        for name, value in list(env.items()):
            if holds_step(value):
                env[name] = _AfterLoop(name, stmt)
        # A loop that reads no step draws nothing.
        if isinstance(first, _Step) and steps.how == "split" and not builder.consumers(first.node):
            builder.remove(first.node)

    def _ignorable(self, call: ast.Call, env: dict[str, Any]) -> bool:
        """Calls made for their effect on values, not on the layers: weight initialisation, printing."""
        name = _call_name(call.func)
        text = ast.unparse(call.func)
        if name == "__init__" or name == "print" or text.startswith(("nn.init.", "torch.nn.init.", "init.")):
            return True
        return name in ("apply", "_initialize_weights", "init_weights", "_init_weights", "initialize_weights",
                        "weights_init", "_weights_init",
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
        how = _EVALUATORS.get(type(expr))
        return how(self, expr, env, builder) if how is not None else _Unknown(expr)

    def _name(self, expr: ast.Name, env: dict[str, Any], builder: _Builder | None) -> Any:
        if expr.id in env:
            return env[expr.id]
        if expr.id in ("torch", "nn", "F", "math", "init", "functional") or expr.id in _BUILTINS \
                or expr.id in _LAYER_CLASSES or expr.id in HELPERS:
            return _Torch(expr.id)
        if expr.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[expr.id]
        return _Unknown(expr)

    def _sequence(self, expr: ast.Tuple | ast.List, env: dict[str, Any], builder: _Builder | None) -> Any:
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

    def _joined(self, expr: ast.JoinedStr, env: dict[str, Any], builder: _Builder | None) -> Any:
        """f'n_units_l{i}': text from known values (the name of an Optuna suggestion made in a loop)."""
        out = []
        for part in expr.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out.append(part.value)
                continue
            if not isinstance(part, ast.FormattedValue) or part.conversion != -1 or part.format_spec is not None:
                return _Unknown(expr)
            value = self.evaluate(part.value, env, builder)
            if not isinstance(value, (int, str)):
                return _Unknown(expr)
            out.append(str(value))
        return "".join(out)

    def _dict(self, expr: ast.Dict, env: dict[str, Any], builder: _Builder | None) -> Any:
        out: dict[Any, Any] = {}
        for k, v in zip(expr.keys, expr.values):
            if k is None:
                return _Unknown(expr)
            key = self.evaluate(k, env, builder)
            if not _hashable(key):
                return _Unknown(expr)
            out[key] = self.evaluate(v, env, builder)
        return out

    def _unary(self, expr: ast.UnaryOp, env: dict[str, Any], builder: _Builder | None) -> Any:
        v = self.evaluate(expr.operand, env, builder)
        if isinstance(expr.op, ast.Not) and not isinstance(v, (_Unknown, _Tensor)):
            return not v
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v if isinstance(expr.op, ast.USub) else (v if isinstance(expr.op, ast.UAdd) else _Unknown(expr))
        return _Unknown(expr)

    def _bool(self, expr: ast.BoolOp, env: dict[str, Any], builder: _Builder | None) -> Any:
        """``a and b``, ``a or b`` as Python reads them, left to right, stopping at the first value that decides.
        A known value decides even after one known only when the model runs: ``x.is_cuda and ngpu > 1`` is false
        whatever the device when ngpu is 1."""
        deciding = isinstance(expr.op, ast.Or)  # the truth that ends the reading
        undecided = False
        value: Any = None
        for e in expr.values:
            value = self.evaluate(e, env, builder)
            if _undecided(value):
                undecided = True
            elif bool(value) is deciding:
                return deciding if undecided else value
        return _Unknown(expr) if undecided else value

    def _if(self, expr: ast.IfExp, env: dict[str, Any], builder: _Builder | None) -> Any:
        test = self.evaluate(expr.test, env, builder)
        if _undecided(test):
            return _Unknown(expr)
        return self.evaluate(expr.body if test else expr.orelse, env, builder)

    def _comprehension(self, expr: ast.ListComp | ast.GeneratorExp, env: dict[str, Any],
                       builder: _Builder | None) -> Any:
        """One ``for`` without conditions, over a list the file spells out (a list either way)."""
        if len(expr.generators) != 1 or expr.generators[0].ifs or expr.generators[0].is_async:
            return _Unknown(expr)
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

    def evaluate_call(self, call: ast.Call, env: dict[str, Any], builder: _Builder | None) -> Any:
        func = self.evaluate(call.func, env, builder)
        if isinstance(func, _Unknown) and isinstance(call.func, ast.Attribute) \
                and isinstance(call.func.value, ast.Call) and _call_name(call.func.value.func) == "super":
            self._super_init(call, call.func.attr, env, builder)
            return None
        args, kwargs = self._arguments_of(call, env, builder)
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
        if isinstance(func, _Unknown) and _call_name(call.func) == "ArgumentParser":
            return _ArgumentParser(given=self.given)
        return _Unknown(call)

    def _super_init(self, call: ast.Call, attr: str, env: dict[str, Any], builder: _Builder | None) -> None:
        """super().__init__(...): a base class of the file may make layers of its own."""
        me = env.get("self")
        if attr == "__init__" and isinstance(me, _Instance):
            for base in self._bases(me.cls)[1:]:
                init = _method(base, "__init__")
                if init is not None:
                    base_args = [self.evaluate(a, env, builder) for a in call.args]
                    base_kwargs = {k.arg: self.evaluate(k.value, env, builder) for k in call.keywords if k.arg}
                    self.call(_FuncRef(init, me), base_args, base_kwargs, call)
                    break

    def _arguments_of(self, call: ast.Call, env: dict[str, Any], builder: _Builder | None
                      ) -> tuple[list[Any], dict[str, Any]]:
        """The call's arguments, ``*args`` and ``**kwargs`` unpacked when the file spells out what they hold."""
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
        return args, kwargs


def _not_a_module(cls: ast.ClassDef) -> str:
    """Why a class of the file cannot be opened as a network: it is no module, or it changes one of torch's layers."""
    layer = next((ast.unparse(b) for b in cls.bases if _call_name(b) in _LAYER_CLASSES), None)
    if layer is None:
        return f"class {cls.name} is not an nn.Module"
    if _method(cls, "forward") is not None:
        return f"class {cls.name} derives from {layer} with a forward of its own: the editor's layers compute only " \
               f"what torch's do"
    return f"class {cls.name} derives from {layer}: the editor draws torch's own layers, not classes derived from them"


def _undecided(test: Any) -> bool:
    """A value whose truth is known only when the model runs: a tensor, its batch, a property of it (x.is_cuda)."""
    return isinstance(test, (_Unknown, _Tensor, _Batch, _Method, _Step, _StepIndex, _AfterLoop))


# How each kind of expression is read; any other kind is unknown without running the file.
_EVALUATORS: dict[type[ast.AST], Callable[[_Interpreter, Any, dict[str, Any], _Builder | None], Any]] = {
    ast.Constant: lambda self, expr, env, builder: expr.value,
    ast.Name: _Interpreter._name,
    ast.Tuple: _Interpreter._sequence,
    ast.List: _Interpreter._sequence,
    ast.Dict: _Interpreter._dict,
    ast.JoinedStr: _Interpreter._joined,
    ast.Attribute: lambda self, expr, env, builder: self.attribute(self.evaluate(expr.value, env, builder), expr,
                                                                   builder),
    ast.Subscript: lambda self, expr, env, builder: self.subscript(expr, env, builder),
    ast.UnaryOp: _Interpreter._unary,
    ast.BinOp: lambda self, expr, env, builder: self.binary(expr.op, self.evaluate(expr.left, env, builder),
                                                            self.evaluate(expr.right, env, builder), expr, builder),
    ast.BoolOp: _Interpreter._bool,
    ast.Compare: lambda self, expr, env, builder: self.compare(expr, env, builder),
    ast.IfExp: _Interpreter._if,
    ast.Call: lambda self, expr, env, builder: self.evaluate_call(expr, env, builder),
    ast.ListComp: _Interpreter._comprehension,
    ast.GeneratorExp: _Interpreter._comprehension,
}


def _one_feature_per_step(s: Shape) -> dict[str, Any] | str:
    """The sequence a (batch, steps) tensor split into steps of one is: one feature per step."""
    if s.rank != 1:
        return (f"splits {s.describe()} into time steps along dim=1, which the editor reads only from a (batch, "
                f"steps) tensor")
    return {"shape": [s.dims[0], 1]}
