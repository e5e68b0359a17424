"""The view registry: every live view of the window, each declared by its own module in one :class:`ViewSpec`, and
the choice of views for a lab (only those that can show something for it) and of its main view.

The window makes one dock per spec (playground/app/presenters/view_layout.py) and asks the engine only for the probes
of the views on screen.
"""

from __future__ import annotations

from playground.ui.digit_pad import DigitPanel

from . import (
    class_templates,
    confusion,
    data_samples,
    decision_boundary,
    feature_maps,
    filter_lab,
    filters,
    gradients,
    hidden_space,
    loss_curves,
    neuron_network,
    neurons,
    weights,
)
from .families import family_views
from .view_spec import CLASSIC_TASKS, DATA_KINDS, PLACES, TRAITS, LabTraits, Place, ViewSpec

__all__ = ["CLASSIC_TASKS", "DATA_KINDS", "DRAWING_PAD", "PLACES", "TRAITS", "LabTraits", "Place", "ViewSpec",
           "classifier_views", "family_views", "main_view", "network_views", "probe_kind", "view_specs", "views_for"]

# The drawing pad reads a digit the user draws; the model's answer is its own probe.
DRAWING_PAD = ViewSpec("draw", "Draw a digit", DigitPanel, probes=("prediction",), tasks=("classification",),
                       data=("images",), needs=("digits",), place="side", front=False)


def classifier_views() -> list[ViewSpec]:
    """The views of classifiers and regressors, and the curves and samples every family shares, in the order the
    data flow: data, network, output, curves."""
    return [loss_curves.SPEC, decision_boundary.SPEC, data_samples.SPEC, neuron_network.SPEC,
            neurons.SPEC, hidden_space.SPEC,
            feature_maps.SPEC, filters.SPEC, confusion.SPEC, class_templates.SPEC, filter_lab.SPEC]


def network_views() -> list[ViewSpec]:
    """The views of the network's parameters that mean something for every family: after each family's own, which
    show what the family teaches."""
    return [weights.SPEC, gradients.SPEC]


def view_specs() -> list[ViewSpec]:
    """Every view of the window, in the order their docks are made; keys are unique."""
    specs = [*classifier_views(), *family_views(), *network_views(), DRAWING_PAD]
    keys = [s.key for s in specs]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise ValueError(f"Two views share the key(s) {', '.join(duplicated)}")
    return specs


def views_for(lab: LabTraits, specs: list[ViewSpec] | None = None) -> list[ViewSpec]:
    """The views that can show something for a lab of these traits, in registry order."""
    return [s for s in (view_specs() if specs is None else specs) if s.serves(lab)]


def main_view(specs: list[ViewSpec]) -> ViewSpec | None:
    """The main view of a layout of these views: the first that is a family's main view; else the curves, which
    every lab has (a classifier of sequences or of a table teaches with its accuracy)."""
    return next((s for s in specs if s.main), next((s for s in specs if s.key == "loss"), None))


def probe_kind(name: str) -> str:
    """A probe's name without its parameters ("hidden:relu_1" -> "hidden"), as a spec lists it."""
    return name.split(":", 1)[0]
