"""Lighting controls: add a lamp around the object (`lighting`), or a daylight sky (`sun`).

Each `lighting` control adds one `Light` to the scene's lights; a control used twice (with
different `name`s) adds two. Lights belong to one sample only: renderers realize exactly the
scene's tuple of lights, so nothing carries over to the next sample.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import replace
from collections.abc import Mapping
from typing import Any

from controls.base import SceneControl
from simulator.scene import Light, Scene, Sky, orbit_point
from simulator.search_space import Distribution, ParameterError, ParameterSpec

Vec3 = tuple[float, float, float]
MITSUBA_KINDS = ("point", "spot")  # lamp kinds the Mitsuba renderer realizes


def blackbody_rgb(kelvin: float) -> Vec3:
    """Linear RGB of a black body at `kelvin`, normalized so the brightest channel is 1.

    Tanner Helland's fit of the CIE blackbody colours (sRGB-encoded), decoded to linear; good
    to a few percent between 1000 K and 40000 K.
    """
    t = kelvin / 100.0
    if t <= 66:
        red = 255.0
        green = 99.4708025861 * math.log(t) - 161.1195681661
        blue = 0.0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307
    else:
        red = 329.698727446 * (t - 60) ** -0.1332047592
        green = 288.1221695283 * (t - 60) ** -0.0755148492
        blue = 255.0
    srgb = [min(max(c / 255.0, 0.0), 1.0) for c in (red, green, blue)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in srgb]
    top = max(linear)
    return (linear[0] / top, linear[1] / top, linear[2] / top)


def _check_temperature(value: float) -> None:
    if 0 < value < 1000:
        raise ParameterError(f"{value!r} K is below 1000 K; use 0 for a hue/saturation/value colour")


class Lighting(SceneControl):
    """One lamp orbiting the object, aimed at it. Colour: `temperature` in kelvin, or with
    `temperature: 0` the hue/saturation/value colour."""

    summary = "Add a point, area or spot light around the object (power, colour, direction, distance)"
    renderers = ("blender", "mitsuba")
    parameters = (
        ParameterSpec("kind", "str", "point", "lamp type", "", choices=("point", "area", "spot")),
        ParameterSpec("power", "float", 100.0, "emitted power (0 turns the lamp off)", "W", (0.0, 100000.0)),
        ParameterSpec("azimuth", "float", 45.0, "direction from the object, as the camera's azimuth", "deg",
                      (-360.0, 360.0)),
        ParameterSpec("elevation", "float", 45.0, "height above the object's horizon", "deg", (-90.0, 90.0)),
        ParameterSpec("distance", "float", 2.0, "distance from the object's centre", "m", (0.05, 1000.0)),
        ParameterSpec("temperature", "float", 6500.0, "colour temperature; 0 uses hue/saturation/value", "K",
                      (0.0, 40000.0), validator=_check_temperature),
        ParameterSpec("hue", "float", 0.0, "colour hue (with temperature 0)", "turns", (0.0, 1.0)),
        ParameterSpec("saturation", "float", 0.0, "colour saturation (with temperature 0)", "", (0.0, 1.0)),
        ParameterSpec("value", "float", 1.0, "colour value (with temperature 0)", "", (0.0, 1.0)),
        ParameterSpec("size", "float", 0.1, "radius (point, spot) or side (area) of the emitter", "m",
                      (0.0, 100.0)),
        ParameterSpec("spot_angle", "float", 45.0, "spot cone's full angle", "deg", (1.0, 180.0)),
    )

    def check_renderer(self, renderer: str, distributions: Mapping[str, Distribution]) -> list[str]:
        """Mitsuba realizes point and spot lamps (as delta lights: `size` gives no soft shadows)."""
        if renderer != "mitsuba":
            return super().check_renderer(renderer, distributions)
        return self.refuse_values(renderer, distributions, "kind", MITSUBA_KINDS)

    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        if values["temperature"] > 0:
            color = blackbody_rgb(values["temperature"])
        else:
            color = colorsys.hsv_to_rgb(values["hue"], values["saturation"], values["value"])
        target = scene.object.location
        light = Light(
            kind=values["kind"],
            location=orbit_point(target, values["azimuth"], values["elevation"], values["distance"]),
            target=target,
            color=tuple(float(c) for c in color),  # type: ignore[arg-type]
            power=float(values["power"]),
            size=float(values["size"]),
            spot_angle=float(values["spot_angle"]),
        )
        return scene.with_lights(light)


class Sun(SceneControl):
    """A physical daylight sky (Blender's multiple-scattering sky: Nishita's model) with its sun,
    replacing the environment. Sun direction uses the camera's azimuth/elevation convention."""

    summary = "Replace the environment by a daylight sky with the sun at an elevation and azimuth"
    parameters = (
        ParameterSpec("elevation", "float", 45.0, "sun height above the horizon", "deg", (-10.0, 90.0)),
        ParameterSpec("azimuth", "float", 0.0, "sun direction, as the camera's azimuth", "deg", (-360.0, 360.0)),
        ParameterSpec("strength", "float", 0.02, "sky and sun brightness (1: physical daylight, far too bright)",
                      "x", (0.0, 100.0)),
        ParameterSpec("sun_size", "float", 0.545, "the sun's angular diameter (larger: softer shadows)", "deg",
                      (0.0, 90.0)),
        ParameterSpec("air", "float", 1.0, "air density (more: redder, dimmer low sun)", "x", (0.0, 10.0)),
        ParameterSpec("dust", "float", 1.0, "aerosol density (more: hazier)", "x", (0.0, 10.0)),
    )

    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        sky = Sky(
            sun_elevation=float(values["elevation"]),
            sun_azimuth=float(values["azimuth"]),
            strength=float(values["strength"]),
            sun_size=float(values["sun_size"]),
            air=float(values["air"]),
            dust=float(values["dust"]),
        )
        return replace(scene, sky=sky)
