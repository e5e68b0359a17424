"""Live training views: each a standalone QWidget with ``show_snapshot(snapshot)`` and a ``probes`` tuple.

Views duck-type snapshots (they never import the engine): see each view's docstring for the attributes it reads.
"""

from .class_templates import ClassTemplateView
from .confusion import ConfusionMatrixView
from .decision_boundary import DecisionBoundaryView
from .feature_maps import FeatureMapView
from .filter_lab import FilterLabView
from .filters import FilterGridView
from .gradients import GradientNormView
from .hidden_space import HiddenSpaceView
from .loss_curves import LossCurvePanel
from .neurons import NeuronGridView
from .weights import WeightsView

ALL_VIEWS = (LossCurvePanel, DecisionBoundaryView, NeuronGridView, HiddenSpaceView, WeightsView, GradientNormView)
# Image classifiers (convolutional networks, digits): shown when the lab's data are images.
IMAGE_VIEWS = (FilterGridView, FeatureMapView, ClassTemplateView, ConfusionMatrixView, FilterLabView)

__all__ = ["ALL_VIEWS", "IMAGE_VIEWS", "ClassTemplateView", "ConfusionMatrixView", "DecisionBoundaryView",
           "FeatureMapView", "FilterGridView", "FilterLabView", "GradientNormView", "HiddenSpaceView", "LossCurvePanel",
           "NeuronGridView", "WeightsView"]
