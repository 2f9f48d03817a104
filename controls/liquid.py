"""Liquid: fill a container object with water, milk, coffee or a mixture of them.

The object must declare its inside (`interior` in its object.yaml, `simulator.scene.Interior`);
an experiment that puts `liquid` on an object without one is rejected when it loads.

The mixture comes from weights (`water`, `milk`, `coffee`, each >= 0, normalized to sum 1) or a
named `mix` (which then replaces the weights); all weights 0 is no mixture and an error, found at
load time whenever the experiment allows it. `fill` is the liquid's height as a fraction of the
interior's depth; `fill: 0` or `mix: none` adds no liquid, so the scene is the one without the
control. The fractions actually used are logged as `<name>.water_fraction` etc.

Look (renderer-neutral, `Liquid.color` and `Liquid.opacity`): milk scatters, coffee absorbs,
water dilutes. The colour is the Kubelka-Munk reflectance R of the milk/coffee mixture (each
ingredient's absorption K and scattering S add up by fraction; R = 1 + K/S - sqrt((K/S)^2 + 2K/S)),
calibrated so that pure coffee is COFFEE_COLOR and pure milk MILK_COLOR. Water changes
concentrations, not K/S, so it only makes the liquid clearer: opacity = 1 - exp(-OPTICAL_DEPTH *
(milk + coffee)), and colour = R ** opacity per channel (paler, same hue; renderers tint the
transmitted light with it). Pure water is clear and white (opacity 0): only its surface shows.

The liquid lives in the object's frame: it turns, moves and scales with the object, and its surface
stays perpendicular to the container's axis when the object is tilted (no sloshing or spilling).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from controls.base import Channels, SceneControl
from simulator.scene import Liquid, ObjectAsset, Scene, Vec3
from simulator.search_space import Continuous, Discrete, Distribution, Fixed, ParameterError, ParameterSpec

WEIGHTS = ("water", "milk", "coffee")
MIXES: dict[str, tuple[float, float, float]] = {  # (water, milk, coffee) parts
    "water": (1.0, 0.0, 0.0),
    "milk": (0.0, 1.0, 0.0),
    "coffee": (0.0, 0.0, 1.0),
    "latte": (0.0, 3.0, 1.0),
    "cafe_au_lait": (0.0, 1.0, 1.0),
    "weak_coffee": (9.0, 0.0, 1.0),
    "milky_water": (9.0, 1.0, 0.0),
}
MIX_CHOICES = ("weights", "none", *MIXES)
COFFEE_COLOR: Vec3 = (0.08, 0.03, 0.01)  # linear RGB of black coffee seen in a mug
MILK_COLOR: Vec3 = (0.88, 0.87, 0.82)  # linear RGB of whole milk
MILK_SCATTERING = 20.0  # milk's scattering coefficient relative to coffee's
OPTICAL_DEPTH = 10.0  # opacity = 1 - exp(-OPTICAL_DEPTH * (milk + coffee))


def _ratio(reflectance: float) -> float:
    """K/S of an optically thick layer with this diffuse reflectance (Kubelka-Munk)."""
    return (1.0 - reflectance) ** 2 / (2.0 * reflectance)


def _reflectance(ratio: float) -> float:
    """Diffuse reflectance of an optically thick layer with K/S = `ratio` (Kubelka-Munk)."""
    return 1.0 + ratio - math.sqrt(ratio * ratio + 2.0 * ratio)


def normalize(water: float, milk: float, coffee: float) -> tuple[float, float, float]:
    """The weights as fractions summing to 1; ParameterError if one is negative or all are 0."""
    weights = (water, milk, coffee)
    if min(weights) < 0 or not all(math.isfinite(w) for w in weights):
        raise ParameterError(f"water, milk and coffee must be finite and >= 0, got {weights}")
    total = sum(weights)
    if total <= 0:
        raise ParameterError(
            "water, milk and coffee are all 0, which is no mixture: give one a positive weight "
            "(for no liquid use fill: 0 or mix: none)"
        )
    return (water / total, milk / total, coffee / total)


def look(water: float, milk: float, coffee: float) -> tuple[Vec3, float]:
    """(linear RGB colour, opacity) of a mixture given as fractions (see the module docstring)."""
    solids = milk + coffee
    opacity = 1.0 - math.exp(-OPTICAL_DEPTH * solids)
    if solids <= 0:
        return (1.0, 1.0, 1.0), 0.0
    color = []
    for milk_reflectance, coffee_reflectance in zip(MILK_COLOR, COFFEE_COLOR, strict=True):
        scattering = milk * MILK_SCATTERING + coffee
        absorption = milk * MILK_SCATTERING * _ratio(milk_reflectance) + coffee * _ratio(coffee_reflectance)
        reflectance = _reflectance(absorption / scattering)
        color.append(reflectance**opacity)  # clearer (more watery): paler, same hue
    return (color[0], color[1], color[2]), opacity


def mixture(values: Mapping[str, Any]) -> tuple[float, float, float] | None:
    """The (water, milk, coffee) fractions a sample asks for, or None for no liquid."""
    mix = values["mix"]
    if mix == "none" or float(values["fill"]) <= 0:
        return None
    if mix == "weights":
        return normalize(*(float(values[name]) for name in WEIGHTS))
    return normalize(*MIXES[mix])


def _can_be_zero(distribution: Distribution) -> bool:
    if isinstance(distribution, Fixed):
        return distribution.value == 0
    if isinstance(distribution, Continuous):
        return distribution.low <= 0
    return 0 in distribution.choices


def _can_be(distribution: Distribution, value: str) -> bool:
    if isinstance(distribution, Discrete):
        return value in distribution.choices
    return isinstance(distribution, Fixed) and distribution.value == value


class LiquidControl(SceneControl):
    """Fill the object's interior to `fill` with a mixture of water, milk and coffee."""

    summary = "Fill a container (an object with an `interior`) with water, milk, coffee or a mixture"
    parameters = (
        ParameterSpec("fill", "float", 0.7, "liquid height as a fraction of the interior's depth (0: none, "
                      "1: to the rim)", "", (0.0, 1.0)),
        ParameterSpec("water", "float", 0.0, "parts of water (with mix: weights)", "parts", (0.0, 1000.0)),
        ParameterSpec("milk", "float", 0.0, "parts of milk (with mix: weights)", "parts", (0.0, 1000.0)),
        ParameterSpec("coffee", "float", 1.0, "parts of black coffee (with mix: weights)", "parts", (0.0, 1000.0)),
        ParameterSpec("mix", "str", "weights", "'weights' mixes water/milk/coffee as given; a named mix replaces "
                      "them (latte 3 milk : 1 coffee, cafe_au_lait 1:1, weak_coffee 9 water : 1 coffee, "
                      "milky_water 9 water : 1 milk); 'none' adds no liquid", "", choices=MIX_CHOICES),
    )
    notes = (
        "Needs an object whose object.yaml declares its `interior` (the built-in `coffee_mug` does; the "
        "format is in `simulator/assets.py`); an experiment putting `liquid` on any other object is rejected "
        "when it loads. The weights are normalized to fractions summing to 1; all of them 0 is an error, "
        "reported at load time whenever the ranges allow it. A named `mix` replaces the weights; `fill: 0` "
        "or `mix: none` adds nothing. The fractions used are logged as `<name>.water_fraction`, "
        "`<name>.milk_fraction` and `<name>.coffee_fraction`. Water is clear (its surface and the refracted "
        "floor show), milk white and scattering, coffee dark brown; water in a mixture makes it clearer. "
        "The liquid is part of the object (segmentation 1) and lives in its frame: it moves and turns with "
        "it, and when the object is tilted its surface stays perpendicular to the container's axis (no "
        "sloshing or spilling). It only shows from viewpoints that see into the container."
    )
    measures: ClassVar[dict[str, str]] = {f"{name}_fraction": "float" for name in WEIGHTS}

    def check(self, objects: Sequence[ObjectAsset], distributions: Mapping[str, Distribution]) -> list[str]:
        """Objects without an interior; weights that can all be 0 at once; weights a named mix ignores."""
        problems = [
            f"object {asset.name!r} has no `interior` in its object.yaml, so no liquid can fill it (declare "
            "its axis, radius, floor and rim as in simulator/assets.py, or leave this object out)"
            for asset in objects
            if asset.interior is None
        ]
        if not set(WEIGHTS) | {"mix"} <= set(distributions):  # a parameter is already reported
            return problems
        weighted = _can_be(distributions["mix"], "weights")
        if weighted and all(_can_be_zero(distributions[name]) for name in WEIGHTS):
            problems.append(
                "water, milk and coffee can all be 0 in the same sample, which is no mixture: keep one "
                "weight above 0 (e.g. coffee: {min: 0.01, max: 1}); for no liquid use fill: 0 or mix: none"
            )
        changed = [name for name in WEIGHTS if distributions[name] != Fixed(self.parameter(name).default)]
        if not weighted and changed:
            problems.append(
                f"{', '.join(changed)} only apply with mix: weights, which this experiment never uses; "
                "drop them or add 'weights' to the mix choices"
            )
        return problems

    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        asset = scene.object.asset
        if asset.interior is None:
            raise ParameterError(f"{self.name}: object {asset.name!r} has no `interior` (object.yaml key)")
        fractions = mixture(values)
        if fractions is None:
            return replace(scene, liquid=None)
        color, opacity = look(*fractions)
        liquid = Liquid(float(values["fill"]), *fractions, color=color, opacity=opacity)
        return replace(scene, liquid=liquid)

    def measure(self, channels: Channels, values: Mapping[str, Any]) -> dict[str, float]:
        """The mixture's fractions as rendered (0 when there is no liquid)."""
        fractions = mixture(values) or (0.0, 0.0, 0.0)
        return {f"{name}_fraction": value for name, value in zip(WEIGHTS, fractions, strict=True)}
