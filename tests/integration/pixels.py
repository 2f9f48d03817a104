"""Pixel masks shared by the render tests."""

from __future__ import annotations

import numpy as np


def far_background(segmentation: np.ndarray, margin: int = 2) -> np.ndarray:
    """Background pixels at least `margin` pixels from the object (edge pixels mix in the object)."""
    near = segmentation > 0
    for _ in range(margin):
        grown = near.copy()
        grown[1:] |= near[:-1]
        grown[:-1] |= near[1:]
        grown[:, 1:] |= near[:, :-1]
        grown[:, :-1] |= near[:, 1:]
        near = grown
    return ~near
