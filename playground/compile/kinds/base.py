"""What one layer kind knows on the torch side: how it is built, written as code and recognised on import.

A :class:`KindHome` joins the three for one kind of the catalog. The code writers are keyed by the module class a
build makes (a BatchNorm is an ``nn.BatchNorm1d`` or ``nn.BatchNorm2d``); the import patterns by the constructor name
written in a file (``Linear`` gives a Dense, ``Unflatten`` a Reshape). Family modules declare homes; the registry
collects them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from playground.graph import Shape

Params = Mapping[str, Any]
Build = Callable[[Params, Sequence[Shape]], nn.Module]
Expects = Callable[[Shape], "str | None"]


class CodeError(ValueError):
    """A module holds a setting the code export cannot write (a non-square kernel, say); the text says which."""


class PatternError(ValueError):
    """A recognised constructor holds arguments the editor's layer cannot represent; the text says which."""


@dataclass(frozen=True)
class CodeWriter:
    """How a module of class ``module`` is written in a standalone export: ``write(m)`` is the constructor expression
    (``nn.Linear(2, 4)``). ``helper`` is the source of the class the export must define, for modules that are the
    playground's own rather than torch.nn's."""

    module: type[nn.Module]
    write: Callable[[Any], str]
    helper: str = ""


@dataclass
class Imported:
    """A layer recognised in imported code, as the editor will hold it."""

    kind: str
    params: dict[str, Any]
    expects: Expects | None = None  # says what is wrong with the shape arriving, if anything
    size: int | None = None  # the input size the file says this layer reads (features or channels)
    image: bool = False  # the layer reads images


@dataclass(frozen=True)
class ImportPattern:
    """A constructor a file may call (``nn.Conv2d(...)`` or an export's ``Recurrent(...)``), its positional
    signature, the values the editor's layer always has, and ``read``: the arguments as the editor's layer."""

    name: str
    signature: tuple[str, ...]
    read: Callable[[dict[str, Any]], Imported]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    helper: bool = False  # a class the playground's own exports define, not one of torch.nn
    # Functions of torch and torch.nn.functional that are this layer applied to their first argument, taking the
    # constructor's arguments after it: F.leaky_relu(x, 0.2) is nn.LeakyReLU(0.2)(x).
    functional: tuple[str, ...] = ()
    functional_signature: tuple[str, ...] = ()  # their positional order after the input, where it is not signature's

    @property
    def functional_arguments(self) -> tuple[str, ...]:
        """The positional arguments of the functional forms after their input."""
        return self.functional_signature or self.signature
    stateful: bool = False  # returns (output, state), which only a call unpacking the pair can use


@dataclass(frozen=True)
class KindHome:
    """Everything the torch side knows about one catalog kind."""

    kind: str
    build: Build
    writers: tuple[CodeWriter, ...]
    patterns: tuple[ImportPattern, ...]
    no_pattern: str = ""  # why no constructor in a file gives this kind back, where none does
    # In eval mode the module passes its first input on unchanged, so an inference export (ONNX, torch.export)
    # holds no operator for it and an importer of those files cannot give it back.
    eval_identity: bool = False


def whole_square(value: Any) -> int | None:
    """``3`` for 3, (3, 3) or [3, 3]; None for a non-square pair or anything not an integer."""
    if isinstance(value, (tuple, list)):
        if len(set(value)) != 1:
            return None
        value = value[0]
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def square_code(value: Any, what: str) -> int:
    """One integer for a setting torch may hold as a pair; CodeError when the pair is not square."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(set(values)) != 1:
        raise CodeError(f"a {what} of {values} cannot be written as code yet")
    return int(values[0])


def square_arg(value: Any, kind: str, what: str) -> int:
    """One integer for an imported argument that may be a pair; PatternError when it is not square."""
    v = whole_square(value)
    if v is None:
        raise PatternError(f"{kind} with a non-square {what} {value!r} cannot be drawn")
    return v


def first(inputs: Sequence[Shape]) -> Shape:
    """The shape arriving at a node's first port (every layer with weights has one)."""
    if not inputs:
        raise ValueError("this layer needs the shape of its input")
    return inputs[0]


def bias_code(m: nn.Module) -> str:
    return "" if getattr(m, "bias", None) is not None else ", bias=False"
