"""Where the object is in a render, read off the render itself: the ground truth of detection.

- visible box: the smallest box around the object's pixels in the segmentation channel (1 = object).
- amodal box: the box around the posed mesh's vertices projected through the scene's camera, clipped to
  the frame (None for meshes other than .obj and .ply, or when part of the object is behind the camera).
- visible fraction: the object's visible pixels over the pixels it would cover without occluders (the
  `unoccluded` mask the renderer adds when the scene has occluders; else all of them), times the share
  of the amodal box inside the frame: 1 for a whole object in view, lower when occluded or cut off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simulator.evaluators.boxes import mask_box
from simulator.mesh_vertices import read_vertices
from simulator.render.mitsuba_scene import normalization_matrix
from simulator.scene import Scene


@dataclass(frozen=True)
class ObjectTruth:
    visible_box: np.ndarray | None  # [x0, y0, x1, y1] pixels; None when no object pixel is visible
    amodal_box: np.ndarray | None
    visible_fraction: float | None


def object_truth(channels: Mapping[str, np.ndarray], scene: Scene | None) -> ObjectTruth:
    """The ground truth of one render (`channels` must hold `segmentation`)."""
    segmentation = channels["segmentation"]
    height, width = segmentation.shape[:2]
    visible = segmentation == 1
    full = projected_box(scene, width, height) if scene is not None else None
    amodal = None if full is None else np.clip(full, 0, [width, height, width, height]).astype(np.float64)
    unoccluded = channels.get("unoccluded")
    whole = int(np.count_nonzero(unoccluded == 1)) if unoccluded is not None else int(visible.sum())
    fraction = visible.sum() / whole if whole else 0.0
    if full is not None and amodal is not None:
        area = (full[2] - full[0]) * (full[3] - full[1])
        fraction *= (amodal[2] - amodal[0]) * (amodal[3] - amodal[1]) / area if area > 0 else 0.0
    return ObjectTruth(mask_box(visible), amodal, float(min(fraction, 1.0)))


def projected_box(scene: Scene, width: int, height: int) -> np.ndarray | None:
    """The posed mesh's box in pixels (not clipped), or None (see the module docstring)."""
    asset = scene.object.asset
    vertices = read_vertices(asset.mesh_path)
    if vertices is None or not len(vertices):
        return None
    to_world = scene.object.world_matrix() @ normalization_matrix(asset, vertices)
    camera = scene.camera
    to_camera = np.linalg.inv(camera.world_matrix()) @ to_world
    points = vertices @ to_camera[:3, :3].T + to_camera[:3, 3]
    depth = -points[:, 2]
    if depth.min() <= 0:
        return None
    half_width = math.tan(camera.horizontal_fov() / 2.0)
    u = points[:, 0] / depth / half_width
    v = points[:, 1] / depth / (half_width / camera.aspect)
    x, y = (u + 1.0) / 2.0 * width, (1.0 - v) / 2.0 * height
    return np.array([x.min(), y.min(), x.max(), y.max()], dtype=np.float64)
