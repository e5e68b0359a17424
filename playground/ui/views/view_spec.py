"""What a live view is, declared once by its own module: the ``ViewSpec``. The registry (registry.py) lists every
spec and picks those of a lab; the window makes one dock per spec. Kept apart from the registry so that a view
module imports this one and the registry imports the view modules, and no import runs in a circle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from PySide6.QtWidgets import QWidget

# Where a view's dock goes: "main" (the large place of the layout, beside the editor), "side" (the column below the
# main view, as tabs with the inspector and the curves), "bottom" (the row below the editor, side by side).
Place = Literal["main", "side", "bottom"]
PLACES: tuple[Place, ...] = ("main", "side", "bottom")
# The shape of a view's content: "free" fills any dock, "square" keeps a 1:1 plot (see ViewSpec.aspect).
Aspect = Literal["free", "square"]

# The kinds of data a lab can hold, as the layout knows them: points of the plane (a 2-D set, a table of two
# features), images, a function of one variable, a table of more than two features, one long signal to forecast,
# sequences to classify, text.
DATA_KINDS = ("plane", "images", "function", "table", "series", "sequences", "text")
# What a view may need of a lab besides its task and data: a convolutional layer to show the filters of; 28x28 grey
# digits to draw one of. And what leaves a view nothing to draw: no hidden layer (logistic regression: no neurons,
# no hidden space), no Dense layer from the pixels straight to the classes (no class templates), a network that is
# not Dense columns from the input to the output (no network of neurons).
TRAITS = ("convolution", "digits", "no_hidden_layer", "no_template_layer", "no_neuron_columns")
# The tasks the classifier's own views (output, neurons, feature maps ...) were made for.
CLASSIC_TASKS = ("classification", "regression")


@dataclass(frozen=True)
class LabTraits:
    """What the layout needs to know of a lab, in plain words: the registry reads no data sets and no graphs."""

    task: str
    data: str  # one of DATA_KINDS
    traits: frozenset[str] = frozenset()  # some of TRAITS


@dataclass(frozen=True)
class ViewSpec:
    """One live view: what it shows, for which labs, and where its dock goes.

    A view widget has ``show_snapshot(snapshot)`` and ``show_empty(text)``; an instance's ``probes`` tuple names the
    probes it asks for now (with their parameters, ``hidden:relu_1``); optionally the signals ``probes_changed()``,
    ``training_changed(dict)`` and ``dataset_changed(dict)`` (settings the user changed in the view)."""

    key: str  # unique; the dock's object name is f"{key}Dock"
    title: str  # the dock's title
    factory: Callable[[], QWidget]
    # The probes (snapshot records) it can ask for, named as the SetProbes command names them, before any
    # ":parameters"; the engine computes them only while the view shows.
    probes: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()  # the lab tasks it can draw (empty: any)
    data: tuple[str, ...] = ()  # the kinds of data it can draw (empty: any), from DATA_KINDS
    needs: tuple[str, ...] = ()  # lab traits it cannot do without, from TRAITS
    unless: tuple[str, ...] = ()  # lab traits that leave it nothing to draw, from TRAITS
    place: Place = "bottom"  # where it goes when it is not the main view of the layout
    min_size: tuple[int, int] = (120, 90)  # small: a view squeezes its content rather than push the window off screen
    main: bool = False  # the main view of the families it serves: the largest dock of their layout
    # Whether it comes to the front of its tab group when a lab it serves opens; False: it waits as a tab behind the
    # views already there (the classifier's adversarial and saliency views behind its feature maps and filters).
    front: bool = True
    # "square": its plot keeps a 1:1 aspect (a plane), so a dock wider than tall leaves empty sides; Train mode gives
    # it a width that fits its height and hands the rest of the row to the views beside it.
    aspect: Aspect = "free"

    def __post_init__(self) -> None:
        unknown = [d for d in self.data if d not in DATA_KINDS] + [t for t in self.needs + self.unless
                                                                    if t not in TRAITS]
        if unknown or self.place not in PLACES:
            raise ValueError(f"View '{self.key}': unknown data kind, trait or place {unknown or [self.place]}")

    def serves(self, lab: LabTraits) -> bool:
        """Whether it can show something for a lab of these traits (no placeholder docks)."""
        return ((not self.tasks or lab.task in self.tasks) and (not self.data or lab.data in self.data)
                and all(t in lab.traits for t in self.needs) and not any(t in lab.traits for t in self.unless))
