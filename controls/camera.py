"""Camera controls: the viewpoint and lens, and where the object sits in the frame."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controls.base import SceneControl
from simulator.scene import Scene
from simulator.search_space import ParameterSpec


class CameraControl(SceneControl):
    summary = "Orbit the camera around the object and set its lens (zoom, focal length, depth of field)"
    renderers = ("blender", "mitsuba")
    parameters = (
        ParameterSpec("azimuth", "float", 0.0, "angle around the object; 0 faces its front", "deg", (-360.0, 360.0)),
        ParameterSpec("elevation", "float", 10.0, "angle above the horizon", "deg", (-89.0, 89.0)),
        ParameterSpec("distance", "float", 2.0, "distance from the object's centre", "m", (0.05, 1000.0)),
        ParameterSpec("roll", "float", 0.0, "rotation about the viewing axis", "deg", (-360.0, 360.0)),
        ParameterSpec("focal_length", "float", 50.0, "lens focal length on a 36 mm sensor", "mm", (1.0, 2000.0)),
        ParameterSpec("zoom", "float", 1.0, "multiplies the focal length (2 = twice as close-up)", "x", (0.05, 20.0)),
        ParameterSpec("aperture", "float", 0.0, "f-number for depth of field; 0 keeps everything sharp", "f/", (0.0, 128.0)),
        ParameterSpec("focus_distance", "float", 0.0, "distance in focus; 0 focuses on the object", "m", (0.0, 1000.0)),
    )

    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        return scene.with_camera(
            azimuth=values["azimuth"],
            elevation=values["elevation"],
            distance=values["distance"],
            roll=values["roll"],
            focal_length=values["focal_length"] * values["zoom"],
            aperture=values["aperture"] or None,
            focus_distance=values["focus_distance"] or None,
        )


class InFrame(SceneControl):
    """Moves the object parallel to the image plane so that its centre lands at (x, y).

    Place it after `camera` in the controls list: it uses the camera as set so far.
    """

    summary = "Place the object's centre at a position in the frame (-1..1 edge to edge, 0 centred)"
    renderers = ("blender", "mitsuba")
    parameters = (
        ParameterSpec("x", "float", 0.0, "horizontal position, -1 left edge, 1 right edge", "", (-1.0, 1.0)),
        ParameterSpec("y", "float", 0.0, "vertical position, -1 bottom edge, 1 top edge", "", (-1.0, 1.0)),
    )

    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        _u, _v, depth = scene.camera.project(scene.object.location)
        location = scene.camera.unproject(values["x"], values["y"], depth)
        return scene.with_object(location=tuple(float(c) for c in location))
