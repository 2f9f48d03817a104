"""Objects and environments: the built-in catalogue and user-supplied files.

An object is a folder with an `object.yaml`:

    name: coffee_mug
    mesh: mesh.ply              # .ply .obj .glb .gltf .blend, relative to the folder
    labels: [coffee mug, cup]   # ImageNet names, synsets or indices the model may answer
                                # (or names among a model's own `classes`)
    size: 1.0                   # optional: largest side after normalization (metres)
    up_axis: Z                  # optional: the mesh's up axis
    front_yaw: 0                # optional: degrees about up that turn its front to -Y
    material:                   # optional: for meshes without their own material
      base_color: [0.8, 0.8, 0.8]
      roughness: 0.5
      metallic: 0.0
      texture: texture.png      # image on the mesh's UVs
    interior:                   # optional: a container's inside, which the liquid control fills
      axis: [-0.15, 0.0]        # x, y of its vertical axis, in the normalized object's units
      radius: 0.31              # (largest side 1, z up, bounding box centred; scaled by `size`)
      floor: -0.34              # height of the inner bottom
      rim: 0.40                 # height of the brim

An environment is an HDRI file (.exr/.hdr), the name of one of Blender's bundled HDRIs
(e.g. `interior`), or a solid colour (`color: [r, g, b]` or `'#rrggbb'`).
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from simulator.labels import resolve_label
from simulator.mesh_files import MESH_SUFFIXES, mesh_format_problem
from simulator.object_spec import parse_object_spec
from simulator.scene import Environment, Interior, ObjectAsset
from simulator.yaml_input import YamlInputError, load_yaml

HDRI_SUFFIXES = (".exr", ".hdr")


class AssetError(ValueError):
    """An asset that cannot be used; the message names the file and what is wrong."""


def builtin_objects_dir() -> Path:
    return Path(str(resources.files("assets").joinpath("objects")))


@cache
def builtin_objects() -> dict[str, ObjectAsset]:
    """Built-in objects by name."""
    folders = sorted(p.parent for p in builtin_objects_dir().glob("*/object.yaml"))
    return {asset.name: asset for asset in map(load_object, folders)}


def load_object(folder: Path) -> ObjectAsset:
    """Read an object folder (or its object.yaml) into an ObjectAsset, checking every field."""
    folder = Path(folder)
    spec_path = folder if folder.suffix in (".yaml", ".yml") else folder / "object.yaml"
    folder = spec_path.parent
    if not spec_path.is_file():
        raise AssetError(f"{spec_path}: no such object description")
    try:
        spec = load_yaml(spec_path)
    except (YamlInputError, OSError) as error:
        raise AssetError(f"{spec_path}: {error}") from None
    return object_from_spec(spec, folder, str(spec_path))


def object_from_spec(spec: Any, folder: Path, source: str) -> ObjectAsset:
    """An ObjectAsset from an object description (`source` names where it came from in errors)."""
    try:
        checked = parse_object_spec(spec)
    except ValueError as error:
        raise AssetError(f"{source}: {error}") from None
    mesh_path = (folder / checked.mesh).resolve()
    if mesh_path.suffix.lower() not in MESH_SUFFIXES:
        raise AssetError(f"{source}: mesh: {checked.mesh!r} must be one of {', '.join(MESH_SUFFIXES)}")
    if not mesh_path.is_file():
        raise AssetError(f"{source}: mesh: file {mesh_path} does not exist")
    problem = mesh_format_problem(mesh_path)
    if problem is not None:
        raise AssetError(f"{source}: mesh: {mesh_path}: {problem}")
    try:
        label_ids = tuple(resolve_label(label) for label in checked.labels)
    except ValueError:
        label_ids = ()  # not ImageNet classes: a model with its own `classes` may know them (checked per model)
    material = checked.material
    texture_path = (folder / material.texture).resolve() if material.texture else None
    if texture_path is not None and not texture_path.is_file():
        raise AssetError(f"{source}: material.texture: file {texture_path} does not exist")
    return ObjectAsset(
        name=checked.name,
        mesh_path=mesh_path,
        labels=label_ids,
        size=checked.size,
        up_axis=checked.up_axis,
        front_yaw=checked.front_yaw,
        base_color=tuple(material.base_color) if material.base_color else None,  # type: ignore[arg-type]
        roughness=material.roughness,
        metallic=material.metallic,
        texture_path=texture_path,
        interior=parse_interior(checked.interior, source) if checked.interior is not None else None,
        declared_labels=tuple(checked.labels),
    )


def parse_interior(value: Any, source: str) -> Interior:
    """An `interior` mapping {axis: [x, y], radius, floor, rim} (see the module docstring)."""
    keys = ("axis", "radius", "floor", "rim")
    if not isinstance(value, dict) or set(value) != set(keys):
        raise AssetError(f"{source}: interior must be a mapping with exactly the keys {', '.join(keys)}")
    axis, numbers = value["axis"], [value[key] for key in keys[1:]]
    if not (isinstance(axis, list) and len(axis) == 2 and all(_is_number(c) for c in axis)):
        raise AssetError(f"{source}: interior.axis must be [x, y] (finite numbers), got {axis!r}")
    if not all(_is_number(n) for n in numbers):
        raise AssetError(f"{source}: interior radius, floor and rim must be finite numbers, got {numbers}")
    try:
        return Interior((float(axis[0]), float(axis[1])), *(float(n) for n in numbers))
    except ValueError as error:
        raise AssetError(f"{source}: interior: {error}") from None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def bundled_hdri_dir() -> Path:
    """Blender's bundled studio-light HDRIs, found without importing bpy."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise AssetError("bpy is not installed, so Blender's bundled HDRIs are unavailable")
    root = Path(next(iter(spec.submodule_search_locations)))
    candidates = sorted(root.glob("*/datafiles/studiolights/world"))
    if not candidates:
        raise AssetError(f"no studiolights/world folder under {root}")
    return candidates[-1]


@cache
def builtin_environments() -> dict[str, Path]:
    """Blender's bundled HDRIs by name (file stem), e.g. 'interior', 'forest'."""
    return {path.stem: path for path in sorted(bundled_hdri_dir().glob("*.exr"))}


@dataclass(frozen=True)
class EnvironmentChoice:
    """How a user named an environment; `resolve` turns it into a scene Environment."""

    name: str
    hdri_path: Path | None = None
    color: tuple[float, float, float] | None = None

    def resolve(self) -> Environment:
        return Environment(name=self.name, hdri_path=self.hdri_path, color=self.color)


def parse_color(value: Any) -> tuple[float, float, float]:
    """Linear RGB from [r, g, b] in [0, 1] or a '#rrggbb' string (sRGB, converted to linear)."""
    if isinstance(value, str) and value.startswith("#") and len(value) == 7:
        try:
            srgb = [int(value[i : i + 2], 16) / 255.0 for i in (1, 3, 5)]
        except ValueError:
            raise AssetError(f"{value!r} is not a '#rrggbb' colour") from None
        return tuple(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in srgb)  # type: ignore[return-value]
    if (
        isinstance(value, list | tuple)
        and len(value) == 3
        and all(isinstance(c, int | float) and not isinstance(c, bool) and 0 <= c <= 1 for c in value)
    ):
        return (float(value[0]), float(value[1]), float(value[2]))
    raise AssetError(f"{value!r} is not a colour: use [r, g, b] with each in [0, 1], or '#rrggbb'")
