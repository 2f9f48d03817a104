"""A validated experiment resolved into ready parts: assets, control instances, search space, policy."""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from controls.base import Control, ImageControl, SceneControl
from simulator import registry
from simulator.assets import (
    HDRI_SUFFIXES,
    AssetError,
    EnvironmentChoice,
    builtin_environments,
    builtin_objects,
    load_object,
    object_from_spec,
    parse_color,
)
from simulator.config import ConfigError, ExperimentConfig, did_you_mean, format_path, parse_config, read_config_file
from simulator.evaluators.base import Evaluator
from simulator.measurements import measurement_columns
from simulator.messages import short_repr
from simulator.models.classes import ModelSpec, resolve_model
from simulator.options import option_type_problems
from simulator.render.base import RenderSettings
from simulator.objectives import Objective, parse_objective
from simulator.results.schema import SEARCH_COLUMNS, measured_columns, results_schema
from simulator.scene import Camera, ObjectAsset, Scene, SceneObject
from simulator.search_space import Dimension, ParameterError, SearchSpace, parse_distribution


@dataclass(frozen=True)
class ControlStep:
    """One entry of the controls list: a control instance and the columns of its parameters."""

    control: Control
    dimensions: tuple[Dimension, ...]

    def values(self, params: dict[str, Any]) -> dict[str, Any]:
        """This control's parameter values, by parameter name, from a sample's params."""
        return {d.spec.name: params[d.key] for d in self.dimensions}


@dataclass(frozen=True)
class Experiment:
    source: str
    config: ExperimentConfig
    objects: dict[str, ObjectAsset]
    environments: dict[str, EnvironmentChoice]
    steps: tuple[ControlStep, ...]
    space: SearchSpace
    policy_class: type
    evaluator_class: type[Evaluator]
    objective: Objective
    models: tuple[ModelSpec, ...] = ()  # every model under test, in `models:` order

    @property
    def name(self) -> str:
        return self.config.name

    def model_names(self) -> list[str]:
        return [model.name for model in self.models]

    def render_settings(self) -> RenderSettings:
        """The configured settings plus the channels controls need and segmentation, which tells
        the background from the object for `background_edge_density` (a cheap extra render pass)."""
        needed = frozenset({"segmentation"}).union(*(s.control.required_channels for s in self.steps))
        return self.config.render.settings(needed)

    def measured_columns(self) -> dict[str, pa.DataType]:
        """Columns measured on each render: `simulator.measurements` plus what controls measure."""
        controls = measured_columns(step.control for step in self.steps)
        return {**measurement_columns(self.render_settings().channels), **controls}

    def results_schema(self) -> pa.Schema:
        """The Parquet schema of this experiment's rows."""
        evaluator_columns = self.make_evaluator().result_columns()
        return results_schema(self.space.dimensions, evaluator_columns, self.measured_columns(), self.policy_class.columns)

    def make_policy(self) -> Any:
        policy = self.config.policy
        return self.policy_class(self.space, samples=policy.samples, seed=policy.seed, **policy.options())

    def make_evaluator(self) -> Evaluator:
        """A new evaluator of the configured type with the configured options."""
        return self.evaluator_class(**self.config.evaluator.options())

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Every (object, environment) pair, objects outermost."""
        for obj in self.objects:
            for environment in self.environments:
                yield obj, environment

    def base_scene(self, obj: str, environment: str) -> Scene:
        settings = self.render_settings()
        return Scene(
            object=SceneObject(asset=self.objects[obj]),
            environment=self.environments[environment].resolve(),
            camera=Camera(aspect=settings.width / settings.height),
        )

    def scene_for(self, obj: str, environment: str, params: dict[str, Any]) -> Scene:
        """The base scene with every scene control applied in list order."""
        scene = self.base_scene(obj, environment)
        for step in self.steps:
            if isinstance(step.control, SceneControl):
                scene = step.control.apply(scene, step.values(params))
        return scene

    def image_steps(self) -> tuple[ControlStep, ...]:
        return tuple(s for s in self.steps if isinstance(s.control, ImageControl))


def load_experiment(path: str | Path) -> Experiment:
    """Read, validate and resolve an experiment file; ConfigError lists every problem."""
    source = str(path)
    config = parse_config(read_config_file(Path(path)), source)
    return resolve_experiment(config, source)


def resolve_experiment(config: ExperimentConfig, source: str) -> Experiment:
    problems: list[tuple[str, str]] = []
    objects = _resolve_objects(config.objects, problems)
    environments = _resolve_environments(config.environments, problems)
    steps = _resolve_controls(config.controls, problems)
    _check_controls(config.render.renderer, steps, objects, config.controls, problems)
    space = SearchSpace(tuple(d for step in steps for d in step.dimensions))
    policy_class = _resolve_policy(config, space, problems)
    evaluator_class = _resolve_evaluator(config, problems)
    _check_model_names(config, problems)
    models = _resolve_models(config, objects, problems)
    if problems:
        raise ConfigError(source, problems)
    experiment = Experiment(
        source, config, objects, environments, steps, space, policy_class, evaluator_class, Objective("margin"), models
    )
    objective = _resolve_objective(experiment, problems)
    if problems:
        raise ConfigError(source, problems)
    return dataclasses.replace(experiment, objective=objective)


def _add_unique(found: dict[str, Any], name: str, value: Any, path: str, problems: list[tuple[str, str]]) -> None:
    if name in found:
        problems.append((path, f"name {name!r} is used twice; give one a different `name:`"))
    else:
        found[name] = value


def _resolve_objects(entries: list[Any], problems: list[tuple[str, str]]) -> dict[str, ObjectAsset]:
    found: dict[str, ObjectAsset] = {}
    for index, entry in enumerate(entries):
        path = f"objects[{index}]"
        try:
            asset = _resolve_object(entry, path)
        except AssetError as error:
            problems.append((path, str(error)))
            continue
        _add_unique(found, asset.name, asset, path, problems)
    return found


def _resolve_object(entry: str | dict[str, Any], path: str) -> ObjectAsset:
    if isinstance(entry, dict):
        return object_from_spec(entry, Path.cwd(), path)
    builtins = builtin_objects()
    if entry in builtins:
        return builtins[entry]
    if Path(entry).exists():
        return load_object(Path(entry))
    raise AssetError(
        f"{entry!r} is neither a built-in object{did_you_mean(entry, list(builtins))} nor an existing "
        f"object folder (built-in: {', '.join(builtins)})"
    )


def _resolve_environments(entries: list[Any], problems: list[tuple[str, str]]) -> dict[str, EnvironmentChoice]:
    found: dict[str, EnvironmentChoice] = {}
    for index, entry in enumerate(entries):
        path = f"environments[{index}]"
        try:
            choice = _resolve_environment(entry)
        except AssetError as error:
            problems.append((path, str(error)))
            continue
        _add_unique(found, choice.name, choice, path, problems)
    return found


def _resolve_environment(entry: str | dict[str, Any]) -> EnvironmentChoice:
    if isinstance(entry, dict):
        unknown = set(entry) - {"name", "hdri", "color"}
        if unknown or ("hdri" in entry) == ("color" in entry):
            raise AssetError("write {name: .., hdri: file.exr} or {name: .., color: [r, g, b]}")
        if "hdri" in entry:
            hdri = _hdri_file(str(entry["hdri"]))
            return EnvironmentChoice(str(entry.get("name", hdri.stem)), hdri_path=hdri)
        color = parse_color(entry["color"])
        return EnvironmentChoice(str(entry.get("name", entry["color"])), color=color)
    if entry.startswith("#"):
        return EnvironmentChoice(entry, color=parse_color(entry))
    bundled = builtin_environments()
    if entry in bundled:
        return EnvironmentChoice(entry, hdri_path=bundled[entry])
    if entry.lower().endswith(HDRI_SUFFIXES):
        hdri = _hdri_file(entry)
        return EnvironmentChoice(hdri.stem, hdri_path=hdri)
    raise AssetError(
        f"{entry!r} is not a bundled HDRI{did_you_mean(entry, list(bundled))}, an .exr/.hdr file or a "
        f"'#rrggbb' colour (bundled: {', '.join(bundled)})"
    )


def _hdri_file(value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() not in HDRI_SUFFIXES:
        raise AssetError(f"{value!r}: an HDRI must be an .exr or .hdr file")
    if not path.is_file():
        raise AssetError(f"HDRI file {path} does not exist")
    return path


def _resolve_controls(entries: list[dict[str, Any]], problems: list[tuple[str, str]]) -> tuple[ControlStep, ...]:
    steps: list[ControlStep] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        path = f"controls[{index}]"
        kind = entry.get("type")
        if not isinstance(kind, str):
            problems.append((path, f"missing `type` (available: {', '.join(registry.names('controls'))})"))
            continue
        try:
            control_class = registry.lookup("controls", kind)
        except registry.UnknownNameError as error:
            problems.append((f"{path}.type", str(error)))
            continue
        name = entry.get("name", kind)
        if not isinstance(name, str) or not CONTROL_NAME.fullmatch(name):
            problems.append((f"{path}.name", f"{short_repr(name)} is not a control name; allowed: letters, digits, _ and - "
                             "(1 to 64, starting with a letter or digit; it prefixes the result columns)"))
            continue
        if name in names:
            problems.append((path, f"control name {name!r} is used twice; give one a different `name:`"))
            continue
        names.add(name)
        steps.append(ControlStep(control_class(name), _control_dimensions(control_class, name, entry, path, problems)))
    _check_order(steps, problems)
    return tuple(steps)


CONTROL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def _control_dimensions(
    control_class: type[Control], name: str, entry: dict[str, Any], path: str, problems: list[tuple[str, str]]
) -> tuple[Dimension, ...]:
    declared = [spec.name for spec in control_class.parameters]
    for key in entry:
        if key not in ("type", "name", *declared):
            problems.append(
                (f"{path}.{key}", f"unknown parameter{did_you_mean(key, declared)} (parameters: {', '.join(declared)})")
            )
    dimensions = []
    for spec in control_class.parameters:
        raw = entry.get(spec.name, spec.default)
        try:
            distribution = parse_distribution(raw, spec)
        except ParameterError as error:
            problems.append((f"{path}.{spec.name}", f"{error}; allowed: {spec.describe_allowed()}"))
            continue
        dimensions.append(Dimension(f"{name}.{spec.name}", spec, distribution))
    return tuple(dimensions)


def _check_controls(
    renderer: str,
    steps: tuple[ControlStep, ...],
    objects: dict[str, ObjectAsset],
    entries: list[dict[str, Any]],
    problems: list[tuple[str, str]],
) -> None:
    """Each control's own load-time checks (`Control.check`) of the objects and its parameters, and
    whether the chosen renderer can realize it (`Control.check_renderer`), before anything renders."""
    names = [str(entry.get("name", entry.get("type"))) for entry in entries]
    for step in steps:
        control = step.control
        distributions = {d.spec.name: d.distribution for d in step.dimensions}  # the valid parameters
        messages = [*control.check(tuple(objects.values()), distributions)]
        if len(step.dimensions) == len(control.parameters):  # else a parameter is already reported
            messages += control.check_renderer(renderer, distributions)
        problems += [(f"controls[{names.index(control.name)}]", message) for message in messages]
    if renderer == "mitsuba":
        _check_mitsuba_meshes(objects, problems)


def _check_mitsuba_meshes(objects: dict[str, ObjectAsset], problems: list[tuple[str, str]]) -> None:
    from simulator.render.mitsuba_scene import MESH_FORMATS

    for name, asset in objects.items():
        if asset.mesh_path.suffix.lower() not in MESH_FORMATS:
            problems.append(
                ("objects", f"object {name!r}: renderer 'mitsuba' reads {', '.join(MESH_FORMATS)} meshes only "
                 f"(got {asset.mesh_path.name}); use renderer: blender")
            )


def _check_order(steps: list[ControlStep], problems: list[tuple[str, str]]) -> None:
    """in_frame places the object in the final camera's frame, so no camera may follow it."""
    types = [type(step.control).__name__ for step in steps]
    if "InFrame" in types and "CameraControl" in types[types.index("InFrame") :]:
        problems.append(("controls", "in_frame must come after every camera control"))


def _resolve_policy(config: ExperimentConfig, space: SearchSpace, problems: list[tuple[str, str]]) -> type:
    try:
        policy_class = registry.lookup("policies", config.policy.type)
    except registry.UnknownNameError as error:
        problems.append(("policy.type", str(error)))
        return type(None)
    try:
        policy_class(space, samples=config.policy.samples, seed=config.policy.seed, **config.policy.options())
    except ValidationError as error:
        problems += [(format_path(("policy", *e["loc"])), e["msg"].removeprefix("Value error, ")) for e in error.errors()]
    except (ValueError, TypeError) as error:
        problems.append(("policy", str(error)))
    return policy_class


def _resolve_objective(experiment: Experiment, problems: list[tuple[str, str]]) -> Objective:
    """`policy.objective`: a numeric column of this experiment's rows, of one of its models. Left out, it
    is `margin`; an adaptive policy then needs the evaluator to write it (an open-loop one just records
    no objective). `{disagreement: [A, B]}` needs two configured models."""
    declared = experiment.config.policy.objective
    try:
        objective = parse_objective("margin" if declared is None else declared)
    except ValueError as error:
        problems.append(("policy.objective", str(error)))
        return Objective("margin")
    names = experiment.model_names()
    for name in (objective.model, *(objective.versus or ())):
        if name is not None and name not in names:
            problems.append(("policy.objective", f"no model named {name!r}{did_you_mean(name, names)} (models: {', '.join(names)})"))
    schema = experiment.results_schema()
    numeric = [f.name for f in schema if pa.types.is_floating(f.type) or pa.types.is_integer(f.type)]
    numeric = [name for name in numeric if name not in SEARCH_COLUMNS and name not in ("seed",)]
    if declared is None and not experiment.policy_class.adaptive:
        return objective
    if objective.versus is not None and objective.column not in numeric:
        objective = dataclasses.replace(objective, column="score")  # the generic column every evaluator writes
    if objective.column not in numeric:
        problems.append(
            (
                "policy.objective",
                f"{objective.column!r} is not a numeric column of this experiment's results"
                f"{did_you_mean(objective.column, numeric)} (numeric columns: {', '.join(numeric)})",
            )
        )
    return objective


def _resolve_evaluator(config: ExperimentConfig, problems: list[tuple[str, str]]) -> type[Evaluator]:
    try:
        evaluator_class = registry.lookup("evaluators", config.evaluator.type)
    except registry.UnknownNameError as error:
        problems.append(("evaluator.type", str(error)))
        return Evaluator
    if not (isinstance(evaluator_class, type) and issubclass(evaluator_class, Evaluator)):
        problems.append(("evaluator.type", f"{config.evaluator.type!r} is registered but is not an Evaluator subclass"))
        return Evaluator
    options = config.evaluator.options()
    parameters = inspect.signature(evaluator_class).parameters.values()
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    allowed = [p.name for p in parameters if p.kind not in variadic]
    takes_any = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters)
    unknown = [] if takes_any else [name for name in options if name not in allowed]
    if unknown:
        listed = ", ".join(allowed) or "none"
        problems += [(f"evaluator.{name}", f"unknown option{did_you_mean(name, allowed)}; allowed: {listed}") for name in unknown]
        return evaluator_class
    typed = option_type_problems(evaluator_class, options)
    problems += [(f"evaluator.{name}", message) for name, message in typed]
    if typed:
        return evaluator_class
    try:
        evaluator_class(**options)
    except (ValueError, TypeError) as error:
        problems.append(("evaluator", f"{config.evaluator.type}: {error}"))
    return evaluator_class


def _model_path(config: ExperimentConfig, index: int) -> str:
    return f"models[{index}]" if config.models else "model"


def _check_model_names(config: ExperimentConfig, problems: list[tuple[str, str]]) -> None:
    """A `module` without ':' must be a registered model (import paths load on the workers)."""
    for index, model in enumerate(config.model_specs()):
        name = model.module
        if name is not None and ":" not in name:
            try:
                registry.lookup("models", name)
            except registry.UnknownNameError as error:
                problems.append((f"{_model_path(config, index)}.module", f"{error}; or give an import path 'package.module:attr'"))


def _resolve_models(
    config: ExperimentConfig, objects: dict[str, ObjectAsset], problems: list[tuple[str, str]]
) -> tuple[ModelSpec, ...]:
    """Each model's class names and every object's accepted classes among them."""
    models = []
    for index, model in enumerate(config.model_specs()):
        spec, found = resolve_model(model, objects, _model_path(config, index))
        problems += found
        if spec is not None:
            models.append(spec)
    return tuple(models)
