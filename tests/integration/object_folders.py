"""User object folders (object.yaml + an OBJ mesh) written for the run tests."""

from __future__ import annotations

from pathlib import Path


def object_folder(parent: Path, name: str, mesh_text: str) -> Path:
    """`parent/name` holding `mesh.obj` with `mesh_text` (valid or not) and an object.yaml labelled 'cup'."""
    folder = parent / name
    folder.mkdir()
    (folder / "mesh.obj").write_text(mesh_text)
    (folder / "object.yaml").write_text(f"name: {name}\nmesh: mesh.obj\nlabels: [cup]\n")
    return folder
