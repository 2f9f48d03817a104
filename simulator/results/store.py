"""The layout of an output folder and the guard against mixing experiments in one.

    DIR/experiment.json   the resolved configuration the results were produced with
    DIR/results/          the Parquet dataset (part-*.parquet)
    DIR/images/           renders, when save_images is on (<id>.png)
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulator.results.errors import OutputFolderError, OutputMismatchError
from simulator.results.reader import read_results
from simulator.results.writer import atomic_write_bytes

__all__ = ["OUTCOME_SECTIONS", "OutputFolderError", "OutputMismatchError", "ResultsStore", "writable_folder"]

# Sections that change what a sample's row would contain without changing its id.
OUTCOME_SECTIONS = ("name", "render", "model", "evaluator")
OBJECT_FILES = "object_files"  # experiment.json's key of each object's content hash (simulator.object_digest)


def writable_folder(directory: Path) -> Path:
    """Create `directory` (and its parents) and check a file can be written in it; OutputFolderError
    when it lies below a file, cannot be created or cannot be written."""
    directory = Path(directory)
    blocking = next((p for p in (directory, *directory.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise OutputFolderError(f"cannot use output folder {directory}: {blocking} is a file, not a folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        raise OutputFolderError(
            f"cannot write to output folder {directory}: {error.strerror or error}; choose another one (-o)"
        ) from None
    return directory


class ResultsStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.results_dir = self.directory / "results"
        self.images_dir = self.directory / "images"
        self.config_path = self.directory / "experiment.json"

    def prepare(self, config: dict[str, Any], objects: Mapping[str, str] | None = None) -> None:
        """Create the folder, or check that results already in it came from the same set-up and the same
        object files (`objects`: each object's content hash by name); every folder it writes to must be
        writable (OutputFolderError), all before anything renders."""
        writable_folder(self.directory)
        previous = self._previous_config() or {}
        changed = [key for key in OUTCOME_SECTIONS if previous and previous.get(key) != config.get(key)]
        if changed:
            raise OutputMismatchError(
                f"{self.directory} holds results made with a different {', '.join(changed)}; "
                "choose another output folder (-o) or delete this one"
            )
        hashes = previous.get(OBJECT_FILES) if isinstance(previous.get(OBJECT_FILES), dict) else {}
        edited = [name for name, digest in (objects or {}).items() if hashes.get(name, digest) != digest]
        edited = [name for name in edited if name in self._judged_objects()] if edited else []  # mending a broken one is fine
        if edited:
            raise OutputMismatchError(
                f"{self.directory} holds results of object {', '.join(map(repr, edited))} made before its files "
                "changed (object.yaml, mesh, textures or .mtl); choose another output folder (-o) or delete this one"
            )
        writable_folder(self.results_dir)
        if self.images_dir.exists():
            writable_folder(self.images_dir)
        recorded = {**config, OBJECT_FILES: {**hashes, **(objects or {})}}  # objects of earlier runs stay checked
        atomic_write_bytes(self.config_path, json.dumps(recorded, indent=2, default=str).encode())

    def _judged_objects(self) -> set[str]:
        """Objects with at least one row that rendered and was judged (failed rows hold no result to keep)."""
        rows = read_results(self.results_dir, columns=["object", "error"])
        return set(rows.loc[rows["error"].isna(), "object"]) if not rows.empty else set()

    def _previous_config(self) -> dict[str, Any] | None:
        """The experiment.json of earlier results (None when there is none)."""
        if not self.config_path.exists():
            return None
        try:
            previous = json.loads(self.config_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise OutputFolderError(
                f"{self.config_path} cannot be read ({error}); it records how the results in this folder were "
                "made: restore it, or choose another output folder (-o)"
            ) from None
        if not isinstance(previous, dict):
            raise OutputFolderError(f"{self.config_path} is not a JSON object; restore it or choose another output folder (-o)")
        return previous

    def image_path(self, sample_id: str) -> Path:
        return self.images_dir / f"{sample_id}.png"
