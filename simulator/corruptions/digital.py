"""Digital corruptions: brightness, contrast, saturation, elastic transform, pixelation and JPEG.

Definitions and constants of ImageNet-C as packaged in imagecorruptions 1.1.2 (Apache-2.0).
Brightness and saturation change HSV value or saturation like the reference's scikit-image
round trip, written in closed form on RGB. The elastic displacement scales with
`reference_scale`; pixelation and JPEG work on the image as it is.
"""

from __future__ import annotations

from io import BytesIO

import cv2
import numpy as np
from PIL import Image

from simulator.corruptions.base import RandomSource, clip01, pick, reference_scale
from simulator.corruptions.filters import gaussian


def brightness(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Adds 0.1..0.5 to HSV value (clipped at 1), keeping hue and saturation."""
    shift = pick((0.1, 0.2, 0.3, 0.4, 0.5), severity)
    value = image.max(axis=2, keepdims=True)
    brighter = np.minimum(value + shift, 1.0)
    ratio = np.divide(brighter, value, out=np.ones_like(value), where=value > 0)
    return clip01(np.where(value > 0, image * ratio, brighter))  # black has no hue: it turns grey


def contrast(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Pulls every channel towards its mean, keeping 40%..5% of the deviation."""
    keep = pick((0.4, 0.3, 0.2, 0.1, 0.05), severity)
    means = image.mean(axis=(0, 1), keepdims=True)
    return clip01((image - means) * keep + means)


def saturate(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Multiplies HSV saturation by 0.3, 0.1, 2, 5 or 20 (adding 0, 0, 0, 0.1, 0.2), clipped to 1.

    As in the reference's scikit-image round trip, a grey pixel has hue 0, so where saturation
    is added (severities 4 and 5) grey turns reddish.
    """
    gain, offset = pick(((0.3, 0.0), (0.1, 0.0), (2.0, 0.0), (5.0, 0.1), (20.0, 0.2)), severity)
    value = image.max(axis=2, keepdims=True)
    spread = value - image.min(axis=2, keepdims=True)
    saturation = np.divide(spread, value, out=np.zeros_like(value), where=spread > 0)
    target = np.clip(saturation * gain + offset, 0.0, 1.0)
    # Each channel is value * (1 - k * saturation) with k fixed by the hue, so it moves linearly.
    coloured = value - (value - image) * np.divide(target, saturation, out=np.zeros_like(value), where=spread > 0)
    grey = np.concatenate([value, value * (1 - target), value * (1 - target)], axis=2)
    return clip01(np.where(spread > 0, coloured, grey))


def elastic_transform(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Resamples the image along a smooth random displacement field (bilinear, mirrored borders)."""
    alpha = pick((250 * 0.05, 250 * 0.065, 250 * 0.085, 250 * 0.1, 250 * 0.12), severity)
    alpha *= reference_scale(image)  # the field's pixel amplitude does not grow with size otherwise
    height, width = image.shape[:2]
    sigma = (0.01 * height, 0.01 * width)
    limit = 0.005 * height  # the reference uses the height for both directions
    dx, dy = (
        (gaussian(rng.uniform(-limit, limit, size=(height, width)), sigma, mode="reflect", truncate=3) * alpha).astype(
            np.float32
        )
        for _ in range(2)
    )
    return clip01(_displace(image, dy, dx))


def _displace(image: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """`image` sampled at (row + dy, column + dx), bilinear, mirrored about the edges: SciPy's
    map_coordinates(order=1, mode='reflect'), on a mirrored border wide enough for the field."""
    height, width = image.shape[:2]
    pad = 2 + int(max(np.abs(dy).max(), np.abs(dx).max()))
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REFLECT).reshape(-1, image.shape[2])
    rows = np.arange(pad, pad + height, dtype=np.float32)[:, None] + dy
    cols = np.arange(pad, pad + width, dtype=np.float32)[None, :] + dx
    top, left = np.floor(rows), np.floor(cols)
    down, right = (rows - top)[..., None], (cols - left)[..., None]
    corner = top.astype(np.intp) * (width + 2 * pad) + left.astype(np.intp)
    below = corner + width + 2 * pad
    upper = padded[corner] + (padded[corner + 1] - padded[corner]) * right
    lower = padded[below] + (padded[below + 1] - padded[below]) * right
    return upper + (lower - upper) * down


def pixelate(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Box-downsamples to 60%..25% of the size, then upsamples with nearest neighbours."""
    factor = pick((0.6, 0.5, 0.4, 0.3, 0.25), severity)
    height, width = image.shape[:2]
    small = (max(1, int(width * factor)), max(1, int(height * factor)))
    planes = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(image[..., c]))
            .resize(small, Image.Resampling.BOX)
            .resize((width, height), Image.Resampling.NEAREST)
        )
        for c in range(image.shape[2])
    ]
    return clip01(np.stack(planes, axis=2))


def jpeg_compression(image: np.ndarray, severity: int, rng: RandomSource) -> np.ndarray:
    """Encodes as JPEG at quality 25, 18, 15, 10 or 7 (Pillow, 4:2:0) and decodes (8-bit)."""
    quality = pick((25, 18, 15, 10, 7), severity)
    buffer = BytesIO()
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"), dtype=np.float32) / 255
