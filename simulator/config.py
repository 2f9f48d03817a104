"""Experiment configuration: read YAML (with `base:` inheritance), validate, resolve.

`load_experiment(path)` either returns a ready `Experiment` or raises one `ConfigError` that
lists every problem as `key.path: what is wrong (got ...); allowed: ...`. Nothing is rendered
before this succeeds.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simulator.messages import short_repr
from simulator.render.base import CHANNELS, RenderSettings
from simulator.yaml_input import YamlInputError, load_yaml


class ConfigError(ValueError):
    """Everything wrong with one experiment file, ready to show to the user."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"{self.source}: invalid experiment config ({len(self.problems)} problem(s))"]
        lines += [f"  - {path}: {_cut(message)}" if path else f"  - {_cut(message)}" for path, message in self.problems]
        return "\n".join(lines)


MAX_CONTROLS = 200  # entries of `controls:`; more is a mistake (a generated file gone wrong)
MAX_MESSAGE = 400  # characters of one problem's message; longer ones are cut in the middle


def _cut(message: str) -> str:
    """A message of at most MAX_MESSAGE characters: its start and its end (what is allowed) are kept."""
    if len(message) <= MAX_MESSAGE:
        return message
    half = MAX_MESSAGE // 2
    return f"{message[:half]} ... {message[-half:]}"


def did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, options, n=3)
    return f"; did you mean {', '.join(map(repr, close))}?" if close else ""


class StrictModel(BaseModel):
    """A config section: unknown keys are errors with a did-you-mean hint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = list(cls.model_fields)
            for key in data:
                if key not in allowed:
                    raise ValueError(
                        f"unknown key {key!r}{did_you_mean(str(key), allowed)} (allowed: {', '.join(allowed)})"
                    )
        return data


class RenderConfig(StrictModel):
    renderer: Literal["blender", "mitsuba"] = "blender"
    resolution: int | tuple[int, int] = 224  # square size, or [width, height]
    samples: int = Field(16, ge=1, le=65536)
    adaptive_threshold: float = Field(0.0, ge=0.0, le=1.0)
    denoise: bool = False
    max_bounces: int = Field(4, ge=0, le=1024)
    device: Literal["cpu", "cuda", "optix", "auto"] = "cpu"
    threads: int = Field(0, ge=0, le=1024)
    channels: tuple[Literal["rgb", "depth", "segmentation", "uv"], ...] = ("rgb",)
    dither: float = Field(1.0, ge=0.0, le=8.0)  # 8-bit steps of noise before quantizing; 0 rounds

    @field_validator("resolution")
    @classmethod
    def _sensible_resolution(cls, value: int | tuple[int, int]) -> int | tuple[int, int]:
        sizes = (value,) if isinstance(value, int) else value
        if any(not 8 <= size <= 8192 for size in sizes):
            raise ValueError("each side must be between 8 and 8192 pixels")
        return value

    @model_validator(mode="after")
    def _renderer_options(self) -> RenderConfig:
        if self.renderer == "mitsuba" and (self.denoise or self.adaptive_threshold > 0):
            raise ValueError(
                "renderer mitsuba has no denoiser or adaptive sampling: set denoise: false and "
                "adaptive_threshold: 0, or use renderer: blender"
            )
        return self

    def settings(self, extra_channels: frozenset[str] = frozenset()) -> RenderSettings:
        width, height = (self.resolution, self.resolution) if isinstance(self.resolution, int) else self.resolution
        wanted = {"rgb", *self.channels, *extra_channels}
        return RenderSettings(
            renderer=self.renderer,
            width=width,
            height=height,
            samples=self.samples,
            adaptive_threshold=self.adaptive_threshold,
            denoise=self.denoise,
            max_bounces=self.max_bounces,
            device=self.device,
            threads=self.threads,
            channels=tuple(c for c in CHANNELS if c in wanted),
            dither=self.dither,
        )


class PolicyConfig(BaseModel):
    """`type` picks the policy; other keys are that policy's options.

    `objective` is what adaptive policies minimise (see `simulator.objectives`); each pair asks
    `generation` samples at a time and keeps at most `in_flight` generations asked but not yet told.
    """

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str = "random"
    samples: int | None = Field(None, ge=1, strict=True, description="samples per (object, environment)")
    seed: int = Field(0, ge=0, strict=True)
    objective: str | dict[str, Any] | None = None  # None: margin, where the evaluator writes it
    generation: int = Field(8, ge=1, le=4096, strict=True)
    in_flight: int = Field(2, ge=1, le=64, strict=True)

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


MODEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class ModelConfig(StrictModel):
    """A model under test; empty means the embedded ImageNet EfficientNet-Lite0.

    `name` labels its rows (`model` column); left out, it is the registered name, the import path's
    attribute, or `efficientnet_lite0`. `classes` (a text file, one name per line, or a list) are its
    own class names by output index (else ImageNet's); `labels` maps objects to them
    ({object: [class name or index, ...]}), else each object's own `labels` are looked up there.
    """

    name: str | None = Field(None, pattern=MODEL_NAME, max_length=100)
    module: str | None = None  # a `robustsim.models` name, or "package.module:ClassOrFactory"
    module_dir: Path | None = None  # set on reading: the folder of the file that named `module`, searched too
    kwargs: dict[str, Any] = Field(default_factory=dict)
    weights: Path | None = None
    preprocessing: dict[str, Any] | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    batch_size: int = Field(32, ge=1, le=4096)
    classes: Path | list[str] | None = None
    labels: dict[str, list[str | int] | str | int] | None = None

    @property
    def display_name(self) -> str:
        """The `model` column's value for this model's rows."""
        if self.name is not None:
            return self.name
        if self.module is None:
            return "efficientnet_lite0"
        return self.module.rpartition(":")[2].rpartition(".")[2] if ":" in self.module else self.module


class EvaluatorConfig(BaseModel):
    """`type` picks the evaluator (a `robustsim.evaluators` name); other keys are its options."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str = "classification"

    def options(self) -> dict[str, Any]:
        """The evaluator's own keys (everything but `type`), passed to its constructor."""
        return dict(self.model_extra or {})


class OutputConfig(StrictModel):
    dir: Path | None = None  # overridden by `robustsim run -o DIR`
    save_images: bool = False


SCHEDULER_ADDRESS = re.compile(r"((tcp|tls|ucx|ws|wss)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):[0-9]{1,5}")


def check_scheduler_address(value: str) -> str:
    """`value` if it reads as a Dask scheduler address (host:port, optionally with a protocol), else ValueError."""
    if not SCHEDULER_ADDRESS.fullmatch(value):
        raise ValueError(
            f"{short_repr(value)} is not a scheduler address; allowed: [tcp|tls|ucx|ws|wss]://host:port, e.g. tcp://head:8786"
        )
    return value


class ClusterConfig(StrictModel):
    """Where batches run (`robustsim run --scheduler/--workers` override these)."""

    address: str | None = None  # an existing Dask scheduler, e.g. tcp://head:8786; empty = a local cluster
    workers: int | None = Field(None, ge=0, le=1024)  # local cluster processes; 0 = in this process, no Dask
    resources: dict[str, float] = Field(default_factory=dict)  # Dask resources each batch needs, e.g. {GPU: 1}

    @field_validator("address")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        return value if value is None else check_scheduler_address(value)

    @field_validator("resources")
    @classmethod
    def _positive_amounts(cls, value: dict[str, float]) -> dict[str, float]:
        for name, amount in value.items():
            if not math.isfinite(amount):
                raise ValueError(f"{name}: {amount} is not finite; allowed: a number > 0")
            if amount <= 0:
                raise ValueError(f"{name}: each resource amount must be > 0 (got {amount})")
        return value


class ExperimentConfig(StrictModel):
    """The whole YAML file (after `base:` merging)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)
    objects: list[str | dict[str, Any]] = Field(min_length=1)
    environments: list[str | dict[str, Any]] = Field(min_length=1)
    controls: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_CONTROLS)
    specs: list[Any] = Field(default_factory=list, max_length=MAX_CONTROLS)  # checked by simulator.specs.box
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)  # the first of `models` when they are given
    models: list[ModelConfig] = Field(default_factory=list, max_length=32)
    evaluator: EvaluatorConfig = Field(default_factory=EvaluatorConfig)
    render: RenderConfig = Field(default_factory=RenderConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)

    @model_validator(mode="before")
    @classmethod
    def _one_model_section(cls, data: Any) -> Any:
        """`model:` (one model) or `models:` (several, rendered once, judged by each), not both (a dumped
        config, whose `model` is its first `models` entry, reads back)."""
        if isinstance(data, dict) and isinstance(data.get("models"), list) and data["models"]:
            models = [_default_model(m) for m in data["models"]]
            if data.get("model") is not None and _default_model(data["model"]) != models[0]:
                raise ValueError("give `model:` (one model) or `models:` (a list), not both")
            data = {**data, "models": models, "model": models[0]}
        return data

    @field_validator("model", mode="before")
    @classmethod
    def _default_keyword(cls, value: Any) -> Any:
        return _default_model(value)

    @model_validator(mode="after")
    def _unique_model_names(self) -> ExperimentConfig:
        names = [model.display_name for model in self.models]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"models: name {twice[0]!r} is used twice; give each model its own `name:`")
        return self

    def model_specs(self) -> tuple[ModelConfig, ...]:
        """Every model under test, in order (one render feeds them all)."""
        return tuple(self.models) or (self.model,)


def _default_model(value: Any) -> Any:
    """`default` (or nothing) is the embedded model; a bare registered name is `{module: NAME}`."""
    if value in ("default", None):
        return {}
    if isinstance(value, str):
        return {"module": value}
    return value


# ---------------------------------------------------------------- reading files


def read_config_file(path: Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The YAML mapping at `path` with its `base:` files deep-merged underneath it.

    Relative paths inside each file are made absolute against that file's folder, so a base
    file can live elsewhere.
    """
    path = Path(path).resolve()
    if path in _chain:
        cycle = " -> ".join(str(p) for p in (*_chain, path))
        raise ConfigError(str(_chain[0]), [("base", f"circular base chain: {cycle}")])
    source = str(path)
    if not path.is_file():
        raise ConfigError(source, [("", "file not found")])
    try:
        raw = load_yaml(path)
    except (YamlInputError, OSError) as error:
        raise ConfigError(source, [("", str(error))]) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(source, [("", f"the file must be a mapping of keys, got a {type(raw).__name__}")])
    raw = _absolute_paths(raw, path.parent)
    bases = raw.pop("base", None)
    merged: dict[str, Any] = {}
    for base in [bases] if isinstance(bases, str) else bases or []:
        if not isinstance(base, str):
            raise ConfigError(source, [("base", f"expected a file path, got {short_repr(base)}")])
        if not (path.parent / base).is_file():
            raise ConfigError(source, [("base", f"file {path.parent / base} not found")])
        merged = deep_merge(merged, read_config_file(path.parent / base, (*_chain, path)))
    return deep_merge(merged, raw)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`: mappings merge key by key, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_FILE_SUFFIXES = (".yaml", ".yml", ".exr", ".hdr", ".ply", ".obj", ".glb", ".gltf", ".blend", ".png", ".jpg", ".jpeg")


def _looks_like_path(value: str) -> bool:
    return "/" in value or value.lower().endswith(_FILE_SUFFIXES)


def _absolute(value: Any, folder: Path) -> Any:
    if isinstance(value, str) and _looks_like_path(value) and not Path(value).is_absolute():
        return str((folder / value).resolve())
    return value


def _absolute_item(item: Any, folder: Path) -> Any:
    """An object/environment entry with its file references made absolute."""
    if not isinstance(item, dict):
        return _absolute(item, folder)
    item = {key: _absolute(v, folder) if key in ("mesh", "hdri") else v for key, v in item.items()}
    if isinstance(item.get("material"), dict) and "texture" in item["material"]:
        item["material"] = {**item["material"], "texture": _absolute(item["material"]["texture"], folder)}
    return item


def _absolute_paths(raw: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Path-valued entries of one config file resolved against its folder."""
    raw = dict(raw)
    for section in ("objects", "environments"):
        if isinstance(raw.get(section), list):
            raw[section] = [_absolute_item(item, folder) for item in raw[section]]
    output = raw.get("output")
    if isinstance(output, dict) and isinstance(output.get("dir"), str):
        raw["output"] = {**output, "dir": str((folder / output["dir"]).resolve())}
    if isinstance(raw.get("model"), dict):
        raw["model"] = _absolute_model(raw["model"], folder)
    if isinstance(raw.get("models"), list):
        raw["models"] = [_absolute_model(m, folder) if isinstance(m, dict) else m for m in raw["models"]]
    return raw


def _absolute_model(model: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A model entry with its weights and classes files resolved, and the folder its module is looked up in."""
    model = dict(model)
    for key in ("weights", "classes"):
        if isinstance(model.get(key), str):
            model[key] = str((folder / model[key]).resolve())
    if ":" in str(model.get("module", "")) and "module_dir" not in model:
        model["module_dir"] = str(folder)
    return model


def parse_config(raw: dict[str, Any], source: str) -> ExperimentConfig:
    """Validate the merged mapping's structure (ConfigError listing every problem)."""
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(source, [describe_problem(e) for e in error.errors()]) from None


def format_path(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe_problem(error: Any) -> tuple[str, str]:
    """(key path, message) of one pydantic error, as ConfigError lists problems."""
    # Union members add their type name to the location (e.g. 'int', 'tuple[int,int]'); drop them.
    location = tuple(p for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p in _TYPE_NAMES)))
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] not in ("missing", "value_error") and "input" in error:
        message += f" (got {short_repr(error['input'])})"
    return format_path(location), message


_TYPE_NAMES = {"int", "str", "float", "bool", "dict", "list", "tuple", "function-after", "literal"}
