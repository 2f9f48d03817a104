"""Unadversarial 2D patches: a sticker, pasted at a random place, size and angle, that makes a
model see one class; optimized with Adam through a differentiable paste (affine_grid + grid_sample).

A patch file:

    name: mug_sticker
    model: default                  # the same `model:` block as an experiment
    patch:
      label: coffee mug             # the class the sticker stands for
      accepted: [coffee mug, cup]   # classes counted correct (default: [label])
      images: ../results/demo       # a folder of .png/.jpg, or a `robustsim run` folder with saved images
      object: coffee_mug            # with a results folder: only this object's images
      holdout: 0.5                  # share of the images kept for evaluation (never trained on)
      resolution: 224               # images are resized (shorter side) and centre-cropped to this
      patch_resolution: 64          # the sticker is N x N texels
      size: 0.2                     # sticker side / image side at scale 1
      scale: {min: 0.8, max: 1.2}
      rotation: {min: -45, max: 45} # degrees
      iterations: 200
      batch: 8
      lr: 0.05
      color_range: [0.0, 1.0]
      seed: 0
      placements: 4                 # random placements per held-out image in the evaluation
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from PIL import Image
from pydantic import Field, ValidationError, field_validator, model_validator

from simulator.analysis.stats import wilson_interval
from simulator.config import ConfigError, ModelConfig, StrictModel, describe_problem, read_config_file
from simulator.labels import UnknownLabelError, resolve_label
from simulator.models.loading import load_model
from simulator.texture.loss import ModelEnsemble, TextureParameter

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


class Range(StrictModel):
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class PatchSettings(StrictModel):
    """The `patch:` section (see the module docstring)."""

    label: str | int
    accepted: list[str | int] | None = None
    images: Path
    object: str | None = None
    holdout: float = Field(0.5, gt=0, lt=1)
    resolution: int = Field(224, ge=16, le=2048)
    patch_resolution: int = Field(64, ge=2, le=1024)
    size: float = Field(0.2, gt=0, le=1)
    scale: Range = Range(min=0.8, max=1.2)
    rotation: Range = Range(min=-45, max=45)
    iterations: int = Field(200, ge=1, le=1_000_000)
    batch: int = Field(8, ge=1, le=1024)
    lr: float = Field(0.05, gt=0, le=10)
    color_range: tuple[float, float] = (0.0, 1.0)
    seed: int = Field(0, ge=0)
    placements: int = Field(4, ge=1, le=1000)

    @field_validator("label", "accepted")
    @classmethod
    def _known_labels(cls, value: str | int | list[str | int] | None) -> str | int | list[str | int] | None:
        for label in value if isinstance(value, list) else [] if value is None else [value]:
            try:
                resolve_label(label)
            except UnknownLabelError as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("images")
    @classmethod
    def _existing_folder(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"{value} is not a folder (give a folder of images or a `robustsim run` output folder)")
        return value

    def accepted_ids(self) -> tuple[int, ...]:
        """The ImageNet class ids that count as correct: `accepted`, else `label`."""
        return tuple(resolve_label(label) for label in (self.accepted or [self.label]))


class PatchFileConfig(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)
    model: ModelConfig = Field(default_factory=ModelConfig)
    patch: PatchSettings

    @field_validator("model", mode="before")
    @classmethod
    def _default_keyword(cls, value: Any) -> Any:
        return {} if value in ("default", None) else value


def load_patch_config(path: str | Path) -> PatchFileConfig:
    """Read and check a patch file (ConfigError listing every problem, before any work)."""
    source = str(path)
    raw = read_config_file(Path(path))
    section = raw.get("patch")
    if isinstance(section, dict) and isinstance(section.get("images"), str):
        images = Path(section["images"]).expanduser()
        raw["patch"] = {**section, "images": str(images if images.is_absolute() else Path(path).resolve().parent / images)}
    try:
        config = PatchFileConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(source, [describe_problem(e) for e in error.errors()]) from None
    if len(find_images(config.patch)) < 2:
        raise ConfigError(source, [("patch.images", f"fewer than 2 images found in {config.patch.images}")])
    return config


def find_images(settings: PatchSettings) -> list[Path]:
    """The image files: a results folder's saved images (of `object`, if given), else the folder's images."""
    folder = settings.images
    if (folder / "results").is_dir():
        frame = pd.read_parquet(folder / "results", columns=["object", "image_path"])
        frame = frame[frame["image_path"].notna()]
        if settings.object is not None:
            frame = frame[frame["object"] == settings.object]
        return sorted(folder / path for path in frame["image_path"])
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def load_image(path: Path, resolution: int) -> torch.Tensor:
    """An image as a 3 x R x R sRGB tensor: shorter side resized to R, centre-cropped."""
    image = Image.open(path).convert("RGB")
    scale = resolution / min(image.size)
    size = (max(resolution, round(image.width * scale)), max(resolution, round(image.height * scale)))
    image = image.resize(size, Image.Resampling.BILINEAR)
    left, top = (image.width - resolution) // 2, (image.height - resolution) // 2
    image = image.crop((left, top, left + resolution, top + resolution))
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)


@dataclass(frozen=True)
class Placement:
    x: float  # centre, -1..1 across the image (right)
    y: float  # centre, -1..1 (down)
    scale: float
    rotation: float  # degrees


def random_placements(settings: PatchSettings, count: int, rng: np.random.Generator) -> list[Placement]:
    """Placements with the sticker's centre far enough in that its unrotated square stays inside."""
    placements = []
    for _ in range(count):
        scale = rng.uniform(settings.scale.min, settings.scale.max)
        half = min(settings.size * scale, 1.0)
        x, y = rng.uniform(-1 + half, 1 - half, size=2) if half < 1 else (0.0, 0.0)
        placements.append(Placement(float(x), float(y), float(scale), float(rng.uniform(settings.rotation.min, settings.rotation.max))))
    return placements


def paste(images: torch.Tensor, patch: torch.Tensor, placements: list[Placement], size: float) -> torch.Tensor:
    """`images` (N x 3 x H x W) with `patch` (3 x h x w) pasted at each placement, differentiably.

    The sticker's side is `size * scale` of the image side; bilinear sampling, hard square edges.
    """
    thetas = []
    for placement in placements:
        half = size * placement.scale  # half side in normalized [-1, 1] units
        angle = math.radians(placement.rotation)
        cos, sin = math.cos(angle), math.sin(angle)
        rotation = torch.tensor([[cos, sin], [-sin, cos]]) / half  # output -> sticker coordinates
        centre = torch.tensor([placement.x, placement.y])
        thetas.append(torch.cat([rotation, (-rotation @ centre)[:, None]], dim=1))
    theta = torch.stack(thetas).to(images)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    rgba = torch.cat([patch, torch.ones_like(patch[:1])]).unsqueeze(0).expand(len(images), -1, -1, -1)
    pasted = F.grid_sample(rgba, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    mask = pasted[:, 3:]
    return mask * pasted[:, :3] + (1 - mask) * images


def split_images(paths: list[Path], holdout: float, seed: int) -> tuple[list[Path], list[Path]]:
    """(train, held-out) by a seeded shuffle; at least one of each."""
    order = np.random.default_rng(seed).permutation(len(paths))
    held = min(len(paths) - 1, max(1, round(holdout * len(paths))))
    return [paths[i] for i in sorted(order[held:])], [paths[i] for i in sorted(order[:held])]


class PatchOptimizer:
    """Adam on the sticker's texels; `evaluate` scores held-out images with and without it."""

    def __init__(self, config: PatchFileConfig) -> None:
        self.config, self.settings = config, config.patch
        self.ensemble = ModelEnsemble([load_model(config.model)])
        self.device = self.ensemble.models[0].device
        self.labels = self.settings.accepted_ids()
        self.train_paths, self.test_paths = split_images(find_images(self.settings), self.settings.holdout, self.settings.seed)
        self.train = torch.stack([load_image(p, self.settings.resolution) for p in self.train_paths])
        torch.manual_seed(self.settings.seed)
        side = self.settings.patch_resolution
        start = (0.5 + 0.1 * torch.randn(side, side, 3)).clamp(0, 1)
        self.patch = TextureParameter(start, self.settings.color_range, "sigmoid")
        self.adam = torch.optim.Adam(self.patch.parameters(), lr=self.settings.lr)
        self.history: list[dict[str, float]] = []

    def patch_chw(self) -> torch.Tensor:
        """The patch as a 3 x H x W sRGB tensor."""
        return self.patch.srgb().permute(2, 0, 1)

    def step(self, iteration: int) -> dict[str, float]:
        """One Adam step on a batch of training images with random placements; the step's loss and accuracy."""
        rng = np.random.default_rng([self.settings.seed, iteration])
        started = time.perf_counter()
        index = rng.integers(len(self.train), size=self.settings.batch)
        placements = random_placements(self.settings, self.settings.batch, rng)
        images = paste(self.train[index], self.patch_chw(), placements, self.settings.size)
        self.adam.zero_grad(set_to_none=True)
        loss, hits = self.ensemble.loss_and_hits(images.to(self.device), self.labels)
        loss.mean().backward()
        self.adam.step()
        record = {
            "iteration": iteration + 1,
            "loss": float(loss.detach().mean()),
            "accuracy": float(hits.float().mean()),
            "step_s": time.perf_counter() - started,
        }
        self.history.append(record)
        return record

    @torch.no_grad()
    def evaluate(self) -> pd.DataFrame:
        """One row per held-out image and placement: correct with the patch, and without it."""
        rng = np.random.default_rng([self.settings.seed, 1_000_003])
        rows = []
        for path in self.test_paths:
            image = load_image(path, self.settings.resolution).unsqueeze(0)
            placements = random_placements(self.settings, self.settings.placements, rng)
            batch = torch.cat([image, paste(image.expand(len(placements), -1, -1, -1), self.patch_chw(), placements, self.settings.size)])
            loss, hits = self.ensemble.loss_and_hits(batch.to(self.device), self.labels)
            rows.append({"image": path.name, "placement": -1, "patched": False, "correct": bool(hits[0]), "loss": float(loss[0])})
            rows += [
                {"image": path.name, "placement": i, "patched": True, "correct": bool(hits[i + 1]), "loss": float(loss[i + 1])}
                for i in range(len(placements))
            ]
        return pd.DataFrame(rows)


def accuracy_with_intervals(evaluation: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Top-1 accuracy and its 95% Wilson interval, with and without the patch."""
    result = {}
    for patched, group in evaluation.groupby("patched"):
        k, n = int(group["correct"].sum()), len(group)
        low, high = wilson_interval(k, n)
        result["patched" if patched else "clean"] = {"n": n, "accuracy": k / n, "low": float(low), "high": float(high)}
    return result


def write_patch_outputs(optimizer: PatchOptimizer, evaluation: pd.DataFrame, output: Path) -> dict[str, Any]:
    """patch.png, history.csv, evaluation.csv, summary.json and summary.md."""
    output.mkdir(parents=True, exist_ok=True)
    srgb = optimizer.patch.srgb().detach().cpu().numpy()
    Image.fromarray(np.clip(np.rint(srgb * 255), 0, 255).astype(np.uint8)).save(output / "patch.png")
    pd.DataFrame(optimizer.history).to_csv(output / "history.csv", index=False)
    evaluation.to_csv(output / "evaluation.csv", index=False)
    summary = {
        "train_images": len(optimizer.train_paths),
        "held_out_images": len(optimizer.test_paths),
        "accuracy": accuracy_with_intervals(evaluation),
    }
    (output / "summary.json").write_text(json.dumps(summary, indent=2))
    lines = [f"# Unadversarial patch: {optimizer.config.name}", "", "![patch](patch.png)", "",
             "| held-out images | n | top-1 | 95% Wilson interval |", "| --- | --- | --- | --- |"]
    for key, value in summary["accuracy"].items():
        lines.append(f"| {key} | {value['n']} | {value['accuracy']:.2f} | [{value['low']:.2f}, {value['high']:.2f}] |")
    (output / "summary.md").write_text("\n".join(lines) + "\n")
    return summary
