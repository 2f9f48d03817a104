"""The fields of an `object.yaml`, checked one by one with messages that name the key and what is allowed.

See docs/objects.md for what each field means.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, field_validator

from simulator.config import describe_problem
from simulator.messages import short_repr

UP_AXES = ("X", "Y", "Z", "-X", "-Y", "-Z")
Unit = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0.0, le=1.0)]
Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]

ALLOWED = {  # what each key takes, for the messages
    "name": "a non-empty text",
    "mesh": "a mesh file (.ply .obj .glb .gltf .blend) relative to the object's folder",
    "labels": "an ImageNet class name, synset or index, or a non-empty list of them",
    "size": "a number > 0 (metres, the largest side)",
    "up_axis": f"one of {', '.join(UP_AXES)}",
    "front_yaw": "a number of degrees",
    "material": "a mapping with base_color, roughness, metallic, texture",
    "material.base_color": "[r, g, b], three linear values in [0, 1]",
    "material.roughness": "a number in [0, 1]",
    "material.metallic": "a number in [0, 1]",
    "material.texture": "an image file relative to the object's folder",
    "interior": "a mapping {axis: [x, y], radius, floor, rim}",
}


class MaterialSpec(BaseModel):
    """`material:` of an object.yaml (for meshes without their own material)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    base_color: list[Unit] | None = Field(None, min_length=3, max_length=3)
    roughness: Unit = 0.5
    metallic: Unit = 0.0
    texture: StrictStr | None = Field(None, min_length=1)


class ObjectSpec(BaseModel):
    """An object.yaml (or an `objects:` entry written as a mapping)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: StrictStr = Field(min_length=1, max_length=100)
    mesh: StrictStr = Field(min_length=1)
    labels: list[StrictStr | StrictInt] = Field(min_length=1, max_length=1000)
    size: Finite = Field(1.0, gt=0.0)
    up_axis: Literal["X", "Y", "Z", "-X", "-Y", "-Z"] = "Z"
    front_yaw: Finite = 0.0
    material: MaterialSpec = Field(default_factory=MaterialSpec)
    interior: Any = None

    @field_validator("labels", mode="before")
    @classmethod
    def _one_label_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | int) and not isinstance(value, bool) else value

    @field_validator("up_axis", mode="before")
    @classmethod
    def _upper_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("material", mode="before")
    @classmethod
    def _none_is_default(cls, value: Any) -> Any:
        return {} if value is None else value


def parse_object_spec(spec: Any) -> ObjectSpec:
    """The checked spec; ValueError with every problem as `key: what is wrong (got ...); allowed: ...`."""
    if not isinstance(spec, dict):
        raise ValueError(f"must be a mapping of keys (name, mesh, labels, ...), got a {type(spec).__name__}")
    try:
        return ObjectSpec.model_validate(spec)
    except ValidationError as error:
        raise ValueError("; ".join(_problem(item) for item in error.errors())) from None


def _problem(item: Any) -> str:
    """One pydantic error as `key: what is wrong; allowed: ...`."""
    key, message = describe_problem(item)
    field = key.split("[")[0]
    if item["type"] == "extra_forbidden":
        section = MaterialSpec if field.startswith("material.") else ObjectSpec
        return f"{key}: unknown key; allowed: {', '.join(section.model_fields)}"
    if item["type"] == "missing":
        message = "missing required key"
    elif item["type"] == "finite_number":
        message = f"{short_repr(item['input'])} is not finite"
    return f"{key}: {message}; allowed: {ALLOWED.get(field, ALLOWED.get(field.split('.')[0], ''))}"
