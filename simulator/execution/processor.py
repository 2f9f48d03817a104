"""Render, post-process and judge batches of samples; one instance per process keeps its state.

One render feeds every model under test: each sample gives one row per model (`model` column), all
returned together so that a sample is stored whole or not at all.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from simulator.execution.judging import Judgement, ModelJudge, Render
from simulator.experiment import Experiment
from simulator.measurements import measure_render
from simulator.models.loading import LoadedModel
from simulator.render.base import Renderer
from simulator.render.pool import renderer_class
from simulator.render.quiet import native_stdout_silenced
from simulator.results.writer import atomic_write_bytes
from simulator.sample import Sample
from simulator.scene import Scene

log = logging.getLogger(__name__)


@dataclass
class _Rendered:
    sample: Sample
    render_s: float
    image_path: str | None = None
    error: str | None = None
    measured: dict[str, Any] = field(default_factory=dict)  # `<control>.<quantity>` -> value
    channels: dict[str, np.ndarray] = field(default_factory=dict)  # what the models and evaluators see
    scene: Scene | None = None


def _create_renderer(experiment: Experiment) -> Renderer:
    settings = experiment.render_settings()
    return renderer_class(settings.renderer)(settings)  # imports bpy or mitsuba only here, where rendering happens


def _encode_png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


class SampleProcessor:
    """Keeps the renderer and the models of one process; `process` turns samples into result rows.

    `model`: already loaded models by name (a single one stands for the experiment's first model);
    the others are loaded on first use.
    """

    def __init__(
        self,
        experiment: Experiment,
        image_dir: Path | None = None,
        model: LoadedModel | Mapping[str, LoadedModel] | None = None,
    ) -> None:
        self.experiment = experiment
        self.image_dir = image_dir
        self._measured_columns = experiment.measured_columns()
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._renderer: Renderer | None = None
        loaded = {experiment.models[0].name: model} if isinstance(model, LoadedModel) else dict(model or {})
        self.judges = [ModelJudge(spec, experiment.make_evaluator(), loaded.get(spec.name)) for spec in experiment.models]

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            with native_stdout_silenced():
                self._renderer = _create_renderer(self.experiment)
        return self._renderer

    def process(self, samples: list[Sample]) -> list[dict[str, Any]]:
        """One row per (sample, model), failures included (with `error` set); a sample's rows are adjacent."""
        rendered = [self._render(sample) for sample in samples]
        finished = [r for r in rendered if r.error is None]
        renders = [Render(r.sample, r.channels, r.scene) for r in finished]
        ids = [r.sample.id for r in finished]
        judged = {judge.name: dict(zip(ids, judge.judge(renders), strict=True)) for judge in self.judges}
        failed = Judgement({}, None)
        return [
            self._row(r, judge, judged[judge.name].get(r.sample.id, failed))
            for r in rendered
            for judge in self.judges
        ]

    def failed_rows(self, samples: list[Sample], error: str) -> list[dict[str, Any]]:
        """Error rows (one per model) for samples that could not be processed at all (e.g. a batch no worker finished)."""
        return [
            self._row(_Rendered(sample, 0.0, error=error), judge, Judgement({}, None))
            for sample in samples
            for judge in self.judges
        ]

    def _render(self, sample: Sample) -> _Rendered:
        start = time.perf_counter()
        try:
            scene = self.experiment.scene_for(sample.object, sample.environment, sample.params)
            renderer = self.renderer
            with native_stdout_silenced():
                channels = renderer.render(scene, sample.seed)
            measured = self._measure(channels, sample)
            rng = np.random.default_rng(sample.seed)
            for step in self.experiment.image_steps():
                channels = step.control.apply(channels, step.values(sample.params), rng)
            image_path = self._save(sample, channels["rgb"])
        except Exception as error:  # noqa: BLE001 - a failing sample becomes an error row
            log.warning("sample %s failed: %s", sample.id, error, exc_info=True)
            return _Rendered(sample, time.perf_counter() - start, error=f"{type(error).__name__}: {error}")
        return _Rendered(sample, time.perf_counter() - start, image_path, None, measured, dict(channels), scene)

    def _measure(self, channels: dict[str, np.ndarray], sample: Sample) -> dict[str, Any]:
        """Render measurements and what controls measure on the rendered channels (see `results.schema`)."""
        measured = measure_render(channels)
        for step in self.experiment.steps:
            if step.control.measures:
                values = step.control.measure(channels, step.values(sample.params))
                measured.update({f"{step.control.name}.{key}": value for key, value in values.items()})
        return measured

    def _save(self, sample: Sample, image: np.ndarray) -> str | None:
        if self.image_dir is None:
            return None
        self.image_dir.mkdir(parents=True, exist_ok=True)
        path = self.image_dir / f"{sample.id}.png"
        atomic_write_bytes(path, _encode_png(image))
        return str(path.relative_to(self.image_dir.parent))  # relative to the output folder

    def _row(self, rendered: _Rendered, judge: ModelJudge, judgement: Judgement) -> dict[str, Any]:
        sample = rendered.sample
        return {
            "experiment": sample.experiment,
            "id": sample.id,
            "seed": sample.seed,
            "object": sample.object,
            "environment": sample.environment,
            "renderer": self.experiment.config.render.renderer,
            "model": judge.name,
            "ask_index": sample.index,
            **sample.params,
            **{key: None for key in self._measured_columns},
            **rendered.measured,
            "label": list(judge.spec.labels[sample.object]),
            "label_names": judge.spec.label_names(sample.object),
            **judgement.columns,
            "render_s": rendered.render_s,
            "infer_s": judgement.infer_s,
            "worker": self.worker,
            "finished_at": datetime.now(timezone.utc),
            "image_path": rendered.image_path,
            "error": rendered.error or judgement.error,
        }

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
