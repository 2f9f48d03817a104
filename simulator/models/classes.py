"""A model's classes and what each object counts as among them.

A model without `classes` answers in ImageNet's 1000 classes, and each object's `labels`
(object.yaml) are ImageNet names, synsets or indices. A model with `classes` (a text file, one name
per line, blank lines and `#` comments skipped; or a list) answers in its own; an object then maps
to them through the model's `labels: {object: [name or index, ...]}`, else through its own
`labels`, looked up (case-insensitively) among the model's class names.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from simulator.config import ModelConfig
from simulator.labels import UnknownLabelError, imagenet_classes, resolve_label
from simulator.scene import ObjectAsset

MAX_CLASSES = 100_000


@dataclass(frozen=True)
class ModelSpec:
    """A model under test, resolved: its name, its config, its class names and each object's accepted ids."""

    name: str
    config: ModelConfig
    class_names: tuple[str, ...]
    labels: Mapping[str, tuple[int, ...]]  # object name -> accepted class ids
    own_classes: bool  # False: ImageNet's

    def label_names(self, obj: str) -> list[str]:
        return [self.class_names[i] if i < len(self.class_names) else str(i) for i in self.labels[obj]]


def read_class_names(classes: Path | Sequence[str]) -> tuple[str, ...]:
    """Class names from a list or a text file (ValueError saying what is wrong)."""
    if isinstance(classes, Path):
        if not classes.is_file():
            raise ValueError(f"classes file {classes} does not exist")
        try:
            text = classes.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"cannot read classes file {classes}: {error}") from None
        names = [line.strip() for line in text.splitlines()]
        names = [name for name in names if name and not name.startswith("#")]
    else:
        names = [str(name).strip() for name in classes]
    if not names:
        raise ValueError("the class list is empty")
    if len(names) > MAX_CLASSES:
        raise ValueError(f"{len(names)} classes; at most {MAX_CLASSES}")
    if any(not name for name in names):
        raise ValueError("a class name is empty")
    return tuple(names)


def resolve_model(config: ModelConfig, objects: Mapping[str, ObjectAsset], path: str) -> tuple[ModelSpec | None, list[tuple[str, str]]]:
    """The model's spec, or None and (key, message) problems."""
    problems: list[tuple[str, str]] = []
    own = config.classes is not None
    try:
        names = read_class_names(config.classes) if own else imagenet_classes()  # type: ignore[arg-type]
    except ValueError as error:
        return None, [(f"{path}.classes", str(error))]
    mapping = config.labels or {}
    for unknown in sorted(set(mapping) - set(objects)):
        problems.append((f"{path}.labels.{unknown}", f"no such object in this experiment{_hint(unknown, list(objects))}"))
    labels: dict[str, tuple[int, ...]] = {}
    for name, asset in objects.items():
        declared = mapping.get(name)
        try:
            if declared is not None:
                labels[name] = _resolve_all(_as_list(declared), names, own)
            elif own:
                labels[name] = _resolve_all(asset.declared_labels or asset.labels, names, own)
            elif asset.labels:
                labels[name] = asset.labels
            else:
                labels[name] = _resolve_all(asset.declared_labels, names, own)
        except UnknownLabelError as error:
            where = f"{path}.labels.{name}" if declared is not None else "objects"
            problems.append((where, f"object {name!r}: {error}"))
    if problems:
        return None, problems
    return ModelSpec(config.display_name, config, names, labels, own), []


def _as_list(value: list[str | int] | str | int) -> list[str | int]:
    return value if isinstance(value, list) else [value]


def _resolve_all(labels: Sequence[str | int], names: tuple[str, ...], own: bool) -> tuple[int, ...]:
    if not labels:
        raise UnknownLabelError("has no labels")
    return tuple(dict.fromkeys(_resolve_one(label, names) if own else resolve_label(label) for label in labels))


def _resolve_one(label: str | int, names: tuple[str, ...]) -> int:
    """An index into the model's own `names`, from an index or a name (case-insensitive)."""
    if isinstance(label, bool):
        raise UnknownLabelError(f"{label!r} is not a class")
    if isinstance(label, int):
        if 0 <= label < len(names):
            return label
        raise UnknownLabelError(f"class index {label} is outside 0..{len(names) - 1} (the model's {len(names)} classes)")
    lowered = [name.lower() for name in names]
    key = label.strip().lower()
    if key in lowered:
        return lowered.index(key)
    raise UnknownLabelError(f"{label!r} is not one of the model's classes{_hint(label, list(names))} (classes: {', '.join(names[:20])})")


def _hint(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=3)
    return f"; did you mean {', '.join(map(repr, close))}?" if close else ""
