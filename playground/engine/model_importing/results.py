"""What an import gives: the networks that open, why the others do not, and the importer's error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playground.graph import Graph

from ..errors import EngineError


class ModelImportError(EngineError):
    """The file holds something the editor cannot represent; the message names the line."""


@dataclass
class ImportedNetwork:
    name: str
    graph: Graph
    origin: str = ""  # the Python expression that makes this network in the file: "Net()", "model", "ResNet18()"
    parts: list[ImportedNetwork] = field(default_factory=list)  # an autoencoder's encoder and decoder, drawn alone


@dataclass
class ImportReport:
    """What one file gives: the networks that open, and for each that does not, its name and why."""

    networks: list[ImportedNetwork] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    # The defaults of the script's options it read ('nz' -> '100 (the default of --nz)'), for the person to confirm;
    # the values given by name it used; what it needs given to open more ('nz' -> where the file needs it).
    assumed: dict[str, str] = field(default_factory=dict)
    given: dict[str, Any] = field(default_factory=dict)
    asks: dict[str, str] = field(default_factory=dict)
