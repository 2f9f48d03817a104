"""The one interface the run driver needs from an execution backend."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from simulator.experiment import Experiment
from simulator.sample import Sample


class Executor(ABC):
    """Runs batches of samples (each batch one object and environment) and yields their rows."""

    @abstractmethod
    def run(
        self, experiment: Experiment, batches: Iterable[list[Sample]], image_dir: Path | None
    ) -> Iterator[list[dict[str, Any]]]:
        """Rows of each batch as it completes (not necessarily in submission order)."""

    def close(self) -> None:
        """Release workers."""
