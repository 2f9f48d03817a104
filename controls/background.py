"""Background control: turn and dim the environment, or swap it for a solid colour."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controls.base import SceneControl, check_color_or_empty
from simulator.assets import parse_color
from simulator.scene import Scene
from simulator.search_space import ParameterSpec


class Background(SceneControl):
    """The environment itself is chosen by the experiment's `environments:` list."""

    summary = "Rotate and dim the environment (HDRI) or replace it with a solid colour"
    renderers = ("blender", "mitsuba")
    parameters = (
        ParameterSpec("rotation", "float", 0.0, "turn the environment about the vertical axis", "deg", (-360.0, 360.0)),
        ParameterSpec("strength", "float", 1.0, "environment brightness multiplier", "x", (0.0, 100.0)),
        ParameterSpec(
            "color", "str", "", "solid background '#rrggbb' instead of the environment; '' keeps it", "",
            validator=check_color_or_empty,
        ),
    )

    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        environment = scene.environment
        changes: dict[str, Any] = {
            "rotation": environment.rotation + values["rotation"],
            "strength": environment.strength * values["strength"],
        }
        if values["color"]:
            changes.update(color=parse_color(values["color"]), hdri_path=None, name=values["color"])
        return scene.with_environment(**changes)
