"""Which networks a file holds (models made at module level, nn.Module classes, factory functions), each laid out
from its forward or refused with the line, without stopping the others: the import report."""

from __future__ import annotations

import ast
import contextlib
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.compile.kinds import STATEFUL_PATTERNS

from .builder import _Builder
from .given import GivenValues, _Asked, _Trial, is_trial
from .interpreter import _Interpreter, _undecided
from .options import _ArgumentParser, _NotGiven
from .results import ImportedNetwork, ImportReport, ModelImportError
from .source import _parse, _read
from .syntax import (
    _call_name,
    _factory_of,
    _is_main_guard,
    _network_name,
    _required,
    _stripped_device,
)
from .values import (
    _MODULES,
    _ClassRef,
    _code,
    _FuncRef,
    _identity,
    _Instance,
    _is_plain,
    _is_returned_state,
    _Leaf,
    _ModuleList,
    _Refused,
    _reset_uses,
    _Return,
    _Seq,
    _StateArgument,
    _Tensor,
    _Unknown,
)
from .vocabulary import _LAYER_CLASSES, _PARAMETER_FREE, _SIGNATURES

_Candidate = tuple[str, str, Callable[[], Any], ast.AST]  # network name, how the file makes it, make, where


@dataclass(frozen=True)
class _Branched(_Unknown):
    """A name a module-level branch assigns when which branch runs is known only when the script runs."""

    name: str = ""
    given: GivenValues | None = field(default=None, compare=False, hash=False)
    reads: tuple[tuple[str, str], ...] = ()  # what the test reads that may be given: (name, why)

    def refuse(self, use: str) -> _Refused:
        if self.given is not None:
            for name, why in self.reads or ((self.name, f"set under 'if {ast.unparse(self.node)}'"),):
                self.given.ask(name, why)
        return _Refused(self.node, f"{self.name!r} is set under 'if {ast.unparse(self.node)}', which is known only "
                                   f"when the script runs, so it cannot be used {use}: write the value out (or give "
                                   f"what the branch reads a default)")


def _assigned_names(body: list[ast.stmt]) -> set[str]:
    """The names a block binds, in nested blocks too (``opt.seed = 1`` changes opt's attribute, not the name)."""
    names: set[str] = set()

    def bound(target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                bound(t)
        elif isinstance(target, ast.Starred):
            bound(target.value)

    for n in (n for stmt in body for n in ast.walk(stmt)):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                bound(t)
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign, ast.For)):
            bound(n.target)
    return names

class _Reader(_Interpreter):
    """Interprets the file's syntax tree: module constants, the model classes' __init__ (which layers exist) and
    their forward (how data flows). Nothing is run: values the tree does not give are _Unknown and refused where
    a layer needs them."""

    def __init__(self, filename: str, tree: ast.Module, given: GivenValues | None = None) -> None:
        super().__init__(filename, tree, given)
        self.module_values: dict[str, tuple[Any, ast.expr]] = {}
        self.asked_instead: dict[str, Callable[[str], str]] = {}
        self.module_refused: dict[str, _Refused] = {}
        for stmt in tree.body:
            self._module_statement(stmt)
        inputs = self.constants.get("INPUTS")
        outputs = self.constants.get("OUTPUTS")
        self.inputs: dict[str, dict[str, Any]] = inputs if isinstance(inputs, dict) else {}
        self.heads: dict[str, str] = outputs if isinstance(outputs, dict) else {}

    def _module_statement(self, stmt: ast.stmt) -> None:
        """Module-level assignments: constants (and tuples of them) and models made at module level."""
        if isinstance(stmt, ast.If) and _is_main_guard(stmt):
            for inner in stmt.body:
                self._module_statement(inner)
            return
        if isinstance(stmt, ast.If):
            self._module_if(stmt)
            return
        if isinstance(stmt, ast.Try):
            # The script as it runs when nothing fails: the try block, its else and its finally.
            for inner in (*stmt.body, *stmt.orelse, *stmt.finalbody):
                self._module_statement(inner)
            return
        if isinstance(stmt, ast.Expr) and self._configures_options(stmt.value):
            with contextlib.suppress(_Refused):
                self.evaluate(stmt.value, self.env, None)
            return
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            self._module_assignment(stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target], stmt.value)

    def _module_if(self, stmt: ast.If) -> None:
        """A module-level branch: followed when its test is known (a constant, an option's default); otherwise
        what either side assigns is known only when the script runs, whatever it was before."""
        try:
            test = self.evaluate(stmt.test, dict(self.env), None)
        except _Refused:
            test = _Unknown(stmt.test)
        if not _undecided(test):
            for inner in stmt.body if test else stmt.orelse:
                self._module_statement(inner)
            return
        for name in _assigned_names([*stmt.body, *stmt.orelse]):
            self.constants.pop(name, None)
            self.module_values.pop(name, None)
            if name in self.given.values:
                self.env[name] = self.constants[name] = self.given.get(name)
            else:
                self.env[name] = _Branched(stmt.test, name, self.given, self._askable(stmt.test))

    def _askable(self, test: ast.expr) -> tuple[tuple[str, str], ...]:
        """The values a branch's test reads that the person importing may give: options without a default, names
        set when the script runs."""
        found: dict[str, str] = {}
        for node in ast.walk(test):
            if not isinstance(node, (ast.Name, ast.Attribute)):
                continue
            try:
                value = self.evaluate(node, dict(self.env), None)
            except _Refused:
                continue
            if isinstance(value, _NotGiven):
                found[value.dest] = f"the script's option {value.option}"
            elif isinstance(value, _Asked):
                found[value.name] = value.why
        return tuple(found.items())

    def _module_assignment(self, targets: list[ast.expr], expr: ast.expr) -> None:
        """A constant (or a tuple of them) or a model made at module level."""
        value_expr = _stripped_device(expr)
        named = targets[0].id if len(targets) == 1 and isinstance(targets[0], ast.Name) else None
        try:
            value = self.evaluate(value_expr, dict(self.env), None)
        except _Refused as e:
            if named is not None and named in self.given.values:
                self.env[named] = self.constants[named] = self.given.get(named)
                return
            called = _call_name(value_expr.func) if isinstance(value_expr, ast.Call) else ""
            if called in _LAYER_CLASSES or called in self.classes or called in self.functions:
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.module_refused[target.id] = e
            return
        except _Return:
            value = _Unknown(expr)
        if named is not None and (_is_plain(value) or isinstance(value, _Unknown)):
            # A name the script sets from what it has only when it runs (an environment, a dataset): the person
            # importing may give it; a value given for a constant of the file replaces it, as asked.
            if named in self.given.values:
                value = self.given.get(named)
            elif type(value) is _Unknown:
                value = _Asked(value.node, named, f"set at line {expr.lineno} from {_code(expr)}", self.given)
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

    def _configures_options(self, expr: ast.expr) -> bool:
        """``parser.add_argument(...)`` at module level: the script's options, whose defaults may size layers."""
        return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) \
            and isinstance(expr.func.value, ast.Name) \
            and isinstance(self.env.get(expr.func.value.id), _ArgumentParser)

    def report(self) -> ImportReport:
        """Every network of the file, and for each one that cannot be opened, why."""
        report = ImportReport(assumed=self.given.assumed, asks=self.given.asks)
        candidates: list[_Candidate] = []
        made_classes: set[str] = set()
        for var, (value, expr) in self.module_values.items():
            if isinstance(value, _Leaf) and value.kind not in _SIGNATURES:
                continue  # a loss (nn.MSELoss()) or another object that is not a network
            candidates.append((var, ast.unparse(expr), functools.partial(_identity, value), expr))
            if isinstance(value, _Instance):
                made_classes.add(value.cls.name)
        used = self._blocks()
        factories = self._factories()
        for name, cls in self.classes.items():
            if self._is_module(cls) and name not in made_classes and name not in used:
                self._class_candidates(name, cls, factories.get(name, []), candidates, report)
        for var, refusal in self.module_refused.items():
            if var not in self.module_values:
                report.refused.append((var, self.fail(refusal.node, refusal.text).message))
        self._function_networks(candidates, report)
        names = [c[0] for c in candidates]
        for i, (name, origin, make, where) in enumerate(candidates):
            if names.count(name) > 1:
                name = f"{name}_{i + 1}"
            net = self._open(name, origin, make, where, report)
            if net is not None:
                report.networks.append(net)
        report.given = {name: self.given.values[name] for name in self.given.values if name in self.given.used}
        return report

    def _function_networks(self, candidates: list[_Candidate], report: ImportReport) -> None:
        """``def get_model(): ...; return nn.Sequential(*layers)``: a function of the file that builds a network
        without a class of its own. One that needs arguments (an Optuna trial) is named with them when the file
        holds nothing else, so the report says why nothing opened."""
        in_classes = {n.id for c in self.classes.values() for n in ast.walk(c) if isinstance(n, ast.Name)}
        for func in self.functions.values():
            last = func.body[-1]
            made = _stripped_device(last.value) if isinstance(last, ast.Return) and last.value is not None else None
            if func.name in in_classes or not isinstance(made, ast.Call) or _call_name(made.func) != "Sequential" \
                    or any(origin.startswith(f"{func.name}(") for _n, origin, _m, _w in candidates):
                continue
            missing = _required(func)
            why = self.fail(func, f"{func.name}() builds an nn.Sequential from the arguments {', '.join(missing)}, "
                                  f"and the file never calls it with values written out").message
            if not missing:
                candidates.append((func.name.lower(), f"{func.name}()",
                                   functools.partial(self.call, _FuncRef(func), [], {}, func), func))
            elif not candidates and not report.refused:
                self._given_candidate(func.name.lower(), func.name, func, _FuncRef(func), why, candidates, report)

    def _blocks(self) -> set[str]:
        """A class another class (or a helper function of the file) builds is a block of a network, not a network."""
        used: set[str] = set()
        scopes: list[ast.ClassDef | ast.FunctionDef] = [*self.classes.values(), *self.functions.values()]
        for c in scopes:
            if isinstance(c, ast.ClassDef) and not self._is_module(c):
                continue  # an agent or a trainer class holding networks (a DQN's eval and target nets)
            made_by = _factory_of(c) if isinstance(c, ast.FunctionDef) else None
            if isinstance(c, ast.FunctionDef) and made_by is None:
                continue  # main(), train(): they make models, they are not part of one
            for n in ast.walk(c):
                if isinstance(n, ast.Name) and n.id in self.classes and n.id not in (c.name, made_by):
                    used.add(n.id)
        return used

    def _factories(self) -> dict[str, list[ast.FunctionDef]]:
        """Class name -> the functions of the file that make one without arguments."""
        factories: dict[str, list[ast.FunctionDef]] = {}
        for func in self.functions.values():
            made = _factory_of(func)
            if made in self.classes and not _required(func):
                factories.setdefault(made, []).append(func)
        return factories

    def _class_candidates(self, name: str, cls: ast.ClassDef, factories: list[ast.FunctionDef],
                          candidates: list[_Candidate], report: ImportReport) -> None:
        """How a network class of the file is made: by its factories, without arguments, or as the file makes it."""
        if factories:
            for func in factories:
                candidates.append((func.name.lower(), f"{func.name}()",
                                   functools.partial(self.call, _FuncRef(func), [], {}, func), func))
            return
        init = self._m(cls, "__init__")
        missing = _required(init) if init is not None else []
        if not missing:
            candidates.append((_network_name(name), f"{name}()",
                               functools.partial(self.call, _ClassRef(cls), [], {}, cls), cls))
            return
        call = self._instantiation(name)
        if call is None and init is not None:
            why = self.fail(cls, f"class {name} needs the arguments {', '.join(missing)}, and the file never makes "
                                 f"one with values written out (as in {name}({', '.join(missing)}) with "
                                 f"constants)").message
            self._given_candidate(_network_name(name), name, init, _ClassRef(cls), why, candidates, report)
            return
        if call is None:
            return
        candidates.append((_network_name(name), ast.unparse(call),
                           functools.partial(self.evaluate, call, dict(self.env), None), call))

    def _given_candidate(self, net_name: str, name: str, func: ast.FunctionDef, ref: _ClassRef | _FuncRef,
                         why: str, candidates: list[_Candidate], report: ImportReport) -> None:
        """A class or function the file makes only with values it has when it runs: made with the values given
        by name (an Optuna trial answering with them), else refused with ``why`` and its arguments asked for."""
        args = {a.arg: a for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}
        missing = _required(func)
        absent = [p for p in missing if p not in self.given.values and not is_trial(args[p])]
        if absent:
            for p in absent:
                self.given.ask(p, f"an argument of {name}")
            report.refused.append((net_name, why))
            return
        kwargs: dict[str, Any] = {p: self.given.get(p) if p in self.given.values else _Trial(func, self.given)
                                  for p in missing}
        shown = ", ".join(f"{p}={p}" if isinstance(v, _Trial) else f"{p}={v!r}" for p, v in kwargs.items())
        asked = [0]

        def make() -> Any:
            asked[0] = len(self.given.asks)
            return self.call(ref, [], dict(kwargs), func)

        def refused(text: str) -> str:
            # A trial's suggestion not given: say what the file needs, as for any argument it never gives.
            return why if len(self.given.asks) > asked[0] else text

        candidates.append((net_name, f"{name}({shown})", make, func))
        self.asked_instead[net_name] = refused

    def _open(self, name: str, origin: str, make: Callable[[], Any], where: ast.AST,
              report: ImportReport) -> ImportedNetwork | None:
        """The network ``make`` builds, drawn; None, with the reason in the report, when it cannot be."""
        try:
            value = make()
            _reset_uses(value)  # a module of the file may belong to several networks (G, D and nn.Sequential(G, D))
            builder = _Builder(self)
            self._network(value, builder, where)
            net = ImportedNetwork(name, builder.build(), origin, states=builder.states,
                                  dropped_outputs=builder.dropped_outputs)
            net.parts = self._parts(value, origin)
        except _Refused as e:
            report.refused.append((name, self._why(name, self.fail(e.node, e.text).message)))
            return None
        except ModelImportError as e:
            report.refused.append((name, self._why(name, e.message)))
            return None
        except RecursionError:
            report.refused.append((name, self.fail(where, "the model nests its calls too deeply to be read").message))
            return None
        return net

    def _why(self, name: str, text: str) -> str:
        instead = self.asked_instead.get(name)
        return instead(text) if instead is not None else text

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
            builder.states = _state_parameters(forward, model, params[1:])
            arguments = dict(zip(params, forward.args.args[1:]))
            inputs = [_StateArgument(arguments[p], p) if p in builder.states
                      else _Tensor(builder.add_input(p, self.inputs.get(p), forward.lineno)) for p in required]
            result = self.call(_FuncRef(forward, model), inputs, {}, forward, builder)
            parts = list(result) if isinstance(result, (tuple, list)) else [result]  # return [mu, logvar] too
            if builder.states:
                builder.dropped_outputs = [i for i, part in enumerate(parts) if _is_returned_state(part)]
                parts = [part for i, part in enumerate(parts) if i not in builder.dropped_outputs]
                if not parts:
                    raise _Refused(forward, "forward returns only recurrent states: the network has no output")
            self._outputs(parts, builder, forward.lineno, forward)
        else:
            raise _Refused(where, f"{_code(where)} is not a model")
        self._check_all_used(model)

    def _outputs(self, parts: list[Any], builder: _Builder, line: int, where: ast.AST) -> None:
        heads = list(self.heads)
        for i, part in enumerate(parts):
            if isinstance(part, _StateArgument):
                raise part.refuse("as an output of forward")
            if not isinstance(part, _Tensor):
                raise _Refused(where, "forward must return the network's outputs (a tensor, or a tuple or "
                                      "list of tensors)")
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


def _state_parameters(forward: ast.FunctionDef, model: _Instance, names: list[str]) -> list[str]:
    """Forward's parameters passed as the starting state of one of the model's recurrent layers:
    ``self.rnn(x, hidden)``, ``self.lstm(x, (h0, c0))``."""
    found: list[str] = []
    for node in ast.walk(forward):
        if not (isinstance(node, ast.Call) and len(node.args) == 2 and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"):
            continue
        layer = model.attrs.get(node.func.attr)
        if not (isinstance(layer, _Leaf) and layer.kind in STATEFUL_PATTERNS):
            continue
        state = node.args[1]
        for n in state.elts if isinstance(state, ast.Tuple) else [state]:
            if isinstance(n, ast.Name) and n.id in names and n.id not in found:
                found.append(n.id)
    return found


def import_file(path: str | Path, given: Mapping[str, Any] | None = None) -> list[ImportedNetwork]:
    """The networks of a Python file (parsed, never run)."""
    p = Path(path)
    return import_source(_read(p), p.name, given)


def import_source(text: str, filename: str = "model.py",
                  given: Mapping[str, Any] | None = None) -> list[ImportedNetwork]:
    """The networks of Python source that can be opened; raises when none can, with the first reason."""
    report = import_report(text, filename, given)
    if not report.networks:
        raise _nothing_opened(report, filename)
    return report.networks


def _nothing_opened(report: ImportReport, filename: str) -> ModelImportError:
    """The error for a file none of whose networks opens: the first network's reason, or what to write."""
    if report.refused:
        hint = GivenValues(asks=report.asks).hint()
        return ModelImportError(report.refused[0][1] + (f"; {hint}" if hint else ""))
    return ModelImportError(f"{filename} holds no model the editor can open: write an nn.Sequential "
                            f"(model = nn.Sequential(...)) or an nn.Module class with __init__ and forward")


def import_report(text: str, filename: str = "model.py", given: Mapping[str, Any] | None = None) -> ImportReport:
    """Every network of Python source: those that open, and for each one that cannot, its name and why.

    One network that cannot be opened does not stop the others of the same file. ``given``: values by name for
    what the file knows only when it runs (its options, names it sets from data, arguments it never gives, an
    Optuna trial's suggestions); the report says which it used, which defaults it assumed and what it asks for.
    """
    tree = _parse(text, filename)
    return _Reader(filename, tree, GivenValues(dict(given or {}))).report()
