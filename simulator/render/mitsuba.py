"""Rendering `Scene`s with Mitsuba 3 (the second renderer; see docs/renderers.md).

`MitsubaRenderer` builds scenes with `simulator.render.mitsuba_scene` and renders them with a
`path` tracer. The mesh files' vertices, the HDRIs and the textures (decoded to linear RGB) are
read once per process. The loaded Mitsuba scene is kept while the sample's structure stays the
same (object, surface pattern/image/scale, environment file or colour, lamp kinds, pinhole or
lens); the pose, camera, environment rotation/strength, the surface's hue/tint/roughness/metallic
and the lamps' colour, power and placement are then set through `mi.traverse` (much cheaper than
loading the scene again). Every render sets them, a fresh scene too, so a sample renders the
same whatever came before.

rgb is display-encoded like Blender's "Standard" view (clip, sRGB curve) and quantized with
`quantize_8bit`. Environment strength scales the envmap; added lamps keep their power (the same
image as Blender's exposure trick).

depth, segmentation and uv come, like Blender's passes, from one camera ray per pixel: a second
render of the same scene with Mitsuba's `aov` integrator alone, 1 sample per pixel through a
box filter (~15 ms at 224 px; an `aov` integrator wrapping the path tracer tripled the render
time). segmentation is 1 where that ray hit the object; depth is the hit position projected on
the camera axis (inf on the background); uv is the hit's texture coordinates (0 on background).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulator.render import mitsuba_scene as ms
from simulator.render.base import Renderer, RenderSettings, quantize_8bit, srgb_encode
from simulator.render.mitsuba_setup import import_mitsuba
from simulator.scene import ORIGINAL_SURFACE, Camera, ObjectAsset, Scene

log = logging.getLogger(__name__)

# The channels render's outputs: AOVS in order (position xyz, uv, ray distance; 0 where nothing is hit).
AOVS = "position:position,uv:uv,distance:depth"
POSITION, UV, DISTANCE = slice(0, 3), slice(3, 5), 5
CHANNEL_COUNT = 6


@dataclass
class _Loaded:
    """A loaded Mitsuba scene, its parameters, and the 1-spp sensor of the channels render."""

    key: tuple[object, ...]  # the structure it was built for (see MitsubaRenderer._scene)
    scene: Any
    params: Any
    channel_sensor: Any
    channel_params: Any
    looks: tuple[object, ...]  # the surface and lamps its parameters hold now (see MitsubaRenderer._set_looks)


class MitsubaRenderError(RuntimeError):
    """Mitsuba could not load an asset, build the scene, or render."""


class MitsubaRenderer(Renderer):
    """Renders `Scene`s with Mitsuba 3; see the module docstring."""

    def __init__(self, settings: RenderSettings) -> None:
        """Import Mitsuba with the variant for `settings.device` (llvm_ad_rgb or cuda_ad_rgb)."""
        super().__init__(settings)
        self._mi = import_mitsuba(settings.device)
        if settings.threads > 0:
            import drjit as dr

            dr.set_thread_count(settings.threads)
        self._meshes: dict[ObjectAsset, ms.MeshData] = {}
        self._hdris: dict[Path, Any] = {}
        self._textures: dict[Path, np.ndarray] = {}
        self._aov: Any = None  # the channels render's integrator, loaded on first use
        self._loaded: _Loaded | None = None
        log.info("Mitsuba renders with variant %s", self._mi.variant())

    @property
    def variant(self) -> str:
        """The Mitsuba variant in use (llvm_ad_rgb or cuda_ad_rgb)."""
        return str(self._mi.variant())

    def render(self, scene: Scene, seed: int) -> dict[str, np.ndarray]:
        """Channels in `settings.channels` (always including rgb) for `scene`."""
        problems = ms.unsupported_features(scene)
        if problems:
            raise MitsubaRenderError(f"the Mitsuba renderer cannot render {', '.join(problems)}")
        settings = self.settings
        try:
            loaded = self._scene(scene)
            self._place(loaded, scene)
            image = np.array(self._mi.render(loaded.scene, seed=seed % 2**32), dtype=np.float32)
            channels = {"rgb": quantize_8bit(srgb_encode(image[..., :3]), settings.dither, seed)}
            if any(channel in settings.channels for channel in ("depth", "segmentation", "uv")):
                channels.update(self._channels(loaded, scene, seed))
        except (RuntimeError, OSError) as error:  # Mitsuba's errors are RuntimeErrors; OSError: unreadable files
            self._loaded = None  # possibly half-updated: build it again next time
            raise MitsubaRenderError(f"Mitsuba failed on object {scene.object.asset.name!r}: {error}") from error
        return channels

    def close(self) -> None:
        """Forget the loaded scene and the cached assets."""
        self._loaded = None
        self._meshes.clear()
        self._hdris.clear()
        self._textures.clear()

    def _scene(self, scene: Scene) -> _Loaded:
        """The loaded Mitsuba scene for `scene`'s structure (see the module docstring), built when it changed."""
        environment = scene.environment
        surface = scene.object.surface
        key = (
            scene.object.asset,
            None if surface is None else (surface.pattern, surface.image_path, surface.scale),
            environment.hdri_path,
            environment.strength > 0,
            scene.camera.aperture is None,
            tuple((light.kind, light.spot_angle) for light in scene.lights),
        )
        if self._loaded is not None and self._loaded.key == key:
            return self._loaded
        self._loaded = None
        settings = self.settings
        description = ms.scene_dict(
            scene,
            self._mesh(scene.object.asset).normalization,
            settings.width,
            settings.height,
            settings.samples,
            integrator={"type": "path", "max_depth": settings.max_bounces + 2},  # Cycles' bounces exclude the last
            hdri=self._hdri(environment.hdri_path) if environment.hdri_path else None,
            bsdf=self._bsdf(scene),
        )
        film = ms.film_dict(settings.width, settings.height, pixel_format="rgb", filter_type="box")
        channel_sensor = self._mi.load_dict(ms.sensor_dict(scene.camera, settings.width, settings.height, 1, film=film))
        loaded_scene = self._mi.load_dict(description)
        self._loaded = _Loaded(
            key,
            loaded_scene,
            self._mi.traverse(loaded_scene),
            channel_sensor,
            self._mi.traverse(channel_sensor),
            (surface, scene.lights),
        )
        return self._loaded

    def _place(self, loaded: _Loaded, scene: Scene) -> None:
        """Set the pose, camera and environment rotation/strength of `scene` on the loaded scene."""
        mi, params = self._mi, loaded.params
        positions, normals = ms.posed_vertices(self._mesh(scene.object.asset), scene.object)
        params["object.vertex_positions"] = mi.Float(positions.astype(np.float32).ravel())
        if normals is not None:
            params["object.vertex_normals"] = mi.Float(normals.astype(np.float32).ravel())
        camera = scene.camera
        for prefix, sensor_params in (("sensor.", params), ("", loaded.channel_params)):
            sensor_params[f"{prefix}to_world"] = mi.Transform4f(ms.camera_to_world(camera).tolist())
            sensor_params[f"{prefix}x_fov"] = math.degrees(camera.horizontal_fov())
            for name, value in ms.thin_lens(camera).items():
                sensor_params[f"{prefix}{name}"] = value
        environment = scene.environment
        if "environment.to_world" in params:
            params["environment.to_world"] = mi.Transform4f(ms.envmap_to_world(environment.rotation).tolist())
            params["environment.scale"] = float(environment.strength)
        elif "environment.radiance.value" in params:
            params["environment.radiance.value"] = [float(c) * environment.strength for c in environment.color]
        self._set_looks(loaded, scene)
        params.update()
        loaded.channel_params.update()

    def _set_looks(self, loaded: _Loaded, scene: Scene) -> None:
        """Surface adjustments (hue, tint, roughness, metallic) and lamp colours, powers and placements
        that changed since the loaded scene was built: parameters, not a rebuild (about 40 ms saved)."""
        looks = (scene.object.surface, scene.lights)
        if looks == loaded.looks:
            return
        params, bsdf = loaded.params, self._bsdf(scene)
        base = bsdf["base_color"]
        if base["type"] == "bitmap":
            params["object.bsdf.base_color.data"] = base["data"]
        else:
            params["object.bsdf.base_color.value"] = base["value"]
        params["object.bsdf.roughness.value"] = bsdf["roughness"]
        params["object.bsdf.metallic.value"] = bsdf["metallic"]
        for index, light in enumerate(scene.lights):
            emitter = ms.light_emitter(light)
            for name in ("position", "to_world"):
                if name in emitter:
                    params[f"light_{index}.{name}"] = emitter[name]
            params[f"light_{index}.intensity.value"] = emitter["intensity"]["value"]
        loaded.looks = looks

    def _channels(self, loaded: _Loaded, scene: Scene, seed: int) -> dict[str, np.ndarray]:
        """depth/segmentation/uv from one primary ray per pixel (see the module docstring)."""
        if self._aov is None:
            self._aov = self._mi.load_dict({"type": "aov", "aovs": AOVS})
        rendered = self._mi.render(loaded.scene, sensor=loaded.channel_sensor, integrator=self._aov, seed=seed % 2**32)
        image = np.array(rendered, dtype=np.float32)
        if image.shape[-1] != CHANNEL_COUNT:
            raise MitsubaRenderError(f"the aov integrator wrote {image.shape[-1]} channels, expected {CHANNEL_COUNT}")
        flipped_v = ms.loader_flips_v(scene.object.asset.mesh_path)
        return extract_channels(image, self.settings.channels, scene.camera, flipped_v)

    def _mesh(self, asset: ObjectAsset) -> ms.MeshData:
        if asset not in self._meshes:
            self._meshes[asset] = ms.load_mesh_data(asset)
            log.info("loaded %s from %s", asset.name, asset.mesh_path)
        return self._meshes[asset]

    def _hdri(self, path: Path) -> Any:
        if path not in self._hdris:
            self._hdris[path] = ms.read_hdri(path)
        return self._hdris[path]

    def _texture(self, path: Path | None) -> np.ndarray | None:
        if path is None:
            return None
        if path not in self._textures:
            self._textures[path] = ms.read_texture(path)
        return self._textures[path]

    def _bsdf(self, scene: Scene) -> dict[str, Any]:
        surface = scene.object.surface
        replaced = surface is not None and surface.pattern != ORIGINAL_SURFACE
        image = surface.image_path if replaced else scene.object.asset.texture_path  # read once, then cached
        return ms.object_bsdf(scene.object, self._texture(image))


def extract_channels(
    image: np.ndarray, channels: tuple[str, ...], camera: Camera, flipped_v: bool = False
) -> dict[str, np.ndarray]:
    """depth, segmentation and uv (see `Renderer`) from the channels render (one ray per pixel);
    `flipped_v`: the mesh loader stored (u, 1 - v) (see `mitsuba_scene.loader_flips_v`)."""
    hit = image[..., DISTANCE] > 0
    out: dict[str, np.ndarray] = {}
    if "segmentation" in channels:
        out["segmentation"] = hit.astype(np.uint8)
    if "depth" in channels:
        world_to_camera = np.linalg.inv(camera.world_matrix())
        depth = -(image[..., POSITION] @ world_to_camera[:3, :3].T + world_to_camera[:3, 3])[..., 2]
        out["depth"] = np.where(hit, depth, np.inf).astype(np.float32)
    if "uv" in channels:
        uv = image[..., UV].copy()
        if flipped_v:
            uv[..., 1] = 1.0 - uv[..., 1]
        out["uv"] = np.where(hit[..., None], uv, np.float32(0.0)).astype(np.float32)
    return out
