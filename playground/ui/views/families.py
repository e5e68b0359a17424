"""The views of the model families beyond classifiers and regressors (autoencoders, VAEs, GANs, sequences, functions
of one variable) and the classifier's insight views (adversarial examples, saliency).

Each family module declares its views as :class:`ViewSpec` entries (``VIEWS``, or ``SPEC`` for a module of one view);
this module only gathers them, in the order their docks are made. It imports the family modules and none of them
imports it.
"""

from __future__ import annotations

from . import autoencoder_views, function_fit, gan_views, insight_views, sequence_views
from .view_spec import ViewSpec


def family_views() -> list[ViewSpec]:
    """Every family's views, in the order their docks are made."""
    return [*autoencoder_views.VIEWS, *gan_views.VIEWS, *sequence_views.VIEWS, function_fit.SPEC,
            *insight_views.VIEWS]
