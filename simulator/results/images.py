"""Saved renders of an output folder, looked up so that nothing outside its `images/` folder is read.

A results row's `image_path` is relative to the output folder (`images/<id>.png`). Rows may come from
anywhere (a results folder is data someone sent), so a path is only followed when it is relative,
has no `..`, and resolves (symlinks included) to a regular file inside the folder's own `images/`.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

IMAGES_DIR = "images"


def images_folder(root: str | Path) -> Path | None:
    """`root/images`, resolved, when it is a real folder inside `root` (not a link to elsewhere)."""
    base = Path(root).resolve()
    folder = (base / IMAGES_DIR).resolve()
    if folder.parent != base or not folder.is_dir():
        return None
    return folder


def saved_image(root: str | Path, relative: object) -> Path | None:
    """The resolved file a row's `image_path` names, or None when it is missing, absolute, climbs out
    with `..`, or leads (through a link or otherwise) outside `root/images`."""
    if not isinstance(relative, str) or not relative or "\\" in relative or "\0" in relative:
        return None
    parts = PurePosixPath(relative).parts
    if PurePosixPath(relative).is_absolute() or ".." in parts or len(parts) < 2 or parts[0] != IMAGES_DIR:
        return None
    folder = images_folder(root)
    if folder is None:
        return None
    path = (folder / PurePosixPath(*parts[1:])).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path
