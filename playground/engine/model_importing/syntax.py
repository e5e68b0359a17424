"""Small questions about the syntax tree: the name a call uses, what a factory function makes, the parameters a
function needs, a main guard, a model moved to a device."""

from __future__ import annotations

import ast
from typing import Any


def _stripped_device(expr: ast.expr) -> ast.expr:
    """``Net().to(device)``, ``Net().cuda()``, ``Net().float()``: the model without the move."""
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) \
            and expr.func.attr in ("to", "cuda", "cpu", "float", "double", "train", "eval", "half"):
        expr = expr.func.value
    return expr


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _is_module_class(cls: ast.ClassDef) -> bool:
    return any(_call_name(b) == "Module" for b in cls.bases)


def _load(target: ast.expr) -> ast.expr:
    """The target of ``x += y`` read as a value."""
    out = ast.parse(ast.unparse(target), mode="eval").body
    return ast.copy_location(out, target)


def _is_main_guard(stmt: ast.If) -> bool:
    return ast.unparse(stmt.test).replace('"', "'") in ("__name__ == '__main__'", "'__main__' == __name__")


def _factory_of(func: ast.FunctionDef) -> str | None:
    """``def ResNet18(): return ResNet(BasicBlock, [2, 2, 2, 2])``: the class such a factory makes; its settings may
    be assigned first (``cfg = {'widths': [24, 56]}; return RegNet(cfg)``)."""
    body = [s for s in func.body if not _is_docstring(s)]
    settings = all(isinstance(s, (ast.Assign, ast.AnnAssign)) for s in body[:-1])
    if body and settings and isinstance(body[-1], ast.Return) and isinstance(body[-1].value, ast.Call):
        call = _stripped_device(body[-1].value)
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


def _multiplies(loop: ast.For, env: dict[str, Any]) -> bool:
    """``for s in dims: n *= s`` with n == 1 before it."""
    body = loop.body
    return (len(body) == 1 and isinstance(body[0], ast.AugAssign) and isinstance(body[0].op, ast.Mult)
            and isinstance(body[0].target, ast.Name) and env.get(body[0].target.id) == 1
            and isinstance(loop.target, ast.Name) and isinstance(body[0].value, ast.Name)
            and body[0].value.id == loop.target.id and not loop.orelse)


def _network_name(class_name: str) -> str:
    """``ResidualNet`` -> ``residual_net``, ``VGG`` -> ``vgg``: a word starts where a capital follows a small letter."""
    out = "".join("_" + c.lower() if c.isupper() and i and class_name[i - 1].islower() else c.lower()
                  for i, c in enumerate(class_name))
    return out or "model"
