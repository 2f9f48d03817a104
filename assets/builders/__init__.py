"""Procedural builders of the built-in objects under `assets/objects/`.

Every object is generated here from code (numpy geometry, Pillow textures); nothing is
downloaded. Regenerate them all with

    python -m assets.builders [--out DIR] [NAME ...]

Each builder writes `object.yaml`, `mesh.ply` and, if it has one, `texture.png` into its
own folder under the output directory. The output is deterministic: the same code gives
the same bytes, which tests/unit/test_builtin_assets.py checks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

BuildFunction = Callable[[Path], None]

BUILDERS: dict[str, BuildFunction] = {}


def builder(name: str) -> Callable[[BuildFunction], BuildFunction]:
    """Register a function that writes the object `name` into the folder it is given."""

    def register(function: BuildFunction) -> BuildFunction:
        if name in BUILDERS:
            raise ValueError(f"two builders for {name!r}")
        BUILDERS[name] = function
        return function

    return register


def _load_all() -> None:
    # Imported for their @builder registrations.
    from assets.builders import balls, containers, fruit  # noqa: F401


def registry() -> dict[str, BuildFunction]:
    """Every builder by object name."""
    _load_all()
    return dict(BUILDERS)


def default_output_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "objects"


def build(names: list[str] | None = None, out_dir: Path | None = None) -> list[Path]:
    """Build the named objects (all by default) into `out_dir`/<name>/; returns the folders."""
    builders = registry()
    out_dir = Path(out_dir) if out_dir is not None else default_output_dir()
    unknown = sorted(set(names or []) - set(builders))
    if unknown:
        raise KeyError(f"no builder for {unknown}; known: {sorted(builders)}")
    folders = []
    for name in sorted(names or builders):
        folder = out_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        builders[name](folder)
        folders.append(folder)
    return folders
