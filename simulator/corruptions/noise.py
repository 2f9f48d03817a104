"""Noise corruptions: Gaussian, shot (Poisson), impulse (salt and pepper) and speckle.

Definitions and constants of ImageNet-C (Hendrycks & Dietterich 2019) as packaged in
imagecorruptions 1.1.2 (Apache-2.0). Noise is per pixel, so nothing here depends on image size.
Shot noise draws its Poisson counts with a vectorized sampler (`poisson`): same distribution as
the reference's `np.random.poisson`, other numbers.
"""

from __future__ import annotations

import numpy as np

from simulator.corruptions.base import RandomSource, clip01, pick
from simulator.corruptions.poisson import capped_poisson


def gaussian_noise(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Adds zero-mean Gaussian noise to every channel."""
    scale = pick((0.08, 0.12, 0.18, 0.26, 0.38), severity)
    return clip01(image + rng.normal(0.0, scale, size=image.shape))


def shot_noise(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Photon counting noise: each channel becomes Poisson(value * photons) / photons."""
    photons = pick((60, 25, 12, 5, 3), severity)
    return capped_poisson(image * photons, photons, rng).astype(np.float32) / np.float32(photons)


def impulse_noise(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Sets a fraction of channel values to 0 or 1, equally often (scikit-image's 's&p' noise)."""
    amount = pick((0.03, 0.06, 0.09, 0.17, 0.27), severity)
    flipped = rng.random(image.shape) <= amount
    salted = rng.random(image.shape) <= 0.5
    out = image.copy()
    out[flipped & salted] = 1.0
    out[flipped & ~salted] = 0.0
    return out


def speckle_noise(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Multiplicative Gaussian noise: value * (1 + N(0, scale))."""
    scale = pick((0.15, 0.2, 0.35, 0.45, 0.6), severity)
    return clip01(image + image * rng.normal(0.0, scale, size=image.shape))
