"""Vertex positions of .obj and .ply mesh files (ASCII or binary PLY), read with numpy, no renderer."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

_PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2", "int16": "i2",
    "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}


@cache
def read_vertices(path: Path) -> np.ndarray | None:
    """Nx3 vertex positions in the file's coordinates; None for other formats or files it cannot read."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".obj":
            return _obj_vertices(path)
        if suffix == ".ply":
            return _ply_vertices(path)
    except (OSError, ValueError, KeyError):
        return None
    return None


def _obj_vertices(path: Path) -> np.ndarray:
    rows = [line.split()[1:4] for line in path.read_text(errors="replace").splitlines() if line.startswith("v ")]
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)


def _ply_vertices(path: Path) -> np.ndarray:
    data = path.read_bytes()
    end = data.index(b"end_header") + len(b"end_header")
    end += 2 if data[end : end + 2] == b"\r\n" else 1
    lines = data[:end].decode("ascii").splitlines()
    form = next(line.split()[1] for line in lines if line.startswith("format"))
    count, properties, in_vertex = 0, [], False
    for line in lines:
        words = line.split()
        if words[:1] == ["element"]:
            if in_vertex:
                break  # the vertex element must come first; its properties are all read
            in_vertex = words[1] == "vertex"
            count = int(words[2]) if in_vertex else count
        elif words[:1] == ["property"] and in_vertex:
            if words[1] == "list":
                raise ValueError("list property in the vertex element")
            properties.append((words[2], _PLY_TYPES[words[1]]))
    names = [name for name, _ in properties]
    if form == "ascii":
        table = np.loadtxt(data[end:].decode("ascii").splitlines()[:count], dtype=np.float64, ndmin=2)
        return table[:, [names.index(axis) for axis in "xyz"]]
    order = "<" if form == "binary_little_endian" else ">"
    dtype = np.dtype([(name, order + kind) for name, kind in properties])
    table = np.frombuffer(data, dtype=dtype, count=count, offset=end)
    return np.column_stack([table[axis].astype(np.float64) for axis in "xyz"])
