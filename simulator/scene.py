"""A renderer-neutral description of what to render.

Controls take a `Scene` and return a new one (the dataclasses are frozen); renderers
(Blender, Mitsuba) realize it. Nothing here imports a renderer.

Conventions (shared by every renderer):
- World is right-handed, Z up, units are metres.
- Objects are normalized on load: bounding box centred on the origin, largest side
  `ObjectAsset.size` long, front facing -Y.
- Camera azimuth 0 puts the camera on the -Y axis looking at +Y (it sees the object's
  front); azimuth grows counter-clockwise seen from above; elevation is above the horizon.
- Camera frames follow Blender/OpenGL: the camera looks down its local -Z, +Y is up.
- Colours are linear RGB in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

Vec3 = tuple[float, float, float]
Quaternion = tuple[float, float, float, float]  # (w, x, y, z)

IDENTITY_QUATERNION: Quaternion = (1.0, 0.0, 0.0, 0.0)


def quaternion_from_euler(yaw: float, pitch: float, roll: float) -> Quaternion:
    """Rotation by yaw about Z, then pitch about X, then roll about Y (degrees, world axes).

    Seen from the default camera: yaw turns the object around its up axis, pitch tips
    it towards/away from the camera, roll tilts it sideways in the image plane.
    """
    rotation = Rotation.from_euler("ZXY", [yaw, pitch, roll], degrees=True)
    x, y, z, w = rotation.as_quat()
    return (float(w), float(x), float(y), float(z))


def rotation_matrix(quaternion: Quaternion) -> np.ndarray:
    """3x3 rotation matrix of a (w, x, y, z) quaternion."""
    w, x, y, z = quaternion
    return Rotation.from_quat([x, y, z, w]).as_matrix()


def compose_quaternions(first: Quaternion, then: Quaternion) -> Quaternion:
    """The rotation `first` followed by `then`."""
    w1, x1, y1, z1 = first
    w2, x2, y2, z2 = then
    combined = Rotation.from_quat([x2, y2, z2, w2]) * Rotation.from_quat([x1, y1, z1, w1])
    x, y, z, w = combined.as_quat()
    return (float(w), float(x), float(y), float(z))


@dataclass(frozen=True)
class ObjectAsset:
    """A 3D model and what it depicts, as declared in an object's `object.yaml`."""

    name: str
    mesh_path: Path
    labels: tuple[int, ...]  # accepted ImageNet class indices
    size: float = 1.0  # largest bounding-box side after normalization (metres)
    up_axis: str = "Z"  # the mesh file's up axis: one of X, Y, Z, -X, -Y, -Z
    front_yaw: float = 0.0  # degrees about up that turn the mesh's front to face -Y
    base_color: Vec3 | None = None  # used when the mesh brings no material or colours
    roughness: float = 0.5
    metallic: float = 0.0
    texture_path: Path | None = None  # image texture on the mesh's UVs, if any


@dataclass(frozen=True)
class SceneObject:
    """The object under test and its pose."""

    asset: ObjectAsset
    location: Vec3 = (0.0, 0.0, 0.0)
    rotation: Quaternion = IDENTITY_QUATERNION
    scale: float = 1.0

    def world_matrix(self) -> np.ndarray:
        """4x4 object-to-world matrix: translate @ rotate @ scale."""
        matrix = np.eye(4)
        matrix[:3, :3] = rotation_matrix(self.rotation) * self.scale
        matrix[:3, 3] = self.location
        return matrix


@dataclass(frozen=True)
class Environment:
    """What surrounds the object: an HDRI or a solid colour, rotatable and dimmable."""

    name: str
    hdri_path: Path | None = None
    color: Vec3 | None = None  # solid background, linear RGB; used when there is no HDRI
    rotation: float = 0.0  # degrees about Z
    strength: float = 1.0

    def __post_init__(self) -> None:
        if (self.hdri_path is None) == (self.color is None):
            raise ValueError(f"environment {self.name!r} needs exactly one of hdri_path or color")


@dataclass(frozen=True)
class Camera:
    """A camera orbiting `target`, looking at it."""

    azimuth: float = 0.0  # degrees
    elevation: float = 10.0  # degrees
    distance: float = 2.0  # metres from target
    roll: float = 0.0  # degrees about the viewing axis
    focal_length: float = 50.0  # mm
    sensor_width: float = 36.0  # mm, horizontal
    aspect: float = 1.0  # image width / height (set from the render resolution)
    aperture: float | None = None  # f-number; None is a pinhole (everything sharp)
    focus_distance: float | None = None  # metres; None focuses on the target
    target: Vec3 = (0.0, 0.0, 0.0)

    def location(self) -> np.ndarray:
        azimuth, elevation = math.radians(self.azimuth), math.radians(self.elevation)
        offset = np.array(
            [
                math.sin(azimuth) * math.cos(elevation),
                -math.cos(azimuth) * math.cos(elevation),
                math.sin(elevation),
            ]
        )
        return np.asarray(self.target, dtype=float) + self.distance * offset

    def world_matrix(self) -> np.ndarray:
        """4x4 camera-to-world matrix (camera looks down local -Z, +Y up)."""
        eye = self.location()
        forward = np.asarray(self.target, dtype=float) - eye
        forward /= np.linalg.norm(forward)
        world_up = np.array([0.0, 0.0, 1.0])
        if abs(forward @ world_up) > 0.999999:  # looking straight up or down
            world_up = np.array([0.0, 1.0, 0.0])
        right = np.cross(forward, world_up)
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        roll = math.radians(self.roll)
        right, up = (
            math.cos(roll) * right + math.sin(roll) * up,
            -math.sin(roll) * right + math.cos(roll) * up,
        )
        matrix = np.eye(4)
        matrix[:3, 0], matrix[:3, 1], matrix[:3, 2], matrix[:3, 3] = right, up, -forward, eye
        return matrix

    def horizontal_fov(self) -> float:
        """Horizontal field of view in radians."""
        return 2.0 * math.atan(self.sensor_width / (2.0 * self.focal_length))

    def project(self, point: Vec3 | np.ndarray) -> tuple[float, float, float]:
        """Where a world point lands in the image: (u, v, depth).

        u and v are in [-1, 1] across the frame (u right, v up); depth is the distance along
        the viewing axis.
        """
        world_to_camera = np.linalg.inv(self.world_matrix())
        x, y, z = (world_to_camera @ np.append(np.asarray(point, dtype=float), 1.0))[:3]
        depth = -z
        half_width = math.tan(self.horizontal_fov() / 2.0)
        return (float(x / depth / half_width), float(y / depth / (half_width / self.aspect)), float(depth))

    def unproject(self, u: float, v: float, depth: float) -> np.ndarray:
        """The world point at image position (u, v) and viewing-axis `depth` (inverse of project)."""
        half_width = math.tan(self.horizontal_fov() / 2.0)
        local = np.array([u * half_width * depth, v * half_width / self.aspect * depth, -depth, 1.0])
        return (self.world_matrix() @ local)[:3]


@dataclass(frozen=True)
class Scene:
    """Everything a renderer needs for one image."""

    object: SceneObject
    environment: Environment
    camera: Camera = field(default_factory=Camera)

    def with_object(self, **changes: object) -> Scene:
        return replace(self, object=replace(self.object, **changes))

    def with_camera(self, **changes: object) -> Scene:
        return replace(self, camera=replace(self.camera, **changes))

    def with_environment(self, **changes: object) -> Scene:
        return replace(self, environment=replace(self.environment, **changes))
