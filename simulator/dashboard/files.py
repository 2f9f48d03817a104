"""The only files the dashboard serves: its own static page and saved renders, looked up safely."""

from __future__ import annotations

import re
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {  # URL path -> (file in static/, content type)
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
}
# Sample ids are hex digests; anything with a dot, slash, percent sign or other character is refused.
IMAGE_ID = re.compile(r"[0-9A-Za-z_-]{1,128}")


def image_file(images_dir: Path, sample_id: str) -> Path | None:
    """`images_dir/<sample_id>.png` when the id is well formed and the file, symlinks resolved, is a
    regular file inside `images_dir`; otherwise None."""
    if not IMAGE_ID.fullmatch(sample_id):
        return None
    folder = images_dir.resolve()
    path = (folder / f"{sample_id}.png").resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path


def static_file(url_path: str) -> tuple[Path, str] | None:
    """(file, content type) of one of the page's own files, by exact URL path; None for any other path."""
    entry = STATIC_FILES.get(url_path)
    return (STATIC_DIR / entry[0], entry[1]) if entry else None
