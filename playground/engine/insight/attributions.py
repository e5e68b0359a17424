"""Which pixels a classifier's answer rests on: Captum's attribution methods, wrapped for the engine.

Each method explains the log-probability the network gives one class for one image, as a map of the image's size.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..errors import EngineError

# What each map is is explained where it is shown (ui/views/saliency.py); the snapshot keys are saliency/<method>.
ATTRIBUTIONS = ("saliency", "input_x_gradient", "smoothgrad", "integrated_gradients", "occlusion", "gradcam")
SMOOTHGRAD_SAMPLES = 16
IG_STEPS = 32
OCCLUSION_WINDOW, OCCLUSION_STRIDE = 4, 2

Forward = Callable[[torch.Tensor], torch.Tensor]  # inputs -> log-probabilities (B, K)


def attribution_methods(has_conv: bool) -> list[str]:
    return [m for m in ATTRIBUTIONS if m != "gradcam" or has_conv]


def attribute(method: str, forward: Forward, x: torch.Tensor, target: int, image: tuple[int, int, int],
              conv_layer: torch.nn.Module | None = None, pixel_range: float = 1.0) -> torch.Tensor:
    """The attribution of ``method`` for class ``target`` of the one sample ``x`` (any layout holding an image of
    shape ``image`` = (C, H, W)), as an (H, W) map (channels summed)."""
    if method not in ATTRIBUTIONS:
        raise EngineError(f"Unknown attribution '{method}' (methods: {', '.join(ATTRIBUTIONS)})")
    # Imported here, not at the top: captum takes seconds to import, and the app starts without it.
    from captum.attr import (
        InputXGradient,
        IntegratedGradients,
        LayerAttribution,
        LayerGradCam,
        NoiseTunnel,
        Occlusion,
        Saliency,
    )

    c, h, w = image
    x = x.detach().reshape(1, *x.shape[1:]).clone().requires_grad_()
    with torch.enable_grad():
        if method == "saliency":
            a = Saliency(forward).attribute(x, target=target, abs=True)
        elif method == "input_x_gradient":
            a = InputXGradient(forward).attribute(x, target=target)
        elif method == "smoothgrad":
            a = NoiseTunnel(Saliency(forward)).attribute(
                x, nt_type="smoothgrad", nt_samples=SMOOTHGRAD_SAMPLES, nt_samples_batch_size=SMOOTHGRAD_SAMPLES,
                stdevs=0.1 * pixel_range, target=target, abs=True)
        elif method == "integrated_gradients":
            a = IntegratedGradients(forward).attribute(x, baselines=torch.zeros_like(x), target=target,
                                                       n_steps=IG_STEPS, internal_batch_size=IG_STEPS)
        elif method == "occlusion":
            flat = x.reshape(1, c, h, w)
            a = Occlusion(lambda v: forward(v.reshape(v.shape[0], *x.shape[1:]))).attribute(
                flat, sliding_window_shapes=(c, OCCLUSION_WINDOW, OCCLUSION_WINDOW),
                strides=(c, OCCLUSION_STRIDE, OCCLUSION_STRIDE), baselines=0.0, target=target,
                perturbations_per_eval=64)
        else:
            if conv_layer is None:
                raise EngineError("Grad-CAM needs a conv layer: this network has none")
            cam = LayerGradCam(forward, conv_layer).attribute(x, target=target, relu_attributions=True)
            a = LayerAttribution.interpolate(cam, (h, w), interpolate_mode="bilinear")
            heat: torch.Tensor = a.reshape(h, w).detach()
            return heat
    per_pixel: torch.Tensor = a.detach().reshape(c, h, w).sum(0)
    return per_pixel
