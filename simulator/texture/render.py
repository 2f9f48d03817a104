"""Differentiable renders of the object with a torch texture, by Mitsuba 3 through `@dr.wrap`.

One Mitsuba scene is built per environment (mesh, image-surface material, sensor, emitter, from
`simulator.render.mitsuba_scene`), then reused: each render only changes the sensor and the
environment map through `mi.traverse`. The object's pose is folded into them: rendering the
object at pose P from camera C under environment E gives the same image as the object at rest
seen from P^-1 C under P^-1 E (a rigid motion of everything, plus a uniform scale that a pinhole
camera cannot see).

A render returns linear radiance (H x W x 3, the HDRI visible behind the object, as Blender
renders it) as a torch tensor wired into autograd; its backward pass runs Mitsuba's adjoint
render for the scene as it is at that moment, so call `backward` before the next render.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from simulator.experiment import Experiment
from simulator.render.mitsuba_scene import (
    camera_to_world,
    envmap_to_world,
    film_dict,
    load_mesh_data,
    read_hdri,
    scene_dict,
    surface_bsdf,
    unsupported_features,
)
from simulator.render.mitsuba_setup import import_mitsuba
from simulator.scene import ObjectAsset, Scene, SceneObject, Surface

TEXTURE_KEY = "object.bsdf.base_color.data"
# The optimized texture replaces the colour of the object's own material: in Blender that is the
# texture control's `image` pattern at scale 1 with the asset's roughness and metallic. The material
# is built from that Surface (`image_surface`) so both renderers agree; its path is never read.
PLACEHOLDER_IMAGE = Path("texture.png")


class DifferentiableRenderer:
    """Renders the experiment's object with a given texture under a given `Scene`."""

    def __init__(
        self,
        experiment: Experiment,
        texture_resolution: int,
        spp: int,
        spp_grad: int,
        integrator: str = "prb",
        max_depth: int = 3,
        device: str = "auto",
    ) -> None:
        self.mi = import_mitsuba(device)
        import drjit as dr

        self.dr = dr
        self.experiment = experiment
        settings = experiment.render_settings()
        self.width, self.height = settings.width, settings.height
        self.spp, self.spp_grad = spp, spp_grad
        # `direct` traces one bounce by construction and takes no max_depth
        self.integrator = {"type": integrator} if integrator == "direct" else {"type": integrator, "max_depth": max_depth}
        self.asset = next(iter(experiment.objects.values()))
        self.mesh = load_mesh_data(self.asset)
        self.texture_resolution = texture_resolution
        self._scenes: dict[str, tuple[Any, Any]] = {}
        self._render = self._make_wrapped_render()

    @property
    def variant(self) -> str:
        """The Mitsuba variant in use (llvm_ad_rgb on the CPU, cuda_ad_rgb on a GPU)."""
        return str(self.mi.variant())

    def _scene(self, environment: str) -> tuple[Any, Any]:
        """The Mitsuba scene of one environment (built on first use) and its parameters."""
        if environment not in self._scenes:
            base = self.experiment.base_scene(self.asset.name, environment)
            placeholder = np.full((self.texture_resolution, self.texture_resolution, 3), 0.5, dtype=np.float32)
            description = scene_dict(
                base,
                self.mesh.normalization,
                self.width,
                self.height,
                self.spp,
                integrator=self.integrator,
                hdri=read_hdri(base.environment.hdri_path) if base.environment.hdri_path is not None else None,
                bsdf=surface_bsdf(image_surface(self.asset), placeholder),
            )
            description["sensor"]["film"] = film_dict(self.width, self.height, pixel_format="rgb")
            scene = self.mi.load_dict(description)
            self._scenes[environment] = (scene, self.mi.traverse(scene))
        return self._scenes[environment]

    def _make_wrapped_render(self) -> Any:
        dr, mi = self.dr, self.mi

        @dr.wrap(source="torch", target="drjit")
        def render(texture: Any, scene: Any, params: Any, seed: int) -> Any:
            params[TEXTURE_KEY] = texture
            params.update()
            return mi.render(scene, params, seed=seed, seed_grad=seed + 1, spp=self.spp, spp_grad=self.spp_grad)

        return render

    def place(self, scene: Scene) -> tuple[Any, Any]:
        """The Mitsuba scene for `scene`'s environment with its sensor and emitter set for this view."""
        if scene.object.surface is not None or scene.lights or unsupported_features(scene):
            raise ValueError("the texture optimizer renders the object, its pose, the camera and the environment only")
        if scene.camera.aperture is not None:
            raise ValueError("the texture optimizer renders with a pinhole camera (camera.aperture must be 0)")
        mitsuba_scene, params = self._scene(scene.environment.name)
        rotation, inverse = _inverse_pose(scene.object)
        camera = inverse @ camera_to_world(scene.camera)
        camera[:3, :3] /= np.linalg.norm(camera[:3, :3], axis=0)  # undo a uniform object scale
        params["sensor.to_world"] = self.mi.Transform4f(camera.tolist())
        params["sensor.x_fov"] = math.degrees(scene.camera.horizontal_fov())
        if "environment.to_world" in params:
            turn = np.eye(4)
            turn[:3, :3] = rotation.T
            to_world = turn @ envmap_to_world(scene.environment.rotation)
            params["environment.to_world"] = self.mi.Transform4f(to_world.tolist())
            params["environment.scale"] = float(scene.environment.strength)
        elif "environment.radiance.value" in params:
            params["environment.radiance.value"] = [float(c) * scene.environment.strength for c in scene.environment.color]
        params.update()
        return mitsuba_scene, params

    def render(self, texture_linear: torch.Tensor, scene: Scene, seed: int) -> torch.Tensor:
        """Linear radiance H x W x 3 of `scene` with the object wearing `texture_linear` (H x W x 3)."""
        mitsuba_scene, params = self.place(scene)
        return self._render(texture_linear.contiguous(), mitsuba_scene, params, int(seed) % (2**31 - 2))


def image_surface(asset: ObjectAsset, image: Path = PLACEHOLDER_IMAGE) -> Surface:
    """The texture control's surface showing `image` with the asset's own roughness and metallic."""
    return Surface(pattern="image", image_path=image, roughness=asset.roughness, metallic=asset.metallic)


def _inverse_pose(scene_object: SceneObject) -> tuple[np.ndarray, np.ndarray]:
    """The pose's 3x3 rotation and the 4x4 inverse of its rigid part, with the scale dividing positions."""
    matrix = scene_object.world_matrix()
    scale = float(np.cbrt(abs(np.linalg.det(matrix[:3, :3]))))
    rotation = matrix[:3, :3] / scale
    inverse = np.eye(4)
    inverse[:3, :3] = rotation.T / scale
    inverse[:3, 3] = -rotation.T @ matrix[:3, 3] / scale
    return rotation, inverse

