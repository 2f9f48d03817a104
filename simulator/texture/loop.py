"""The optimization loop: Adam on the texture, checkpoints, resume.

Each step draws `batch` conditions, and for each renders the object (Mitsuba), encodes the
image to sRGB, adds fog if the condition says so, runs the model(s) and back-propagates loss / batch at once (Mitsuba's adjoint
pass needs the scene as it was rendered, so renders are not kept for a joint backward). Then the
total-variation term is added and Adam steps.

A checkpoint (`checkpoint.pt`) holds the texture, Adam's state, the iteration, the history and
torch's RNG state; conditions and Mitsuba seeds are functions of (seed, iteration), so a resumed
run continues exactly as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from simulator.experiment import Experiment
from simulator.models.loading import load_model
from simulator.texture.augment import fog
from simulator.texture.config import OptimizeConfig
from simulator.texture.loss import ModelEnsemble, TextureParameter, linear_to_srgb, total_variation
from simulator.texture.render import DifferentiableRenderer
from simulator.texture.sampling import ConditionSampler

CHECKPOINT = "checkpoint.pt"
ACCURACY_WINDOW = 50  # renders in the running accuracy


class CheckpointMismatchError(ValueError):
    """The output folder holds a checkpoint of a different configuration."""


@dataclass(frozen=True)
class StepRecord:
    """One optimization step, as written to history.csv."""

    iteration: int
    loss: float  # mean classification loss of the batch (before the step)
    tv: float
    accuracy: float  # share of the batch's renders classified correctly (top-1, first model)
    running_accuracy: float  # over the last ACCURACY_WINDOW renders
    render_s: float  # Mitsuba forward + adjoint
    model_s: float  # model forward + backward
    step_s: float


def initial_texture(experiment: Experiment, optimize: OptimizeConfig) -> torch.Tensor:
    """The starting texture, sRGB H x W x 3 in [0, 1]: the object's own, mid-gray, or an image file."""
    size = optimize.texture_resolution
    asset = next(iter(experiment.objects.values()))
    if optimize.init == "gray":
        return torch.full((size, size, 3), 0.5)
    path = asset.texture_path if optimize.init == "original" else Path(optimize.init)
    if path is None:
        linear = np.asarray(asset.base_color or (0.8, 0.8, 0.8), dtype=np.float32)
        srgb = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
        return torch.tensor(srgb, dtype=torch.float32).expand(size, size, 3).clone()
    image = Image.open(path).convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0)


def fingerprint(experiment: Experiment, optimize: OptimizeConfig) -> str:
    """A hash of everything that changes the optimization except the iteration count."""
    settings = {
        "experiment": experiment.config.model_dump(mode="json", exclude={"output", "cluster"}),
        "optimize": optimize.model_dump(mode="json", exclude={"iterations", "checkpoint_every"}),
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


class TextureOptimizer:
    """Holds the renderer, the model(s), the texture and Adam; `run` optimizes and checkpoints."""

    def __init__(self, experiment: Experiment, optimize: OptimizeConfig, output: Path) -> None:
        self.experiment, self.optimize, self.output = experiment, optimize, Path(output)
        self.renderer = DifferentiableRenderer(
            experiment,
            optimize.texture_resolution,
            optimize.spp,
            optimize.gradient_spp(),
            optimize.integrator,
            optimize.max_depth,
            optimize.device,
        )
        self.device = torch.device("cuda" if self.renderer.variant.startswith("cuda") else "cpu")
        models = [experiment.config.model, *optimize.extra_models]
        self.ensemble = ModelEnsemble([load_model(spec) for spec in models])
        self.labels = next(iter(experiment.objects.values())).labels
        self.sampler = ConditionSampler(
            experiment, optimize.seed, optimize.fog_probability, tuple(optimize.fog_severities)
        )
        torch.manual_seed(optimize.seed)
        start = initial_texture(experiment, optimize).to(self.device)
        self.texture = TextureParameter(start, optimize.color_range, optimize.parametrization)
        self.adam = torch.optim.Adam(self.texture.parameters(), lr=optimize.lr)
        self.iteration = 0
        self.at_step_boundary = True  # False only while an update is half applied (see `step`)
        self.history: list[StepRecord] = []
        self.fingerprint = fingerprint(experiment, optimize)

    # ------------------------------------------------------------------ one step

    def step(self) -> StepRecord:
        """One Adam step on `batch` fresh renders."""
        started = time.perf_counter()
        self.adam.zero_grad(set_to_none=True)
        batch = self.sampler.batch(self.iteration, self.optimize.batch)
        losses, hits, render_s, model_s = [], [], 0.0, 0.0
        for index, condition in enumerate(batch):
            linear = self.texture.linear()
            tick = time.perf_counter()
            image = self.renderer.render(linear, condition.scene, condition.seed)
            srgb = linear_to_srgb(image).permute(2, 0, 1).unsqueeze(0)
            if condition.fog_severity is not None:
                srgb = fog(srgb, condition.fog_severity, self.sampler.fog_rng(self.iteration, index))
            rendered = time.perf_counter()
            loss, hit = self.ensemble.loss_and_hits(srgb, self.labels)
            (loss.sum() / len(batch)).backward()
            render_s += rendered - tick
            model_s += time.perf_counter() - rendered
            losses.append(float(loss.detach().sum()))
            hits.append(bool(hit[0]))
        tv = total_variation(self.texture.srgb())
        if self.optimize.tv_weight > 0:
            (self.optimize.tv_weight * tv).backward()
        self.at_step_boundary = False  # texture, Adam state and iteration change together
        self.adam.step()
        self.texture.project()
        self.iteration += 1
        self.at_step_boundary = True
        accuracy = float(np.mean(hits))
        steps = max(1, ACCURACY_WINDOW // len(batch))  # steps in the running-accuracy window
        recent = [r.accuracy for r in self.history[max(0, len(self.history) - steps + 1) :]] if steps > 1 else []
        record = StepRecord(
            iteration=self.iteration,
            loss=float(np.mean(losses)),
            tv=float(tv.detach()),
            accuracy=accuracy,
            running_accuracy=float(np.mean([*recent, accuracy])),
            render_s=render_s,
            model_s=model_s,
            step_s=time.perf_counter() - started,
        )
        self.history.append(record)
        return record

    def run(self, on_step: Callable[[StepRecord], None] | None = None) -> None:
        """Step until `optimize.iterations` (checkpointing every `checkpoint_every` and at the end)."""
        while self.iteration < self.optimize.iterations:
            record = self.step()
            if on_step is not None:
                on_step(record)
            if self.iteration % self.optimize.checkpoint_every == 0:
                self.save_checkpoint()
        self.save_checkpoint()

    # ------------------------------------------------------------------ checkpoints

    def texture_srgb(self) -> np.ndarray:
        """The current texture as an 8-bit sRGB H x W x 3 array (what texture.png holds)."""
        srgb = self.texture.srgb().detach().cpu().numpy()
        return np.clip(np.rint(srgb * 255.0), 0, 255).astype(np.uint8)

    def save_checkpoint(self) -> Path:
        """Write checkpoint.pt and texture.png atomically (temporary file, then rename)."""
        self.output.mkdir(parents=True, exist_ok=True)
        state = {
            "fingerprint": self.fingerprint,
            "iteration": self.iteration,
            "texture": self.texture.state_dict(),
            "adam": self.adam.state_dict(),
            "history": [asdict(record) for record in self.history],
            "torch_rng": torch.get_rng_state(),
        }
        path = self.output / CHECKPOINT
        _atomic(path, lambda tmp: torch.save(state, tmp))
        _atomic(self.output / "texture.png", lambda tmp: Image.fromarray(self.texture_srgb()).save(tmp, format="PNG"))
        return path

    def load_checkpoint(self) -> bool:
        """Continue from output/checkpoint.pt if there is one (True); refuse one of another config."""
        path = self.output / CHECKPOINT
        if not path.is_file():
            return False
        state = torch.load(path, map_location=self.device, weights_only=False)
        if state["fingerprint"] != self.fingerprint:
            raise CheckpointMismatchError(
                f"{path} was written for a different configuration (only `optimize.iterations` may change "
                "between runs); use another output folder or delete the checkpoint"
            )
        self.texture.load_state_dict(state["texture"])
        self.adam.load_state_dict(state["adam"])
        self.iteration = int(state["iteration"])
        self.history = [StepRecord(**row) for row in state["history"]]
        torch.set_rng_state(state["torch_rng"].cpu())  # map_location moved it to the device
        return True


def _atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """`write` to a temporary file beside `path`, then rename it over `path` (removed if writing fails)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
