"""Fruit: surfaces of revolution and sweeps with painted peel (orange, lemon, Granny Smith
apple, strawberry, banana)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from assets.builders import builder
from assets.builders.geometry import (
    Mesh,
    axis_rotation,
    frame_matrix,
    grid_mesh,
    merge,
    revolve,
    revolve_points,
    revolve_texel_points,
    rotation_x,
    rotation_y,
    rotation_z,
    smooth_curve,
    sweep,
    unit,
)
from assets.builders.output import write_object
from assets.builders.textures import (
    ATLAS_SIZE,
    BODY_ROWS,
    BODY_V,
    atlas,
    fractal_noise,
    mix,
    mottled,
    smoothstep,
    spot_distance,
)


def pores(directions: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Distance to the nearest of `count` irregularly spread pores, in units of their spacing."""
    return spot_distance(directions, count, seed=seed, jitter=0.35)


def parts_strip(color: tuple[float, float, float], seed: int) -> np.ndarray:
    """The atlas strip for stems and leaves: one mottled colour."""
    return mottled(ATLAS_SIZE - BODY_ROWS, ATLAS_SIZE, color, seed)


def peel(points: np.ndarray, base, dark, light, pore_count: int, seed: int, pore_depth: float = 0.55) -> np.ndarray:
    """Citrus-style peel: mottled base colour with darker pores and lighter oil glands."""
    directions = unit(points)
    mottle = fractal_noise(points, 3.0, seed=seed, octaves=3)
    image = mix(np.asarray(base), np.asarray(light), smoothstep(0.35, 0.75, mottle) * 0.5)
    pore = pores(directions, pore_count, seed + 1)
    image = mix(image, np.asarray(dark), (1.0 - smoothstep(0.08, 0.22, pore)) * pore_depth)
    image = mix(image, np.asarray(light), smoothstep(0.30, 0.5, pore) * 0.25)
    return image


ORANGE_PEEL = ((0.98, 0.45, 0.0), (0.65, 0.22, 0.0), (1.0, 0.62, 0.12), 0.85)  # base, pores, glands; darkening
ORANGE_PORES = 4000


@builder("orange")
def orange(folder: Path) -> None:
    angles = np.linspace(-math.pi / 2, math.pi / 2, 49)
    radius = 0.5 * np.cos(angles)
    height = 0.47 * np.sin(angles)
    # A shallow navel at the top and a stem scar at the bottom.
    height -= 0.025 * np.exp(-(((angles - math.pi / 2) / 0.18) ** 2))
    height += 0.015 * np.exp(-(((angles + math.pi / 2) / 0.18) ** 2))
    profile = np.column_stack([radius, height])
    profile[0, 0] = profile[-1, 0] = 0.0
    points = revolve_texel_points(profile, ATLAS_SIZE, BODY_ROWS)
    base, dark, light, depth = ORANGE_PEEL
    image = peel(points, base, dark, light, ORANGE_PORES, seed=41, pore_depth=depth)
    polar = unit(points)[..., 2]
    scar = smoothstep(0.985, 0.998, np.abs(polar))
    image = mix(image, np.array([0.45, 0.35, 0.12]), scar * 0.8)
    image = atlas(image, parts_strip((0.16, 0.42, 0.10), seed=42))  # the strip is unused
    body = revolve(profile, segments=96).with_uv_rect(0.0, 0.0, 1.0, BODY_V)
    write_object(
        folder,
        name="orange",
        labels=["orange"],
        mesh=body,
        texture=image,
        base_color=(0.95, 0.17, 0.0),
        roughness=0.4,
        description="Orange: slightly flattened sphere with a navel, pitted peel texture.",
    )


def leaves(specs) -> list[Mesh]:
    """Leaves placed by (origin, direction, facing, length, half-width), UVs in the parts strip."""
    result = []
    for origin, direction, facing, length, half_width in specs:
        s = np.linspace(0.0, 1.0, 12)
        blade = leaf(0.0, length, half_width, 0.1 * length * np.sin(np.pi * s))
        result.append(blade.transformed(frame_matrix(origin, direction, facing)).with_uv_rect(0.0, BODY_V, 1.0, 1.0))
    return result


# The lemon was tuned against the default model (see the report in the builder's commit):
# peel colours (base, pores, oil glands; sRGB) and pore darkening, turn about Z, glossiness.
LEMON_PEEL = ((0.96, 0.78, 0.02), (0.75, 0.55, 0.0), (1.0, 0.88, 0.2), 0.15)
LEMON_YAW = -40.0
# Two leaves at the stem end: (origin, direction, facing, length, half-width).
LEMON_LEAVES = (
    ((0.47, 0.04, 0.04), (-0.45, 0.55, 0.60), (0.0, -1.0, 0.4), 0.5, 0.10),
    ((0.48, 0.0, 0.0), (0.2, 0.3, 0.9), (0.0, -1.0, 0.2), 0.45, 0.09),
)
LEMON_ROUGHNESS = 0.25


@builder("lemon")
def lemon(folder: Path) -> None:
    control = np.array(
        [
            [0.000, -0.500],
            [0.030, -0.485],
            [0.055, -0.450],
            [0.120, -0.400],
            [0.220, -0.320],
            [0.300, -0.190],
            [0.335, -0.040],
            [0.335, 0.040],
            [0.300, 0.190],
            [0.220, 0.320],
            [0.120, 0.400],
            [0.055, 0.450],
            [0.030, 0.485],
            [0.000, 0.500],
        ]
    )
    profile = smooth_curve(control, 81)
    profile[0] = control[0]
    profile[-1] = control[-1]
    body = revolve(profile, segments=72)
    points = revolve_texel_points(profile, ATLAS_SIZE, BODY_ROWS)
    base, dark, light, depth = LEMON_PEEL
    image = peel(points, base, dark, light, 7000, seed=51, pore_depth=depth)
    tips = smoothstep(0.40, 0.49, np.abs(points[..., 2]))
    image = mix(image, np.array([0.62, 0.66, 0.14]), tips * 0.8)
    image = atlas(image, parts_strip((0.16, 0.42, 0.10), seed=52))
    # Lying on its side, the long axis across the view, stem end at +X.
    body = body.transformed(rotation_y(90)).with_uv_rect(0.0, 0.0, 1.0, BODY_V)
    mesh = merge(body, *leaves(LEMON_LEAVES)).transformed(rotation_z(LEMON_YAW))
    write_object(
        folder,
        name="lemon",
        labels=["lemon"],
        mesh=mesh,
        texture=image,
        base_color=(0.92, 0.58, 0.0),
        roughness=LEMON_ROUGHNESS,
        description="Lemon: pointed-ellipsoid surface of revolution on its side, two leaves, pitted yellow peel.",
    )


@builder("granny_smith")
def granny_smith(folder: Path) -> None:
    control = np.array(
        [
            [0.000, -0.380],
            [0.070, -0.405],
            [0.200, -0.440],
            [0.340, -0.390],
            [0.450, -0.220],
            [0.500, -0.020],
            [0.480, 0.170],
            [0.410, 0.320],
            [0.270, 0.400],
            [0.130, 0.380],
            [0.050, 0.310],
            [0.000, 0.270],
        ]
    )
    profile = smooth_curve(control, 73)
    body = revolve(profile, segments=80).with_uv_rect(0.0, 0.0, 1.0, BODY_V)
    path = smooth_curve(np.array([[0.0, 0.0, 0.25], [0.01, 0.0, 0.38], [0.035, 0.0, 0.47], [0.06, 0.0, 0.53]]), 16)
    radius = np.linspace(0.022, 0.017, 16)
    radius[-1] = 0.0
    stem = sweep(path, np.column_stack([radius, radius]), segments=12).with_uv_rect(0.0, BODY_V, 1.0, 1.0)
    width, rows = ATLAS_SIZE, BODY_ROWS
    points = revolve_texel_points(profile, width, rows)
    directions = unit(points)
    mottle = fractal_noise(points, 2.5, seed=61, octaves=3)
    skin = mix(np.array([0.50, 0.76, 0.22]), np.array([0.70, 0.84, 0.32]), smoothstep(0.3, 0.8, mottle))
    streak = fractal_noise(points * np.array([4.0, 4.0, 0.6]), 3.0, seed=62, octaves=2)
    skin = mix(skin, np.array([0.40, 0.64, 0.16]), smoothstep(0.5, 0.8, streak) * 0.5)
    dots = pores(directions, 1500, seed=63)
    skin = mix(skin, np.array([0.86, 0.92, 0.66]), (1.0 - smoothstep(0.05, 0.11, dots)) * 0.8)
    axis_distance = np.hypot(points[..., 0], points[..., 1])
    cavity = smoothstep(0.32, 0.40, points[..., 2]) * (1 - smoothstep(0.10, 0.25, axis_distance))
    skin = mix(skin, np.array([0.55, 0.55, 0.22]), cavity * 0.7)
    image = atlas(skin, parts_strip((0.40, 0.28, 0.14), seed=64))
    write_object(
        folder,
        name="granny_smith",
        labels=["Granny Smith"],
        mesh=merge(body, stem),
        texture=image,
        base_color=(0.2, 0.5, 0.05),
        roughness=0.35,
        description="Granny Smith apple: surface of revolution with a stem, speckled green skin.",
    )


def leaf(direction: float, length: float, width: float, lift: np.ndarray, samples: int = 12) -> Mesh:
    """A flat pointed leaf (sepal) from the axis outwards at angle `direction` (radians), its
    midrib at height `lift` (one value per sample along it); single-sided, facing up."""
    s = np.linspace(0.0, 1.0, samples)
    across = np.linspace(-1.0, 1.0, 5)
    half_width = width * np.sin(np.pi * np.clip(s * 0.8 + 0.2, 0, 1)) ** 0.7
    half_width[-1] = 0.0
    radial = 0.015 + length * s
    z = lift[:, None] + 0.012 * (1 - across[None, :] ** 2)
    c, d = math.cos(direction), math.sin(direction)
    points = np.stack(
        [
            radial[:, None] * c - (half_width[:, None] * across[None, :]) * d,
            radial[:, None] * d + (half_width[:, None] * across[None, :]) * c,
            np.broadcast_to(z, (samples, len(across))),
        ],
        axis=-1,
    )
    u, v = np.meshgrid((across + 1) / 2, s)
    mesh = grid_mesh(points, np.stack([u, v], axis=-1))
    return mesh if mesh.normals[:, 2].mean() > 0 else mesh.flipped()


STRAWBERRY_TILT = (0.0, -35.0)  # degrees about X (towards the camera), then about Y (sideways)
STRAWBERRY_SEEDS = (700, 0.09, 0.20)  # count; seed and pit radius, in units of their spacing
STRAWBERRY_RED = ((0.55, 0.0, 0.02), (0.80, 0.03, 0.04))
STRAWBERRY_BUMPS = 0.06
STRAWBERRY_ROUGHNESS = 0.3


@builder("strawberry")
def strawberry(folder: Path) -> None:
    control = np.array(
        [
            [0.000, -0.500],
            [0.050, -0.475],
            [0.150, -0.360],
            [0.260, -0.180],
            [0.345, 0.020],
            [0.380, 0.160],
            [0.350, 0.250],
            [0.250, 0.305],
            [0.100, 0.320],
            [0.000, 0.315],
        ]
    )
    profile = smooth_curve(control, 73)
    profile[0] = control[0]
    segments = 80
    lumps = fractal_noise(revolve_points(profile, segments), 3.0, seed=70, octaves=2)
    body = revolve(profile, segments=segments, radial=1.0 + STRAWBERRY_BUMPS * (lumps - 0.5))
    body = body.with_uv_rect(0.0, 0.0, 1.0, BODY_V)
    leaves = []
    for k in range(9):
        length = 0.40 - 0.06 * (k % 2)
        radial = 0.015 + length * np.linspace(0.0, 1.0, 12)
        # Just above the body, then curling down over the shoulder.
        surface = np.interp(radial, profile[::-1, 0][: len(profile) // 2], profile[::-1, 1][: len(profile) // 2])
        lift = np.where(radial < 0.33, surface + 0.012, surface[radial < 0.33][-1] + 0.012 - 1.2 * (radial - 0.33))
        leaves.append(leaf(k * math.tau / 9 + 0.25 * (k % 2), length, 0.075, np.maximum(lift, -0.5)))
    path = smooth_curve(np.array([[0.0, 0.0, 0.30], [0.0, 0.0, 0.40], [0.02, 0.0, 0.47]]), 8)
    radius = np.full(8, 0.025)
    radius[-1] = 0.0
    stem = sweep(path, np.column_stack([radius, radius]), segments=10)
    green = merge(*leaves, stem).with_uv_rect(0.0, BODY_V, 1.0, 1.0)
    width, rows = ATLAS_SIZE, BODY_ROWS
    points = revolve_texel_points(profile, width, rows)
    directions = unit(points - np.array([0.0, 0.0, -0.05]))
    mottle = fractal_noise(points, 4.0, seed=71, octaves=3)
    flesh = mix(np.array(STRAWBERRY_RED[0]), np.array(STRAWBERRY_RED[1]), mottle)
    shoulder = smoothstep(0.15, 0.33, points[..., 2])
    flesh = mix(flesh, np.array([0.95, 0.75, 0.55]), shoulder * 0.5)
    count, seed_radius, pit_radius = STRAWBERRY_SEEDS
    seeds = pores(directions, count, seed=72)
    flesh = mix(flesh, np.array([0.45, 0.0, 0.02]), (1.0 - smoothstep(pit_radius * 0.7, pit_radius * 1.3, seeds)) * 0.7)
    flesh = mix(flesh, np.array([0.95, 0.82, 0.30]), 1.0 - smoothstep(seed_radius * 0.8, seed_radius * 1.2, seeds))
    image = atlas(flesh, parts_strip((0.22, 0.50, 0.10), seed=73))
    write_object(
        folder,
        name="strawberry",
        labels=["strawberry"],
        mesh=merge(body, green).transformed(rotation_x(STRAWBERRY_TILT[0]) @ rotation_y(STRAWBERRY_TILT[1])),
        texture=image,
        base_color=(0.6, 0.01, 0.01),
        roughness=STRAWBERRY_ROUGHNESS,
        description="Strawberry: conical surface of revolution with seeds painted on, green sepals and stem.",
    )


BANANA_THICKNESS = 0.095  # largest radius, for a length of about 1
BANANA_SPOTS = 0.8  # how dark the sugar spots are
# A bunch reads far better than one banana: one banana per angle (degrees), fanned out in
# the image plane about the stem end, each further one a little smaller and BANANA_DEPTH back.
BANANA_BUNCH = (0.0, 14.0, -14.0)
BANANA_DEPTH = 0.06


@builder("banana")
def banana(folder: Path) -> None:
    samples, around = 64, 40
    t = np.linspace(-0.78, 0.70, samples)
    bend = 0.62
    path = np.column_stack([bend * np.sin(t), np.zeros(samples), -bend * np.cos(t)])
    # The stem end (t > 0.55) kinks upwards.
    kink = np.clip(t - 0.52, 0.0, None)
    path[:, 2] += 0.5 * kink
    path[:, 0] -= 0.3 * kink
    s = (t - t[0]) / (t[-1] - t[0])  # 0 at the blossom tip, 1 at the stem
    thickness = BANANA_THICKNESS * np.clip(np.sin(np.pi * np.clip(s / 0.86, 0, 1)) ** 0.45, 0, 1)
    stem = s > 0.84
    thickness = np.where(stem, 0.032 - 0.008 * (s - 0.84) / 0.16, thickness)
    thickness[0] = 0.0
    angle = np.linspace(0.0, math.tau, around + 1)
    ridges = 1.0 + 0.07 * np.abs(np.cos(2.5 * angle))  # five flat sides, edges where the cosine is 0
    section = thickness[:, None] / ridges[None, :] * 1.07
    single = sweep(path, section, segments=around, up=(0.0, 1.0, 0.0))
    fan = []
    for k, degrees in enumerate(BANANA_BUNCH):
        turn = np.eye(4)
        turn[:3, :3] = axis_rotation((0.0, 1.0, 0.0), degrees) * (1.0 - 0.04 * k)
        turn[:3, 3] = path[-1] - turn[:3, :3] @ path[-1] + (0.0, BANANA_DEPTH * k, 0.0)
        fan.append(single.transformed(turn))
    mesh = merge(*fan)
    # Texture: u along the banana (0 tip, 1 stem), v around.
    width, height = 512, 128
    u = (np.arange(width) + 0.5) / width
    v = (np.arange(height) + 0.5) / height
    uu, vv = np.meshgrid(u, v)
    points = np.stack([uu * 6.0, np.cos(vv * math.tau) * 0.5, np.sin(vv * math.tau) * 0.5], axis=-1)
    mottle = fractal_noise(points, 2.0, seed=81, octaves=3)
    skin = mix(np.array([0.98, 0.84, 0.24]), np.array([0.93, 0.74, 0.12]), mottle)
    edge = 1.0 - np.abs(np.cos(2.5 * vv * math.tau))  # 1 on the five ridges (see `ridges`)
    skin = mix(skin, np.array([0.72, 0.62, 0.16]), smoothstep(0.9, 1.0, edge) * 0.5)
    spots = fractal_noise(points, 14.0, seed=82, octaves=2)
    skin = mix(skin, np.array([0.45, 0.28, 0.08]), smoothstep(0.68, 0.78, spots) * BANANA_SPOTS)
    skin = mix(skin, np.array([0.62, 0.70, 0.22]), smoothstep(0.72, 0.86, uu) * 0.7)  # green towards stem
    skin = mix(skin, np.array([0.35, 0.30, 0.12]), smoothstep(0.88, 0.97, uu))  # stem, darker cut end
    skin = mix(skin, np.array([0.12, 0.08, 0.04]), 1.0 - smoothstep(0.02, 0.05, uu))  # blossom tip
    write_object(
        folder,
        name="banana",
        labels=["banana"],
        mesh=mesh,
        texture=skin,
        base_color=(0.9, 0.65, 0.05),
        roughness=0.5,
        description="Bunch of three bananas: five-sided tapered sweeps along a curved path, stems up at the right.",
    )
