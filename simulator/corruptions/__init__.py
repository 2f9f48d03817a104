"""Image corruptions by name: the 19 of ImageNet-C (Hendrycks & Dietterich 2019; the reference
implementation is imagecorruptions 1.1.2) and the depth-aware ones of 3D Common Corruptions.

    corrupt(image, "fog", 3, rng)   # image: float32 HxWx3 in [0, 1]; a new array back
"""

from __future__ import annotations

import numpy as np

from simulator.corruptions import blur, digital, noise, weather
from simulator.corruptions.base import SEVERITIES, Corruption, RandomSource

CORRUPTIONS: dict[str, Corruption] = {  # in ImageNet-C's order: 15 common, then 4 extra
    "gaussian_noise": noise.gaussian_noise,
    "shot_noise": noise.shot_noise,
    "impulse_noise": noise.impulse_noise,
    "defocus_blur": blur.defocus_blur,
    "glass_blur": blur.glass_blur,
    "motion_blur": blur.motion_blur,
    "zoom_blur": blur.zoom_blur,
    "snow": weather.snow,
    "frost": weather.frost,
    "fog": weather.fog,
    "brightness": digital.brightness,
    "contrast": digital.contrast,
    "elastic_transform": digital.elastic_transform,
    "pixelate": digital.pixelate,
    "jpeg_compression": digital.jpeg_compression,
    "speckle_noise": noise.speckle_noise,
    "gaussian_blur": blur.gaussian_blur,
    "spatter": weather.spatter,
    "saturate": digital.saturate,
}
NAMES = tuple(CORRUPTIONS)
COMMON, EXTRA = NAMES[:15], NAMES[15:]

__all__ = ["COMMON", "CORRUPTIONS", "EXTRA", "NAMES", "SEVERITIES", "RandomSource", "corrupt"]


def corrupt(image: np.ndarray, name: str, severity: int, rng: RandomSource) -> np.ndarray:
    """`image` (HxWx3 in [0, 1]) with corruption `name` at `severity` (1..5), as new float32."""
    if name not in CORRUPTIONS:
        raise KeyError(f"unknown corruption {name!r}; known: {', '.join(NAMES)}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 image, got shape {image.shape}")
    return CORRUPTIONS[name](np.asarray(image, dtype=np.float32), severity, rng)
