"""`Scene` -> Mitsuba 3 scene dictionaries, matching what the Blender renderer shows.

Small public functions, each turning one part of a renderer-neutral `Scene` into the dict that
`mi.load_dict` takes; the Mitsuba renderer and the differentiable texture optimizer both build
their scenes from them. Call `simulator.render.mitsuba_setup.import_mitsuba` first (it sets the
variant these functions' transforms need).

Conventions, matched to `simulator.render.blender`:
- Object: the mesh file's vertices are turned so `up_axis` points to +Z and the front faces -Y
  (`front_yaw`), then their bounding box is centred and scaled to `asset.size`
  (`normalization_matrix`); the pose (`SceneObject.world_matrix`) comes on top. Both go into the
  shape's `to_world`; the file is loaded as is (.ply or .obj, no axis conversion, like Blender).
- Material: `principled` with the asset's roughness/metallic; base colour from its texture (an
  8-bit sRGB PNG, decoded to linear like Blender's sRGB images) or its `base_color`. Mitsuba's
  bitmaps read v = 0 at the top row (Blender's images at the bottom one) and its .obj loader
  stores 1 - v: `texture_bitmap` flips v where needed so textures land where Blender puts them.
- Camera: Blender cameras look down local -Z with +X right; Mitsuba's look down +Z with +X left,
  so the camera-to-world matrix is turned half a turn about local Y (`camera_to_world`).
- Environment: Blender maps an equirect image with Z up, Mitsuba's `envmap` with local +Y up;
  `ENVMAP_TO_BLENDER` turns one into the other.
  `Environment.rotation` turns the map counter-clockwise seen from above (Blender turns the rig
  the other way, which gives the same image); `Environment.strength` scales it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from simulator.render.mitsuba_setup import MitsubaSetupError
from simulator.scene import ORIGINAL_SURFACE, Camera, Environment, Light, ObjectAsset, Scene, SceneObject, Surface

MESH_FORMATS = {".ply": "ply", ".obj": "obj"}
DEFAULT_BASE_COLOR = (0.8, 0.8, 0.8)  # Blender's default when an asset has no colour
NEAR_CLIP, FAR_CLIP = 1e-3, 1e5  # metres, as the Blender camera
SUPPORTED_LIGHTS = ("point", "spot", "sun")
SPOT_BLEND = 0.15  # Blender's default spot_blend, which the Blender renderer keeps

# Rotations taking a mesh file's up axis to +Z (the same as blender.UP_TO_Z).
UP_TO_Z: dict[str, np.ndarray] = {
    "Z": np.eye(3),
    "-Z": Rotation.from_euler("x", 180, degrees=True).as_matrix(),
    "Y": Rotation.from_euler("x", 90, degrees=True).as_matrix(),
    "-Y": Rotation.from_euler("x", -90, degrees=True).as_matrix(),
    "X": Rotation.from_euler("y", -90, degrees=True).as_matrix(),
    "-X": Rotation.from_euler("y", 90, degrees=True).as_matrix(),
}
# Mitsuba envmap frame -> Blender world: local +Y (up) -> +Z, local +Z -> +X, local +X -> +Y
# (chosen among the 24 axis rotations by rendering the bundled "forest" HDRI with both renderers:
# correlation 0.98, < 0.5 for every other; tests/integration/test_mitsuba_renderer.py checks it).
ENVMAP_TO_BLENDER = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
# Blender camera frame (-Z forward, +X right) -> Mitsuba camera frame (+Z forward, +X left).
BLENDER_TO_MITSUBA_CAMERA = np.diag([-1.0, 1.0, -1.0, 1.0])


class UnsupportedSceneError(ValueError):
    """The scene asks for something the Mitsuba renderer cannot realize."""


@dataclass(frozen=True)
class MeshData:
    """A mesh file's vertices (in the file's own coordinates) and how to normalize them."""

    path: Path
    vertices: np.ndarray  # Nx3, file coordinates
    normalization: np.ndarray  # 4x4, file coordinates -> normalized object frame
    normals: np.ndarray | None = None  # Nx3 vertex normals as Mitsuba loads them (file coordinates)


def _mitsuba() -> Any:
    import mitsuba as mi

    if mi.variant() is None:
        raise MitsubaSetupError("no Mitsuba variant set: call simulator.render.mitsuba_setup.import_mitsuba() first")
    return mi


def transform(matrix: np.ndarray) -> Any:
    """A 4x4 numpy matrix as a `mi.ScalarTransform4f` (for `to_world` entries)."""
    return _mitsuba().ScalarTransform4f(np.asarray(matrix, dtype=float).tolist())


def mesh_plugin(path: Path) -> str:
    """Mitsuba's shape plugin for a mesh file ("ply" or "obj"); UnsupportedSceneError otherwise."""
    plugin = MESH_FORMATS.get(Path(path).suffix.lower())
    if plugin is None:
        raise UnsupportedSceneError(
            f"{path}: the Mitsuba renderer reads {' and '.join(MESH_FORMATS)} meshes only (render it with Blender)"
        )
    return plugin


def loader_flips_v(path: Path) -> bool:
    """Whether Mitsuba's loader for this mesh file stores texture coordinates as (u, 1 - v) (.obj does)."""
    return Path(path).suffix.lower() == ".obj"


def read_vertices(path: Path) -> np.ndarray:
    """The mesh file's vertex positions (Nx3, file coordinates), read by Mitsuba's own loader."""
    return _read_mesh(path)[0]


def _read_mesh(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Vertex positions and normals (None without normals) in file coordinates."""
    mesh = _mitsuba().load_dict({"type": mesh_plugin(path), "filename": str(path)})
    positions = np.array(mesh.vertex_positions_buffer(), dtype=float).reshape(-1, 3)
    if not mesh.has_vertex_normals():
        return positions, None
    return positions, np.array(mesh.vertex_normals_buffer(), dtype=float).reshape(-1, 3)


def normalization_matrix(asset: ObjectAsset, vertices: np.ndarray) -> np.ndarray:
    """4x4 file -> normalized object frame: up to +Z, front to -Y, bbox centred, largest side `asset.size`."""
    rotation = Rotation.from_euler("z", asset.front_yaw, degrees=True).as_matrix() @ UP_TO_Z[asset.up_axis]
    points = np.asarray(vertices, dtype=float) @ rotation.T
    low, high = points.min(axis=0), points.max(axis=0)
    largest = float((high - low).max())
    scale = asset.size / largest if largest > 0 else 1.0
    matrix = np.eye(4)
    matrix[:3, :3] = scale * rotation
    matrix[:3, 3] = -scale * (low + high) / 2
    return matrix


def load_mesh_data(asset: ObjectAsset) -> MeshData:
    """Read `asset`'s mesh once and compute its normalization (cache the result per asset)."""
    vertices, normals = _read_mesh(asset.mesh_path)
    return MeshData(asset.mesh_path, vertices, normalization_matrix(asset, vertices), normals)


def posed_vertices(mesh: MeshData, scene_object: SceneObject) -> tuple[np.ndarray, np.ndarray | None]:
    """World-space vertex positions and unit normals of the posed object (for `object.vertex_*` params).

    The same as loading the file with `object_shape`'s `to_world`, so a loaded scene can be
    re-posed through `mi.traverse` instead of being rebuilt.
    """
    matrix = object_to_world(scene_object, mesh.normalization)
    positions = mesh.vertices @ matrix[:3, :3].T + matrix[:3, 3]
    if mesh.normals is None:
        return positions, None
    normals = mesh.normals @ np.linalg.inv(matrix[:3, :3])  # the inverse transpose, applied to rows
    return positions, normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)


def object_to_world(scene_object: SceneObject, normalization: np.ndarray) -> np.ndarray:
    """4x4 mesh-file -> world matrix: the pose on top of the normalization."""
    return scene_object.world_matrix() @ normalization


def srgb_to_linear(encoded: np.ndarray) -> np.ndarray:
    """The sRGB transfer curve inverted (values in [0, 1])."""
    encoded = np.asarray(encoded, dtype=np.float32)
    return np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4).astype(np.float32)


def read_texture(path: Path) -> np.ndarray:
    """An image file as linear RGB float32 HxWx3, rows top first (as Mitsuba's bitmaps).

    8-bit images are sRGB-encoded (decoded here, as Blender does); .exr/.hdr are already linear.
    """
    if Path(path).suffix.lower() in (".exr", ".hdr"):
        return np.ascontiguousarray(np.array(read_hdri(path), dtype=np.float32)[..., :3])
    from PIL import Image

    with Image.open(path) as image:
        encoded = np.asarray(image.convert("RGB"), dtype=np.float32) / np.float32(255.0)
    return np.ascontiguousarray(srgb_to_linear(encoded))


def texture_bitmap(linear: np.ndarray, scale: float = 1.0, flipped_v: bool = False) -> dict[str, Any]:
    """A `bitmap` texture dict of linear RGB data (HxWx3, rows top first) repeated `scale` times per UV unit.

    `raw=True` keeps the data as given: it is already linear. Mitsuba's bitmaps read v = 0 at the
    top row, Blender's images at the bottom one, so `to_uv` flips v, unless the mesh loader already
    did (`flipped_v`, see `loader_flips_v`). The optimizer assigns new data (same layout) to the
    `object.bsdf.base_color.data` parameter.
    """
    mi = _mitsuba()
    texture: dict[str, Any] = {
        "type": "bitmap",
        "data": mi.TensorXf(np.ascontiguousarray(linear, dtype=np.float32)),
        "raw": True,
        "filter_type": "bilinear",
        "wrap_mode": "repeat",
    }
    if flipped_v:  # (u, 1 - v) -> (s u, 1 - s v)
        texture["to_uv"] = mi.ScalarTransform4f().translate([0.0, 1.0 - scale, 0.0]).scale([scale, scale, 1.0])
    else:  # (u, v) -> (s u, 1 - s v)
        texture["to_uv"] = mi.ScalarTransform4f().translate([0.0, 1.0, 0.0]).scale([scale, -scale, 1.0])
    return texture


def adjust_colors(
    linear: np.ndarray, hue_shift: float = 0.0, tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
) -> np.ndarray:
    """Texels with their hue turned by `hue_shift` turns, then multiplied by `tint` (Blender's Hue and Tint nodes)."""
    from matplotlib.colors import hsv_to_rgb, rgb_to_hsv

    result = np.asarray(linear, dtype=np.float32)
    if hue_shift:
        hsv = rgb_to_hsv(np.clip(result, 0.0, None))
        hsv[..., 0] = (hsv[..., 0] + hue_shift) % 1.0
        result = hsv_to_rgb(hsv).astype(np.float32)
    return (result * np.asarray(tint, dtype=np.float32)).astype(np.float32)


def principled_bsdf(base_color: Any, roughness: float, metallic: float) -> dict[str, Any]:
    """A `principled` BSDF dict; `base_color` is an RGB triple or a texture dict."""
    color = {"type": "rgb", "value": list(base_color)} if isinstance(base_color, (tuple, list)) else base_color
    return {"type": "principled", "base_color": color, "roughness": float(roughness), "metallic": float(metallic)}


def object_bsdf(scene_object: SceneObject, texture: np.ndarray | None = None) -> dict[str, Any]:
    """The object's material: its `surface` if set (image surfaces, or the asset's own material with
    hue, tint, roughness and metallic adjustments), else the asset's own.

    `texture` (linear RGB HxWx3) replaces whatever base colour image the material would use:
    that is the texture optimizer's entry point.
    """
    asset, surface = scene_object.asset, scene_object.surface
    if surface is not None and surface.pattern != ORIGINAL_SURFACE:
        return surface_bsdf(surface, texture, loader_flips_v(asset.mesh_path))
    adjust = surface or Surface(ORIGINAL_SURFACE)  # the asset's own material, maybe with adjustments
    if texture is None and asset.texture_path is not None:
        texture = read_texture(asset.texture_path)
    if texture is not None:
        texels = adjust_colors(texture, adjust.hue_shift, adjust.tint)
        base = texture_bitmap(texels, 1.0, loader_flips_v(asset.mesh_path))
    else:
        color = np.asarray(asset.base_color or DEFAULT_BASE_COLOR, dtype=np.float32)
        base = tuple(float(c) for c in adjust_colors(color[None, None], adjust.hue_shift, adjust.tint)[0, 0])
    roughness = asset.roughness if adjust.roughness is None else adjust.roughness
    metallic = asset.metallic if adjust.metallic is None else adjust.metallic
    return principled_bsdf(base, roughness, metallic)


def surface_bsdf(surface: Surface, texture: np.ndarray | None = None, flipped_v: bool = False) -> dict[str, Any]:
    """A `Surface` with pattern "image" (procedural patterns are Blender-only): UV image, hue, tint, scale.

    `texture` (linear RGB) replaces the surface's image file; `flipped_v` as in `texture_bitmap`.
    """
    if surface.pattern != "image":
        raise UnsupportedSceneError(
            f"surface pattern {surface.pattern!r} is a Blender shader node pattern; the Mitsuba renderer "
            "supports image surfaces only (pattern 'image')"
        )
    if texture is None:
        texture = read_texture(surface.image_path)
    texels = adjust_colors(texture, surface.hue_shift, surface.tint)
    roughness = 0.5 if surface.roughness is None else surface.roughness
    metallic = 0.0 if surface.metallic is None else surface.metallic
    return principled_bsdf(texture_bitmap(texels, surface.scale, flipped_v), roughness, metallic)


def object_shape(
    scene_object: SceneObject, normalization: np.ndarray, bsdf: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The object as a `ply`/`obj` shape dict, placed like Blender places it, with `bsdf` (default `object_bsdf`)."""
    path = scene_object.asset.mesh_path
    return {
        "type": mesh_plugin(path),
        "filename": str(path),
        "to_world": transform(object_to_world(scene_object, normalization)),
        "bsdf": object_bsdf(scene_object) if bsdf is None else bsdf,
    }


def camera_to_world(camera: Camera) -> np.ndarray:
    """4x4 Mitsuba camera-to-world matrix (local +Z forward, +X left) of a Blender-convention camera."""
    return camera.world_matrix() @ BLENDER_TO_MITSUBA_CAMERA


def film_dict(width: int, height: int, pixel_format: str = "rgb", filter_type: str = "gaussian") -> dict[str, Any]:
    """An `hdrfilm` of linear radiance; "rgba" adds alpha (the fraction of samples that hit a
    surface, or 1 everywhere when the environment is visible: use the integrator's hide_emitters)."""
    return {
        "type": "hdrfilm",
        "width": int(width),
        "height": int(height),
        "pixel_format": pixel_format,
        "rfilter": {"type": filter_type},
    }


def sensor_dict(
    camera: Camera, width: int, height: int, spp: int = 16, film: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A `perspective` (pinhole) or `thinlens` (aperture set) sensor matching Blender's camera."""
    sensor: dict[str, Any] = {
        "type": "perspective",
        "fov": math.degrees(camera.horizontal_fov()),
        "fov_axis": "x",
        "near_clip": NEAR_CLIP,
        "far_clip": FAR_CLIP,
        "to_world": transform(camera_to_world(camera)),
        "sampler": {"type": "independent", "sample_count": int(spp)},
        "film": film_dict(width, height) if film is None else film,
    }
    if camera.aperture is not None:
        sensor["type"] = "thinlens"
        sensor.update(thin_lens(camera))
    return sensor


def thin_lens(camera: Camera) -> dict[str, float]:
    """`thinlens` aperture_radius (metres, focal length / 2 f-number) and focus_distance; {} for a pinhole."""
    if camera.aperture is None:
        return {}
    focus = camera.focus_distance if camera.focus_distance is not None else camera.distance
    return {"aperture_radius": camera.focal_length / 1000.0 / (2.0 * camera.aperture), "focus_distance": float(focus)}


def envmap_to_world(rotation: float) -> np.ndarray:
    """4x4 `envmap` to_world: Blender's equirect orientation, turned `rotation` degrees about Z."""
    matrix = np.eye(4)
    matrix[:3, :3] = Rotation.from_euler("z", rotation, degrees=True).as_matrix() @ ENVMAP_TO_BLENDER
    return matrix


def read_hdri(path: Path) -> Any:
    """An HDRI file as a linear RGB `mi.Bitmap` (load once, pass to `environment_emitter`)."""
    mi = _mitsuba()
    bitmap = mi.Bitmap(str(path))
    return bitmap.convert(mi.Bitmap.PixelFormat.RGB, mi.Struct.Type.Float32, srgb_gamma=False)


def environment_emitter(environment: Environment, hdri: Any = None) -> dict[str, Any]:
    """An `envmap` (HDRI; `hdri` is a preloaded `read_hdri` bitmap) or `constant` emitter dict.

    Strength scales the radiance; rotation turns an HDRI counter-clockwise seen from above.
    """
    if environment.hdri_path is None:
        color = [float(c) * environment.strength for c in environment.color]
        return {"type": "constant", "radiance": {"type": "rgb", "value": color}}
    return {
        "type": "envmap",
        "bitmap": read_hdri(environment.hdri_path) if hdri is None else hdri,
        "scale": float(environment.strength),
        "to_world": transform(envmap_to_world(environment.rotation)),
    }


def light_emitter(light: Light) -> dict[str, Any]:
    """A point, spot or sun lamp as a Mitsuba emitter dict (delta lights: `size` is not realized,
    so shadows are hard where Blender's are soft).

    Blender's watts become radiant intensity P / (4 pi) W/sr for point and spot lights (Cycles'
    convention; a spot is as bright as a point lamp of the same power inside its cone); a sun's
    `power` is irradiance in W/m^2. Measured against Cycles on a diffuse object: within 7% (the
    two principled BSDFs' diffuse lobes differ by about that much).
    """
    color = np.asarray(light.color, dtype=float)
    if light.kind == "point":
        intensity = _rgb(color * light.power / (4 * math.pi))
        return {"type": "point", "position": list(light.location), "intensity": intensity}
    if light.kind == "spot":
        half = math.radians(light.spot_angle / 2.0)
        # Blender's default spot blend (0.15) softens the cone's outer 15% of (1 - cos(half)).
        beam = math.acos(math.cos(half) + SPOT_BLEND * (1.0 - math.cos(half)))
        return {
            "type": "spot",
            "to_world": transform(light.world_matrix() @ BLENDER_TO_MITSUBA_CAMERA),
            "intensity": _rgb(color * light.power / (4 * math.pi)),
            "cutoff_angle": math.degrees(half),
            "beam_width": math.degrees(beam),
        }
    if light.kind == "sun":
        direction = np.asarray(light.target, dtype=float) - np.asarray(light.location, dtype=float)
        return {"type": "directional", "direction": list(direction), "irradiance": _rgb(color * light.power)}
    raise UnsupportedSceneError(
        f"light kind {light.kind!r}: the Mitsuba renderer supports {', '.join(SUPPORTED_LIGHTS)} lights"
    )


def _rgb(value: np.ndarray) -> dict[str, Any]:
    return {"type": "rgb", "value": [float(v) for v in value]}


def unsupported_features(scene: Scene) -> list[str]:
    """What in `scene` the Mitsuba renderer cannot realize (empty when it can render it)."""
    problems = []
    if Path(scene.object.asset.mesh_path).suffix.lower() not in MESH_FORMATS:
        problems.append(f"mesh {scene.object.asset.mesh_path.name} (only {', '.join(MESH_FORMATS)} files)")
    if scene.object.surface is not None and scene.object.surface.pattern not in ("image", ORIGINAL_SURFACE):
        problems.append(f"procedural surface pattern {scene.object.surface.pattern!r} (only 'image' or the original)")
    if scene.sky is not None:
        problems.append("a physical sky (Scene.sky)")
    if scene.occluders:
        problems.append("occluders")
    if scene.liquid is not None:
        problems.append("a liquid fill")
    problems += [f"{light.kind} light" for light in scene.lights if light.kind not in SUPPORTED_LIGHTS]
    return problems


def scene_dict(
    scene: Scene,
    normalization: np.ndarray,
    width: int,
    height: int,
    spp: int = 16,
    integrator: dict[str, Any] | None = None,
    hdri: Any = None,
    bsdf: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole `scene` as one `mi.load_dict` dict: object (key "object"), sensor, environment, lamps.

    `integrator` defaults to a `path` tracer with 4 bounces; `hdri` is a preloaded `read_hdri`
    bitmap; `bsdf` replaces the object's material (e.g. one with an optimized texture).
    """
    problems = unsupported_features(scene)
    if problems:
        raise UnsupportedSceneError(f"the Mitsuba renderer cannot render {', '.join(problems)}")
    result: dict[str, Any] = {
        "type": "scene",
        "integrator": integrator or {"type": "path", "max_depth": 6},
        "sensor": sensor_dict(scene.camera, width, height, spp),
        "object": object_shape(scene.object, normalization, bsdf),
    }
    if scene.environment.strength > 0:
        result["environment"] = environment_emitter(scene.environment, hdri)
    for index, light in enumerate(scene.lights):
        result[f"light_{index}"] = light_emitter(light)
    return result
