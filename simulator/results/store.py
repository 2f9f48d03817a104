"""The layout of an output folder and the guard against mixing experiments in one.

    DIR/experiment.json   the resolved configuration the results were produced with
    DIR/results/          the Parquet dataset (part-*.parquet)
    DIR/images/           renders, when save_images is on (<id>.png)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.results.writer import atomic_write_bytes

# Sections that change what a sample's row would contain without changing its id.
OUTCOME_SECTIONS = ("name", "render", "model", "evaluator")


class OutputMismatchError(ValueError):
    """The output folder holds results of a different experiment or set-up."""


class ResultsStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.results_dir = self.directory / "results"
        self.images_dir = self.directory / "images"
        self.config_path = self.directory / "experiment.json"

    def prepare(self, config: dict[str, Any]) -> None:
        """Create the folder, or check that results already in it came from the same set-up."""
        if self.config_path.exists():
            previous = json.loads(self.config_path.read_text())
            changed = [key for key in OUTCOME_SECTIONS if previous.get(key) != config.get(key)]
            if changed:
                raise OutputMismatchError(
                    f"{self.directory} holds results made with a different {', '.join(changed)}; "
                    "choose another output folder (-o) or delete this one"
                )
        self.results_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.config_path, json.dumps(config, indent=2, default=str).encode())

    def image_path(self, sample_id: str) -> Path:
        return self.images_dir / f"{sample_id}.png"
