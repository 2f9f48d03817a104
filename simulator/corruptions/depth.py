"""Depth-aware corruptions of 3D Common Corruptions (Kar et al., CVPR 2022): fog that thickens
with distance, and depth of field focused near or far.

Depth is the renderer's: metres along the camera axis, inf where nothing was hit (the
environment, infinitely far). 3DCC used Euclidean distance, larger by 1 / cos(angle off the
axis): by up to 12% in the corners of a square 40-degree view, not corrected here.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from simulator.corruptions.base import clip01, pick, reference_scale

TASKONOMY_DEPTH_SCALE = 8000 / 512  # metres: 3DCC divides Taskonomy depth (1/512 m units) by 8000
_QUANTILES = 8  # 3DCC splits the depth range into this many quantile layers
_EPSILON = 1e-4  # metres: widens the outer quantiles so every depth falls inside one layer

Focus = Literal["near", "far"]


def fog_3d(
    image: np.ndarray, depth: np.ndarray, severity: int, depth_scale: float = TASKONOMY_DEPTH_SCALE
) -> np.ndarray:
    """3DCC's fog: transmission t = exp(-k * depth / depth_scale), k = 4, 8, .. 20, and the
    image fades to the mean image colour as t falls; infinitely far pixels become that colour."""
    density = pick((4, 8, 12, 16, 20), severity)
    transmission = np.exp(-density * depth.astype(np.float32) / np.float32(depth_scale))[..., None]
    airlight = image.mean()
    return clip01(transmission * image + airlight * (1 - transmission))


def defocus_3d(image: np.ndarray, depth: np.ndarray, severity: int, focus: Focus) -> np.ndarray:
    """3DCC's near/far focus: Gaussian blur of radius aperture * |d - f| / d px at 224 px.

    The focus distance f is the nearest depth (near) or the 7/8 quantile (far); the aperture is
    severity + 2 px (near) or severity + 0.5 px (far). As in 3DCC the image is blurred at the
    nine depth quantiles and each pixel blends the two layers around its depth with weights
    1 - distance^2; pixels at infinite depth take the limit radius, the aperture.
    """
    finite = np.isfinite(depth)
    if not finite.any():
        return image.copy()  # nothing to focus on
    near, far = pick(((3.0, 1.5), (4.0, 2.5), (5.0, 3.5), (6.0, 4.5), (7.0, 5.5)), severity)
    aperture = (near if focus == "near" else far) * reference_scale(image)
    edges = np.quantile(depth[finite].astype(np.float64), np.linspace(0, 1, _QUANTILES + 1))
    edges[0] -= _EPSILON
    edges[-1] += _EPSILON
    focus_distance = edges[0] if focus == "near" else edges[_QUANTILES - 1]
    radii = aperture * np.abs(edges - focus_distance) / edges

    safe = np.where(finite, depth, edges[-1])
    upper = np.clip(np.searchsorted(edges, safe), 1, _QUANTILES)
    lower = upper - 1
    gap = np.maximum(edges[upper] - edges[lower], np.finfo(np.float64).tiny)
    near_weight = 1 - ((safe - edges[lower]) / gap) ** 2
    far_weight = 1 - ((edges[upper] - safe) / gap) ** 2
    total = near_weight + far_weight

    out = np.zeros_like(image)
    for layer, radius in enumerate(radii):
        weight = (np.where(lower == layer, near_weight, 0) + np.where(upper == layer, far_weight, 0)) / total
        weight = np.where(finite, weight, 0).astype(np.float32)
        if weight.any():
            out += weight[..., None] * _blur(image, radius)
    if not finite.all():
        out += (~finite)[..., None].astype(np.float32) * _blur(image, aperture)
    return clip01(out)


def _blur(image: np.ndarray, radius: float) -> np.ndarray:
    """3DCC's separable Gaussian: std `radius`, int(3 * radius) taps made odd, edges repeated."""
    if radius < 0.1:
        return image
    taps = int(radius * 3) | 1
    return cv2.GaussianBlur(image, (taps, taps), sigmaX=radius, sigmaY=radius, borderType=cv2.BORDER_REPLICATE)
