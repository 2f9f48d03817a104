"""Filters that several corruptions share, equal to the SciPy / scikit-image / OpenCV calls of the
ImageNet-C reference (imagecorruptions 1.1.2), computed with OpenCV's separable and DFT filters."""

from __future__ import annotations

import math

import cv2
import numpy as np

_BORDERS = {"nearest": cv2.BORDER_REPLICATE, "reflect": cv2.BORDER_REFLECT, "mirror": cv2.BORDER_REFLECT_101}


def gaussian(
    image: np.ndarray, sigma: float | tuple[float, float], *, truncate: float = 4.0, mode: str = "nearest"
) -> np.ndarray:
    """scikit-image's `filters.gaussian` (each channel alone): SciPy's kernel of radius
    int(truncate * sigma + 0.5) and SciPy's border `mode`; `sigma` may be (rows, columns)."""
    sigma_y, sigma_x = (sigma, sigma) if isinstance(sigma, int | float) else sigma
    size = (2 * int(truncate * sigma_x + 0.5) + 1, 2 * int(truncate * sigma_y + 0.5) + 1)
    return cv2.GaussianBlur(image, size, sigmaX=sigma_x, sigmaY=sigma_y, borderType=_BORDERS[mode])


def disk_kernel(radius: float, half_width: int, alias_blur: float, alias_size: int) -> np.ndarray:
    """The reference's anti-aliased disk: a normalized binary disk on a (2 * half_width + 1)^2 grid,
    smoothed by an `alias_size`^2 Gaussian of sigma `alias_blur`."""
    grid = np.arange(-half_width, half_width + 1)
    x, y = np.meshgrid(grid, grid)
    disk = np.asarray(x**2 + y**2 <= radius**2, dtype=np.float32)
    disk /= disk.sum()
    return cv2.GaussianBlur(disk, (alias_size, alias_size), sigmaX=alias_blur)


def motion_kernel(
    radius: int, sigma: float, angle: float, shape: tuple[int, int]
) -> tuple[np.ndarray, tuple[int, int]]:
    """The reference's motion blur as one correlation kernel and its anchor (x, y).

    The reference sums `2 * radius + 1` copies of the image shifted along `angle` (degrees), with
    one-sided Gaussian weights and edge pixels repeated; this is the same sum as a sparse kernel,
    to be applied with `cv2.filter2D(..., anchor=anchor, borderType=cv2.BORDER_REPLICATE)`.
    """
    width = 2 * radius + 1
    weights = np.exp(-(np.arange(width) ** 2) / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)
    weights /= weights.sum()
    point = (width * np.sin(np.deg2rad(angle)), width * np.cos(np.deg2rad(angle)))
    hypot = math.hypot(*point)
    offsets = []  # (row, column) offsets of the source pixel read for each copy
    for i in range(width):
        dy = -math.ceil((i * point[0]) / hypot - 0.5)
        dx = -math.ceil((i * point[1]) / hypot - 0.5)
        if abs(dy) >= shape[0] or abs(dx) >= shape[1]:
            break  # the motion left the image: the reference stops here
        offsets.append((-dy, -dx))
    rows, cols = np.array(offsets).T
    kernel = np.zeros((rows.max() - rows.min() + 1, cols.max() - cols.min() + 1), dtype=np.float32)
    np.add.at(kernel, (rows - rows.min(), cols - cols.min()), weights[: len(offsets)])
    return kernel, (int(-cols.min()), int(-rows.min()))


def zoom_window(size: int, factor: float) -> tuple[int, float, float]:
    """The reference's `clipped_zoom` along one axis: SciPy `zoom` (order 1, corners aligned) of the
    centre crop. Returns (output size, start, step): output pixel i samples the input at start + i * step."""
    crop = math.ceil(size / factor)
    zoomed = round(crop * factor)
    return zoomed, float((size - crop) // 2), (crop - 1) / (zoomed - 1)


def clipped_zoom(layer: np.ndarray, factor: float) -> np.ndarray:
    """The reference's `clipped_zoom` of a 2-D array, exactly (bilinear samples of the centre crop);
    the result is at least as large as `layer` (the reference crops it later)."""
    upper, lower, weight = _linear_samples(layer.shape[0], *zoom_window(layer.shape[0], factor))
    by_rows = layer[upper] + (layer[lower] - layer[upper]) * weight[:, None]
    left, right, weight = _linear_samples(layer.shape[1], *zoom_window(layer.shape[1], factor))
    return by_rows[:, left] + (by_rows[:, right] - by_rows[:, left]) * weight[None, :]


def _linear_samples(size: int, count: int, start: float, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    position = start + np.arange(count) * step
    low = np.floor(position).astype(np.intp)
    return low, np.minimum(low + 1, size - 1), position - low
