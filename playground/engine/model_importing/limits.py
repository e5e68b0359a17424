"""Budgets on size, depth, steps and layers: no file, however large or strange, hangs or exhausts the importer."""

from __future__ import annotations

MAX_BYTES = 1_000_000  # a model file larger than this is not a model a student wrote
MAX_LAYERS = 4_000  # per network: more than the editor can show
MAX_DEPTH = 100  # syntax-tree levels: real model code stays far below, and the readers recurse over expressions
_LOOP_LIMIT = 10_000  # iterations of one loop, unrolled
_STEP_LIMIT = 2_000_000  # expressions evaluated for one file: nested loops cannot make the importer hang
_ITEM_LIMIT = 100_000  # entries of one list or tuple the file builds
_CALL_DEPTH = 40  # nested calls of the file's own functions and methods
