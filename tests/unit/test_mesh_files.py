"""Mesh files are checked by their first bytes before rendering: each format we read, genuine or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.mesh_files import mesh_format_problem

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
GENUINE = {
    "a.ply": b"ply\nformat ascii 1.0\nend_header\n",
    "b.ply": b"ply\r\nformat binary_little_endian 1.0\r\n",
    "a.glb": b"glTF\x02\x00\x00\x00" + bytes(16),
    "a.gltf": b'\xef\xbb\xbf  {"asset": {"version": "2.0"}}',
    "a.blend": b"BLENDER-v300" + bytes(16),
    "b.blend": b"\x28\xb5\x2f\xfd" + bytes(16),  # zstd-compressed
    "a.obj": b"# exported\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n",
    "b.obj": "o caf\u00e9\nv 0 0 0\n".encode(),
}
FAKE = {
    "png.ply": (PNG, "not a PLY file"),
    "text.ply": (b"solid cube\n", "not a PLY file"),
    "png.glb": (PNG, "not a binary glTF"),
    "text.gltf": (b"not json", "not a glTF file"),
    "png.blend": (PNG, "not a Blender file"),
    "png.obj": (PNG, "not an OBJ file"),
    "empty.obj": (b"", "empty"),
    "blank.ply": (b"\n\n  \n", "empty"),
}


@pytest.mark.parametrize("name", GENUINE)
def test_genuine_headers_pass(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(GENUINE[name])
    assert mesh_format_problem(tmp_path / name) is None


@pytest.mark.parametrize("name", FAKE)
def test_files_that_are_not_their_format_are_named(tmp_path: Path, name: str) -> None:
    data, problem = FAKE[name]
    (tmp_path / name).write_bytes(data)
    assert problem in (mesh_format_problem(tmp_path / name) or "")


def test_builtin_meshes_pass() -> None:
    from simulator.assets import builtin_objects

    assert all(mesh_format_problem(asset.mesh_path) is None for asset in builtin_objects().values())
