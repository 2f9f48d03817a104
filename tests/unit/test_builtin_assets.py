"""The built-in objects under assets/objects: loadable, small, sane meshes, and exactly what
`python -m assets.builders` generates (no rendering here)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from assets.builders import build, default_output_dir, registry
from assets.builders.__main__ import main as builders_main
from assets.builders.geometry import read_ply
from simulator.assets import builtin_objects, builtin_objects_dir, load_object

OBJECTS_DIR = builtin_objects_dir()
FOLDERS = sorted(p.parent for p in OBJECTS_DIR.glob("*/object.yaml"))
MAX_FOLDER_BYTES = 800 * 1024


def test_builders_write_into_the_builtin_objects_folder():
    assert default_output_dir().resolve() == OBJECTS_DIR.resolve()


def test_every_builtin_object_loads():
    objects = builtin_objects()
    assert len(objects) >= 6
    assert sorted(objects) == sorted(folder.name for folder in FOLDERS)
    for name, asset in objects.items():
        assert asset.mesh_path.is_file(), name
        assert asset.labels, name
        assert asset.size == 1.0 and asset.up_axis == "Z" and asset.front_yaw == 0.0, name


def test_at_least_six_distinct_classes():
    label_sets = {frozenset(asset.labels) for asset in builtin_objects().values()}
    assert len(label_sets) >= 6
    # Distinct objects should not claim the same class.
    first_labels = [asset.labels[0] for asset in builtin_objects().values()]
    assert len(set(first_labels)) == len(first_labels)


def test_every_builder_has_an_object_and_vice_versa():
    assert sorted(registry()) == sorted(folder.name for folder in FOLDERS)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_files_are_small_and_declared(folder: Path):
    files = {p.name for p in folder.iterdir()}
    spec = yaml.safe_load((folder / "object.yaml").read_text())
    texture = spec["material"].get("texture")
    declared = {"object.yaml", spec["mesh"]} | ({texture} if texture else set())
    assert files == declared, f"stray or missing files in {folder}"
    total = sum((folder / name).stat().st_size for name in files)
    assert total < MAX_FOLDER_BYTES, f"{folder.name} is {total} bytes"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_mesh_is_sane(folder: Path):
    asset = load_object(folder)
    mesh = read_ply(asset.mesh_path)
    assert len(mesh.faces) > 100
    assert mesh.faces.min() >= 0 and mesh.faces.max() < len(mesh.positions)
    assert np.isfinite(mesh.positions).all()
    np.testing.assert_allclose(np.linalg.norm(mesh.normals, axis=1), 1.0, atol=1e-4)
    assert mesh.uvs.min() >= 0.0 and mesh.uvs.max() <= 1.0
    # Triangles wind the way their vertex normals face (outwards), with a few slivers excepted.
    tri = mesh.positions[mesh.faces]
    geometric = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    agreement = np.einsum("ij,ij->i", geometric, mesh.normals[mesh.faces].sum(axis=1))
    assert (agreement > 0).mean() > 0.99
    # The model's front faces -Y and it stands up: not flat in any direction.
    extent = mesh.positions.max(axis=0) - mesh.positions.min(axis=0)
    assert extent.min() > 0.1 * extent.max()


def test_mug_is_an_open_container_with_the_documented_interior():
    folder = OBJECTS_DIR / "coffee_mug"
    text = (folder / "object.yaml").read_text()
    inner_radius = float(re.search(r"inner radius: ([-\d.]+)", text).group(1))
    floor_z = float(re.search(r"inner bottom \(floor\) height z: ([-\d.]+)", text).group(1))
    rim_z = float(re.search(r"rim height z: ([-\d.]+)", text).group(1))
    axis = re.search(r"axis is\n# the vertical line x = (-?\d+\.\d+), y = (-?\d+\.\d+)", text)
    mesh = read_ply(folder / "mesh.ply")
    low, high = mesh.positions.min(axis=0), mesh.positions.max(axis=0)
    points = (mesh.positions - (low + high) / 2) / (high - low).max()  # the loader's normalization
    points[:, 0] -= float(axis.group(1))
    points[:, 1] -= float(axis.group(2))
    radius = np.hypot(points[:, 0], points[:, 1])
    assert points[:, 2].max() == pytest.approx(rim_z, abs=2e-3)
    assert floor_z < rim_z - 0.5
    # The inner wall: vertices at the inner radius from near the floor up to near the rim,
    # with normals pointing at the axis.
    wall = (np.abs(radius - inner_radius) < 1e-3) & (points[:, 2] > floor_z + 0.05) & (points[:, 2] < rim_z - 0.05)
    assert wall.sum() > 100
    inward = -(mesh.normals[wall, 0] * points[wall, 0] + mesh.normals[wall, 1] * points[wall, 1]) / radius[wall]
    assert (inward > 0.95).all()
    # The floor: vertices at floor height inside the wall, facing up.
    floor = (np.abs(points[:, 2] - floor_z) < 1e-3) & (radius < inner_radius - 0.01)
    assert floor.sum() > 10 and (mesh.normals[floor, 2] > 0.95).all()
    # Nothing inside the cavity (above the small fillet where the floor meets the wall).
    cavity = (radius < inner_radius - 1e-3) & (points[:, 2] > floor_z + 0.05)
    assert not cavity.any()


def test_builders_are_deterministic_and_match_the_committed_files(tmp_path: Path):
    build(None, tmp_path)
    for folder in FOLDERS:
        generated = tmp_path / folder.name
        assert sorted(p.name for p in generated.iterdir()) == sorted(p.name for p in folder.iterdir())
        for committed in folder.iterdir():
            assert (generated / committed.name).read_bytes() == committed.read_bytes(), (
                f"{folder.name}/{committed.name} differs from what the builder makes: run `python -m assets.builders`"
            )


def test_command_line_builds_the_named_objects(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    builders_main(["--out", str(tmp_path), "wine_bottle"])
    assert sorted(p.name for p in (tmp_path / "wine_bottle").iterdir()) == ["mesh.ply", "object.yaml", "texture.png"]
    assert "wine_bottle" in capsys.readouterr().out
    with pytest.raises(KeyError):
        build(["no_such_object"], tmp_path)
