"""Run everything in this process: the simplest executor, and the one tests and debugging use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from simulator.execution.base import Executor
from simulator.execution.processor import SampleProcessor
from simulator.experiment import Experiment
from simulator.models.loading import LoadedModel
from simulator.sample import Sample


class LocalExecutor(Executor):
    def __init__(self, model: LoadedModel | None = None) -> None:
        self._model = model  # an already loaded model to use instead of loading one
        self._processor: SampleProcessor | None = None

    def run(
        self, experiment: Experiment, batches: Iterable[list[Sample]], image_dir: Path | None
    ) -> Iterator[list[dict[str, Any]]]:
        if self._processor is None or self._processor.experiment is not experiment:
            self.close()
            self._processor = SampleProcessor(experiment, image_dir, self._model)
        for batch in batches:
            yield self._processor.process(batch)

    def close(self) -> None:
        if self._processor is not None:
            self._processor.close()
            self._processor = None
