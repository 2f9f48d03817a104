"""Texture painting shared by the builders: 3D value noise, soft masks, deterministic PNGs.

Textures are painted as functions of the 3D surface point under each texel (see
`geometry.equirect_directions` / `revolve_texel_points`), so patterns have no seams.
Colours here are sRGB in [0, 1], as stored in the PNG (renderers read it as sRGB).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.spatial import cKDTree

LATTICE = 64  # noise lattice period

# Texture atlas for objects made of a main body and small parts: the body's UVs fill the
# bottom BODY_V of a square ATLAS_SIZE image, the parts (stems, leaves, handles) the strip above.
ATLAS_SIZE = 512
BODY_V = 0.875
BODY_ROWS = round(BODY_V * ATLAS_SIZE)


def _lattice(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((LATTICE, LATTICE, LATTICE))


def value_noise(points: np.ndarray, frequency: float, seed: int) -> np.ndarray:
    """Smooth value noise in [0, 1] at (..., 3) points, about `frequency` features per unit."""
    table = _lattice(seed)
    p = np.asarray(points, dtype=float) * frequency + 17.0  # keep away from the origin's symmetry
    cell = np.floor(p).astype(np.int64)
    f = p - cell
    f = f * f * (3.0 - 2.0 * f)  # smoothstep
    result = np.zeros(p.shape[:-1])
    for dx in (0, 1):
        wx = f[..., 0] if dx else 1.0 - f[..., 0]
        for dy in (0, 1):
            wy = f[..., 1] if dy else 1.0 - f[..., 1]
            for dz in (0, 1):
                wz = f[..., 2] if dz else 1.0 - f[..., 2]
                i = (cell + (dx, dy, dz)) % LATTICE
                result += wx * wy * wz * table[i[..., 0], i[..., 1], i[..., 2]]
    return result


def fractal_noise(points: np.ndarray, frequency: float, seed: int, octaves: int = 4, gain: float = 0.5) -> np.ndarray:
    """Sum of `octaves` value noises, each twice the frequency and `gain` times the weight; [0, 1]."""
    total, weight, norm = np.zeros(np.shape(points)[:-1]), 1.0, 0.0
    for octave in range(octaves):
        total += weight * value_noise(points, frequency * 2**octave, seed + octave)
        norm += weight
        weight *= gain
    return total / norm


def fibonacci_sphere(count: int) -> np.ndarray:
    """`count` evenly spread unit vectors."""
    i = np.arange(count) + 0.5
    z = 1.0 - 2.0 * i / count
    theta = np.pi * (1.0 + 5.0**0.5) * i
    r = np.sqrt(1.0 - z * z)
    return np.column_stack([r * np.cos(theta), r * np.sin(theta), z])


def spot_distance(directions: np.ndarray, count: int, seed: int | None = None, jitter: float = 0.0) -> np.ndarray:
    """Distance from each unit direction (..., 3) to the nearest of `count` evenly spread spots
    (randomly nudged by `jitter` spacings when a seed is given), in units of the spot spacing:
    0 at a spot's centre, about 0.5 half-way between spots. For pores, pebbles and seeds."""
    spacing = math.sqrt(4 * math.pi / count)
    centres = fibonacci_sphere(count)
    if seed is not None and jitter:
        centres = centres + np.random.default_rng(seed).normal(0.0, jitter * spacing, centres.shape)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    distance, _ = cKDTree(centres).query(np.asarray(directions, dtype=float).reshape(-1, 3))
    return distance.reshape(np.shape(directions)[:-1]) / spacing


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((np.asarray(x, dtype=float) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def line_mask(distance: np.ndarray, half_width: float, softness: float) -> np.ndarray:
    """1 on a line (|distance| < half_width), fading to 0 over `softness`."""
    return 1.0 - smoothstep(half_width, half_width + softness, np.abs(distance))


def mix(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per-texel blend of colours a -> b by t (broadcast over the last axis)."""
    t = np.asarray(t, dtype=float)[..., None]
    return np.asarray(a, dtype=float) * (1.0 - t) + np.asarray(b, dtype=float) * t


def fill(height: int, width: int, color: tuple[float, float, float]) -> np.ndarray:
    return np.broadcast_to(np.asarray(color, dtype=float), (height, width, 3)).copy()


def mottled(height: int, width: int, color: tuple[float, float, float], seed: int, depth: float = 0.3) -> np.ndarray:
    """A single colour darkened by up to `depth` in fine blotches (stems, leaves, handles)."""
    y, x = np.mgrid[0:height, 0:width] / float(width)
    points = np.stack([x, y, np.zeros_like(x)], axis=-1)
    shade = 1.0 - depth * fractal_noise(points, 20.0, seed=seed, octaves=3)
    return np.asarray(color, dtype=float) * shade[..., None]


def atlas(body: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """The atlas image: `parts` (ATLAS_SIZE - BODY_ROWS rows) above `body` (BODY_ROWS rows)."""
    if body.shape[0] != BODY_ROWS or body.shape[0] + parts.shape[0] != ATLAS_SIZE:
        raise ValueError(f"atlas wants {BODY_ROWS} body rows and {ATLAS_SIZE - BODY_ROWS} part rows")
    return np.concatenate([parts, body], axis=0)


def save_png(path: Path, image: np.ndarray) -> None:
    """Write an (H, W, 3) float image in [0, 1] as an 8-bit sRGB PNG, byte-for-byte repeatable."""
    pixels = np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    Image.fromarray(pixels, "RGB").save(path, format="PNG", optimize=False, compress_level=9)
