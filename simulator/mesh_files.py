"""A quick look at a mesh file's first bytes: is it the format its suffix says (checked before rendering)?"""

from __future__ import annotations

from pathlib import Path

MESH_SUFFIXES = (".ply", ".obj", ".glb", ".gltf", ".blend")
_HEAD_BYTES = 65536
_BLEND_MAGICS = (b"BLENDER", b"\x1f\x8b", b"\x28\xb5\x2f\xfd")  # plain, gzip- and zstd-compressed .blend


def mesh_format_problem(path: Path) -> str | None:
    """What is wrong with the start of the mesh file at `path`, or None when it looks like its format.

    .ply must start with `ply`, .glb with `glTF`, .gltf must be JSON, .blend must carry Blender's
    magic (compressed ones too), and .obj (which has no header) must be text.
    """
    suffix = path.suffix.lower()
    with path.open("rb") as file:
        head = file.read(_HEAD_BYTES)
    if not head.strip():
        return "the file is empty"
    if suffix == ".ply" and not (head.startswith(b"ply\n") or head.startswith(b"ply\r\n")):
        return "not a PLY file (it must start with the line 'ply')"
    if suffix == ".glb" and not head.startswith(b"glTF"):
        return "not a binary glTF file (it must start with 'glTF')"
    if suffix == ".gltf" and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "not a glTF file (it must be a JSON object)"
    if suffix == ".blend" and not head.startswith(_BLEND_MAGICS):
        return "not a Blender file (it must start with 'BLENDER')"
    if suffix == ".obj" and not _is_text(head):
        return "not an OBJ file (an OBJ mesh is text; this file is binary)"
    return None


def _is_text(head: bytes) -> bool:
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start > len(head) - 4  # a character cut by the read limit is still text
    return True
