"""Balls: spheres whose identity is all in the texture (soccer, tennis, basketball)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from assets.builders import builder
from assets.builders.geometry import Mesh, axis_rotation, equirect_directions, rotation_between, uv_sphere
from assets.builders.output import write_object
from assets.builders.textures import fractal_noise, line_mask, mix, smoothstep, spot_distance

TEXTURE_WIDTH, TEXTURE_HEIGHT = 512, 256
CAMERA_DIRECTION = np.array([0.0, -math.cos(math.radians(10)), math.sin(math.radians(10))])


def ball_mesh() -> Mesh:
    return uv_sphere(0.5, segments=96, rings=48)


@builder("soccer_ball")
def soccer_ball(folder: Path) -> None:
    """Truncated icosahedron pattern: 12 black pentagons, 20 white hexagons, dark seams."""
    phi = (1 + 5**0.5) / 2
    ico = np.array([p for a in (-1, 1) for b in (-phi, phi) for p in ([0, a, b], [a, b, 0], [b, 0, a])], dtype=float)
    dodeca = np.array(
        [[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]
        + [p for a in (-1 / phi, 1 / phi) for b in (-phi, phi) for p in ([0, b, a], [b, a, 0], [a, 0, b])],
        dtype=float,
    )
    pentagons = ico / np.linalg.norm(ico, axis=1, keepdims=True)
    hexagons = dodeca / np.linalg.norm(dodeca, axis=1, keepdims=True)
    # A pentagon faces the default camera.
    turn = rotation_between(pentagons[0], CAMERA_DIRECTION)
    normals = np.concatenate([pentagons, hexagons]) @ turn.T
    # Face planes of a truncated icosahedron (edge 1): pentagons at 2.3276, hexagons at 2.2672.
    heights = np.concatenate([np.full(12, 2.3276), np.full(20, 2.2672)])
    d = equirect_directions(TEXTURE_WIDTH, TEXTURE_HEIGHT)
    score = d @ normals.T / heights  # the face a ray from the centre meets first scores highest
    order = np.argsort(-score, axis=-1)
    top = np.take_along_axis(score, order[..., :2], axis=-1)
    gap = (top[..., 0] - top[..., 1]) * 2.3  # ~ angular distance to the nearest edge
    is_pentagon = order[..., 0] < 12
    white, black, seam = np.array([0.93, 0.93, 0.91]), np.array([0.06, 0.06, 0.07]), np.array([0.25, 0.25, 0.26])
    image = np.where(is_pentagon[..., None], black, white)
    grime = fractal_noise(d * 0.5, 6.0, seed=11)
    image = image * (0.94 + 0.08 * grime[..., None])
    image = mix(image, seam, line_mask(gap, 0.006, 0.006))
    write_object(
        folder,
        name="soccer_ball",
        labels=["soccer ball"],
        mesh=ball_mesh(),
        texture=image,
        base_color=(0.8, 0.8, 0.8),
        roughness=0.35,
        description="Soccer ball: UV sphere with a truncated-icosahedron panel texture, a pentagon facing the camera.",
    )


def tennis_seam(samples: int = 4000, b: float = 0.28) -> np.ndarray:
    """Unit-sphere seam curve of a tennis ball (splits it into two congruent 'dog bones')."""
    a = 1.0 - b
    t = np.linspace(0.0, 2 * math.pi, samples, endpoint=False)
    return np.column_stack(
        [a * np.cos(t) + b * np.cos(3 * t), a * np.sin(t) - b * np.sin(3 * t), 2 * math.sqrt(a * b) * np.sin(2 * t)]
    )


@builder("tennis_ball")
def tennis_ball(folder: Path) -> None:
    """Fuzzy optic-yellow felt with the white curved seam."""
    seam = tennis_seam() @ axis_rotation([1, 0, 0], 90).T @ axis_rotation([0, 0, 1], 20).T
    d = equirect_directions(TEXTURE_WIDTH, TEXTURE_HEIGHT)
    distance, _ = cKDTree(seam).query(d.reshape(-1, 3))
    distance = distance.reshape(d.shape[:2])
    fuzz = fractal_noise(d, 40.0, seed=21, octaves=3)
    blotch = fractal_noise(d, 4.0, seed=23, octaves=2)
    felt = mix(np.array([0.72, 0.84, 0.16]), np.array([0.86, 0.95, 0.30]), fuzz * 0.7 + blotch * 0.3)
    groove = np.array([0.55, 0.62, 0.20])
    image = mix(felt, groove, line_mask(distance, 0.055, 0.012))  # felt dips into the seam
    image = mix(image, np.array([0.95, 0.95, 0.90]), line_mask(distance, 0.035, 0.008))
    write_object(
        folder,
        name="tennis_ball",
        labels=["tennis ball"],
        mesh=ball_mesh(),
        texture=image,
        base_color=(0.6, 0.8, 0.05),
        roughness=1.0,
        description="Tennis ball: UV sphere with felt-noise texture and the white seam curve.",
    )


@builder("basketball")
def basketball(folder: Path) -> None:
    """Pebbled orange leather with the eight-panel black seams."""
    d = equirect_directions(TEXTURE_WIDTH, TEXTURE_HEIGHT)
    pattern = axis_rotation([0, 0, 1], 25) @ axis_rotation([1, 0, 0], -15)
    p = d @ pattern  # directions in the pattern's frame
    lines = [np.abs(p[..., 0]), np.abs(p[..., 2])]  # two great circles
    for axis in (1, -1):  # two curved seams around +-Y
        angle = np.arccos(np.clip(axis * p[..., 1], -1, 1))
        lines.append(np.abs(angle - math.radians(52)))
    distance = np.min(lines, axis=0)
    pebbles = spot_distance(d, 20000)  # pebble centres light, their edges dark
    leather = mix(np.array([0.80, 0.36, 0.12]), np.array([0.58, 0.24, 0.07]), smoothstep(0.36, 0.72, pebbles) * 0.6)
    leather = leather * (0.9 + 0.15 * fractal_noise(d, 5.0, seed=31)[..., None])
    image = mix(leather, np.array([0.05, 0.04, 0.04]), line_mask(distance, 0.012, 0.006))
    write_object(
        folder,
        name="basketball",
        labels=["basketball"],
        mesh=ball_mesh(),
        texture=image,
        base_color=(0.6, 0.15, 0.03),
        roughness=0.6,
        description="Basketball: UV sphere with pebbled orange texture and eight-panel seams.",
    )
