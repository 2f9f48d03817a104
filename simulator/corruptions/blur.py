"""Blur corruptions: defocus, glass, motion, zoom and Gaussian blur.

Definitions and constants of ImageNet-C as packaged in imagecorruptions 1.1.2 (Apache-2.0);
radii and sigmas are for 224 px and scale with `reference_scale`. Glass blur resolves the
reference's sequential pixel loop vectorized (`_glass_pass`), with the same result; zoom blur
resamples with `cv2.warpAffine`, whose bilinear weights are rounded to 1/32 pixel (the
reference's SciPy zoom is exact; outputs differ by at most ~0.25/255 beyond rounding).
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from simulator.corruptions.base import RandomSource, clip01, pick, reference_scale
from simulator.corruptions.filters import disk_kernel, gaussian, motion_kernel, zoom_window


def gaussian_blur(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Gaussian blur of sigma 1, 2, 3, 4 or 6 px at 224 px."""
    sigma = pick((1, 2, 3, 4, 6), severity)
    return clip01(gaussian(image, sigma * reference_scale(image)))


def defocus_blur(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Convolution with an anti-aliased disk (a defocused thin lens), radius 3..10 px at 224 px."""
    radius, alias_blur = pick(((3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)), severity)
    scale = reference_scale(image)
    half_width = max(1, round(max(8, radius) * scale))
    alias_size = 2 * max(1, round((1 if radius <= 8 else 2) * scale)) + 1
    kernel = disk_kernel(radius * scale, half_width, alias_blur * scale, alias_size)
    return clip01(cv2.filter2D(image, -1, kernel))


def motion_blur(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Blur along a random direction within 45 degrees of horizontal."""
    radius, sigma = pick(((10, 3), (15, 5), (15, 8), (15, 12), (20, 15)), severity)
    angle = rng.uniform(-45, 45)
    scale = reference_scale(image)
    kernel, anchor = motion_kernel(max(1, round(radius * scale)), sigma * scale, angle, image.shape[:2])
    return clip01(cv2.filter2D(image, -1, kernel, anchor=anchor, borderType=cv2.BORDER_REPLICATE))


_ZOOMS = (
    np.arange(1, 1.11, 0.01),
    np.arange(1, 1.16, 0.01),
    np.arange(1, 1.21, 0.02),
    np.arange(1, 1.26, 0.02),
    np.arange(1, 1.31, 0.03),
)


def zoom_blur(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """The mean of the image and its centre zoomed by every factor from 1 up to 1.11..1.31."""
    factors = pick(_ZOOMS, severity)
    height, width = image.shape[:2]
    total = image.copy()
    for factor in factors:
        _, row_start, row_step = zoom_window(height, factor)
        _, col_start, col_step = zoom_window(width, factor)
        inverse = np.array([[col_step, 0.0, col_start], [0.0, row_step, row_start]])
        total += cv2.warpAffine(image, inverse, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    return clip01(total / (len(factors) + 1))


def glass_blur(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Blur, scramble pixels locally (1..3 passes), blur again: like looking through frosted glass."""
    sigma, delta, passes = pick(((0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2)), severity)
    scale = reference_scale(image)
    sigma *= scale
    delta = max(1, round(delta * scale))
    # The reference stores the first blur as uint8 (truncating); keep that step.
    blurred = np.floor(gaussian(image, sigma) * 255) / 255
    height, width = image.shape[:2]
    order = np.arange(height * width)
    for _ in range(passes):
        order = order[_glass_pass(height, width, delta, rng)]
    return clip01(gaussian(blurred.reshape(-1, 3)[order].reshape(image.shape), sigma))


def _glass_pass(height: int, width: int, delta: int, rng: RandomSource) -> np.ndarray:
    """Flat source index of every pixel after one pass of the reference's pixel moves.

    The reference visits the pixels (h, w) with delta < h <= height - delta (likewise w) from
    the bottom-right corner backwards and, in a Python loop (~1 s at 224 px), sets each to the
    current value of (h + dy, w + dx), dx and dy uniform in [-delta, delta). (It is written as
    a swap, but the right-hand side holds NumPy views, so only the copy into (h, w) happens.)
    A visited pixel thus takes the original value of its source, or, if the source was visited
    before it, the source's new value: a chain that pointer jumping resolves, vectorized.
    """
    visits, visited = _visits(height, width, delta)
    offsets = rng.integers(-delta, delta, size=(visits.size, 2))  # (dx, dy) per visit, as drawn there
    dx, dy = offsets[:, 0], offsets[:, 1]
    sources = visits + dy * width + dx
    source = np.arange(height * width)
    source[visits] = sources
    chained = np.zeros(height * width, dtype=bool)
    chained[visits] = visited[sources] & ((dy > 0) | ((dy == 0) & (dx > 0)))  # visited earlier
    pending = np.flatnonzero(chained)
    while pending.size:
        ahead = source[pending]
        source[pending], chained[pending] = source[ahead], chained[ahead]
        pending = pending[chained[pending]]
    return source


@cache
def _visits(height: int, width: int, delta: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of the pixels the reference visits, in its order, and a mask of them."""
    rows, cols = np.meshgrid(np.arange(height - delta, delta, -1), np.arange(width - delta, delta, -1), indexing="ij")
    visits = (rows * width + cols).ravel()
    visited = np.zeros(height * width, dtype=bool)
    visited[visits] = True
    return visits, visited
