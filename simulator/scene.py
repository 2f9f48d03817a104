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
    interior: Interior | None = None  # a container's inside (a liquid can fill it), if any
    declared_labels: tuple[str | int, ...] = ()  # `labels` as written (a model's own classes look them up)


@dataclass(frozen=True)
class SceneObject:
    """The object under test and its pose."""

    asset: ObjectAsset
    location: Vec3 = (0.0, 0.0, 0.0)
    rotation: Quaternion = IDENTITY_QUATERNION
    scale: float = 1.0
    surface: Surface | None = None  # replaces the asset's material; None keeps it

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
    lights: tuple[Light, ...] = ()  # added lamps (the environment lights the scene too)
    sky: Sky | None = None  # a daylight sky that replaces the environment's HDRI or colour
    occluders: tuple[Occluder, ...] = ()  # shapes between camera and object (segmentation index 2)
    liquid: Liquid | None = None  # fills the object's interior (segmentation index 1, part of the object)

    def with_object(self, **changes: object) -> Scene:
        return replace(self, object=replace(self.object, **changes))

    def with_camera(self, **changes: object) -> Scene:
        return replace(self, camera=replace(self.camera, **changes))

    def with_environment(self, **changes: object) -> Scene:
        return replace(self, environment=replace(self.environment, **changes))

    def with_lights(self, *lights: Light) -> Scene:
        """This scene with `lights` added to the ones it already has."""
        return replace(self, lights=self.lights + lights)

    def with_occluders(self, *occluders: Occluder) -> Scene:
        """This scene with `occluders` added to the ones it already has."""
        return replace(self, occluders=self.occluders + occluders)


# --- surfaces, lights and sky --------------------------------------------------------------

SURFACE_PATTERNS = (
    "zebra", "tiger", "leopard", "giraffe", "cow", "scales", "wood", "marble", "checker", "noise", "image",
)
ORIGINAL_SURFACE = "original"  # the asset's own material, with the adjustments applied


@dataclass(frozen=True)
class Surface:
    """A replacement for the object's material (every part), renderer-neutral.

    `pattern` names a procedural texture in object space (see SURFACE_PATTERNS), "image": the
    file `image_path` on the mesh's UVs, or "original" (ORIGINAL_SURFACE): the asset's own material.
    `scale` is the pattern's repetitions per metre (per UV unit for images). `colors` overrides the
    pattern's own two colours (linear RGB); `tint` multiplies the result; `hue_shift` turns its hue
    (in turns, -0.5..0.5). `roughness` / `metallic` of None keep the pattern's (or material's) own.
    """

    pattern: str
    scale: float = 1.0
    colors: tuple[Vec3, Vec3] | None = None
    image_path: Path | None = None
    hue_shift: float = 0.0
    tint: Vec3 = (1.0, 1.0, 1.0)
    roughness: float | None = None
    metallic: float | None = None

    def __post_init__(self) -> None:
        if self.pattern not in (*SURFACE_PATTERNS, ORIGINAL_SURFACE):
            allowed = ", ".join((*SURFACE_PATTERNS, ORIGINAL_SURFACE))
            raise ValueError(f"unknown surface pattern {self.pattern!r} (one of: {allowed})")
        if (self.pattern == "image") != (self.image_path is not None):
            raise ValueError("an image_path goes with pattern 'image', and only with it")


LIGHT_KINDS = ("point", "area", "spot", "sun")


@dataclass(frozen=True)
class Light:
    """A lamp at `location` aimed at `target` (area, spot and sun lights shine along that line).

    `power` is in watts (point, area, spot) or W/m^2 irradiance (sun); `size` is the radius of a
    point/spot light's sphere, the side of an area light, the angular diameter in degrees of a sun.
    """

    kind: str
    location: Vec3
    target: Vec3 = (0.0, 0.0, 0.0)
    color: Vec3 = (1.0, 1.0, 1.0)
    power: float = 100.0
    size: float = 0.1
    spot_angle: float = 45.0  # degrees, full cone (spot only)

    def __post_init__(self) -> None:
        if self.kind not in LIGHT_KINDS:
            raise ValueError(f"unknown light kind {self.kind!r} (one of: {', '.join(LIGHT_KINDS)})")

    def world_matrix(self) -> np.ndarray:
        """4x4 light-to-world matrix: the light shines down its local -Z towards `target`."""
        return look_at_matrix(self.location, self.target)


@dataclass(frozen=True)
class Sky:
    """A physical daylight sky replacing the environment; the sun direction is in the scene frame.

    Azimuth and elevation follow the camera's convention (azimuth 0: the sun is on -Y, behind the
    default camera).
    """

    sun_elevation: float = 45.0  # degrees above the horizon
    sun_azimuth: float = 0.0  # degrees
    strength: float = 1.0
    sun_size: float = 0.545  # degrees (angular diameter)
    air: float = 1.0
    dust: float = 1.0


def look_at_matrix(eye: Vec3 | np.ndarray, target: Vec3 | np.ndarray) -> np.ndarray:
    """4x4 frame at `eye` whose local -Z points at `target` (+Y as close to world up as possible)."""
    eye = np.asarray(eye, dtype=float)
    forward = np.asarray(target, dtype=float) - eye
    norm = np.linalg.norm(forward)
    forward = forward / norm if norm > 0 else np.array([0.0, 0.0, -1.0])
    world_up = np.array([0.0, 0.0, 1.0])
    if abs(forward @ world_up) > 0.999999:
        world_up = np.array([0.0, 1.0, 0.0])
    right = np.cross(forward, world_up)
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    matrix = np.eye(4)
    matrix[:3, 0], matrix[:3, 1], matrix[:3, 2], matrix[:3, 3] = right, up, -forward, eye
    return matrix


def orbit_point(target: Vec3, azimuth: float, elevation: float, distance: float) -> tuple[float, float, float]:
    """The point `distance` from `target` at azimuth/elevation (degrees), camera convention."""
    a, e = math.radians(azimuth), math.radians(elevation)
    x, y, z = target
    return (
        x + distance * math.sin(a) * math.cos(e),
        y - distance * math.cos(a) * math.cos(e),
        z + distance * math.sin(e),
    )


# --- occluders (issue 4) -------------------------------------------------------------------

OCCLUDER_SHAPES = ("plane", "box", "sphere")


@dataclass(frozen=True)
class Occluder:
    """A shape standing in front of the object; it shows in segmentation as index 2.

    `shape` is a built-in shape or a mesh file (.obj, .ply, .glb, .gltf, .blend). In its own frame
    every shape is centred on the origin with a largest side of 1: "plane" is the unit square in
    local XY (facing +Z), "box" the unit cube, "sphere" the sphere of diameter 1; a mesh is
    normalized the same way (bounding box centred, largest side 1). `scale` then stretches the
    local axes, `rotation` turns it and `location` places its centre (world, metres).
    """

    shape: str | Path
    location: Vec3
    rotation: Quaternion = IDENTITY_QUATERNION
    scale: Vec3 = (1.0, 1.0, 1.0)
    color: Vec3 = (0.5, 0.5, 0.5)  # linear RGB, diffuse

    def __post_init__(self) -> None:
        if isinstance(self.shape, str) and self.shape not in OCCLUDER_SHAPES:
            raise ValueError(
                f"unknown occluder shape {self.shape!r} (one of: {', '.join(OCCLUDER_SHAPES)}, or a mesh Path)"
            )

    def world_matrix(self) -> np.ndarray:
        """4x4 occluder-to-world matrix: translate @ rotate @ scale."""
        matrix = np.eye(4)
        matrix[:3, :3] = rotation_matrix(self.rotation) @ np.diag(self.scale)
        matrix[:3, 3] = self.location
        return matrix


# --- liquid in a container ---------------------------------------------------------------


@dataclass(frozen=True)
class Interior:
    """A container's inside: a vertical cylinder in the object's normalized frame.

    Units are those of the normalized object with a largest side of 1 (renderers multiply by
    `ObjectAsset.size`), after `up_axis` and `front_yaw`: z up, the bounding box centred on the
    origin. `axis` is the (x, y) of the cylinder's axis, `floor` and `rim` the heights of the inner
    bottom and of the brim.
    """

    axis: tuple[float, float]
    radius: float
    floor: float
    rim: float

    def __post_init__(self) -> None:
        if not self.radius > 0:
            raise ValueError(f"interior radius must be > 0, got {self.radius}")
        if not self.rim > self.floor:
            raise ValueError(f"interior rim ({self.rim}) must be above its floor ({self.floor})")


@dataclass(frozen=True)
class Liquid:
    """What fills the object's `Interior`, renderer-neutral.

    `fill` is the liquid's height as a fraction of the interior's depth (0 < fill <= 1). `water`,
    `milk` and `coffee` are the mixture's fractions (each >= 0, summing to 1). `color` (linear RGB)
    and `opacity` (0: clear like water, 1: opaque) are the mixture's look, which renderers realize:
    a smooth liquid surface (IOR 1.33) that transmits `1 - opacity` of the light tinted by `color`
    and scatters the rest diffusely with albedo `color`.
    """

    fill: float
    water: float
    milk: float
    coffee: float
    color: Vec3
    opacity: float

    def __post_init__(self) -> None:
        if not 0.0 < self.fill <= 1.0:
            raise ValueError(f"liquid fill must be in (0, 1], got {self.fill}")
        fractions = (self.water, self.milk, self.coffee)
        if min(fractions) < 0.0 or abs(sum(fractions) - 1.0) > 1e-9:
            raise ValueError(f"liquid fractions (water, milk, coffee) must be >= 0 and sum to 1, got {fractions}")
        if not 0.0 <= self.opacity <= 1.0 or not all(0.0 <= c <= 1.0 for c in self.color):
            raise ValueError(f"liquid color {self.color} and opacity {self.opacity} must be in [0, 1]")

