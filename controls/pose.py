"""Object pose controls: orientation, position and scale, each relative to the current pose."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controls.base import SceneControl
from simulator.scene import Scene, compose_quaternions, quaternion_from_euler
from simulator.search_space import ParameterSpec


class Orientation(SceneControl):
    summary = "Rotate the object: yaw about its up axis, pitch towards the camera, roll in the image plane"
    renderers = ("blender", "mitsuba")
    parameters = (
        ParameterSpec("yaw", "float", 0.0, "rotation about the vertical axis", "deg", (-360.0, 360.0)),
        ParameterSpec("pitch", "float", 0.0, "tilt towards (+) or away from the default camera", "deg", (-360.0, 360.0)),
        ParameterSpec("roll", "float", 0.0, "tilt sideways, about the default viewing axis", "deg", (-360.0, 360.0)),
    )

    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        turn = quaternion_from_euler(values["yaw"], values["pitch"], values["roll"])
        return scene.with_object(rotation=compose_quaternions(scene.object.rotation, turn))


class Position(SceneControl):
    summary = "Move the object in the world (x right, y away from the default camera, z up)"
    renderers = ("blender", "mitsuba")
    parameters = (
        ParameterSpec("x", "float", 0.0, "offset along world X", "m", (-10.0, 10.0)),
        ParameterSpec("y", "float", 0.0, "offset along world Y", "m", (-10.0, 10.0)),
        ParameterSpec("z", "float", 0.0, "offset along world Z (up)", "m", (-10.0, 10.0)),
    )

    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        x, y, z = scene.object.location
        return scene.with_object(location=(x + values["x"], y + values["y"], z + values["z"]))


class Scale(SceneControl):
    summary = "Scale the object uniformly"
    renderers = ("blender", "mitsuba")
    parameters = (ParameterSpec("factor", "float", 1.0, "size multiplier", "x", (0.01, 100.0)),)

    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        return scene.with_object(scale=scene.object.scale * values["factor"])
