"""Tiny meshes written to disk in every format the renderers import, and a shared Blender renderer."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from simulator.render.pool import RendererPool

if TYPE_CHECKING:  # bpy is imported only when a test renders
    pass

# A box: 8 corners, 6 quads wound counter-clockwise seen from outside, and per-corner UVs.
BOX_CORNERS = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)])
BOX_QUADS = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
QUAD_UVS = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]


def box(extent: tuple[float, float, float]) -> np.ndarray:
    """The box's corners scaled to `extent` along x, y, z."""
    return BOX_CORNERS * np.asarray(extent)


def write_obj(path: Path, vertices: np.ndarray) -> Path:
    lines = [f"v {x:g} {y:g} {z:g}" for x, y, z in vertices]
    lines += [f"vt {u:g} {v:g}" for u, v in QUAD_UVS]
    lines += ["f " + " ".join(f"{i + 1}/{k + 1}" for k, i in enumerate(quad)) for quad in BOX_QUADS]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_ply(path: Path, vertices: np.ndarray, color: tuple[int, int, int]) -> Path:
    """ASCII PLY with one vertex colour (red, green, blue bytes) on every vertex."""
    header = [
        "ply",
        "format ascii 1.0",
        f"element vertex {len(vertices)}",
        *(f"property float {axis}" for axis in "xyz"),
        *(f"property uchar {channel}" for channel in ("red", "green", "blue")),
        f"element face {len(BOX_QUADS)}",
        "property list uchar int vertex_indices",
        "end_header",
    ]
    rows = [f"{x:g} {y:g} {z:g} {color[0]} {color[1]} {color[2]}" for x, y, z in vertices]
    rows += ["4 " + " ".join(map(str, quad)) for quad in BOX_QUADS]
    path.write_text("\n".join(header + rows) + "\n")
    return path


def write_glb(path: Path, vertices: np.ndarray) -> Path:
    """Minimal binary glTF: one mesh, positions and triangle indices, in file (Y-up) coordinates."""
    positions = vertices.astype("<f4")
    triangles = np.array([[q[0], q[1], q[2], q[0], q[2], q[3]] for q in BOX_QUADS], dtype="<u2").ravel()
    binary = positions.tobytes() + triangles.tobytes()
    document = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": positions.nbytes},
            {"buffer": 0, "byteOffset": positions.nbytes, "byteLength": triangles.nbytes},
        ],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": len(positions),
                "type": "VEC3",
                "min": positions.min(axis=0).tolist(),
                "max": positions.max(axis=0).tolist(),
            },
            {"bufferView": 1, "componentType": 5123, "count": len(triangles), "type": "SCALAR"},
        ],
    }
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    chunks = struct.pack("<I4s", len(text), b"JSON") + text + struct.pack("<I4s", len(binary), b"BIN\0") + binary
    path.write_bytes(struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks)
    return path


def write_blend(path: Path, vertices: np.ndarray) -> Path:
    """A .blend holding one mesh object (written without touching the current scene).

    It stores the half y >= 0 of the box and a Mirror modifier across Y that completes it.
    """
    import bpy

    half = vertices.copy()
    half[:, 1] = np.maximum(half[:, 1], 0.0)
    mesh = bpy.data.meshes.new("box")
    mesh.from_pydata(half.tolist(), [], BOX_QUADS)
    obj = bpy.data.objects.new("box", mesh)
    obj.modifiers.new("mirror", "MIRROR").use_axis = (False, True, False)
    bpy.data.libraries.write(str(path), {obj})
    bpy.data.objects.remove(obj)
    bpy.data.meshes.remove(mesh)
    return path


@pytest.fixture(scope="session")
def mesh_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Test meshes: a unit cube, and a box 0.4 x 1.0 x 0.4 that is tall along the file's Y axis."""
    folder = tmp_path_factory.mktemp("meshes")
    tall = box((0.4, 1.0, 0.4))
    write_obj(folder / "cube.obj", box((1.0, 1.0, 1.0)))
    write_obj(folder / "tall.obj", tall)
    write_ply(folder / "tall.ply", tall, (230, 20, 20))
    write_glb(folder / "tall.glb", tall)
    write_blend(folder / "tall.blend", tall)
    return folder


@pytest.fixture(scope="module")
def renderers(mesh_dir: Path) -> Iterator[RendererPool]:
    """A test module's renderer pool (created after the test meshes, which need bpy briefly)."""
    pytest.importorskip("bpy")
    pool = RendererPool()
    yield pool
    pool.close()
