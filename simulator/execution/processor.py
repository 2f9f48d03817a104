"""Render, post-process and judge batches of samples; one instance per process keeps its state."""

from __future__ import annotations

import io
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from simulator.experiment import Experiment
from simulator.labels import imagenet_classes
from simulator.measurements import measure_render
from simulator.models.loading import LoadedModel, load_model
from simulator.render.base import Renderer
from simulator.render.pool import renderer_class
from simulator.render.quiet import native_stdout_silenced
from simulator.results.writer import atomic_write_bytes
from simulator.sample import Sample

log = logging.getLogger(__name__)


@dataclass
class _Rendered:
    sample: Sample
    image: np.ndarray | None
    render_s: float
    image_path: str | None = None
    error: str | None = None
    measured: dict[str, Any] = field(default_factory=dict)  # `<control>.<quantity>` -> value


def _create_renderer(experiment: Experiment) -> Renderer:
    settings = experiment.render_settings()
    return renderer_class(settings.renderer)(settings)  # imports bpy or mitsuba only here, where rendering happens


def _encode_png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


class SampleProcessor:
    """Keeps the renderer and the model of one process; `process` turns samples into result rows."""

    def __init__(self, experiment: Experiment, image_dir: Path | None = None, model: LoadedModel | None = None) -> None:
        self.experiment = experiment
        self.image_dir = image_dir
        self.evaluator = experiment.make_evaluator()
        self._measured_columns = experiment.measured_columns()
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._renderer: Renderer | None = None
        self._model = model

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            with native_stdout_silenced():
                self._renderer = _create_renderer(self.experiment)
        return self._renderer

    @property
    def model(self) -> LoadedModel:
        if self._model is None:
            self._model = load_model(self.experiment.config.model)
        return self._model

    def process(self, samples: list[Sample]) -> list[dict[str, Any]]:
        """One row per sample, failures included (with `error` set)."""
        rendered = [self._render(sample) for sample in samples]
        judged = [r for r in rendered if r.error is None]
        evaluations: list[dict[str, Any]] = []
        infer_s = None
        if judged:
            start = time.perf_counter()
            try:
                probabilities = self.model.predict([r.image for r in judged])
                accepted = [self.experiment.objects[r.sample.object].labels for r in judged]
                evaluations = self.evaluator.evaluate(probabilities, accepted)
                if len(evaluations) != len(judged):
                    raise ValueError(f"the evaluator returned {len(evaluations)} rows for {len(judged)} samples")
                infer_s = (time.perf_counter() - start) / len(judged)
            except Exception as error:  # noqa: BLE001 - a failing model must not lose the batch
                log.exception("inference failed for a batch of %d samples", len(judged))
                for r in judged:
                    r.error = f"inference: {type(error).__name__}: {error}"
                evaluations = []
        by_id = dict(zip((r.sample.id for r in judged if r.error is None), evaluations, strict=True))
        return [self._row(r, by_id.get(r.sample.id, {}), infer_s if r.sample.id in by_id else None) for r in rendered]

    def failed_rows(self, samples: list[Sample], error: str) -> list[dict[str, Any]]:
        """Error rows for samples that could not be processed at all (e.g. a batch no worker finished)."""
        return [self._row(_Rendered(sample, None, 0.0, error=error), {}, None) for sample in samples]

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
            image = channels["rgb"]
            image_path = self._save(sample, image)
        except Exception as error:  # noqa: BLE001 - a failing sample becomes an error row
            log.warning("sample %s failed: %s", sample.id, error, exc_info=True)
            return _Rendered(sample, None, time.perf_counter() - start, error=f"{type(error).__name__}: {error}")
        return _Rendered(sample, image, time.perf_counter() - start, image_path, measured=measured)

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

    def _row(self, rendered: _Rendered, evaluation: dict[str, Any], infer_s: float | None) -> dict[str, Any]:
        sample = rendered.sample
        labels = self.experiment.objects[sample.object].labels
        names = imagenet_classes()
        return {
            "experiment": sample.experiment,
            "id": sample.id,
            "seed": sample.seed,
            "object": sample.object,
            "environment": sample.environment,
            "renderer": self.experiment.config.render.renderer,
            "ask_index": sample.index,
            **sample.params,
            **{key: None for key in self._measured_columns},
            **rendered.measured,
            "label": list(labels),
            "label_names": [names[i] for i in labels],
            **evaluation,
            "render_s": rendered.render_s,
            "infer_s": infer_s,
            "worker": self.worker,
            "finished_at": datetime.now(timezone.utc),
            "image_path": rendered.image_path,
            "error": rendered.error,
        }

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
