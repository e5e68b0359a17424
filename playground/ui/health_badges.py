"""What a layer's health badge on the canvas says: a short label, its colour, and a tooltip explaining what it
means and what to try. The thresholds are the engine's (playground/engine/health.py, the README's table)."""

from __future__ import annotations

from typing import NamedTuple

from playground.snapshots.health import LayerHealth

WARN = "#ef6c00"
DANGER = "#c62828"


class Badge(NamedTuple):
    text: str
    color: str
    tooltip: str


def _dead(layer: LayerHealth) -> tuple[str, str]:
    share = layer.dead or 0.0
    return (f"{share:.0%} dead",
            f"Dead ReLUs: {share:.0%} of this layer's {layer.units} units are never positive on the probe "
            "samples, so no gradient passes through them and they have stopped learning.\n"
            "Try: a lower learning rate, LeakyReLU or GELU instead of ReLU, He initialisation (reset), or "
            "batch normalisation before the activation.")


def _saturated(layer: LayerHealth) -> tuple[str, str]:
    share = layer.saturated or 0.0
    edge = "|tanh| > 0.97" if layer.kind == "Tanh" else "sigmoid outside [0.03, 0.97]"
    return (f"{share:.0%} flat",
            f"Saturated units: {share:.0%} of this layer's {layer.units} units sit on the flat part of the curve "
            f"({edge}) for most samples, where its slope is nearly 0 and little gradient passes back.\n"
            "Try: smaller starting weights (reset), normalised inputs, a lower learning rate, batch "
            "normalisation, or ReLU in hidden layers.")


def _vanishing(layer: LayerHealth) -> tuple[str, str]:
    return ("∇ ≈ 0",
            f"Vanishing gradient: this layer's gradient norm is {layer.gradient_norm:.2g} (below 1e-7), so its "
            "weights barely change any more.\n"
            "Try: ReLU-like activations instead of sigmoid or tanh, fewer layers or residual connections, batch "
            "normalisation, or check for dead units after it.")


def _exploding(layer: LayerHealth) -> tuple[str, str]:
    return ("∇ huge",
            f"Exploding gradient: this layer's gradient norm is {layer.gradient_norm:.3g} (above 1000), so the "
            "next step throws its weights far away.\n"
            "Try: a lower learning rate, gradient clipping (Training settings), or normalised inputs.")


def _nan(_layer: LayerHealth) -> tuple[str, str]:
    return ("NaN",
            "Not a number: this layer's output or weights hold NaN or infinity, so everything after it is "
            "meaningless.\nTry: a lower learning rate, gradient clipping, then Reset.")


_PARTS = {"nan": (_nan, DANGER), "exploding": (_exploding, DANGER), "dead": (_dead, WARN),
          "saturated": (_saturated, WARN), "vanishing": (_vanishing, WARN)}


def badge_for(layer: LayerHealth | None) -> Badge | None:
    """The badge of a layer with problems (the worst first in its text), or None for a healthy one."""
    if layer is None or not layer.problems:
        return None
    found = [(name, *_PARTS[name]) for name in _PARTS if name in layer.problems]
    texts, tips = [], []
    for _name, explain, _color in found:
        text, tip = explain(layer)
        texts.append(text)
        tips.append(tip)
    return Badge(" · ".join(texts), found[0][2], "\n\n".join(tips))
