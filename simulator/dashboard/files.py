"""The only files the dashboard serves: its own static page and saved renders, looked up safely."""

from __future__ import annotations

import re
from pathlib import Path

from simulator.results.images import saved_image

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
    regular file inside the output folder's own `images/` (see `results.images.saved_image`); else None."""
    if not IMAGE_ID.fullmatch(sample_id):
        return None
    return saved_image(images_dir.parent, f"{images_dir.name}/{sample_id}.png")


def static_file(url_path: str) -> tuple[Path, str] | None:
    """(file, content type) of one of the page's own files, by exact URL path; None for any other path."""
    entry = STATIC_FILES.get(url_path)
    return (STATIC_DIR / entry[0], entry[1]) if entry else None
