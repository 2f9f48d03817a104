"""Mesh geometry shared by the builders: grids, surfaces of revolution, sweeps, PLY output.

Meshes are triangle lists with one normal and one UV per vertex (seams duplicate vertices),
Z up, metres, front facing -Y, as `simulator.scene` expects. Everything is plain numpy and
deterministic: the same code gives the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TAU = 2.0 * math.pi


@dataclass(frozen=True)
class Mesh:
    positions: np.ndarray  # (N, 3) float64
    normals: np.ndarray  # (N, 3) float64, unit length
    uvs: np.ndarray  # (N, 2) float64, v up (Blender convention: v=0 is the image's bottom row)
    faces: np.ndarray  # (M, 3) int64, counter-clockwise seen from outside

    def transformed(self, matrix: np.ndarray) -> Mesh:
        """The mesh moved by a 4x4 (or 3x3) affine matrix; normals follow."""
        matrix = np.asarray(matrix, dtype=float)
        linear = matrix[:3, :3]
        offset = matrix[:3, 3] if matrix.shape == (4, 4) else np.zeros(3)
        normals = self.normals @ np.linalg.inv(linear)  # inverse transpose, applied to rows
        faces = self.faces if np.linalg.det(linear) > 0 else self.faces[:, ::-1]
        return Mesh(self.positions @ linear.T + offset, unit(normals), self.uvs, faces)

    def with_uv_rect(self, u0: float, v0: float, u1: float, v1: float) -> Mesh:
        """UVs squeezed from [0,1]^2 into the rectangle (u0, v0)-(u1, v1) of a texture atlas."""
        uvs = np.column_stack([u0 + self.uvs[:, 0] * (u1 - u0), v0 + self.uvs[:, 1] * (v1 - v0)])
        return Mesh(self.positions, self.normals, uvs, self.faces)

    def flipped(self) -> Mesh:
        """Same surface facing the other way."""
        return Mesh(self.positions, -self.normals, self.uvs, self.faces[:, ::-1])


def merge(*meshes: Mesh) -> Mesh:
    offsets = np.cumsum([0] + [len(m.positions) for m in meshes[:-1]])
    return Mesh(
        np.concatenate([m.positions for m in meshes]),
        np.concatenate([m.normals for m in meshes]),
        np.concatenate([m.uvs for m in meshes]),
        np.concatenate([m.faces + o for m, o in zip(meshes, offsets, strict=True)]),
    )


def unit(vectors: np.ndarray) -> np.ndarray:
    """Vectors scaled to length 1 (zero vectors stay zero)."""
    length = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(length > 1e-12, length, 1.0)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """3x3 rotation taking direction a onto direction b (not opposite)."""
    a, b = unit(np.asarray(a, dtype=float)), unit(np.asarray(b, dtype=float))
    v, c = np.cross(a, b), float(a @ b)
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k / (1.0 + c)


def axis_rotation(axis: np.ndarray, degrees: float) -> np.ndarray:
    """3x3 rotation by `degrees` about `axis` (right-handed)."""
    axis = unit(np.asarray(axis, dtype=float))
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    angle = math.radians(degrees)
    return np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * k @ k


def frame_matrix(origin, direction, facing) -> np.ndarray:
    """4x4 matrix taking local +X to `direction`, local +Z as near `facing` as it can be, and
    the local origin to `origin`: places a part modelled along +X facing up."""
    x = unit(np.asarray(direction, dtype=float))
    y = unit(np.cross(np.asarray(facing, dtype=float), x))
    matrix = np.eye(4)
    matrix[:3, 0], matrix[:3, 1], matrix[:3, 2], matrix[:3, 3] = x, y, np.cross(x, y), origin
    return matrix


def rotation_z(degrees: float) -> np.ndarray:
    """4x4 rotation about Z (counter-clockwise seen from above)."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]])


def rotation_x(degrees: float) -> np.ndarray:
    """4x4 rotation about X (positive tips +Y up towards +Z)."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0], [0, 0, 0, 1.0]])


def rotation_y(degrees: float) -> np.ndarray:
    """4x4 rotation about Y (positive takes +Z towards +X)."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[c, 0, s, 0], [0, 1, 0, 0], [-s, 0, c, 0], [0, 0, 0, 1.0]])


def grid_mesh(points: np.ndarray, uvs: np.ndarray, periodic: bool = False) -> Mesh:
    """Mesh of an (R, C) grid of points, rows along v and columns along u.

    With `periodic`, the last column repeats the first (a seam with its own UVs) and the
    normals there are shared. Rows whose points all coincide (poles, tips) get one shared
    normal. Normals are area-weighted averages of the adjacent faces, so a surface with a
    crease needs the crease row duplicated.
    """
    rows, cols = points.shape[:2]
    index = np.arange(rows * cols).reshape(rows, cols)
    a, b = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()  # row r
    c, d = index[1:, :-1].ravel(), index[1:, 1:].ravel()  # row r + 1
    faces = np.concatenate([np.column_stack([a, b, d]), np.column_stack([a, d, c])])
    flat = points.reshape(-1, 3)
    tri = flat[faces]
    face_normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])  # area-weighted
    accumulated = np.zeros_like(flat)
    for corner in range(3):
        np.add.at(accumulated, faces[:, corner], face_normals)
    accumulated = accumulated.reshape(rows, cols, 3)
    if periodic:
        seam = accumulated[:, 0] + accumulated[:, -1]
        accumulated[:, 0] = seam
        accumulated[:, -1] = seam
    for r in range(rows):
        if np.ptp(points[r], axis=0).max() < 1e-9:  # a pole: every column is the same point
            accumulated[r] = accumulated[r].sum(axis=0)
    keep = np.linalg.norm(face_normals, axis=1) > 1e-14  # drop degenerate triangles
    return Mesh(flat.copy(), unit(accumulated.reshape(-1, 3)), uvs.reshape(-1, 2).copy(), faces[keep])


def arc_length_param(curve: np.ndarray) -> np.ndarray:
    """Cumulative arc length along a polyline, scaled to [0, 1]."""
    steps = np.linalg.norm(np.diff(curve, axis=0), axis=1)
    total = np.concatenate([[0.0], np.cumsum(steps)])
    return total / total[-1] if total[-1] > 0 else total


def arc(centre: tuple[float, float], radius: float, start: float, end: float, samples: int) -> np.ndarray:
    """(samples, 2) points of a circular arc in the (r, z) profile plane, angles in degrees."""
    angle = np.radians(np.linspace(start, end, samples))
    return np.column_stack([centre[0] + radius * np.cos(angle), centre[1] + radius * np.sin(angle)])


def line(start: tuple[float, float], end: tuple[float, float], samples: int) -> np.ndarray:
    """(samples, 2) evenly spaced points from start to end."""
    return np.linspace(start, end, samples)


def chain(*pieces: np.ndarray) -> np.ndarray:
    """Join profile pieces, dropping a piece's first point where it repeats the last one."""
    points = [pieces[0]]
    for piece in pieces[1:]:
        points.append(piece[1:] if np.allclose(piece[0], points[-1][-1]) else piece)
    return np.concatenate(points)


def revolve_points(profile: np.ndarray, segments: int, seam_angle: float = 90.0) -> np.ndarray:
    """(K, segments + 1, 3) grid of a profile swept round Z, the last column repeating the first."""
    profile = np.asarray(profile, dtype=float)
    theta = math.radians(seam_angle) + np.linspace(0.0, TAU, segments + 1)
    radius = np.broadcast_to(profile[:, :1], (len(profile), segments + 1))
    points = np.stack(
        [radius * np.cos(theta), radius * np.sin(theta), np.broadcast_to(profile[:, 1:], radius.shape)], axis=-1
    )
    points[:, -1] = points[:, 0]  # exact seam
    return points


def revolve(
    profile: np.ndarray,
    segments: int = 64,
    seam_angle: float = 90.0,
    v: np.ndarray | None = None,
    radial: np.ndarray | None = None,
) -> Mesh:
    """Surface of revolution about Z of a (K, 2) profile of (radius, z) points.

    A profile going up the outside (z increasing at positive radius) faces outwards; go
    over a rim and back down to make a wall with an inside. The texture's u runs once
    around, starting at `seam_angle` degrees from +X (90 puts the seam at the back, +Y,
    away from the default camera) and increasing counter-clockwise seen from above; v is
    the arc length along the profile unless given. `radial`, shape (K, segments + 1), scales
    the radius per vertex (ribs, lobes, dimples).
    """
    profile = np.asarray(profile, dtype=float)
    points = revolve_points(profile, segments, seam_angle)
    if radial is not None:
        points[..., :2] *= np.asarray(radial, dtype=float)[..., None]
        points[:, -1] = points[:, 0]
    v = arc_length_param(profile) if v is None else np.asarray(v, dtype=float)
    u_grid, v_grid = np.meshgrid(np.linspace(0.0, 1.0, segments + 1), v)
    # Columns run counter-clockwise and rows along the profile: cross(d/du, d/dv) faces out
    # where the profile goes up at positive radius.
    return grid_mesh(points, np.stack([u_grid, v_grid], axis=-1), periodic=True)


def sphere_profile(rings: int, radius: float = 0.5) -> np.ndarray:
    """(radius, z) profile of a sphere from the south pole to the north pole."""
    phi = np.linspace(-math.pi / 2, math.pi / 2, rings + 1)
    return np.column_stack([radius * np.cos(phi), radius * np.sin(phi)])


def uv_sphere(radius: float = 0.5, segments: int = 96, rings: int = 48, seam_angle: float = 90.0) -> Mesh:
    """Sphere with equirectangular UVs: u is longitude from `seam_angle`, v latitude (0 south)."""
    profile = sphere_profile(rings, radius)
    profile[0, 0] = profile[-1, 0] = 0.0
    return revolve(profile, segments, seam_angle, v=np.linspace(0.0, 1.0, rings + 1))


def equirect_directions(width: int, height: int, seam_angle: float = 90.0) -> np.ndarray:
    """(H, W, 3) unit directions of an equirectangular texture's texel centres, matching
    `uv_sphere` (image row 0 is the top, v = 1)."""
    u = (np.arange(width) + 0.5) / width
    v = 1.0 - (np.arange(height) + 0.5) / height
    theta = math.radians(seam_angle) + TAU * u[None, :]
    phi = (v[:, None] - 0.5) * math.pi
    return np.stack(
        [np.cos(phi) * np.cos(theta), np.cos(phi) * np.sin(theta), np.broadcast_to(np.sin(phi), (height, width))],
        axis=-1,
    )


def revolve_texel_points(profile: np.ndarray, width: int, height: int, seam_angle: float = 90.0) -> np.ndarray:
    """(H, W, 3) surface points under each texel of a `revolve` of `profile` (arc-length v),
    for painting textures as functions of 3D position."""
    profile = np.asarray(profile, dtype=float)
    s = arc_length_param(profile)
    v = 1.0 - (np.arange(height) + 0.5) / height
    r = np.interp(v, s, profile[:, 0])[:, None]
    z = np.broadcast_to(np.interp(v, s, profile[:, 1])[:, None], (height, width))
    theta = math.radians(seam_angle) + TAU * (np.arange(width) + 0.5) / width
    return np.stack([r * np.cos(theta)[None], r * np.sin(theta)[None], z], axis=-1)


def smooth_curve(control: np.ndarray, samples: int) -> np.ndarray:
    """Catmull-Rom curve through (K, D) control points, `samples` points, ends included."""
    control = np.asarray(control, dtype=float)
    padded = np.concatenate([2 * control[:1] - control[1:2], control, 2 * control[-1:] - control[-2:-1]])
    spans = len(control) - 1
    t = np.linspace(0.0, spans, samples)
    i = np.minimum(t.astype(int), spans - 1)
    f = (t - i)[:, None]
    p0, p1, p2, p3 = padded[i], padded[i + 1], padded[i + 2], padded[i + 3]
    return 0.5 * (
        2 * p1 + (-p0 + p2) * f + (2 * p0 - 5 * p1 + 4 * p2 - p3) * f**2 + (-p0 + 3 * p1 - 3 * p2 + p3) * f**3
    )


def sweep(
    path: np.ndarray,
    section: np.ndarray,
    segments: int = 24,
    up: tuple[float, float, float] = (0.0, 0.0, 1.0),
) -> Mesh:
    """Tube along a (K, 3) path.

    `section` is either (K, 2): per path point, the half-axes of an elliptical cross-section
    (across the path in the plane normal to `up`, and along `up`), or (K, segments + 1): a
    radius per angle round the path (a ridged banana). The frames are parallel-transported
    from `up`, so the tube does not twist. u runs along the path, v around it. The ends are
    left open: taper the section to zero to close one.
    """
    path = np.asarray(path, dtype=float)
    tangent = unit(np.gradient(path, axis=0))
    normal = np.zeros_like(path)
    ref = np.asarray(up, dtype=float)
    previous = unit(ref - (ref @ tangent[0]) * tangent[0])
    for k in range(len(path)):  # parallel transport keeps the frame from twisting
        n = previous - (previous @ tangent[k]) * tangent[k]
        previous = n / np.linalg.norm(n)
        normal[k] = previous
    binormal = np.cross(tangent, normal)
    angle = np.linspace(0.0, TAU, segments + 1)
    section = np.asarray(section, dtype=float)
    if section.shape[1] == 2:
        across = section[:, :1] * np.cos(angle)[None]
        along_up = section[:, 1:] * np.sin(angle)[None]
    else:
        across = section * np.cos(angle)[None]
        along_up = section * np.sin(angle)[None]
    points = path[:, None] + across[..., None] * binormal[:, None] + along_up[..., None] * normal[:, None]
    points[:, -1] = points[:, 0]
    u_grid, v_grid = np.meshgrid(np.linspace(0.0, 1.0, segments + 1), arc_length_param(path))
    # Rows along the path, columns around: here we want u along the path, so swap.
    mesh = grid_mesh(points, np.stack([v_grid, u_grid], axis=-1), periodic=True)
    # Orient outwards: compare a normal with the direction from the path.
    outward = (mesh.normals.reshape(points.shape) * (points - path[:, None])).sum(axis=-1)
    return mesh if np.nansum(outward) >= 0 else mesh.flipped()


def bounding_box(mesh: Mesh) -> tuple[np.ndarray, np.ndarray]:
    return mesh.positions.min(axis=0), mesh.positions.max(axis=0)


def normalization(mesh: Mesh, size: float = 1.0) -> tuple[np.ndarray, float]:
    """The (centre, scale) that the simulator's loader applies: bbox centred, largest side `size`."""
    low, high = bounding_box(mesh)
    return (low + high) / 2.0, size / float((high - low).max())


def write_ply(path: Path, mesh: Mesh) -> None:
    """Binary little-endian PLY with x y z, nx ny nz, s t per vertex and triangle faces.

    Values are rounded to 1e-6 before going to float32 so that last-bit differences in
    the maths (SIMD vs scalar sin/cos) cannot change the bytes.
    """
    positions = np.round(mesh.positions, 6).astype("<f4")
    normals = np.round(mesh.normals, 6).astype("<f4")
    uvs = np.round(mesh.uvs, 6).astype("<f4")
    fields = ("x", "y", "z", "nx", "ny", "nz", "s", "t")
    vertex = np.empty(len(positions), dtype=[(name, "<f4") for name in fields])
    vertex["x"], vertex["y"], vertex["z"] = positions.T
    vertex["nx"], vertex["ny"], vertex["nz"] = normals.T
    vertex["s"], vertex["t"] = uvs.T
    face = np.empty(len(mesh.faces), dtype=[("n", "u1"), ("i", "<i4", (3,))])
    face["n"] = 3
    face["i"] = mesh.faces
    header = "\n".join(
        [
            "ply",
            "format binary_little_endian 1.0",
            "comment robustsim built-in object, generated by assets/builders",
            f"element vertex {len(vertex)}",
            *(f"property float {name}" for name in fields),
            f"element face {len(face)}",
            "property list uchar int vertex_indices",
            "end_header",
            "",
        ]
    )
    path.write_bytes(header.encode("ascii") + vertex.tobytes() + face.tobytes())


def read_ply(path: Path) -> Mesh:
    """Read back what `write_ply` writes (for tests and checks)."""
    data = Path(path).read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode("ascii").splitlines()
    vertices = int(next(row.split()[2] for row in header if row.startswith("element vertex")))
    faces = int(next(row.split()[2] for row in header if row.startswith("element face")))
    vertex = np.frombuffer(data, dtype="<f4", count=vertices * 8, offset=end).reshape(vertices, 8)
    face = np.frombuffer(data, dtype=[("n", "u1"), ("i", "<i4", (3,))], count=faces, offset=end + vertices * 32)
    if (face["n"] != 3).any():
        raise ValueError(f"{path}: faces are not all triangles")
    vertex = vertex.astype(float)
    return Mesh(vertex[:, :3], vertex[:, 3:6], vertex[:, 6:], face["i"].astype(np.int64))
