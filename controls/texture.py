"""Texture control: replace the object's surface by a procedural pattern or an image, or keep it.

The control only describes the new surface (`simulator.scene.Surface`); renderers build it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from controls.base import SceneControl, check_color_or_empty
from simulator.assets import parse_color
from simulator.scene import ORIGINAL_SURFACE, SURFACE_PATTERNS, Scene, Surface
from simulator.search_space import Distribution, ParameterError, ParameterSpec, Value

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".exr", ".hdr", ".tif", ".tiff", ".bmp", ".tga", ".webp")
PATTERNS = (*(p for p in SURFACE_PATTERNS if p != "image"), "image", "keep_original")
MITSUBA_PATTERNS = ("image", "keep_original")  # what the Mitsuba renderer realizes


def _check_image(value: Value) -> None:
    """'' or an existing image file (relative paths are resolved against the working directory)."""
    if value == "":
        return
    path = Path(str(value)).expanduser()
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ParameterError(f"{value!r} is not an image file ({', '.join(IMAGE_SUFFIXES)})")
    if not path.is_file():
        raise ParameterError(f"image file {value!r} does not exist (relative paths start at {Path.cwd()})")


class Texture(SceneControl):
    """Procedural patterns live in the object's own (normalized) space, so they need no UVs;
    `image` maps `image` onto the mesh's UVs. `keep_original` keeps the asset's own material, to
    which hue_shift, tint, roughness and metallic still apply (scale and colours are the patterns')."""

    summary = "Replace the object's surface: animal/wood/marble/checker/noise patterns or an image"
    renderers = ("blender", "mitsuba")
    parameters = (
        ParameterSpec("pattern", "str", "keep_original",
                      "the new surface; keep_original keeps the object's own (hue, tint, roughness, metallic still apply)",
                      "", choices=PATTERNS),
        ParameterSpec("scale", "float", 1.0, "pattern repetitions per metre (per UV unit for images)", "x",
                      (0.01, 1000.0)),
        ParameterSpec("image", "str", "", "image file for pattern 'image' ('' none)", "", validator=_check_image),
        ParameterSpec("color1", "str", "", "first colour '#rrggbb' of the pattern; '' keeps its own", "",
                      validator=check_color_or_empty),
        ParameterSpec("color2", "str", "", "second colour '#rrggbb' of the pattern; '' keeps its own", "",
                      validator=check_color_or_empty),
        ParameterSpec("hue_shift", "float", 0.0, "turn the surface's hue", "turns", (-0.5, 0.5)),
        ParameterSpec("tint", "str", "", "multiply the surface colour by '#rrggbb'; '' none", "",
                      validator=check_color_or_empty),
        ParameterSpec("roughness", "float", -1.0, "surface roughness; -1 keeps the pattern's (or material's)", "",
                      (-1.0, 1.0)),
        ParameterSpec("metallic", "float", -1.0, "metalness; -1 keeps the pattern's (or material's)", "", (-1.0, 1.0)),
    )

    def check_renderer(self, renderer: str, distributions: Mapping[str, Distribution]) -> list[str]:
        """Mitsuba realizes image surfaces only: the procedural patterns are Blender shader nodes."""
        if renderer != "mitsuba":
            return super().check_renderer(renderer, distributions)
        return self.refuse_values(
            renderer, distributions, "pattern", MITSUBA_PATTERNS, " (procedural patterns are Blender shader nodes)"
        )

    def apply(self, scene: Scene, values: Mapping[str, Any]) -> Scene:
        pattern = values["pattern"]
        adjusted = values["hue_shift"] or values["tint"] or values["roughness"] >= 0 or values["metallic"] >= 0
        if pattern == "keep_original" and not adjusted:
            return scene.with_object(surface=None)
        if pattern == "image" and not values["image"]:
            raise ParameterError(f"{self.name}: pattern 'image' needs an `image` file")
        colors = None
        if pattern != "keep_original" and (values["color1"] or values["color2"]):
            if not (values["color1"] and values["color2"]):
                raise ParameterError(f"{self.name}: give both color1 and color2, or neither")
            colors = (parse_color(values["color1"]), parse_color(values["color2"]))
        surface = Surface(
            pattern=ORIGINAL_SURFACE if pattern == "keep_original" else pattern,
            scale=float(values["scale"]),
            colors=colors,
            image_path=Path(values["image"]).expanduser().resolve() if pattern == "image" else None,
            hue_shift=float(values["hue_shift"]),
            tint=parse_color(values["tint"]) if values["tint"] else (1.0, 1.0, 1.0),
            roughness=None if values["roughness"] < 0 else float(values["roughness"]),
            metallic=None if values["metallic"] < 0 else float(values["metallic"]),
        )
        return scene.with_object(surface=surface)
