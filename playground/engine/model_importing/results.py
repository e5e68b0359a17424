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
    # forward's parameters taken as a recurrent layer's zero starting state (``hidden``), and the positions of the
    # values forward returns that are the states its recurrent layers return, which the lab drops
    states: list[str] = field(default_factory=list)
    dropped_outputs: list[int] = field(default_factory=list)

    def state_notes(self) -> list[str]:
        """One sentence per state forward is given, for the import report."""
        return [f"forward's `{name}` is taken as a zero initial state on each sequence; the state it returns is not "
                f"an output of the lab" for name in self.states]


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
