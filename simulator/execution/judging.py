"""One model under test in a worker: runs it on a batch of renders and has the evaluator judge each."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.evaluators.base import EvaluationInput, Evaluator
from simulator.models.classes import ModelSpec
from simulator.models.loading import LoadedModel, load_model
from simulator.sample import Sample
from simulator.scene import Scene

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Render:
    """A finished render, as the models see it."""

    sample: Sample
    channels: Mapping[str, np.ndarray]  # rgb after image controls, the other channels as rendered
    scene: Scene | None


@dataclass(frozen=True)
class Judgement:
    """What one model's evaluator wrote for one render, or why there is nothing."""

    columns: dict[str, Any]
    infer_s: float | None
    error: str | None = None


class ModelJudge:
    """A model (loaded on first use, then kept) and its own evaluator instance."""

    def __init__(self, spec: ModelSpec, evaluator: Evaluator, model: LoadedModel | None = None) -> None:
        self.spec = spec
        self.evaluator = evaluator
        self._model = model

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def model(self) -> LoadedModel:
        if self._model is None:
            self._model = load_model(self.spec.config)
        return self._model

    def judge(self, renders: Sequence[Render]) -> list[Judgement]:
        """One judgement per render; a failing model or evaluator marks the whole batch failed for it."""
        if not renders:
            return []
        start = time.perf_counter()
        try:
            images = [render.channels["rgb"] for render in renders]
            outputs = self.model.raw(images) if self.evaluator.output == "raw" else list(self.model.predict(images))
            inputs = [self._input(render, output) for render, output in zip(renders, outputs, strict=True)]
            rows = self.evaluator.judge(inputs)
            if len(rows) != len(renders):
                raise ValueError(f"the evaluator returned {len(rows)} rows for {len(renders)} samples")
        except Exception as error:  # noqa: BLE001 - a failing model must not lose the batch (nor the other models)
            log.exception("model %s failed on a batch of %d samples", self.name, len(renders))
            return [Judgement({}, None, f"inference ({self.name}): {type(error).__name__}: {error}") for _ in renders]
        infer_s = (time.perf_counter() - start) / len(renders)
        return [Judgement(row, infer_s) for row in rows]

    def _input(self, render: Render, output: Any) -> EvaluationInput:
        obj = render.sample.object
        return EvaluationInput(
            output, render.sample, render.channels, render.scene, self.spec.labels[obj], self.spec.class_names, self.name
        )
