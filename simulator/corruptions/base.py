"""What every corruption is: a pure function of an image, a severity and a random source.

Images are float32 HxWx3 sRGB values in [0, 1]; a corruption returns a new array of the same
shape and dtype and never modifies its input. Constants follow the ImageNet-C definitions, which
were tuned for 224 px images: spatial constants (blur radii, displacements, flake sizes) are
multiplied by `reference_scale(image)` = min(H, W) / 224, so a 224 px image gets the reference
values exactly and other sizes get the same effect relative to the image. Per-pixel constants
(noise levels, JPEG quality, colour shifts) do not depend on size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import numpy as np

REFERENCE_SIZE = 224  # pixels; the image size the ImageNet-C constants were chosen for
SEVERITIES = (1, 2, 3, 4, 5)
T = TypeVar("T")


class RandomSource(Protocol):
    """The part of `numpy.random.Generator` that corruptions draw from."""

    def normal(self, loc: float = ..., scale: float = ..., size: int | tuple[int, ...] | None = ...) -> np.ndarray: ...

    def uniform(self, low: float = ..., high: float = ..., size: int | tuple[int, ...] | None = ...) -> np.ndarray: ...

    def integers(self, low: int, high: int | None = ..., size: int | tuple[int, ...] | None = ...) -> np.ndarray: ...

    def poisson(self, lam: float | np.ndarray = ..., size: int | tuple[int, ...] | None = ...) -> np.ndarray: ...

    def random(self, size: int | tuple[int, ...] | None = ...) -> np.ndarray: ...


Corruption = Callable[[np.ndarray, int, RandomSource], np.ndarray]


def reference_scale(image: np.ndarray) -> float:
    """How much larger than the reference 224 px the image's shorter side is."""
    return min(image.shape[:2]) / REFERENCE_SIZE


def pick(levels: Sequence[T], severity: int) -> T:
    """The entry of a five-level table for `severity` (1..5)."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of 1..5, got {severity!r}")
    return levels[severity - 1]


def clip01(image: np.ndarray) -> np.ndarray:
    """`image` clipped to [0, 1] as float32."""
    return np.clip(image, 0.0, 1.0).astype(np.float32, copy=False)
