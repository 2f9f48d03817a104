"""What can be wrong with a mesh that still imports: no UV coordinates, zero-area faces, vertices that
are not finite, a bounding box of zero size. Measured on what Blender imports (every format), plus the
file's own vertex list where it can be read without Blender (.obj and .ply: Blender's OBJ importer
reads 'nan' as 0)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np

from simulator.mesh_vertices import read_vertices
from simulator.render.blender import import_meshes

ZERO_AREA = 1e-10  # of the bounding box's largest side squared: a face this small has no area


@dataclass(frozen=True)
class MeshReport:
    faces: int
    zero_area_faces: int
    non_finite_vertices: int
    extent: float  # largest side of the finite vertices' bounding box, in the file's units
    parts_without_uvs: int
    parts: int

    def warnings(self) -> list[str]:
        """One sentence per problem; empty when the mesh looks sound."""
        found = []
        if self.parts_without_uvs:
            which = "the mesh has" if self.parts == 1 else f"{self.parts_without_uvs} of its {self.parts} mesh parts have"
            found.append(
                f"{which} no UV coordinates: an image texture (object.yaml's or the texture control's) cannot be "
                "mapped onto it, and the uv channel stays empty there"
            )
        if self.zero_area_faces:
            found.append(f"{self.zero_area_faces} of its {self.faces} faces have zero area (degenerate geometry)")
        if self.non_finite_vertices:
            found.append(f"{self.non_finite_vertices} vertices are not finite (NaN or infinite coordinates)")
        if not self.extent > 0:
            found.append("its bounding box has zero size: every vertex is at the same point")
        return found


def inspect_mesh(path: Path) -> MeshReport:
    """Import `path` into Blender's current scene, measure every mesh part, and delete what was imported.

    Call it before opening a renderer in this process (it adds and removes objects in the open scene).
    """
    parts = import_meshes(path)
    try:
        points, areas, without_uvs = [], [], 0
        for part, world in parts:
            mesh = part.data
            coordinates = np.empty(len(mesh.vertices) * 3)
            mesh.vertices.foreach_get("co", coordinates)
            matrix = np.array(world)
            points.append(coordinates.reshape(-1, 3) @ matrix[:3, :3].T + matrix[:3, 3])
            area = np.empty(len(mesh.polygons))
            mesh.polygons.foreach_get("area", area)
            areas.append(area * abs(np.linalg.det(matrix[:3, :3])) ** (2 / 3))
            without_uvs += len(mesh.uv_layers) == 0
    finally:
        for part, _ in parts:
            mesh = part.data
            bpy.data.objects.remove(part)
            if mesh.users == 0:
                bpy.data.meshes.remove(mesh)
    vertices = np.concatenate(points)
    in_file = read_vertices(path)
    non_finite = max(int((~np.isfinite(v).all(axis=1)).sum()) for v in (vertices, in_file if in_file is not None else vertices))
    finite = vertices[np.isfinite(vertices).all(axis=1)]
    extent = float((finite.max(axis=0) - finite.min(axis=0)).max()) if len(finite) else 0.0
    area = np.concatenate(areas)
    return MeshReport(
        faces=len(area),
        zero_area_faces=int((~(area > ZERO_AREA * extent**2)).sum()),
        non_finite_vertices=non_finite,
        extent=extent,
        parts_without_uvs=without_uvs,
        parts=len(parts),
    )
