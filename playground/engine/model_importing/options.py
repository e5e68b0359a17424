"""Command-line options of a training script (argparse), read without running it.

A script's sizes often come from its options (``parser.add_argument('--nz', type=int, default=100)`` and then
``nz = int(opt.nz)``). What the script does when it is run without options is what its author wrote as the default,
so an option with ``default=...`` (or a flag, which defaults to off) reads as that value. A required option, or one
without a default, is given only when the script runs: it stays unknown and is refused where a layer needs it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from .given import GivenValues
from .values import _code, _Refused, _Unknown

_FLAGS = {"store_true": False, "store_false": True}
_CONVERSIONS: dict[str, type] = {"int": int, "float": float, "str": str}


@dataclass(frozen=True)
class _NotGiven(_Unknown):
    """An option the script's author left to the person who runs it (required, or without a default)."""

    option: str = ""
    required: bool = False
    dest: str = ""
    given: GivenValues | None = field(default=None, compare=False, hash=False)

    def refuse(self, use: str) -> _Refused:
        if self.given is not None:
            self.given.ask(self.dest, f"the script's option {self.option}")
        why = "a required command-line option" if self.required else "a command-line option without a default"
        return _Refused(self.node, f"{_code(self.node)} is {why} ({self.option}), known only when the script "
                                   f"runs, so it cannot be used {use}: write the value out (or give the option "
                                   f"a default)")


@dataclass
class _Option:
    flag: str  # as the script's user types it: --batch-size
    default: Any = None
    given: bool = False  # the file writes a default (or the option is a flag)
    required: bool = False


@dataclass(eq=False)
class _ArgumentParser:
    """``argparse.ArgumentParser()`` and the options added to it so far, by the name the script reads them by."""

    options: dict[str, _Option] = field(default_factory=dict)
    given: GivenValues = field(default_factory=GivenValues)


@dataclass(eq=False)
class _Options:
    """``parser.parse_args()``: the options as the script sees them when it is run without any."""

    parser: _ArgumentParser

    def get(self, expr: ast.Attribute) -> Any:
        option = self.parser.options.get(expr.attr)
        if option is None:
            return _Unknown(expr)
        given = self.parser.given
        if expr.attr in given.values:
            return given.get(expr.attr)
        if not option.given:
            return _NotGiven(expr, option.flag, option.required, expr.attr, given)
        # Said in the report, so the person importing can confirm the default or give another value.
        given.assumed.setdefault(expr.attr, f"{option.default!r} (the default of {option.flag})")
        return option.default


def parser_method(parser: _ArgumentParser, name: str, args: list[Any], kwargs: dict[str, Any],
                  call: ast.Call) -> Any:
    """What a parser's method gives: options are recorded, ``parse_args()`` reads them, groups add to the parser."""
    if name == "add_argument":
        _add_argument(parser, args, kwargs, call)
        return None
    if name in ("parse_args", "parse_known_args"):
        if args and not (len(args) == 1 and args[0] is None):
            return _Unknown(call)  # parse_args(['--nz', '10']): options given in the file, not followed
        options = _Options(parser)
        return options if name == "parse_args" else (options, [])
    if name in ("add_argument_group", "add_mutually_exclusive_group"):
        return parser  # a group's options land in the same namespace
    if name == "set_defaults":
        for dest, value in kwargs.items():
            option = parser.options.setdefault(dest, _Option(f"--{dest}"))
            option.default, option.given = value, not isinstance(value, _Unknown)
        return None
    return _Unknown(call)


def _add_argument(parser: _ArgumentParser, args: list[Any], kwargs: dict[str, Any], call: ast.Call) -> None:
    names = [a for a in args if isinstance(a, str)]
    if len(names) != len(args) or not names:
        return
    long = next((n for n in names if n.startswith("--")), names[0])
    dest = kwargs.get("dest")
    if not isinstance(dest, str):
        dest = long.lstrip("-").replace("-", "_")
    action = kwargs.get("action")
    # A positional is given on every run unless it may be left out (nargs='?' or '*').
    required = kwargs.get("required") is True or (not long.startswith("-") and kwargs.get("nargs") not in ("?", "*"))
    if required:
        parser.options[dest] = _Option(long, required=True)
    elif "default" in kwargs:
        default = _converted(kwargs["default"], call)
        parser.options[dest] = _Option(long, default, not isinstance(default, _Unknown))
    elif isinstance(action, str) and action in _FLAGS:
        parser.options[dest] = _Option(long, _FLAGS[action], True)
    else:
        parser.options[dest] = _Option(long)


def _converted(default: Any, call: ast.Call) -> Any:
    """argparse applies ``type`` to a default written as a string (``default='64'`` with ``type=int``)."""
    type_kw = next((k.value for k in call.keywords if k.arg == "type"), None)
    convert = _CONVERSIONS.get(type_kw.id) if isinstance(type_kw, ast.Name) else None
    if isinstance(default, str) and convert is not None:
        try:
            return convert(default)
        except ValueError:
            return _Unknown(call)
    return default
