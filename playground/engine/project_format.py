"""The project file (``.nnp``): one zip that holds a whole lab and its training, so that opening it goes on where the
run was saved.

Inside the zip (every entry listed in the manifest with its size and SHA-256):

- ``manifest.json``: format name and version, the app that wrote it, the networks and their weight files;
- ``lab.json``: the lab as the editor holds it (the same JSON as a lab file);
- ``weights/<network>.safetensors``: each network's state dict;
- ``state.safetensors`` + ``state.json``: optimizer tensors, RNG states and the epoch's permutation, and the plain
  part of the checkpoint (counters, optimizer settings...), plus the lab the weights were trained with when the
  editor's lab has been edited since (an edit not yet applied);
- ``history.csv``: every point of the metric curves (exact: floats written with ``repr``);
- ``thumbnail.png``: a picture of the lab, when the caller gave one;
- ``runs.json``: optional, the runs of a comparison (runs side by side): each run's name, lab, change, whether it
  is shown, and its curves;
- ``moments.json`` + ``moments.safetensors``: optional, the time machine's moments of the run (thinned to a size
  limit): each moment's step, epoch, curve rows and plain state in the JSON, its tensors in the safetensors file
  under ``<index>/``; a damaged pair is left out with a message (``Project.moments_problem``) and the rest opens;
- ``tables/<sha256>.csv``: the table a table lab learns from (within a size limit), so the project opens on another
  machine; on loading it is checked against its name and kept in the table cache, where the lab finds it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from playground.graph import Lab

from .errors import EngineError

FORMAT = "neural-network-playground/project"
VERSION = 1
EXTENSION = ".nnp"
ZIP_MAGIC = b"PK\x03\x04"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

MANIFEST = "manifest.json"
LAB = "lab.json"
STATE_JSON = "state.json"
STATE_TENSORS = "state.safetensors"
HISTORY = "history.csv"
THUMBNAIL = "thumbnail.png"
RUNS = "runs.json"
MOMENTS_JSON = "moments.json"
MOMENTS_TENSORS = "moments.safetensors"
_WEIGHTS_RE = re.compile(r"weights/([A-Za-z0-9_-]{1,64})\.safetensors")
_TABLE_RE = re.compile(r"tables/([0-9a-f]{64})\.csv")


class ProjectError(EngineError):
    """A project file that cannot be read or written; the message names the file and what is wrong."""


@dataclass
class Project:
    """What a project file holds. ``checkpoint`` is what ``Trainer.checkpoint()`` returned (None for a lab that
    never trained); ``trained_lab`` is the lab the checkpoint belongs to (the same as ``lab`` unless the editor's
    lab was edited after training and the edit not applied)."""

    lab: Lab
    checkpoint: dict[str, Any] | None = None
    trained_lab: Lab | None = None
    thumbnail: bytes | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, bytes] = field(default_factory=dict)  # the tables it carried, by SHA-256
    runs: list[Any] = field(default_factory=list)  # the comparison's runs (run_group.SavedRun), if it has any
    moments_problem: str = ""  # why the saved moments were left out (they are in checkpoint["moments"] otherwise)

    @property
    def training_lab(self) -> Lab:
        return self.trained_lab if self.trained_lab is not None else self.lab

    @property
    def epoch(self) -> int:
        meta = (self.checkpoint or {}).get("meta", {})
        return int(meta.get("epoch", 0)) if isinstance(meta, Mapping) else 0

    @property
    def step(self) -> int:
        meta = (self.checkpoint or {}).get("meta", {})
        return int(meta.get("step", 0)) if isinstance(meta, Mapping) else 0


def is_project_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` starts like a zip (a project), False for anything else (a lab's JSON, say)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == ZIP_MAGIC
    except OSError:
        return False
