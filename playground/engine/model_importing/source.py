"""The file as text: read within the size budget and parsed within the depth budget, with the line to blame when
Python's parser gives up without one."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from .limits import MAX_BYTES, MAX_DEPTH
from .results import ModelImportError


def _read(p: Path) -> str:
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise _too_large(p.name, size)
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ModelImportError(f"{p.name} is not a text file") from None
    except OSError as e:
        raise ModelImportError(f"Cannot read {p}: {e.strerror}") from None


def _parse(text: str, filename: str) -> ast.Module:
    """The syntax tree of ``text``, or a ModelImportError with a line for a file too large, too deep or invalid."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise _too_large(filename, size)
    if "\0" in text:
        line, column = _place(text, text.index("\0"))
        raise ModelImportError(f"{filename}, line {line}: not valid Python (a NUL byte at column {column})")
    try:
        tree = ast.parse(text, filename)
    except SyntaxError as e:
        line = e.lineno if e.lineno is not None else _deepest_line(text)
        raise ModelImportError(f"{filename}, line {line}: not valid Python ({e.msg})") from None
    except (RecursionError, MemoryError):
        # Python's own parser gives up on very deep expressions without saying where: find the statement.
        raise ModelImportError(f"{filename}, line {_deepest_line(text)}: an expression nested too deeply for "
                               f"Python's parser; the importer reads expressions at most {MAX_DEPTH} levels "
                               f"deep") from None
    # Walk without recursion: the importer's own readers recurse over expressions, so bound their depth here.
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            line = getattr(node, "lineno", None) or _deepest_line(text)
            raise ModelImportError(f"{filename}, line {line}: an expression nested more than {MAX_DEPTH} levels "
                                   f"deep; the importer reads expressions at most {MAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return tree


def _too_large(filename: str, size: int) -> ModelImportError:
    return ModelImportError(f"{filename} is {size:,} bytes: the importer reads model files of at most "
                            f"{MAX_BYTES:,} bytes")


def _place(text: str, index: int) -> tuple[int, int]:
    """Line and column (both from 1) of the character at ``index``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _deepest_line(text: str) -> int:
    """The first line of the statement with the most tokens: where a parser that gave up without a line gave up."""
    best, best_count, start, count = 1, -1, None, 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if start is not None and count > best_count:
                    best, best_count = start, count
                start, count = None, 0
            elif tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                if start is None:
                    start = tok.start[0]
                count += 1
    except (tokenize.TokenError, SyntaxError):
        if start is not None and count > best_count:
            best = start
    return best
