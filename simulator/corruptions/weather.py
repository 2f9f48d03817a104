"""Weather corruptions: snow, frost, fog, and spatter (water or mud drops).

Definitions and constants of ImageNet-C as packaged in imagecorruptions 1.1.2 (Apache-2.0).
Flake sizes, streak lengths, drop sizes and the frost texture scale with `reference_scale`;
the fog's fractal is, as in the reference, sized to the next power of two of the image.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from simulator.corruptions.base import RandomSource, clip01, pick, reference_scale
from simulator.corruptions.filters import clipped_zoom, gaussian, motion_kernel

# The reference's frost() draws one of these five (its package also ships an unused frost6.jpg).
FROST_FILES = ("frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg")


def snow(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Zoomed Gaussian noise thresholded into flakes, streaked by motion blur, over a whitened image."""
    mean, std, zoom, threshold, radius, sigma, keep = pick(
        (
            (0.1, 0.3, 3, 0.5, 10, 4, 0.8),
            (0.2, 0.3, 2, 0.5, 12, 4, 0.7),
            (0.55, 0.3, 4, 0.9, 12, 8, 0.7),
            (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65),
            (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55),
        ),
        severity,
    )
    height, width = image.shape[:2]
    scale = reference_scale(image)
    flakes = clipped_zoom(rng.normal(mean, std, size=(height, width)), max(1.0, zoom * scale))  # flakes >= 1 px
    flakes[flakes < threshold] = 0
    flakes = np.clip(flakes, 0, 1)
    angle = rng.uniform(-135, -45)
    kernel, anchor = motion_kernel(max(1, round(radius * scale)), sigma * scale, angle, flakes.shape)
    flakes = cv2.filter2D(flakes, -1, kernel, anchor=anchor, borderType=cv2.BORDER_REPLICATE)
    flakes = (np.round(flakes * 255) / 255)[:height, :width, None]  # the reference rounds to uint8
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None]
    whitened = keep * image + (1 - keep) * np.maximum(image, gray * 1.5 + 0.5)
    return clip01(whitened + flakes + flakes[::-1, ::-1])


def frost(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """A random crop of one of five frost photographs blended over the image."""
    keep, amount = pick(((1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75)), severity)
    height, width = image.shape[:2]
    texture = frost_texture(int(rng.integers(len(FROST_FILES))), height, width)
    top = int(rng.integers(0, texture.shape[0] - height))
    left = int(rng.integers(0, texture.shape[1] - width))
    crop = texture[top : top + height, left : left + width]
    return clip01(keep * image + (amount / 255) * crop)


@lru_cache(maxsize=16)
def frost_texture(index: int, height: int, width: int) -> np.ndarray:
    """Frost photograph `index` as RGB uint8, resized as the reference does for an image of this
    size: bicubic, by 1.1 times the larger of reference_scale and the factor that covers the image."""
    path = Path(str(resources.files("assets").joinpath("corruptions", "frost", FROST_FILES[index])))
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"frost texture missing: {path}")
    rows, cols = bgr.shape[:2]
    factor = 1.1 * max(min(height, width) / 224, height / rows, width / cols)
    size = (int(np.ceil(cols * factor)), int(np.ceil(rows * factor)))
    return np.ascontiguousarray(cv2.resize(bgr, dsize=size, interpolation=cv2.INTER_CUBIC)[..., ::-1])


def fog(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """A plasma-fractal haze added to the image, with the contrast reduced to keep its range."""
    thickness, decay = pick(((1.5, 2), (2.0, 2), (2.5, 1.7), (2.5, 1.5), (3.0, 1.4)), severity)
    height, width = image.shape[:2]
    haze = plasma_fractal(1 << (max(image.shape) - 1).bit_length(), decay, rng)[:height, :width, None]
    peak = image.max()
    return clip01((image + thickness * haze) * (peak / (peak + thickness)))


def plasma_fractal(size: int, decay: float, rng: RandomSource) -> np.ndarray:
    """A size x size (power of two) diamond-square height map in [0, 1], as in the reference
    (after FLHerne/mapgen): each level adds uniform noise whose amplitude divides by `decay`."""
    grid = np.empty((size, size))
    grid[0, 0] = 0
    step, wibble = size, 100.0
    while step >= 2:
        half = step // 2
        corners = grid[0:size:step, 0:size:step]
        squares = corners + np.roll(corners, shift=-1, axis=0)
        squares += np.roll(squares, shift=-1, axis=1)
        grid[half:size:step, half:size:step] = squares / 4 + wibble * rng.uniform(-wibble, wibble, squares.shape)
        centres = grid[half:size:step, half:size:step]
        corners = grid[0:size:step, 0:size:step]
        left = (centres + np.roll(centres, 1, axis=0)) + (corners + np.roll(corners, -1, axis=1))
        grid[0:size:step, half:size:step] = left / 4 + wibble * rng.uniform(-wibble, wibble, left.shape)
        top = (centres + np.roll(centres, 1, axis=1)) + (corners + np.roll(corners, -1, axis=0))
        grid[half:size:step, 0:size:step] = top / 4 + wibble * rng.uniform(-wibble, wibble, top.shape)
        step //= 2
        wibble /= decay
    grid -= grid.min()
    return grid / grid.max()


_WATER = np.array([175, 238, 238], dtype=np.float32) / 255  # pale turquoise
_MUD = np.array([63, 42, 20], dtype=np.float32) / 255
_EMBOSS = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=np.float32)


def spatter(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Drops on the lens: thresholded smooth noise drawn as water (severity 1-3) or mud (4-5)."""
    # fifth: colour strength of water drops; blur (px at 224 px) of the mask of mud drops
    mean, std, sigma, threshold, fifth, mud = pick(
        (
            (0.65, 0.3, 4, 0.69, 0.6, False),
            (0.65, 0.3, 3, 0.68, 0.6, False),
            (0.65, 0.3, 2, 0.68, 0.5, False),
            (0.65, 0.3, 1, 0.65, 1.5, True),
            (0.67, 0.4, 1, 0.65, 1.5, True),
        ),
        severity,
    )
    scale = reference_scale(image)
    liquid = gaussian(rng.normal(mean, std, size=image.shape[:2]), sigma * scale)
    liquid[liquid < threshold] = 0
    if mud:
        return _mud(image, liquid > threshold, fifth * scale)
    return _water(image, liquid, fifth, scale)


def _water(image: np.ndarray, liquid: np.ndarray, strength: float, scale: float) -> np.ndarray:
    """Turquoise drops shaded by an embossed, equalized distance to their edges (the reference's
    OpenCV steps; the distance is truncated at 20 px at 224 px)."""
    layer = (liquid * 255).astype(np.uint8)
    distance = cv2.distanceTransform(255 - cv2.Canny(layer, 50, 150), cv2.DIST_L2, 5)
    _, distance = cv2.threshold(distance, 20 * scale, 20 * scale, cv2.THRESH_TRUNC)
    distance = cv2.equalizeHist(cv2.blur(distance, (3, 3)).astype(np.uint8))
    distance = cv2.blur(cv2.filter2D(distance, cv2.CV_8U, _EMBOSS), (3, 3)).astype(np.float32)
    shade = layer * distance
    peak = shade.max()
    if peak == 0:
        return image.copy()
    return clip01(image + (shade * (strength / peak))[..., None] * _WATER)


def _mud(image: np.ndarray, drops: np.ndarray, sigma: float) -> np.ndarray:
    """Opaque brown drops: the drop mask blurred, kept where it is at least 0.8."""
    mask = gaussian(drops.astype(np.float32), sigma)
    mask[mask < 0.8] = 0
    mask = mask[..., None]
    return clip01(image * (1 - mask) + mask * _MUD)
