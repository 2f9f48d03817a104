"""Each object's content hash changes with any file it renders from, and an output folder refuses to
resume results of an object whose files changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulator.assets import builtin_objects, load_object
from simulator.object_digest import object_digest, object_digests
from simulator.results.store import OutputMismatchError, ResultsStore

CUBE = "".join(f"v {x} {y} {z}\n" for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)) + "f 1 2 4 3\nf 5 7 8 6\n"


def kettle(folder: Path) -> Path:
    """An object folder: object.yaml, an .obj naming an .mtl, whose diffuse map is a PNG; and a texture."""
    folder.mkdir(exist_ok=True)
    (folder / "object.yaml").write_text("name: kettle\nmesh: mesh.obj\nlabels: [teakettle]\nsize: 1.0\n")
    (folder / "mesh.obj").write_text("mtllib kettle.mtl\n" + CUBE)
    (folder / "kettle.mtl").write_text("newmtl body\nKd 0.8 0.8 0.8\nmap_Kd -s 1 1 1 maps/body.png\n")
    (folder / "maps").mkdir(exist_ok=True)
    (folder / "maps" / "body.png").write_bytes(b"\x89PNG first")
    return folder


def touch(path: Path, content: bytes) -> None:
    """Rewrite a file keeping its size, one second later: the cache must look at the modification time."""
    stat = path.stat()
    path.write_bytes(content)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize(
    "edit",
    [
        lambda f: (f / "object.yaml").write_text("name: kettle\nmesh: mesh.obj\nlabels: [teakettle]\nsize: 2.0\n"),
        lambda f: (f / "object.yaml").write_text("name: kettle\nmesh: mesh.obj\nlabels: [teakettle]\nup_axis: Y\n"),
        lambda f: touch(f / "mesh.obj", (f / "mesh.obj").read_bytes().replace(b"v -1", b"v -2")),
        lambda f: touch(f / "kettle.mtl", (f / "kettle.mtl").read_bytes().replace(b"Kd 0.8", b"Kd 0.1")),
        lambda f: touch(f / "maps" / "body.png", b"\x89PNG other"),
        lambda f: (f / "maps" / "body.png").unlink(),
    ],
    ids=["size", "up_axis", "mesh", "mtl", "mtl image", "mtl image removed"],
)
def test_any_edit_of_an_object_changes_its_hash(tmp_path: Path, edit) -> None:
    folder = kettle(tmp_path / "kettle")
    before = object_digest(load_object(folder))
    assert object_digest(load_object(folder)) == before  # stable while nothing changes
    edit(folder)
    assert object_digest(load_object(folder)) != before


def test_a_texture_edit_changes_the_hash(tmp_path: Path) -> None:
    folder = kettle(tmp_path / "kettle")
    (folder / "object.yaml").write_text("name: kettle\nmesh: mesh.obj\nlabels: [teakettle]\nmaterial: {texture: t.png}\n")
    (folder / "t.png").write_bytes(b"\x89PNG one")
    before = object_digest(load_object(folder))
    touch(folder / "t.png", b"\x89PNG two")
    assert object_digest(load_object(folder)) != before


def test_a_gltf_hashes_its_external_buffers(tmp_path: Path) -> None:
    folder = tmp_path / "box"
    folder.mkdir()
    (folder / "box.gltf").write_text(json.dumps({"asset": {"version": "2.0"}, "buffers": [{"uri": "box%20data.bin"}]}))
    (folder / "box data.bin").write_bytes(b"\0" * 8)
    (folder / "object.yaml").write_text("name: box\nmesh: box.gltf\nlabels: [carton]\n")
    before = object_digest(load_object(folder))
    touch(folder / "box data.bin", b"\1" * 8)
    assert object_digest(load_object(folder)) != before


def test_built_in_objects_are_hashed_once_per_file(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = builtin_objects().values()
    first = object_digests(objects)
    assert len(set(first.values())) == len(first)

    def no_reading(self: Path) -> bytes:
        raise AssertionError(f"{self} read again although unchanged")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    assert object_digests(objects) == first


def test_an_output_folder_refuses_results_of_an_edited_object(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "out")
    store.prepare({"name": "x"}, {"kettle": "aaa", "mug": "bbb"})
    rows = {"id": ["1", "2", "3"], "object": ["kettle", "mug", "lamp"], "error": [None, None, "RenderError: no mesh"]}
    pq.write_table(pa.table(rows), store.results_dir / "part-0.parquet")
    store.prepare({"name": "x"}, {"mug": "bbb", "lamp": "ccc"})  # objects may come and go
    with pytest.raises(OutputMismatchError, match="object 'kettle' made before its files changed"):
        store.prepare({"name": "x"}, {"kettle": "zzz"})  # remembered from the first run
    with pytest.raises(OutputMismatchError, match="'mug'"):
        store.prepare({"name": "x"}, {"mug": "yyy", "lamp": "ccc"})
    store.prepare({"name": "x"}, {"lamp": "mended"})  # only failed rows of it: nothing judged to keep
    recorded = json.loads(store.config_path.read_text())["object_files"]
    assert recorded == {"kettle": "aaa", "mug": "bbb", "lamp": "mended"}
