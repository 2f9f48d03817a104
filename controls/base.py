"""What every control is: declared parameters plus one pure function.

Scene controls map a `Scene` to a new `Scene`; image controls map rendered channels to new
channels. Either way the parameter values arrive as a mapping keyed by parameter name, with
every declared parameter present (defaults filled in).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from simulator.assets import AssetError, parse_color
from simulator.render.base import RENDERERS
from simulator.scene import ObjectAsset, Scene
from simulator.search_space import Discrete, Distribution, ParameterError, ParameterSpec, Value

Channels = dict[str, np.ndarray]  # "rgb": HxWx3 float32 in [0, 1] (sRGB-encoded), "depth", "segmentation", "uv"


def check_color(value: Value) -> None:
    """Validator for colour parameters: a '#rrggbb' colour."""
    try:
        parse_color(value)
    except AssetError as error:
        raise ParameterError(str(error)) from None


def check_color_or_empty(value: Value) -> None:
    """Validator for colour parameters that may be '' (keep what is there)."""
    if value != "":
        check_color(value)


class Control(ABC):
    """A named, parameterized transformation. Subclasses declare `parameters` and implement apply."""

    parameters: ClassVar[tuple[ParameterSpec, ...]]
    summary: ClassVar[str]  # one line for `robustsim list controls`
    notes: ClassVar[str] = ""  # more for docs/controls.md (markdown), under the summary
    required_channels: ClassVar[frozenset[str]] = frozenset()  # render channels the control reads
    measures: ClassVar[dict[str, str]] = {}  # quantity -> kind, logged as columns `<name>.<quantity>`
    renderers: ClassVar[tuple[str, ...]] = RENDERERS  # renderers that can realize this control

    def check_renderer(self, renderer: str, distributions: Mapping[str, Distribution]) -> list[str]:
        """Why this control, with these parameter distributions (by name), cannot run on `renderer`
        (messages, checked when an experiment loads); empty when it can."""
        if renderer in self.renderers:
            return []
        return [
            f"control {self.name!r} (type {type(self).__name__}) cannot be rendered by renderer {renderer!r}; "
            f"it supports: {', '.join(self.renderers)} (set render.renderer to one of those, or drop the control)"
        ]

    def refuse_values(
        self, renderer: str, distributions: Mapping[str, Distribution], parameter: str, allowed: Sequence[str],
        reason: str = "",
    ) -> list[str]:
        """For `check_renderer`: a message if `parameter` may take values other than `allowed` (what
        `renderer` realizes), else none. `reason` says why, e.g. " (Blender shader nodes)"."""
        distribution = distributions[parameter]
        values = distribution.choices if isinstance(distribution, Discrete) else (distribution.value,)
        refused = [str(value) for value in values if value not in allowed]
        if not refused:
            return []
        return [
            f"control {self.name!r} (type {type(self).__name__}): {parameter} {', '.join(refused)} cannot be "
            f"rendered by renderer {renderer!r}{reason}; with {renderer} the {parameter} may be: {', '.join(allowed)}"
        ]

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def parameter(cls, name: str) -> ParameterSpec:
        for spec in cls.parameters:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @classmethod
    def defaults(cls) -> dict[str, Value]:
        return {spec.name: spec.default for spec in cls.parameters}

    def check(self, objects: Sequence[ObjectAsset], distributions: Mapping[str, Distribution]) -> list[str]:
        """Problems (messages) with this control on `objects` with these parameter distributions (by
        parameter name; parameters that failed their own checks are missing), reported when an
        experiment loads; none by default."""
        return []

    def measure(self, channels: Channels, values: Mapping[str, Any]) -> dict[str, Any]:
        """Quantities (the keys of `measures`) read off the rendered channels before image controls."""
        return {}


class SceneControl(Control):
    """A control applied before rendering. Renderers must realize what it changes in the scene, so
    a scene control lists the renderers it was checked with (Blender only unless it says more)."""

    renderers: ClassVar[tuple[str, ...]] = ("blender",)

    @abstractmethod
    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        """The scene with this control's effect; `scene` itself is never modified."""


class ImageControl(Control):
    """A control applied to rendered channels (corruptions and other post-processing)."""

    @abstractmethod
    def apply(self, channels: Channels, values: Mapping[str, Any], rng: np.random.Generator) -> Channels:
        """New channels with this control's effect; the input arrays are never modified."""
