"""The homes of every layer kind, collected, and the look-ups the compiler (``HOMES``), the code export
(``module_code``, ``helper_sources``) and the Python importer (``PATTERNS``, ``STATEFUL_PATTERNS``) use."""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn

from . import conv, dense, merges, norm, recurrent, shapes
from .base import CodeError, CodeWriter, ImportPattern, KindHome

# The order decides where helper classes appear in an export: shapes and merges before the recurrent layers.
_FAMILIES = (dense.HOMES, conv.HOMES, norm.HOMES, shapes.HOMES, merges.HOMES, recurrent.HOMES)

# Catalog kinds that are not modules: the compiler turns them into the fx graph's own ends.
STRUCTURAL: dict[str, str] = {
    "Input": "a placeholder of the fx graph (the data arriving), not a module; exports write it as a forward "
             "argument and the importer reads forward's arguments",
    "Output": "names the value forward returns, not a module; exports write it as forward's return and the importer "
              "reads what forward returns",
}

HOMES: dict[str, KindHome] = {h.kind: h for family in _FAMILIES for h in family}


def _collect() -> tuple[dict[type[nn.Module], CodeWriter], dict[str, ImportPattern], dict[str, ImportPattern]]:
    writers: dict[type[nn.Module], CodeWriter] = {}
    patterns: dict[str, ImportPattern] = {}
    stateful: dict[str, ImportPattern] = {}
    for h in HOMES.values():
        for w in h.writers:
            # Kinds may share a writer (RNN, GRU and LSTM are all one Recurrent module), never disagree on one.
            if writers.setdefault(w.module, w) is not w:
                raise RuntimeError(f"two code writers for {w.module.__name__}")
        for p in h.patterns:
            table = stateful if p.stateful else patterns
            if table.setdefault(p.name, p) is not p:
                raise RuntimeError(f"two import patterns named {p.name}")
    return writers, patterns, stateful


WRITERS, PATTERNS, STATEFUL_PATTERNS = _collect()
# The class names the playground's own exports define (a file may use them like torch.nn classes).
HELPER_NAMES = frozenset(p.name for p in PATTERNS.values() if p.helper)
# torch and torch.nn.functional names of a layer applied to its first argument: the pattern of that layer.
FUNCTIONAL: dict[str, ImportPattern] = {f: p for p in PATTERNS.values() for f in p.functional}


def module_code(module: nn.Module) -> str:
    """The constructor expression that rebuilds ``module`` in an export (``nn.Linear(2, 4)``); CodeError if none."""
    writer = WRITERS.get(type(module))
    if writer is None:
        raise CodeError(f"cannot write a {type(module).__name__} as code")
    return writer.write(module)


def helper_sources(modules: Iterable[nn.Module]) -> list[str]:
    """The source of each playground class the modules need, once each, in a stable order."""
    used = {type(m) for m in modules}
    return [w.helper for w in WRITERS.values() if w.helper and w.module in used]
