"""Values the person importing gives by name (``playground import model.py --set nz=100``), and the record of what
the reading assumed or still needs.

A file may size its layers from what exists only when it runs: a required command-line option, a module name set
from a dataset or an environment (``N_STATES = env.observation_space.shape[0]``), an argument of a class the file
never makes itself (``Net(upscale_factor)``, made in another file), an Optuna trial's suggestions
(``trial.suggest_int('n_layers', 1, 3)``). The importer never guesses these: it names them (``asks``), and the
person who knows them gives them, as ``optuna.trial.FixedTrial`` gives a trial fixed parameters. What the file
writes as a default is used, and said (``assumed``), so the person can confirm it or give another value.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from .values import _Refused, _Unknown

# Optuna's suggestions: the first argument names the parameter, the rest say its range.
_SUGGESTIONS = {"suggest_int", "suggest_float", "suggest_uniform", "suggest_loguniform", "suggest_discrete_uniform",
                "suggest_categorical"}


@dataclass
class GivenValues:
    """The values given by name, which of them the reading used, the defaults it assumed and what it asks for."""

    values: dict[str, Any] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    assumed: dict[str, str] = field(default_factory=dict)  # 'opt.nz' -> '100 (the default of --nz)'
    asks: dict[str, str] = field(default_factory=dict)  # 'nz' -> where the file needs it

    def get(self, name: str) -> Any:
        """The value given for ``name``, marked as used; a KeyError when none is."""
        value = self.values[name]
        self.used.add(name)
        return value

    def ask(self, name: str, why: str) -> None:
        if name not in self.values:
            self.asks.setdefault(name, why)

    def hint(self) -> str:
        """What to give for the values asked, as the command line takes them: '' when nothing is asked."""
        if not self.asks:
            return ""
        return "give the values it needs: " + ", ".join(f"--set {name}=VALUE ({why})"
                                                       for name, why in self.asks.items())


def parse_given(pairs: list[str]) -> dict[str, Any]:
    """``['nz=100', 'dataset=mnist', 'lr=0.5']`` as values: numbers, True/False/None and quoted text as Python reads
    them, anything else as text. Raises ValueError on a pair without ``=`` or a name that is not one."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ValueError(f"{pair!r}: write NAME=VALUE, as in --set nz=100")
        try:
            out[name] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            out[name] = text.strip()
    return out


@dataclass(frozen=True)
class _Asked(_Unknown):
    """A value known only when the script runs, which the person importing may give by ``name``."""

    name: str = ""
    why: str = ""
    given: GivenValues | None = field(default=None, compare=False, hash=False)

    def refuse(self, use: str) -> _Refused:
        if self.given is not None:
            self.given.ask(self.name, self.why)
        return super().refuse(use)


@dataclass(frozen=True)
class _Trial(_Unknown):
    """An Optuna trial passed to the class or function that builds the network: each suggestion is the value given
    under the suggestion's name, or asked for."""

    given: GivenValues | None = field(default=None, compare=False, hash=False)

    def suggest(self, method: str, args: list[Any], call: ast.Call) -> Any:
        if method not in _SUGGESTIONS or not args or not isinstance(args[0], str) or self.given is None:
            return _Unknown(call)
        name = args[0]
        if name in self.given.values:
            return self.given.get(name)
        if method == "suggest_categorical":
            why = f"Optuna's choice of {args[1]!r}" if len(args) > 1 else "Optuna's choice"
        else:
            why = f"Optuna's choice from {args[1]!r} to {args[2]!r}" if len(args) > 2 else "Optuna's choice"
        # Asked as soon as the file suggests it: a loop over range(n_layers) needs it as much as a layer does.
        self.given.ask(name, why)
        return _Asked(call, name, why, self.given)


def is_trial(arg: ast.arg) -> bool:
    """An argument that holds an Optuna trial: named ``trial`` or annotated as a ``Trial``."""
    note = ast.unparse(arg.annotation) if arg.annotation is not None else ""
    return arg.arg == "trial" or note.endswith("Trial")
