"""The one interface the search loop needs from an execution backend."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from simulator.experiment import Experiment
from simulator.sample import Sample


class ExecutionSession(ABC):
    """One run's batches on an executor: submit batches (each one object and environment), take rows back."""

    @property
    @abstractmethod
    def capacity(self) -> int:
        """How many unfinished batches it wants at once: enough to keep every worker busy, no more."""

    @property
    @abstractmethod
    def in_flight(self) -> int:
        """Batches submitted and not yet returned by `next_finished`."""

    @abstractmethod
    def submit(self, samples: list[Sample]) -> None:
        """Queue a batch of samples of one (object, environment) pair."""

    @abstractmethod
    def next_finished(self) -> list[dict[str, Any]]:
        """Rows of one finished batch, failures included (blocks; batches finish in any order)."""

    def close(self) -> None:
        """Drop what is still in flight."""


class Executor(ABC):
    """Where batches run: in this process, or on a Dask cluster."""

    @abstractmethod
    def open(self, experiment: Experiment, image_dir: Path | None) -> ExecutionSession:
        """A session that renders and judges `experiment`'s samples (renders saved to `image_dir` if set)."""

    def close(self) -> None:
        """Release workers."""
