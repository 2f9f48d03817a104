"""Occlusion: a shape between the camera and the object hiding a requested fraction of it.

`occlusion` adds one `Occluder` to the scene, facing the camera at `distance` (a fraction of the
camera-object distance), slid in from `direction` (an angle in the image plane: 0 from the right,
90 from the top) so that it covers about `coverage` of the object's projected area.

Placement is analytic and approximate: the object is taken as its bounding sphere of radius
`size * scale / 2` (half the largest side of its normalized bounding box) seen by the camera as a
disc, and the occluder's straight edge is put where it cuts off the fraction `coverage` of that
disc. Silhouettes that are not discs (a mug's handle, a banana) are covered by a different
fraction; a "sphere" occluder has a curved edge and a user mesh any edge, so those are rougher
still. That is why the fraction actually hidden is measured from the render: the renderer
gives the object's full silhouette (channel "unoccluded", see `simulator.render.blender`) next to
the segmentation, and `measure` logs `1 - visible / full` in the column
`<control name>.achieved_coverage` (0 when there is no occluder, NaN when the object is out of
frame). With several occlusion controls each column reports what all occluders hide together.

Occluders belong to one sample only: renderers realize exactly the scene's tuple of occluders.
`coverage: 0` adds nothing, so the scene (and the image) is the one without the control.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy.optimize import brentq
from scipy.spatial.transform import Rotation

from controls.base import Channels, SceneControl, check_color
from simulator.assets import MESH_SUFFIXES, parse_color
from simulator.mesh_files import mesh_format_problem
from simulator.scene import OCCLUDER_SHAPES, Occluder, Scene
from simulator.search_space import ParameterError, ParameterSpec

PLANE_MARGIN = 1.1  # the square's half side, in units of the object's projected radius
SPHERE_RADIUS = 2.0  # a sphere occluder's projected radius, in units of the object's
BOX_DEPTH = 0.1  # a box's thickness, as a fraction of its side


def _check_shape(value: str) -> None:
    if value in OCCLUDER_SHAPES:
        return
    path = Path(value).expanduser()
    if path.suffix.lower() not in MESH_SUFFIXES:
        raise ParameterError(
            f"{value!r} is not an occluder shape: use one of {', '.join(OCCLUDER_SHAPES)}, "
            f"or a mesh file ({', '.join(MESH_SUFFIXES)})"
        )
    if not path.is_file():
        raise ParameterError(f"occluder mesh {value!r} does not exist (paths are relative to the working directory)")
    problem = mesh_format_problem(path)
    if problem is not None:
        raise ParameterError(f"occluder mesh {value!r}: {problem}")


def disc_fraction_beyond(h: float) -> float:
    """Fraction of a unit disc's area on the far side of a line at signed distance `h` from its centre."""
    h = min(max(h, -1.0), 1.0)
    return (math.acos(h) - h * math.sqrt(1.0 - h * h)) / math.pi


def edge_offset(coverage: float) -> float:
    """The signed distance h (unit disc) whose far side holds `coverage` of the disc's area."""
    if coverage <= 0.0:
        return 1.0
    if coverage >= 1.0:
        return -1.0
    return float(brentq(lambda h: disc_fraction_beyond(h) - coverage, -1.0, 1.0, xtol=1e-9))


class Occlusion(SceneControl):
    """An occluder facing the camera that covers about `coverage` of the object, sliding in from
    `direction`; the fraction actually hidden is measured and logged (`achieved_coverage`)."""

    summary = "Put a plane, box, sphere or mesh in front of the object covering a fraction of it"
    parameters = (
        ParameterSpec("coverage", "float", 0.5, "fraction of the object's projected area to hide (approximate; "
                      "the achieved fraction is measured)", "", (0.0, 1.0)),
        ParameterSpec("direction", "float", 0.0, "image-plane side the occluder comes from (0: right, 90: top)",
                      "deg", (-360.0, 360.0)),
        ParameterSpec("shape", "str", "plane", "plane, box, sphere, or a mesh file path", "",
                      validator=_check_shape),
        ParameterSpec("distance", "float", 0.5, "where the occluder stands, as a fraction of the camera-object "
                      "distance", "", (0.05, 0.9)),
        ParameterSpec("color", "str", "#808080", "the occluder's colour ('#rrggbb', sRGB)", "",
                      validator=check_color),
    )
    required_channels = frozenset({"segmentation"})
    measures: ClassVar[dict[str, str]] = {"achieved_coverage": "float"}

    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        coverage = float(values["coverage"])
        if coverage <= 0.0:
            return scene
        camera = scene.camera
        to_camera = np.linalg.inv(camera.world_matrix())
        x, y, z = (to_camera @ np.append(np.asarray(scene.object.location, dtype=float), 1.0))[:3]
        depth = -z
        if depth <= 0:
            raise ValueError("occlusion: the object is behind the camera")
        radius = scene.object.asset.size * scene.object.scale / 2.0
        # Everything below is on the plane at unit depth in front of the camera (camera x right, y up).
        r = radius / math.sqrt(max(depth * depth - radius * radius, 1e-12))
        centre = np.array([x / depth, y / depth])
        angle = math.radians(float(values["direction"]))
        towards = np.array([math.cos(angle), math.sin(angle)])
        edge = edge_offset(coverage) * r  # the occluder covers the side of this line away from the centre
        shape: str | Path = values["shape"]
        if shape == "sphere":
            half = SPHERE_RADIUS * r
        else:
            half = PLANE_MARGIN * r
        middle = centre + towards * (edge + half)
        at = float(values["distance"]) * depth
        location = camera.world_matrix() @ np.array([middle[0] * at, middle[1] * at, -at, 1.0])
        side = 2.0 * half * at
        if shape == "plane":
            scale = (side, side, 1.0)
        elif shape == "box":
            scale = (side, side, BOX_DEPTH * side)
        elif shape == "sphere":
            scale = (side, side, side)
        else:
            shape, scale = Path(shape).expanduser().resolve(), (side, side, side)
        rotation = Rotation.from_matrix(camera.world_matrix()[:3, :3]) * Rotation.from_euler("z", angle)
        qx, qy, qz, qw = rotation.as_quat()
        occluder = Occluder(
            shape=shape,
            location=(float(location[0]), float(location[1]), float(location[2])),
            rotation=(float(qw), float(qx), float(qy), float(qz)),
            scale=scale,
            color=parse_color(values["color"]),
        )
        return scene.with_occluders(occluder)

    def measure(self, channels: Channels, values: Mapping[str, Any]) -> dict[str, float]:
        """`achieved_coverage`: 1 - visible object pixels / object pixels without occluders."""
        full_mask = channels.get("unoccluded")
        if full_mask is None:  # no occluder in the scene
            return {"achieved_coverage": 0.0}
        full = int(np.count_nonzero(full_mask == 1))
        if full == 0:
            return {"achieved_coverage": float("nan")}
        visible = int(np.count_nonzero(channels["segmentation"] == 1))
        return {"achieved_coverage": max(0.0, 1.0 - visible / full)}
