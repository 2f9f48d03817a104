"""ImageNet-1k class names and ids, and turning user-written labels into class ids."""

from __future__ import annotations

import difflib
from functools import cache
from importlib import resources


class UnknownLabelError(ValueError):
    pass


@cache
def _rows() -> tuple[tuple[int, str, str], ...]:
    """(index, synset, comma-separated names) for each class, read once from the bundled table."""
    text = resources.files("assets").joinpath("labels/imagenet_classes.tsv").read_text()
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return tuple((int(index), synset, names) for index, synset, names in rows[1:])


@cache
def imagenet_classes() -> tuple[str, ...]:
    """Display name of each ImageNet class, by model output index (e.g. 504 -> 'coffee mug')."""
    return tuple(names.split(",")[0].strip() for _index, _synset, names in _rows())


@cache
def _name_to_index() -> dict[str, int]:
    mapping: dict[str, int] = {}
    for index, synset, names in _rows():
        mapping.setdefault(synset.lower(), index)
        for name in names.split(","):
            mapping.setdefault(name.strip().lower(), index)
    return mapping


def resolve_label(label: int | str) -> int:
    """Class index for an index, a WordNet synset id ('n03063599') or a class name ('coffee mug')."""
    if isinstance(label, bool):
        raise UnknownLabelError(f"{label!r} is not an ImageNet class")
    if isinstance(label, int):
        if 0 <= label < 1000:
            return label
        raise UnknownLabelError(f"class index {label} is outside 0..999")
    key = label.strip().lower()
    mapping = _name_to_index()
    if key in mapping:
        return mapping[key]
    close = difflib.get_close_matches(key, mapping.keys(), n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownLabelError(f"{label!r} is not an ImageNet class name or synset{hint}")
