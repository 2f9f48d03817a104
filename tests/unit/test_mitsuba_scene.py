"""The numpy side of Scene -> Mitsuba: normalization, frames and posing (no Mitsuba import needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.render.mitsuba_scene import (
    MeshData,
    UnsupportedSceneError,
    camera_to_world,
    envmap_to_world,
    mesh_plugin,
    normalization_matrix,
    posed_vertices,
    srgb_to_linear,
    thin_lens,
    unsupported_features,
)
from simulator.scene import (
    Camera,
    Environment,
    Light,
    ObjectAsset,
    Scene,
    SceneObject,
    Surface,
    quaternion_from_euler,
)

# A box 0.4 x 1.0 x 0.2 off the origin, tall along the file's Y axis.
BOX = np.array([[x, y, z] for x in (1.0, 1.4) for y in (0.0, 1.0) for z in (-0.1, 0.1)])


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:3, :3].T + matrix[:3, 3]


def asset(**changes: object) -> ObjectAsset:
    return ObjectAsset(name="box", mesh_path=Path("box.ply"), labels=(1,), **changes)


def test_normalization_turns_up_to_z_centres_and_scales() -> None:
    points = apply(normalization_matrix(asset(up_axis="Y", size=2.0), BOX), BOX)
    low, high = points.min(axis=0), points.max(axis=0)
    np.testing.assert_allclose(low + high, 0.0, atol=1e-12)
    np.testing.assert_allclose(high - low, [0.8, 0.4, 2.0])  # x stays, the file's z turns to -y


def test_front_yaw_turns_about_up() -> None:
    points = apply(normalization_matrix(asset(up_axis="Y", front_yaw=90.0), BOX), BOX)
    np.testing.assert_allclose(points.max(axis=0) - points.min(axis=0), [0.2, 0.4, 1.0])


def test_mitsuba_camera_looks_at_the_target_with_x_to_the_left() -> None:
    camera = Camera(azimuth=30.0, elevation=20.0, roll=10.0, target=(0.1, 0.2, 0.3))
    matrix = camera_to_world(camera)
    forward = matrix[:3, 2]
    to_target = np.asarray(camera.target) - camera.location()
    np.testing.assert_allclose(forward, to_target / np.linalg.norm(to_target), atol=1e-12)
    np.testing.assert_allclose(matrix[:3, 3], camera.location())
    assert np.linalg.det(matrix[:3, :3]) == pytest.approx(1.0)
    right_of_image = camera.unproject(0.5, 0.0, 2.0)  # u > 0: the right half of the frame
    local = np.linalg.inv(matrix) @ np.append(right_of_image, 1.0)
    assert local[0] < 0 and local[2] > 0  # Mitsuba's +X is the image's left, +Z forward
    up_in_image = camera.unproject(0.0, 0.5, 2.0)
    assert (np.linalg.inv(matrix) @ np.append(up_in_image, 1.0))[1] > 0


def test_envmap_frame_is_z_up_and_rotation_is_counter_clockwise() -> None:
    still, turned = envmap_to_world(0.0), envmap_to_world(90.0)
    np.testing.assert_allclose(still[:3, 1], [0, 0, 1], atol=1e-12)  # the map's up is world up
    np.testing.assert_allclose(turned[:3, :3] @ np.linalg.inv(still[:3, :3]) @ [1, 0, 0], [0, 1, 0], atol=1e-12)
    assert np.linalg.det(still[:3, :3]) == pytest.approx(1.0)


def test_posed_vertices_match_the_shape_transform() -> None:
    normalization = normalization_matrix(asset(up_axis="Y"), BOX)
    mesh = MeshData(Path("box.ply"), BOX, normalization, normals=np.tile([0, 0, 1.0], (8, 1)))
    placed = SceneObject(asset(up_axis="Y"), location=(0.5, 0, 0), rotation=quaternion_from_euler(0, 90, 0), scale=3)
    positions, normals = posed_vertices(mesh, placed)
    np.testing.assert_allclose(positions, apply(placed.world_matrix() @ normalization, BOX))
    # The file's +z is -y after turning Y up to Z; pitching 90 degrees about X takes -y to -z.
    np.testing.assert_allclose(normals, np.tile([0, 0, -1.0], (8, 1)), atol=1e-12)


def test_thin_lens_and_srgb() -> None:
    assert thin_lens(Camera()) == {}
    lens = thin_lens(Camera(focal_length=50.0, aperture=2.0, distance=3.0))
    assert lens == pytest.approx({"aperture_radius": 0.0125, "focus_distance": 3.0})
    np.testing.assert_allclose(srgb_to_linear(np.array([0.0, 0.04045, 0.5, 1.0])), [0.0, 0.04045 / 12.92, 0.214, 1.0], atol=1e-3)


def test_unsupported_scene_parts_are_named() -> None:
    scene = Scene(SceneObject(asset()), Environment("grey", color=(0.5, 0.5, 0.5)))
    assert unsupported_features(scene) == []
    assert unsupported_features(scene.with_lights(Light("point", (1, 1, 1)), Light("spot", (1, 1, 1)))) == []
    odd = scene.with_object(surface=Surface("zebra")).with_lights(Light("area", (1, 1, 1)))
    assert unsupported_features(odd) == ["procedural surface pattern 'zebra' (only 'image' or the original)", "area light"]
    glb = Scene(SceneObject(ObjectAsset("b", Path("b.glb"), (1,))), scene.environment)
    assert unsupported_features(glb) == ["mesh b.glb (only .ply, .obj files)"]
    assert mesh_plugin(Path("m.PLY")) == "ply"
    with pytest.raises(UnsupportedSceneError, match="render it with Blender"):
        mesh_plugin(Path("m.glb"))
