"""A content hash of each object: what its object.yaml declares and the bytes of every file it renders from.

The files are the mesh, the texture, an `.obj`'s `.mtl` libraries and the images they name, and a
`.gltf`'s external buffers and images. A file's hash is kept for as long as its path, modification
time and size stay the same, so hashing the built-in objects again costs a few `stat` calls.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote

from simulator.scene import ObjectAsset

MTL_MAPS = re.compile(rb"^\s*(map_\w+|bump|disp|decal|refl|norm)\s+(.+?)\s*$", re.MULTILINE)
MTLLIB = re.compile(rb"^\s*mtllib\s+(.+?)\s*$", re.MULTILINE)
_files: dict[Path, tuple[tuple[int, int], str, tuple[Path, ...]]] = {}  # path -> (mtime, size), hash, files it names


def object_digests(assets: Iterable[ObjectAsset]) -> dict[str, str]:
    """Each object's content hash, by object name."""
    return {asset.name: object_digest(asset) for asset in assets}


def object_digest(asset: ObjectAsset) -> str:
    """A hash that changes when the object's description or any file it is rendered from changes."""
    declared = {f.name: getattr(asset, f.name) for f in dataclasses.fields(asset) if not f.name.endswith("_path")}
    digest = hashlib.sha256(json.dumps(declared, default=repr, sort_keys=True).encode())
    roots = [asset.mesh_path] + ([asset.texture_path] if asset.texture_path is not None else [])
    for path in _with_named_files(roots):
        digest.update(f"\0{path.name}\0{file_digest(path)}".encode())
    return digest.hexdigest()[:20]


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes ('missing' when it does not exist), cached by modification time and size."""
    return _scan(path)[0]


def _with_named_files(roots: list[Path]) -> list[Path]:
    """`roots` and every file they name, recursively (an .obj names .mtl files, which name images), once each."""
    found: list[Path] = []
    pending = list(roots)
    while pending:
        path = pending.pop(0)
        if path not in found:
            found.append(path)
            pending.extend(_scan(path)[1])
    return found


def _scan(path: Path) -> tuple[str, tuple[Path, ...]]:
    """(hash, files named inside) of `path`, from the cache while the file is unchanged."""
    try:
        stat = path.stat()
    except OSError:
        return "missing", ()
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _files.get(path)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    data = path.read_bytes()
    result = hashlib.sha256(data).hexdigest(), _named_files(path, data)
    _files[path] = (key, *result)
    return result


def _named_files(path: Path, data: bytes) -> tuple[Path, ...]:
    """Files an .obj (mtllib), .mtl (texture maps) or .gltf (external buffers, images) refers to."""
    suffix = path.suffix.lower()
    if suffix == ".obj":
        names = [name for match in MTLLIB.finditer(data) for name in match.group(1).decode(errors="replace").split()]
    elif suffix == ".mtl":
        names = [match.group(2).decode(errors="replace").split()[-1] for match in MTL_MAPS.finditer(data)]
    elif suffix == ".gltf":
        names = _gltf_uris(data)
    else:
        return ()
    return tuple((path.parent / name).resolve() for name in names)


def _gltf_uris(data: bytes) -> list[str]:
    try:
        document = json.loads(data)
    except ValueError:
        return []
    entries = [*document.get("buffers", []), *document.get("images", [])] if isinstance(document, dict) else []
    uris = [entry.get("uri") for entry in entries if isinstance(entry, dict)]
    return [unquote(uri) for uri in uris if isinstance(uri, str) and not uri.startswith("data:")]
