"""Corruptions applied during optimization, differentiable in the rendered image.

`fog` is ImageNet-C fog as `simulator.corruptions.weather.fog` computes it (same plasma fractal
from the same random draws, same thickness and decay per severity), in torch: the haze does not
depend on the texture, so gradients flow through the blend to the image.
"""

from __future__ import annotations

import numpy as np
import torch

from simulator.corruptions.base import pick
from simulator.corruptions.weather import plasma_fractal

# (thickness, decay) per severity, as in simulator.corruptions.weather.fog (ImageNet-C).
FOG_LEVELS = ((1.5, 2), (2.0, 2), (2.5, 1.7), (2.5, 1.5), (3.0, 1.4))


def fog(srgb: torch.Tensor, severity: int, rng: np.random.Generator) -> torch.Tensor:
    """ImageNet-C fog on an N x 3 x H x W sRGB batch in [0, 1] (one haze for the batch)."""
    thickness, decay = pick(FOG_LEVELS, severity)
    height, width = srgb.shape[-2:]
    haze = plasma_fractal(1 << (max(height, width) - 1).bit_length(), decay, rng)[:height, :width]
    haze_t = torch.as_tensor(haze, dtype=srgb.dtype, device=srgb.device)
    peak = srgb.max()
    return ((srgb + thickness * haze_t) * (peak / (peak + thickness))).clamp(0.0, 1.0)
