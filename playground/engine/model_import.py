"""Open models written as Python in the editor: the playground's own ``.py`` exports, ``nn.Sequential`` and the
``nn.Module`` classes people write.

The file is parsed with :mod:`ast` and never run or imported. A small interpreter walks the syntax tree: module
constants, constructor defaults, loops over ranges and lists, ``nn.ModuleList``, block classes and helper methods of
the file give the layers; forward's calls, reshapes, joins and adds give the edges. Values the tree does not hold
(argparse options without a default, data, devices) stay unknown and are refused, with the line, where a layer
needs them, and named so the person importing can give them (``given``: ``playground import --set nz=100``). Each
network of a file is opened or refused on its own (:func:`import_report`). Budgets on size, depth, steps and layers
keep any file from hanging or exhausting the importer.

The reader itself lives in :mod:`playground.engine.model_importing`, split by job; this module is its entry point.
Its budgets are read from :mod:`playground.engine.model_importing.limits` when used: change them there.
"""

from __future__ import annotations

from .model_importing.builder import _Builder
from .model_importing.given import parse_given
from .model_importing.lab import lab_from_file
from .model_importing.limits import MAX_BYTES, MAX_DEPTH, MAX_LAYERS
from .model_importing.networks import import_file, import_report, import_source
from .model_importing.results import ImportedNetwork, ImportReport, ModelImportError
from .model_importing.vocabulary import HELPERS

__all__ = ["HELPERS", "MAX_BYTES", "MAX_DEPTH", "MAX_LAYERS", "ImportReport", "ImportedNetwork", "ModelImportError",
           "_Builder", "import_file", "import_report", "import_source", "lab_from_file",
           "parse_given"]
