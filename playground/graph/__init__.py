"""The graph core: layer catalog, graph model with events, shape inference, typed errors, labs as JSON.

Pure Python: no torch, no numpy, no Qt.
"""

from .catalog import CATEGORIES, KINDS, LayerKind, Param, get_kind, kinds_in
from .errors import (
    CycleError,
    DisconnectedNodeError,
    DuplicateEdgeError,
    DuplicateNameError,
    GraphError,
    LabFormatError,
    MissingInputError,
    MissingOutputError,
    ParameterError,
    PortOccupiedError,
    ShapeError,
    UnknownKindError,
    UnknownNodeError,
    UnknownPortError,
)
from .graph import (
    Edge,
    EdgeAdded,
    EdgeRemoved,
    Graph,
    GraphEvent,
    Inference,
    Node,
    NodeAdded,
    NodeMoved,
    NodeRemoved,
    NodeRenamed,
    ParamChanged,
)
from .lab import (
    DATASET_FIELDS,
    ROLES,
    TASKS,
    TRAINING_FIELDS,
    DatasetSettings,
    Lab,
    Network,
    SettingsChanged,
    TrainingSettings,
)
from .shapes import Shape

__all__ = [
    "CATEGORIES", "KINDS", "LayerKind", "Param", "get_kind", "kinds_in",
    "CycleError", "DisconnectedNodeError", "DuplicateEdgeError", "DuplicateNameError", "GraphError",
    "LabFormatError", "MissingInputError", "MissingOutputError", "ParameterError", "PortOccupiedError",
    "ShapeError", "UnknownKindError", "UnknownNodeError", "UnknownPortError",
    "Edge", "EdgeAdded", "EdgeRemoved", "Graph", "GraphEvent", "Inference", "Node", "NodeAdded", "NodeMoved",
    "NodeRemoved", "NodeRenamed", "ParamChanged",
    "DATASET_FIELDS", "ROLES", "TASKS", "TRAINING_FIELDS", "DatasetSettings", "Lab", "Network", "SettingsChanged",
    "TrainingSettings",
    "Shape",
]
