"""Data augmentation of image batches on the training device: random shift, rotation, scale, elastic deformation
and noise, each one batched tensor operation (one affine grid and one ``grid_sample`` for the whole batch), never a
Python loop over samples, and nothing that syncs with the device.

The random draws come from the trainer's own generator, so a seeded run augments the same way every time.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

# The settings that transform images (playground.graph.lab TRAINING_FIELDS), in the order they are applied.
AUGMENT_FIELDS = ("augment_shift", "augment_rotation", "augment_scale", "augment_elastic", "augment_noise")
# The elastic warp is smooth noise: random displacements on a coarse grid of this many points a side, upsampled
# bicubically to the image, so neighbouring pixels move together as in a smoothed random field.
ELASTIC_GRID = 4


def augmenting(settings: Any) -> bool:
    """Whether any augmentation is on; adversarial training counts too: it also changes each batch, which the
    compiled fast path cannot."""
    return any(float(getattr(settings, name, 0.0)) > 0.0 for name in AUGMENT_FIELDS + ("adversarial_share",))


def image_shape(shape: tuple[int, ...]) -> tuple[int, int, int] | None:
    """The (C, H, W) of samples of ``shape`` if they are images (1 or 3 channels, at least 4×4), else None."""
    if len(shape) == 3 and shape[0] in (1, 3) and shape[1] >= 4 and shape[2] >= 4:
        return int(shape[0]), int(shape[1]), int(shape[2])
    return None


def augment_images(x: torch.Tensor, settings: Any, generator: torch.Generator,
                   shape: tuple[int, int, int]) -> torch.Tensor:
    """A randomly transformed copy of the batch ``x`` (any layout holding B images of ``shape`` = (C, H, W));
    returned in x's own layout. ``x`` itself is never changed."""
    shift = float(settings.augment_shift)
    rotation = float(settings.augment_rotation)
    scale = float(settings.augment_scale)
    elastic = float(settings.augment_elastic)
    noise = float(settings.augment_noise)
    if not (shift or rotation or scale or elastic or noise) or x.shape[0] == 0:
        return x
    layout = x.shape
    b = x.shape[0]
    c, h, w = shape
    images = x.reshape(b, c, h, w)
    device, dtype = images.device, images.dtype

    def uniform(*size: int) -> torch.Tensor:  # in [-1, 1)
        r = torch.rand(size, generator=generator, device=generator.device, dtype=torch.float32)
        return (r * 2.0 - 1.0).to(device=device, dtype=dtype)

    def normal(*size: int) -> torch.Tensor:
        r = torch.randn(size, generator=generator, device=generator.device, dtype=torch.float32)
        return r.to(device=device, dtype=dtype)

    if shift or rotation or scale or elastic:
        # theta maps output coordinates (in [-1, 1]) to where each output pixel samples the input: a rotation by
        # angle, a zoom by 1/zoom (zoom > 1 enlarges the content) and a translation (the whole width spans 2).
        angle = uniform(b) * (rotation * math.pi / 180.0)
        zoom = 1.0 + uniform(b) * scale
        offset = uniform(b, 2) * (2.0 * shift)
        cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
        theta = torch.stack([torch.stack([cos, -sin, offset[:, 0]], dim=1),
                             torch.stack([sin, cos, offset[:, 1]], dim=1)], dim=1)
        grid = F.affine_grid(theta, [b, c, h, w], align_corners=False)
        if elastic:
            field = normal(b, 2, ELASTIC_GRID, ELASTIC_GRID) * elastic
            field = F.interpolate(field, size=(h, w), mode="bicubic", align_corners=False)
            pixels_to_grid = torch.tensor([2.0 / w, 2.0 / h], device=device, dtype=dtype)
            grid = grid + field.permute(0, 2, 3, 1) * pixels_to_grid
        # Outside the image is 0: the black background of digits (a dark border for colour photographs).
        images = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if noise:
        images = images + normal(b, c, h, w) * noise
    return images.reshape(layout)
