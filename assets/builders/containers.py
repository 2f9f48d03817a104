"""Containers: surfaces of revolution with walls, plus swept handles and spouts (coffee mug,
teapot, wine bottle)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assets.builders import builder
from assets.builders.geometry import (
    arc,
    arc_length_param,
    chain,
    line,
    merge,
    normalization,
    revolve,
    revolve_texel_points,
    smooth_curve,
    sweep,
)
from assets.builders.output import write_object
from assets.builders.textures import (
    ATLAS_SIZE,
    BODY_ROWS,
    BODY_V,
    atlas,
    fill,
    fractal_noise,
    line_mask,
    mix,
    smoothstep,
)


def body_texture(profile: np.ndarray, color_at: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Paint the revolved body's part of the atlas: `color_at(points, v)` gets the (H, W, 3)
    surface points under each texel and their profile parameter v in [0, 1]."""
    points = revolve_texel_points(profile, ATLAS_SIZE, BODY_ROWS)
    v = 1.0 - (np.arange(BODY_ROWS) + 0.5) / BODY_ROWS
    return color_at(points, np.broadcast_to(v[:, None], points.shape[:2]))


def with_parts(body: np.ndarray, color: tuple[float, float, float]) -> np.ndarray:
    """The full atlas: the body's texture, and handles and spouts in one flat colour."""
    return atlas(body, fill(ATLAS_SIZE - BODY_ROWS, ATLAS_SIZE, color))


# --- coffee mug -------------------------------------------------------------------------

MUG_RADIUS = 0.041  # outer, metres
MUG_HEIGHT = 0.095
MUG_WALL = 0.0045
MUG_FLOOR = 0.008  # inner bottom height above the foot
MUG_FILLET = 0.005  # rounds the inner floor into the wall
MUG_OUTSIDE = (0.08, 0.22, 0.55)  # sRGB glaze
MUG_INSIDE = (0.93, 0.93, 0.90)


def mug_profile() -> tuple[np.ndarray, float]:
    """The mug's (r, z) profile from the underside centre, up the outside, over the rim, down the
    inside to the inner bottom centre; and the profile parameter v at the top of the rim."""
    R, H, t, b, fillet = MUG_RADIUS, MUG_HEIGHT, MUG_WALL, MUG_FLOOR, MUG_FILLET
    outside = chain(
        line((0.0, 0.0015), (R - 0.008, 0.0015), 6),
        line((R - 0.008, 0.0015), (R - 0.0065, 0.0), 2),
        line((R - 0.0065, 0.0), (R - 0.004, 0.0), 2),
        arc((R - 0.004, 0.004), 0.004, -90, 0, 6),
        line((R, 0.004), (R, H - t / 2), 24),
        arc((R - t / 2, H - t / 2), t / 2, 0, 90, 5),
    )
    inside = chain(
        arc((R - t / 2, H - t / 2), t / 2, 90, 180, 5),
        line((R - t, H - t / 2), (R - t, b + fillet), 22),
        arc((R - t - fillet, b + fillet), fillet, 0, -90, 6),
        line((R - t - fillet, b), (0.0, b), 8),
    )
    profile = chain(outside, inside)
    rim_v = float(arc_length_param(profile)[len(outside) - 1])
    return profile, rim_v


@builder("coffee_mug")
def coffee_mug(folder: Path) -> None:
    """Open mug: real wall thickness, inner wall and floor (a liquid can fill it); handle at +X."""
    R, H = MUG_RADIUS, MUG_HEIGHT
    profile, rim_v = mug_profile()
    body = revolve(profile, segments=72).with_uv_rect(0.0, 0.0, 1.0, BODY_V)
    control = np.array(
        [
            [R - 0.001, 0.0, 0.078],
            [R + 0.010, 0.0, 0.080],
            [R + 0.025, 0.0, 0.072],
            [R + 0.031, 0.0, 0.052],
            [R + 0.026, 0.0, 0.030],
            [R + 0.012, 0.0, 0.021],
            [R - 0.001, 0.0, 0.022],
        ]
    )
    path = smooth_curve(control, 40)
    handle = sweep(path, np.tile([0.0045, 0.0068], (len(path), 1)), segments=16, up=(0.0, 1.0, 0.0))
    handle = handle.with_uv_rect(0.0, BODY_V, 1.0, 1.0)
    mesh = merge(body, handle)

    def glaze(points: np.ndarray, v: np.ndarray) -> np.ndarray:
        variation = fractal_noise(points * 20.0, 2.0, seed=91, octaves=2)[..., None]
        outside = np.asarray(MUG_OUTSIDE) * (0.96 + 0.08 * variation)
        inside = np.asarray(MUG_INSIDE) * (0.98 + 0.04 * variation)
        image = mix(outside, inside, smoothstep(rim_v - 0.004, rim_v + 0.004, v))
        foot = smoothstep(0.0035, 0.0025, points[..., 2]) * (v < rim_v)  # unglazed foot ring
        return mix(image, np.array([0.78, 0.74, 0.68]), foot)

    texture = with_parts(body_texture(profile, glaze), MUG_OUTSIDE)
    centre, scale = normalization(mesh)
    inner_radius = (R - MUG_WALL) * scale
    floor_z = (MUG_FLOOR - centre[2]) * scale
    rim_z = (H - centre[2]) * scale
    bottom_z = (0.0 - centre[2]) * scale
    axis_x, axis_y = (round(-c * scale, 4) + 0.0 for c in centre[:2])  # + 0.0: no "-0.0000"
    write_object(
        folder,
        name="coffee_mug",
        labels=["coffee mug", "cup"],
        mesh=mesh,
        texture=texture,
        base_color=(0.01, 0.04, 0.26),
        roughness=0.15,
        description="Coffee mug: revolved open body with real inner wall and floor, swept handle at +X.",
        notes=[
            "Interior, in normalized object units (bbox centred at the origin, largest side = size = 1;",
            "multiply by `size` if it is changed). The handle shifts the bbox centre, so the mug's axis is",
            f"the vertical line x = {axis_x:.4f}, y = {axis_y:.4f}",
            f"  inner radius: {inner_radius:.4f} (outer {R * scale:.4f}), straight vertical inner wall",
            f"  inner bottom (floor) height z: {floor_z:.4f}   ({(MUG_FLOOR) * scale:.4f} above the base)",
            f"  rim height z: {rim_z:.4f}   ({H * scale:.4f} above the base; base at z = {bottom_z:.4f})",
            f"  interior depth: {rim_z - floor_z:.4f}; the floor curves into the wall, radius {MUG_FILLET * scale:.4f}",
        ],
        interior={"axis": (axis_x, axis_y), "radius": inner_radius, "floor": floor_z, "rim": rim_z},
    )


# --- teapot -----------------------------------------------------------------------------

TEAPOT_GLAZE = (0.12, 0.25, 0.55)  # sRGB: a blue glaze (white porcelain reads as a hat or a lamp)


@builder("teapot")
def teapot(folder: Path) -> None:
    """Round-bellied teapot: revolved body with lid and knob, spout at -X, handle at +X."""
    control = np.array(
        [
            [0.000, 0.004],
            [0.055, 0.004],
            [0.062, 0.000],
            [0.072, 0.008],
            [0.092, 0.030],
            [0.102, 0.060],
            [0.097, 0.090],
            [0.080, 0.113],
            [0.060, 0.124],
        ]
    )
    belly = smooth_curve(control, 44)
    lid = chain(
        line((0.060, 0.124), (0.062, 0.128), 2),  # the lid's rim
        smooth_curve(np.array([[0.062, 0.128], [0.055, 0.140], [0.035, 0.150], [0.014, 0.154]]), 12),
        smooth_curve(np.array([[0.014, 0.154], [0.010, 0.160], [0.016, 0.170], [0.012, 0.178], [0.0, 0.180]]), 10),
    )
    profile = chain(belly, lid)
    profile[-1, 0] = 0.0
    body = revolve(profile, segments=72).with_uv_rect(0.0, 0.0, 1.0, BODY_V)
    spout_path = smooth_curve(
        np.array([[-0.070, 0, 0.040], [-0.105, 0, 0.055], [-0.130, 0, 0.090], [-0.150, 0, 0.125], [-0.165, 0, 0.140]]),
        30,
    )
    spout_radius = np.linspace(0.022, 0.0095, 30)
    spout = sweep(spout_path, np.column_stack([spout_radius, spout_radius * 0.9]), segments=20, up=(0.0, 1.0, 0.0))
    handle_path = smooth_curve(
        np.array(
            [
                [0.085, 0, 0.105],
                [0.115, 0, 0.112],
                [0.145, 0, 0.095],
                [0.150, 0, 0.060],
                [0.130, 0, 0.035],
                [0.090, 0, 0.028],
            ]
        ),
        40,
    )
    handle = sweep(handle_path, np.tile([0.0065, 0.0085], (40, 1)), segments=16, up=(0.0, 1.0, 0.0))
    parts = merge(spout, handle).with_uv_rect(0.0, BODY_V, 1.0, 1.0)
    mesh = merge(body, parts)

    def glaze(points: np.ndarray, v: np.ndarray) -> np.ndarray:
        z = points[..., 2]
        image = fill(*z.shape, TEAPOT_GLAZE) * (0.97 + 0.05 * fractal_noise(points * 30, 1.0, seed=101)[..., None])
        # The lid sits in a darker groove.
        return mix(image, image * 0.55, line_mask(z - 0.1255, 0.0012, 0.0008))

    texture = with_parts(body_texture(profile, glaze), TEAPOT_GLAZE)
    write_object(
        folder,
        name="teapot",
        labels=["teapot"],
        mesh=mesh,
        texture=texture,
        base_color=(0.013, 0.05, 0.26),
        roughness=0.12,
        description="Teapot: revolved belly, lid and knob, swept spout (-X) and handle (+X), blue glaze.",
    )


# --- wine bottle ------------------------------------------------------------------------

GLASS = (0.25, 0.28, 0.08)  # sRGB olive-green glass (darker green reads as 'red wine' or a lotion bottle)
LABEL = (0.93, 0.89, 0.78)
CAPSULE = (0.42, 0.04, 0.08)
BOTTLE_ROUGHNESS = 0.1


@builder("wine_bottle")
def wine_bottle(folder: Path) -> None:
    """Bordeaux-style bottle: dark green glass, paper label on the front, foil capsule."""
    R = 0.037
    profile = chain(
        line((0.0, 0.012), (R - 0.010, 0.004), 4),  # the punt
        arc((R - 0.005, 0.005), 0.005, -90, 0, 6),
        line((R, 0.005), (R, 0.205), 30),
        smooth_curve(np.array([[R, 0.205], [0.034, 0.228], [0.022, 0.248], [0.0155, 0.262], [0.0145, 0.275]]), 16),
        line((0.0145, 0.275), (0.0145, 0.292), 6),
        arc((0.0145, 0.295), 0.003, -90, 90, 7),  # lip ring
        line((0.0145, 0.298), (0.0145, 0.300), 2),
        arc((0.0125, 0.300), 0.002, 0, 90, 4),
        line((0.0125, 0.302), (0.0095, 0.302), 2),
        line((0.0095, 0.302), (0.0095, 0.285), 4),  # into the mouth
        line((0.0095, 0.285), (0.0, 0.285), 3),
    )
    body = revolve(profile, segments=64).with_uv_rect(0.0, 0.0, 1.0, BODY_V)

    def paint(points: np.ndarray, v: np.ndarray) -> np.ndarray:
        z = points[..., 2]
        angle = np.arctan2(points[..., 0], -points[..., 1])  # 0 at the front (-Y)
        across = np.abs(angle)
        glass = fill(*z.shape, GLASS) * (0.9 + 0.2 * fractal_noise(points * 10, 2.0, seed=111)[..., None])
        # The label: a gold frame, a title, a red crest and lines of small print.
        label = fill(*z.shape, LABEL)
        to_frame = np.minimum(np.abs(across - math.radians(56)), np.minimum(np.abs(z - 0.06), np.abs(z - 0.145)) / R)
        inside_frame = (across < math.radians(57)) & (z > 0.058) & (z < 0.147)
        label = mix(label, np.array([0.55, 0.42, 0.15]), line_mask(to_frame, 0.004, 0.004) * inside_frame)
        title = (np.abs(z - 0.118) < 0.006) & (across < math.radians(38))
        label = mix(label, np.array([0.12, 0.08, 0.06]), smoothstep(0.45, 0.55, np.sin(angle * 60) ** 2) * title * 0.9)
        crest = np.hypot(angle * R, z - 0.135) < 0.0055
        label = mix(label, np.array([0.55, 0.10, 0.12]), crest)
        row = (z - 0.070) / 0.0055
        small_print = (across < math.radians(32)) & (np.abs(row - np.round(row)) < 0.18) & (z > 0.068) & (z < 0.100)
        letters = 0.5 + 0.5 * smoothstep(0.3, 0.6, np.sin(angle * 140) ** 2)
        label = mix(label, np.array([0.30, 0.25, 0.20]), small_print * letters)
        on_label = (across < math.radians(62)) & (z > 0.055) & (z < 0.150)
        image = np.where(on_label[..., None], label, glass)
        foil = np.asarray(CAPSULE) * (0.9 + 0.2 * fractal_noise(points * 50, 2.0, seed=112)[..., None])
        return mix(image, foil, z > 0.262)

    texture = with_parts(body_texture(profile, paint), GLASS)
    write_object(
        folder,
        name="wine_bottle",
        labels=["wine bottle"],
        mesh=body,
        texture=texture,
        base_color=(0.05, 0.064, 0.007),
        roughness=BOTTLE_ROUGHNESS,
        description="Wine bottle: revolved Bordeaux bottle, dark green glass with a front label and a foil capsule.",
    )
