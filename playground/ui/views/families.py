"""The views of the model families beyond classifiers and regressors (autoencoders, VAEs, GANs, sequences).

Each family's module exposes ``VIEWS``, a list of :class:`FamilyView`; the composition root makes one dock per
entry and shows it only for labs of the listed tasks. A view widget has ``show_snapshot(snapshot)``,
``show_empty(text)`` and a ``probes`` tuple; optionally the signals ``probes_changed()`` (its probes tuple
changed), ``training_changed(dict)`` and ``dataset_changed(dict)`` (settings the user changed in the view).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class FamilyView:
    key: str  # unique; also the dock's object name stem
    title: str  # the dock's title
    factory: Callable[[], QWidget]
    tasks: tuple[str, ...]  # the lab tasks this view is for
    # "bottom" (beside the inner views), "right" (beside the curves) or "output" (the big place above the curves,
    # where the decision boundary shows for classifiers)
    area: str = "bottom"
    # The kinds of data it can draw (empty: any): "plane" (2-D points), "images", "series" (one long signal to
    # forecast), "sequences" (sequences to classify), "text".
    data: tuple[str, ...] = ()
    # Whether its dock comes to the front when a lab it serves opens; False: a tab behind the views already there
    # (the classifier's adversarial and saliency views wait behind its feature maps and filters).
    front: bool = True


def family_views() -> list[FamilyView]:
    """Every family's views, in the order their docks are made."""
    views: list[FamilyView] = []
    for module in _modules():
        views.extend(getattr(module, "VIEWS", []))
    keys = [v.key for v in views]
    duplicated = {k for k in keys if keys.count(k) > 1}
    if duplicated:
        raise ValueError(f"Two family views share the key(s) {', '.join(sorted(duplicated))}")
    return views


def _modules() -> list[object]:
    # Imported here, not at the top: each family module imports FamilyView from this one.
    from . import (
        autoencoder_views,
        function_fit,
        gan_views,
        insight_views,
        sequence_views,
    )

    return [autoencoder_views, gan_views, sequence_views, function_fit, insight_views]
