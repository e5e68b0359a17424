"""The snapshot contract: what the engine sends and the views draw, as frozen, typed records of numpy arrays.

Numpy only (no torch, no Qt, no other playground package), so the engine and the views may both import it. A
``Snapshot`` carries the run's state and, in ``probes``, one record per probe that open views asked for, looked up
by type: ``snapshot.probes.get(DecisionBoundary)``.
"""

from .generative import (
    AutoencoderSettings,
    GanPlane,
    GanSamples,
    GanSettings,
    Latent,
    Manifold,
    PriorSamples,
    Reconstructions,
)
from .insight import Adversarial, AdversarialCurve, Saliency
from .layers import AugmentedSamples, Confusion, FeatureMaps, Filters, Gradients, Prediction, Weights
from .plane import DecisionBoundary, FunctionFit, HiddenLayer, HiddenSpace, Neurons
from .records import EMPTY, ProbeResults, Record
from .sequences import Forecast, Gates, GeneratedText, SequenceStates
from .snapshot import STATES, MetricHistory, Snapshot, frozen, metric_phrases

__all__ = [
    "EMPTY", "STATES", "Adversarial", "AdversarialCurve", "AugmentedSamples", "AutoencoderSettings", "Confusion",
    "DecisionBoundary", "FeatureMaps", "Filters", "Forecast", "FunctionFit", "GanPlane", "GanSamples", "GanSettings",
    "Gates", "GeneratedText", "Gradients", "HiddenLayer", "HiddenSpace", "Latent", "Manifold", "MetricHistory",
    "Neurons", "Prediction", "PriorSamples", "ProbeResults", "Reconstructions", "Record", "Saliency",
    "SequenceStates", "Snapshot", "Weights", "frozen", "metric_phrases",
]
