"""Run everything in this process: the simplest executor, and the one tests and debugging use."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulator.execution.base import ExecutionSession, Executor
from simulator.execution.processor import SampleProcessor
from simulator.experiment import Experiment
from simulator.models.loading import LoadedModel
from simulator.sample import Sample


class _LocalSession(ExecutionSession):
    """Processes each batch when its rows are asked for, one at a time."""

    def __init__(self, processor: SampleProcessor) -> None:
        self._processor = processor
        self._queued: deque[list[Sample]] = deque()

    @property
    def capacity(self) -> int:
        return 1

    @property
    def in_flight(self) -> int:
        return len(self._queued)

    def submit(self, samples: list[Sample]) -> None:
        self._queued.append(samples)

    def next_finished(self) -> list[dict[str, Any]]:
        return self._processor.process(self._queued.popleft())

    def close(self) -> None:
        self._queued.clear()


class LocalExecutor(Executor):
    def __init__(self, model: LoadedModel | Mapping[str, LoadedModel] | None = None) -> None:
        self._model = model  # already loaded models by name (one: the first model) instead of loading them
        self._processor: SampleProcessor | None = None

    def open(self, experiment: Experiment, image_dir: Path | None) -> ExecutionSession:
        processor = self._processor
        if processor is None or processor.experiment is not experiment or processor.image_dir != image_dir:
            self.close()
            processor = self._processor = SampleProcessor(experiment, image_dir, self._model)
        return _LocalSession(processor)

    def close(self) -> None:
        if self._processor is not None:
            self._processor.close()
            self._processor = None
