"""The ImageNet-C reference implementation (imagecorruptions 1.1.2, a dev dependency) made to
run on today's libraries, and the photograph to compare on, for tests and benchmarks/corruptions.py.

Its incompatibilities, patched here rather than in site-packages:
- it calls scikit-image's `gaussian(..., multichannel=True)`, an argument removed in
  scikit-image 0.19 (now `channel_axis=-1`): its module-level `gaussian` is replaced by a wrapper;
- impulse noise draws from scikit-image's own unseeded generator: `reference_corrupt` seeds it
  while it runs, so that it can be compared draw for draw;
- it imports `pkg_resources` (the dev extra pins setuptools < 81) and the deprecated
  `scipy.ndimage.interpolation`: their warnings are silenced on import.
Motion blur in 1.1.2 uses its own shift-and-add kernel (no Wand/ImageMagick).
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import Any

import numpy as np
import skimage.data
import skimage.util
from PIL import Image
from skimage.filters import gaussian

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", UserWarning)
    import imagecorruptions
    from imagecorruptions import corruptions as _reference


def _gaussian(image: np.ndarray, sigma: Any = 1, multichannel: bool | None = None, **options: Any) -> np.ndarray:
    if multichannel:
        options["channel_axis"] = -1
    return gaussian(image, sigma=sigma, **options)


_reference.gaussian = _gaussian


def reference_corrupt(image: np.ndarray, name: str, severity: int, seed: int) -> np.ndarray:
    """The reference's uint8 output for uint8 `image`, after `np.random.seed(seed)` (and with
    scikit-image's noise generator seeded with `seed`)."""
    random_noise = skimage.util.random_noise
    skimage.util.random_noise = partial(random_noise, rng=seed)
    try:
        np.random.seed(seed)
        return imagecorruptions.corrupt(image, severity=severity, corruption_name=name)
    finally:
        skimage.util.random_noise = random_noise


class LegacyRandom:
    """NumPy's legacy generator (what `np.random.seed` seeds) behind the `Generator` methods that
    corruptions draw from: with the same seed, ours draw the reference's numbers."""

    def __init__(self, seed: int) -> None:
        self._state = np.random.RandomState(seed)

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None) -> Any:
        return self._state.normal(loc, scale, size)

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None) -> Any:
        return self._state.uniform(low, high, size)

    def integers(self, low: int, high: int | None = None, size: Any = None) -> Any:
        return self._state.randint(low, high, size)

    def poisson(self, lam: Any = 1.0, size: Any = None) -> Any:
        return self._state.poisson(lam, size)

    def random(self, size: Any = None) -> Any:
        return self._state.random_sample(size)


def photo(height: int = 224, width: int = 224) -> np.ndarray:
    """A natural photograph (scikit-image's bundled 'chelsea', a cat), centre-cropped to the
    aspect ratio and resized to height x width, as uint8 RGB."""
    image = skimage.data.chelsea()
    rows, cols = image.shape[:2]
    if cols * height > rows * width:
        crop = rows * width // height
        image = image[:, (cols - crop) // 2 : (cols - crop) // 2 + crop]
    else:
        crop = cols * height // width
        image = image[(rows - crop) // 2 : (rows - crop) // 2 + crop]
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BICUBIC))
