"""The `optimize:` section of a texture file, and loading a whole texture file.

A texture file is an experiment file (same `objects`, `environments`, `controls`, `model`,
`render` sections, same `base:` inheritance and error style) plus an `optimize:` section:

    optimize:
      iterations: 300          # Adam steps
      batch: 2                 # renders per step (gradients averaged)
      lr: 0.05                 # Adam learning rate (on the texture's logits, or its sRGB values)
      texture_resolution: 128  # the optimized texture is N x N texels
      spp: 8                   # samples per pixel of the primal render
      spp_grad: 8              # samples per pixel of the gradient (adjoint) pass
      seed: 0
      init: original           # original (the object's own texture) | gray | path to an image
      color_range: [0.05, 0.95]  # printable sRGB range of every texel
      parametrization: sigmoid   # sigmoid (texel = lo + (hi - lo) * sigmoid(z)) | clamp (projected)
      tv_weight: 0.0           # weight of the total-variation prior
      extra_models: []         # more `model:` blocks; the loss is averaged over all models
      max_depth: 3             # path length of the Mitsuba integrator
      integrator: prb          # prb | direct | path
      checkpoint_every: 25     # iterations between checkpoints
      device: auto             # auto (CUDA when Dr.Jit finds a GPU) | cpu | cuda
      fog_probability: 0.0     # share of training renders with ImageNet-C fog (differentiable)
      fog_severities: [1, 2, 3]  # severities drawn uniformly for those

The `controls` (scene controls only: the pose, camera and background controls) are the
distribution of conditions the texture is optimized over; each render draws one point of
their search space and one of the environments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from simulator.config import (
    ConfigError,
    ExperimentConfig,
    ModelConfig,
    StrictModel,
    describe_problem,
    read_config_file,
)
from simulator.experiment import Experiment, resolve_experiment

# Scene controls the differentiable renderer realizes (the others change what Mitsuba would have
# to build, or act on images after rendering).
SUPPORTED_CONTROLS = ("orientation", "position", "scale", "camera", "in_frame", "background")


class OptimizeConfig(StrictModel):
    """Settings of the texture optimization (see the module docstring)."""

    iterations: int = Field(300, ge=1, le=1_000_000)
    batch: int = Field(2, ge=1, le=256)
    lr: float = Field(0.05, gt=0, le=10)
    texture_resolution: int = Field(128, ge=2, le=4096)
    spp: int = Field(8, ge=1, le=4096)
    spp_grad: int | None = Field(None, ge=1, le=4096)
    seed: int = Field(0, ge=0)
    init: str = "original"
    color_range: tuple[float, float] = (0.0, 1.0)
    parametrization: Literal["sigmoid", "clamp"] = "sigmoid"
    tv_weight: float = Field(0.0, ge=0)
    extra_models: list[ModelConfig] = Field(default_factory=list)
    max_depth: int = Field(3, ge=1, le=64)
    integrator: Literal["prb", "direct", "path"] = "prb"
    checkpoint_every: int = Field(25, ge=1)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    fog_probability: float = Field(0.0, ge=0, le=1)
    fog_severities: list[Literal[1, 2, 3, 4, 5]] = Field(default_factory=lambda: [1, 2, 3], min_length=1)

    @field_validator("color_range")
    @classmethod
    def _ordered_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0.0 <= low < high <= 1.0:
            raise ValueError(f"need 0 <= low < high <= 1 (got [{low}, {high}])")
        return value

    @field_validator("extra_models", mode="before")
    @classmethod
    def _default_keyword(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{} if item in ("default", None) else item for item in value]
        return value

    @model_validator(mode="after")
    def _init_choice(self) -> OptimizeConfig:
        if self.init not in ("original", "gray") and not Path(self.init).is_file():
            raise ValueError(f"init must be 'original', 'gray' or an existing image file (got {self.init!r})")
        return self

    def gradient_spp(self) -> int:
        return self.spp if self.spp_grad is None else self.spp_grad


class TextureFileConfig(ExperimentConfig):
    """An experiment file with an `optimize:` section."""

    optimize: OptimizeConfig = Field(default_factory=OptimizeConfig)


def load_texture_config(path: str | Path) -> tuple[Experiment, OptimizeConfig]:
    """Read and check a texture file; ConfigError lists every problem before anything renders."""
    source = str(path)
    raw = read_config_file(Path(path))
    raw.setdefault("policy", {"type": "random", "samples": 1})  # unused: the optimizer draws its own conditions
    optimize = raw.get("optimize")
    if isinstance(optimize, dict) and optimize.get("init") not in (None, "original", "gray"):
        init = Path(str(optimize["init"])).expanduser()
        raw["optimize"] = {**optimize, "init": str(init if init.is_absolute() else Path(path).resolve().parent / init)}
    try:
        config = TextureFileConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(source, [describe_problem(e) for e in error.errors()]) from None
    problems = _texture_problems(config)
    base = ExperimentConfig.model_validate(config.model_dump(exclude={"optimize"}))
    try:
        experiment = resolve_experiment(base, source)
    except ConfigError as error:
        problems = error.problems + problems
        experiment = None
    if problems or experiment is None:
        raise ConfigError(source, problems)
    return experiment, config.optimize


def _texture_problems(config: TextureFileConfig) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if len(config.objects) != 1:
        problems.append(("objects", f"a texture is optimized for exactly one object (got {len(config.objects)})"))
    for index, entry in enumerate(config.controls):
        kind = entry.get("type")
        if kind == "camera" and entry.get("aperture", 0) not in (0, 0.0):
            problems.append(
                (f"controls[{index}].aperture", "the differentiable renderer uses a pinhole camera; allowed: 0")
            )
        if isinstance(kind, str) and kind not in SUPPORTED_CONTROLS:
            problems.append(
                (
                    f"controls[{index}].type",
                    f"{kind!r} is not supported while optimizing a texture (allowed: {', '.join(SUPPORTED_CONTROLS)}); "
                    "evaluate other conditions with `robustsim run`",
                )
            )
    return problems
