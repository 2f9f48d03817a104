"""Scene geometry and the pure scene controls (no renderer involved)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from controls.background import Background
from controls.camera import CameraControl, InFrame
from controls.pose import Orientation, Position, Scale
from simulator.scene import (
    Camera,
    Environment,
    ObjectAsset,
    Scene,
    SceneObject,
    quaternion_from_euler,
    rotation_matrix,
)

ASSET = ObjectAsset(name="thing", mesh_path=Path("thing.ply"), labels=(504,))


def base_scene(aspect: float = 1.0) -> Scene:
    return Scene(SceneObject(ASSET), Environment("grey", color=(0.5, 0.5, 0.5)), Camera(aspect=aspect))


def test_default_camera_sits_in_front_of_the_object_looking_at_it() -> None:
    camera = Camera(azimuth=0.0, elevation=0.0, distance=2.0)
    np.testing.assert_allclose(camera.location(), [0.0, -2.0, 0.0], atol=1e-12)
    u, v, depth = camera.project((0.0, 0.0, 0.0))
    assert (u, v, depth) == pytest.approx((0.0, 0.0, 2.0))
    # +X is to the right in the image, +Z up
    assert camera.project((0.1, 0.0, 0.0))[0] > 0
    assert camera.project((0.0, 0.0, 0.1))[1] > 0


@pytest.mark.parametrize("azimuth,elevation,roll", [(0, 0, 0), (90, 30, 0), (-135, -20, 15), (10, 89, 0)])
def test_project_and_unproject_are_inverse(azimuth: float, elevation: float, roll: float) -> None:
    camera = Camera(azimuth=azimuth, elevation=elevation, roll=roll, distance=3.0, aspect=4 / 3)
    point = np.array([0.2, -0.1, 0.3])
    u, v, depth = camera.project(point)
    np.testing.assert_allclose(camera.unproject(u, v, depth), point, atol=1e-9)


def test_camera_matrix_is_a_rigid_transform() -> None:
    matrix = Camera(azimuth=33, elevation=12, roll=40).world_matrix()
    rotation = matrix[:3, :3]
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rotation) == pytest.approx(1.0)


def test_frame_edges_follow_the_horizontal_field_of_view() -> None:
    camera = Camera(elevation=0.0, distance=2.0, aspect=2.0)
    half_width = 2.0 * np.tan(camera.horizontal_fov() / 2)
    assert camera.project((half_width, 0.0, 0.0))[0] == pytest.approx(1.0)
    assert camera.project((0.0, 0.0, half_width / 2.0))[1] == pytest.approx(1.0)


def test_yaw_turns_about_the_up_axis() -> None:
    rotated = rotation_matrix(quaternion_from_euler(90, 0, 0)) @ np.array([1.0, 0.0, 0.0])
    np.testing.assert_allclose(rotated, [0.0, 1.0, 0.0], atol=1e-12)


def test_orientation_composes_and_never_mutates_the_input() -> None:
    scene = base_scene()
    once = Orientation("a").apply(scene, {"yaw": 45.0, "pitch": 0.0, "roll": 0.0})
    twice = Orientation("b").apply(once, {"yaw": 45.0, "pitch": 0.0, "roll": 0.0})
    direct = Orientation("c").apply(scene, {"yaw": 90.0, "pitch": 0.0, "roll": 0.0})
    np.testing.assert_allclose(twice.object.world_matrix(), direct.object.world_matrix(), atol=1e-12)
    assert scene.object.rotation == (1.0, 0.0, 0.0, 0.0)


def test_position_and_scale_are_relative() -> None:
    scene = Position("p").apply(base_scene(), {"x": 0.5, "y": 0.0, "z": -0.25})
    scene = Scale("s").apply(Scale("s").apply(scene, {"factor": 2.0}), {"factor": 1.5})
    assert scene.object.location == (0.5, 0.0, -0.25)
    assert scene.object.scale == pytest.approx(3.0)


def test_camera_control_sets_viewpoint_and_lens() -> None:
    values = {**CameraControl.defaults(), "azimuth": 90.0, "zoom": 2.0, "aperture": 2.8}
    camera = CameraControl("camera").apply(base_scene(), values).camera
    assert camera.azimuth == 90.0 and camera.focal_length == 100.0 and camera.aperture == 2.8
    assert CameraControl("camera").apply(base_scene(), CameraControl.defaults()).camera.aperture is None


@pytest.mark.parametrize("x,y", [(0.5, 0.0), (-0.7, 0.4), (0.0, -0.9)])
def test_in_frame_puts_the_object_centre_where_asked(x: float, y: float) -> None:
    scene = CameraControl("camera").apply(base_scene(aspect=1.5), {**CameraControl.defaults(), "azimuth": 30.0})
    placed = InFrame("in_frame").apply(scene, {"x": x, "y": y})
    u, v, depth = placed.camera.project(placed.object.location)
    assert (u, v) == pytest.approx((x, y))
    assert depth == pytest.approx(scene.camera.project(scene.object.location)[2])


def test_background_rotates_dims_and_replaces_with_colour() -> None:
    hdri = Scene(SceneObject(ASSET), Environment("studio", hdri_path=Path("studio.exr")))
    turned = Background("bg").apply(hdri, {"rotation": 90.0, "strength": 0.5, "color": ""})
    assert (turned.environment.rotation, turned.environment.strength) == (90.0, 0.5)
    assert turned.environment.hdri_path == Path("studio.exr")
    solid = Background("bg").apply(hdri, {"rotation": 0.0, "strength": 1.0, "color": "#ffffff"})
    assert solid.environment.hdri_path is None and solid.environment.color == pytest.approx((1.0, 1.0, 1.0))


def test_environment_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Environment("nothing")
