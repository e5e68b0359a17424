"""Adversarial examples on the live classifier: Captum's FGSM and PGD, wrapped for the engine.

FGSM moves every pixel by ε in the direction that raises the loss most to first order, x' = x + ε·sign(∇ₓ loss)
(towards a chosen class it lowers that class's loss instead); PGD repeats smaller such steps and projects back into
the L∞ ball of radius ε around x. Both clamp to the pixel range of the data, so the adversarial image is one the
network could have been given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..errors import EngineError

METHODS = ("fgsm", "pgd")
MAX_EPSILON = 1.0  # in the data's pixel units; the built-in sets hold pixels in [0, 1]
MAX_STEPS = 200
CURVE_EPSILONS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5)  # the ε of the success-rate curve
CURVE_SAMPLES = 100  # test images the success-rate curve attacks

Forward = Callable[[torch.Tensor], torch.Tensor]  # inputs -> log-probabilities (B, K)


@dataclass(frozen=True)
class AttackSettings:
    """One attack: ``method`` (fgsm or pgd), ``epsilon`` (L∞ radius in pixel units), PGD's ``steps``, and
    ``target`` (a class to push the image towards, or -1 for any wrong class)."""

    method: str = "fgsm"
    epsilon: float = 0.1
    steps: int = 10
    target: int = -1

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise EngineError(f"Unknown attack '{self.method}' (attacks: {', '.join(METHODS)})")
        if not 0.0 <= self.epsilon <= MAX_EPSILON:
            raise EngineError(f"Attack ε must be between 0 and {MAX_EPSILON:g} (received: epsilon={self.epsilon:g})")
        if not 1 <= self.steps <= MAX_STEPS:
            raise EngineError(f"PGD steps must be between 1 and {MAX_STEPS} (received: steps={self.steps})")
        if self.target < -1:
            raise EngineError(f"Attack target must be a class or -1 for any wrong class (received: "
                              f"target={self.target})")

    @property
    def targeted(self) -> bool:
        return self.target >= 0

    def encode(self) -> str:
        """The settings as the text after "adversarial:" in a probe name."""
        return f"method={self.method};epsilon={self.epsilon:g};steps={self.steps};target={self.target}"

    @classmethod
    def decode(cls, text: str) -> AttackSettings:
        """Settings from ``key=value`` pairs separated by ';' (any may be left out)."""
        values: dict[str, str] = {}
        for part in filter(None, text.split(";")):
            key, sep, value = part.partition("=")
            if not sep or key not in ("method", "epsilon", "steps", "target"):
                raise EngineError(f"Attack settings are method=, epsilon=, steps=, target= (received: '{part}')")
            values[key] = value.strip()
        try:
            return cls(method=values.get("method", "fgsm"), epsilon=float(values.get("epsilon", 0.1)),
                       steps=int(values.get("steps", 10)), target=int(values.get("target", -1)))
        except ValueError as e:
            raise EngineError(f"Attack settings must be numbers (received: '{text}')") from e


def _nll(log_probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.nll_loss(log_probs, target, reduction="none")


def attack(forward: Forward, x: torch.Tensor, labels: torch.Tensor, settings: AttackSettings,
           bounds: tuple[float, float]) -> torch.Tensor:
    """Adversarial versions of the batch ``x`` (true classes ``labels``), within ε of it in every pixel and within
    ``bounds``. Untargeted attacks raise the loss of the true class; targeted ones lower the target's."""
    if settings.epsilon == 0.0:
        return x.detach().clone()
    from captum.robust import (  # here, not at the top: captum takes seconds to import
        FGSM,
        PGD,
    )

    lo, hi = bounds
    target = torch.full_like(labels, settings.target) if settings.targeted else labels
    x = x.detach().clone().requires_grad_()
    with torch.enable_grad():
        if settings.method == "fgsm":
            adv = FGSM(forward, _nll, lower_bound=lo, upper_bound=hi).perturb(
                x, settings.epsilon, target, targeted=settings.targeted)
        else:
            # Steps of 2.5ε/steps (Madry et al.): enough to cross the ball and come back, whatever the count.
            adv = PGD(forward, _nll, lower_bound=lo, upper_bound=hi).perturb(
                x, settings.epsilon, 2.5 * settings.epsilon / settings.steps, settings.steps, target,
                targeted=settings.targeted)
    adversarial: torch.Tensor = adv.detach()
    return adversarial


def success_rates(forward: Forward, x: torch.Tensor, labels: torch.Tensor, settings: AttackSettings,
                  bounds: tuple[float, float], epsilons: tuple[float, ...] = CURVE_EPSILONS
                  ) -> tuple[list[float], int]:
    """For each ε, the share of the attacked images the attack succeeds on, and how many were attacked.
    Untargeted, it attacks the images the network gets right and succeeds when the answer turns wrong; towards a
    class, it attacks those of other classes and succeeds when the answer becomes that class."""
    with torch.no_grad():
        predicted = forward(x).argmax(-1)
    keep = labels != settings.target if settings.targeted else predicted == labels
    x, labels = x[keep], labels[keep]
    n = int(x.shape[0])
    rates = []
    for eps in epsilons:
        if n == 0:
            rates.append(float("nan"))
            continue
        adv = attack(forward, x, labels, AttackSettings(settings.method, eps, settings.steps, settings.target),
                     bounds)
        with torch.no_grad():
            after = forward(adv).argmax(-1)
        hit = after == settings.target if settings.targeted else after != labels
        rates.append(float(hit.float().mean()))
    return rates, n
