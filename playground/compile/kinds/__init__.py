"""One home per layer kind on the torch side: how it is built as a module, written as code in an export and
recognised in imported code. Kinds are grouped by family; :mod:`.registry` collects them."""

from .base import CodeError, CodeWriter, Imported, ImportPattern, KindHome, PatternError, whole_square
from .registry import (
    FUNCTIONAL,
    HELPER_NAMES,
    HOMES,
    PATTERNS,
    STATEFUL_PATTERNS,
    STRUCTURAL,
    WRITERS,
    helper_sources,
    module_code,
)

__all__ = [
    "FUNCTIONAL",
    "HELPER_NAMES",
    "HOMES",
    "PATTERNS",
    "STATEFUL_PATTERNS",
    "STRUCTURAL",
    "WRITERS",
    "CodeError",
    "CodeWriter",
    "ImportPattern",
    "Imported",
    "KindHome",
    "PatternError",
    "helper_sources",
    "module_code",
    "whole_square",
]
