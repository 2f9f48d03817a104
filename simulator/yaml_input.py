"""Reading YAML that people wrote, or crafted: UTF-8 text only, bounded nesting and bounded size.

PyYAML builds aliases by reference, so a small "billion laughs" file loads quickly and then explodes
in whatever walks it; a deeply nested one overflows Python's stack. `load_yaml` measures the node
graph (aliases expanded, without expanding them) before building anything and refuses both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_DEPTH = 32  # levels of nested mappings and lists
MAX_NODES = 100_000  # scalars, mappings and lists, aliases counted as many times as they are used


class YamlInputError(ValueError):
    """A file that is not UTF-8 YAML of a sensible size; the message says what is wrong (no file name)."""


def read_text(path: Path) -> str:
    """The file's text, which must be UTF-8."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise YamlInputError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); save the file as UTF-8"
        ) from None


def load_yaml(path: Path) -> Any:
    """The YAML document in the UTF-8 file at `path` (None when empty), checked for depth and size."""
    text = read_text(path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node, 1, {})
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise YamlInputError(f"not valid YAML: {where}{problem}") from None
    except RecursionError:
        raise YamlInputError(f"nested too deeply (more than {MAX_DEPTH} levels of mappings and lists)") from None
    finally:
        loader.dispose()


def _measure(node: yaml.Node, depth: int, sizes: dict[int, int]) -> int:
    """Nodes under `node` with aliases expanded (memoized per node, so a bomb costs its own size to
    measure); YamlInputError beyond MAX_DEPTH or MAX_NODES."""
    if depth > MAX_DEPTH:
        raise YamlInputError(f"nested too deeply (more than {MAX_DEPTH} levels of mappings and lists)")
    if id(node) in sizes:
        return sizes[id(node)]
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_measure(child, depth + 1, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_measure(k, depth + 1, sizes) + _measure(v, depth + 1, sizes) for k, v in node.value)
    if size > MAX_NODES:
        raise YamlInputError(
            f"too large: more than {MAX_NODES:,} values once aliases (*name) are expanded; "
            "is it an alias bomb?"
        )
    sizes[id(node)] = size
    return size
