"""Image corruptions as controls: the 19 ImageNet-C corruptions by name, and the depth-aware fog
and defocus of 3D Common Corruptions (which make the renderer produce the depth channel).

    - {type: corruption, kind: {choices: [fog, snow]}, severity: {min: 1, max: 5}}
    - {type: depth_fog, severity: 4}
    - {type: defocus, focus: {choices: [near, far]}, severity: 2}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from controls.base import Channels, ImageControl
from simulator.corruptions import NAMES, corrupt
from simulator.corruptions.depth import TASKONOMY_DEPTH_SCALE, defocus_3d, fog_3d
from simulator.search_space import ParameterSpec

_SEVERITY = ParameterSpec("severity", "int", 3, "strength, 1 (mild) to 5 (severe)", bounds=(1, 5))


class Corruption(ImageControl):
    """One of ImageNet-C's corruptions (15 common + 4 extra), or 'none' for the clean image."""

    summary = "ImageNet-C corruption (noise, blur, weather, digital) by kind and severity 1-5"
    parameters = (
        # `kind`, not `name`: a control entry's `name:` is its instance name (DESIGN.md).
        ParameterSpec(
            "kind", "str", "none", "which ImageNet-C corruption; 'none' leaves the image", choices=("none", *NAMES)
        ),
        _SEVERITY,
    )

    def apply(self, channels: Channels, values: Mapping[str, Any], rng: np.random.Generator) -> Channels:
        if values["kind"] == "none":
            return dict(channels)
        return {**channels, "rgb": corrupt(channels["rgb"], values["kind"], values["severity"], rng)}


class DepthFog(ImageControl):
    """3DCC's 'fog 3D': the scene fades into the image's mean colour with distance."""

    summary = "Fog that thickens with distance (3D Common Corruptions); uses the depth channel"
    required_channels = frozenset({"depth"})
    parameters = (
        _SEVERITY,
        ParameterSpec(
            "depth_scale",
            "float",
            TASKONOMY_DEPTH_SCALE,
            "distance that 3DCC's unit depth stands for (its Taskonomy scale: 15.625 m)",
            "m",
            (1e-3, 1e6),
        ),
    )

    def apply(self, channels: Channels, values: Mapping[str, Any], rng: np.random.Generator) -> Channels:
        depth = _depth(channels, "depth_fog")
        return {**channels, "rgb": fog_3d(channels["rgb"], depth, values["severity"], values["depth_scale"])}


class Defocus(ImageControl):
    """3DCC's near/far focus: depth of field with the focus on the nearest or the far part."""

    summary = "Depth-of-field blur focused near or far (3D Common Corruptions); uses the depth channel"
    required_channels = frozenset({"depth"})
    parameters = (
        _SEVERITY,
        ParameterSpec(
            "focus", "str", "near", "focus on the nearest surface or on the far part", choices=("near", "far")
        ),
    )

    def apply(self, channels: Channels, values: Mapping[str, Any], rng: np.random.Generator) -> Channels:
        depth = _depth(channels, "defocus")
        return {**channels, "rgb": defocus_3d(channels["rgb"], depth, values["severity"], values["focus"])}


def _depth(channels: Channels, control: str) -> np.ndarray:
    if "depth" not in channels:
        raise ValueError(f"{control} needs the 'depth' channel, which was not rendered")
    return channels["depth"]
