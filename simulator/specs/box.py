"""Resolve a spec against its experiment: the narrowed box of conditions, checked to lie inside the
experiment, and the columns its requirement reads."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from simulator import registry
from simulator.config import ConfigError, did_you_mean, format_path
from simulator.experiment import ControlStep, Experiment
from simulator.search_space import (
    Continuous,
    Dimension,
    Discrete,
    Distribution,
    Fixed,
    ParameterError,
    SearchSpace,
    Value,
    parse_distribution,
)
from simulator.specs.config import KINDS, AccuracySpec, AgreementSpec, InvarianceSpec, MonotonicSpec, Spec

Problems = list[tuple[str, str]]
METRICS = {"top1": "correct_top1", "top5": "correct_topk", "margin > 0": "margin"}


@dataclass(frozen=True)
class SpecBox:
    """A spec with the experiment narrowed to its box: `pairs` to draw from, `experiment.space` narrowed."""

    spec: Spec
    experiment: Experiment
    pairs: tuple[tuple[str, str], ...]
    canonical: dict[str, Value]  # invariance: the reference parameters (every dimension)

    def judged(self, rows: Sequence[Mapping[str, Any]], model: str | None = None) -> Mapping[str, Any]:
        """The row of `model` (by default the spec's, else the first model's) among one render's rows."""
        wanted = model or self.spec.model
        return next((row for row in rows if wanted is None or row.get("model") == wanted), rows[0])

    def passed(self, row: Mapping[str, Any]) -> bool:
        """Whether a render meets an accuracy spec's metric."""
        metric = self.spec.metric  # type: ignore[union-attr]
        if metric == "margin > 0":
            return bool(row["margin"] > 0)
        return bool(row[METRICS.get(metric, metric)])

    def describe(self) -> str:
        """The box in words: objects, environments and the narrowed ranges."""
        parts = [f"objects {', '.join(sorted({o for o, _ in self.pairs}))}"]
        parts.append(f"environments {', '.join(sorted({e for _, e in self.pairs}))}")
        for dimension in self.experiment.space.dimensions:
            distribution = dimension.distribution
            if isinstance(distribution, Continuous):
                parts.append(f"{dimension.key} in [{distribution.low:g}, {distribution.high:g}]")
            elif isinstance(distribution, Discrete):
                parts.append(f"{dimension.key} in {{{', '.join(map(str, distribution.choices))}}}")
            elif dimension.key in self.spec.where:  # fixed by the spec, not by the experiment
                parts.append(f"{dimension.key} = {distribution.value}")
        return "; ".join(parts)


def resolve_specs(experiment: Experiment, entries: list[Any]) -> tuple[tuple[SpecBox, ...], Problems]:
    """Every spec of `specs:` resolved, or the problems (key path, message) that stop it."""
    boxes: list[SpecBox] = []
    problems: Problems = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        path = f"specs[{index}]"
        spec = _parse(entry, path, problems)
        if spec is None:
            continue
        if spec.name in names:
            problems.append((f"{path}.name", f"spec name {spec.name!r} is used twice"))
            continue
        names.add(spec.name)
        box = _narrow(experiment, spec, path, problems)
        if box is not None:
            boxes.append(box)
    return tuple(boxes), problems


def _parse(entry: Any, path: str, problems: Problems) -> Spec | None:
    if not isinstance(entry, dict):
        problems.append((path, f"a spec is a mapping with name, kind, where, ... (got {type(entry).__name__})"))
        return None
    kind = entry.get("kind")
    if kind not in KINDS:
        hint = did_you_mean(str(kind), list(KINDS)) if isinstance(kind, str) else ""
        problems.append((f"{path}.kind", f"unknown spec kind {kind!r}{hint}; allowed: {', '.join(KINDS)}"))
        return None
    try:
        return KINDS[kind].model_validate(entry)  # type: ignore[return-value]
    except ValidationError as error:
        for problem in error.errors():
            location = format_path((path, *problem["loc"])) if problem["loc"] else path
            problems.append((location, problem["msg"].removeprefix("Value error, ")))
        return None


def _narrow(experiment: Experiment, spec: Spec, path: str, problems: Problems) -> SpecBox | None:
    before = len(problems)
    where = dict(spec.where)
    objects = _names(where.pop("objects", None), list(experiment.objects), f"{path}.where.objects", problems)
    environments = _names(
        where.pop("environments", None), list(experiment.environments), f"{path}.where.environments", problems
    )
    dimensions = {d.key: d for d in experiment.space.dimensions}
    narrowed: dict[str, Distribution] = {}
    for key, raw in where.items():
        if key not in dimensions:
            problems.append(
                (f"{path}.where.{key}", f"not a parameter of this experiment{did_you_mean(key, list(dimensions))} "
                 f"(parameters: {', '.join(dimensions)}, objects, environments)")
            )
            continue
        distribution = _inside(dimensions[key], raw, f"{path}.where.{key}", problems)
        if distribution is not None:
            narrowed[key] = distribution
    space = SearchSpace(tuple(dataclasses.replace(d, distribution=narrowed.get(d.key, d.distribution)) for d in dimensions.values()))
    boxed = dataclasses.replace(experiment, space=space, steps=_steps(experiment.steps, space))
    _check_requirement(boxed, spec, path, problems)
    canonical = _canonical(space, spec, path, problems) if isinstance(spec, InvarianceSpec) else {}
    if len(problems) > before:
        return None
    pairs = tuple((o, e) for o in objects for e in environments)
    return SpecBox(spec, boxed, pairs, canonical)


def _names(raw: Any, known: list[str], path: str, problems: Problems) -> list[str]:
    if raw is None:
        return known
    chosen = [raw] if isinstance(raw, str) else raw
    if not isinstance(chosen, list) or not chosen or not all(isinstance(name, str) for name in chosen):
        problems.append((path, "expected a name or a non-empty list of names"))
        return []
    outside = [name for name in chosen if name not in known]
    if outside:
        problems.append((path, f"{', '.join(map(repr, outside))} not in the experiment (it has: {', '.join(known)})"))
    return [name for name in known if name in chosen]


def _inside(dimension: Dimension, raw: Any, path: str, problems: Problems) -> Distribution | None:
    """`raw` parsed for this parameter, if it lies inside the experiment's distribution of it."""
    try:
        wanted = parse_distribution(raw, dimension.spec)
    except ParameterError as error:
        problems.append((path, f"{error}; allowed: {dimension.spec.describe_allowed()}"))
        return None
    have = dimension.distribution
    values = _values(wanted)
    if isinstance(have, Continuous):
        low, high = (wanted.low, wanted.high) if isinstance(wanted, Continuous) else (min(values), max(values))
        inside = have.low <= low and high <= have.high
        allowed = f"inside the experiment's range [{have.low:g}, {have.high:g}]"
    else:
        inside = not isinstance(wanted, Continuous) and all(v in _values(have) for v in values)
        allowed = f"one or more of the experiment's values {{{', '.join(map(str, _values(have)))}}}"
    if not inside:
        problems.append((path, f"lies outside the experiment: the box must be {allowed}"))
        return None
    return wanted


def _values(distribution: Distribution) -> tuple[Value, ...]:
    if isinstance(distribution, Fixed):
        return (distribution.value,)
    if isinstance(distribution, Discrete):
        return distribution.choices
    return (distribution.low, distribution.high)


def _steps(steps: tuple[ControlStep, ...], space: SearchSpace) -> tuple[ControlStep, ...]:
    by_key = {d.key: d for d in space.dimensions}
    return tuple(dataclasses.replace(step, dimensions=tuple(by_key[d.key] for d in step.dimensions)) for step in steps)


def _check_requirement(experiment: Experiment, spec: Spec, path: str, problems: Problems) -> None:
    schema = experiment.results_schema()
    types = {field.name: field.type for field in schema}
    if isinstance(spec, AccuracySpec):
        column = METRICS.get(spec.metric, spec.metric)
        booleans = [name for name, kind in types.items() if pa.types.is_boolean(kind)]
        if column not in types or (spec.metric not in METRICS and column not in booleans):
            allowed = ", ".join([*METRICS, *booleans])
            problems.append((f"{path}.metric", f"{spec.metric!r} is not a metric of these results; allowed: {allowed}"))
    elif isinstance(spec, MonotonicSpec):
        numeric = [n for n, kind in types.items() if pa.types.is_floating(kind) or pa.types.is_integer(kind)]
        if spec.metric not in numeric:
            problems.append((f"{path}.metric", f"{spec.metric!r} is not a numeric column{did_you_mean(spec.metric, numeric)}"))
        searched = [d.key for d in experiment.space.varying if isinstance(d.distribution, Continuous)]
        if spec.parameter not in searched:
            problems.append(
                (f"{path}.parameter", f"{spec.parameter!r} is not a range searched in the box{did_you_mean(spec.parameter, searched)}"
                 f" (ranges: {', '.join(searched) or 'none'})")
            )
    elif isinstance(spec, InvarianceSpec):
        if "pred_top1" not in types or (spec.tolerance is not None and "true_prob" not in types):
            problems.append((f"{path}.kind", "invariance compares pred_top1 (and true_prob): a classification evaluator's columns"))
    elif isinstance(spec, AgreementSpec):
        names = experiment.model_names()
        if len(names) < 2:
            problems.append((f"{path}.kind", "agreement compares two models on each render: list them under `models:`"))
        for name in spec.models:
            if name not in names:
                problems.append((f"{path}.models", f"no model named {name!r}{did_you_mean(name, names)} (models: {', '.join(names)})"))
        if len(set(spec.models)) < 2:
            problems.append((f"{path}.models", "name two different models"))
    if spec.model is not None and spec.model not in experiment.model_names():
        names = experiment.model_names()
        problems.append((f"{path}.model", f"no model named {spec.model!r}{did_you_mean(spec.model, names)} (models: {', '.join(names)})"))
    if spec.falsify is not None:
        try:
            policy = registry.lookup("policies", spec.falsify.policy)
        except registry.UnknownNameError as error:
            problems.append((f"{path}.falsify.policy", str(error)))
        else:
            if not getattr(policy, "adaptive", True):
                problems.append((f"{path}.falsify.policy", f"{spec.falsify.policy!r} does not learn from results; use tpe, gp or cmaes"))
            elif not isinstance(spec, AccuracySpec):
                problems.append((f"{path}.falsify", "falsify searches single renders: accuracy specs only"))
            else:
                try:
                    policy(experiment.space, samples=spec.falsify.budget, seed=spec.seed)
                except (ValueError, TypeError) as error:
                    problems.append((f"{path}.falsify.policy", str(error)))


def _canonical(space: SearchSpace, spec: InvarianceSpec, path: str, problems: Problems) -> dict[str, Value]:
    """The reference render's parameters: `canonical` values, else each parameter's default, inside the box."""
    canonical = space.fixed_values()
    for dimension in space.varying:
        key = dimension.key
        value = spec.canonical.get(key, dimension.spec.default)
        try:
            value = dimension.spec.check(value)
        except ParameterError as error:
            problems.append((f"{path}.canonical.{key}", str(error)))
            continue
        distribution = dimension.distribution
        inside = (
            distribution.low <= value <= distribution.high  # type: ignore[operator]
            if isinstance(distribution, Continuous)
            else value in distribution.choices  # type: ignore[union-attr]
        )
        if not inside:
            problems.append((f"{path}.canonical.{key}", f"{value!r} lies outside the box; set canonical.{key} inside it"))
        canonical[key] = value
    unknown = [key for key in spec.canonical if key not in {d.key for d in space.dimensions}]
    problems += [(f"{path}.canonical.{key}", "not a parameter of this experiment") for key in unknown]
    return canonical


def load_specs(experiment: Experiment) -> tuple[SpecBox, ...]:
    """The experiment's specs resolved, or a ConfigError listing every problem with its key."""
    boxes, problems = resolve_specs(experiment, list(experiment.config.specs))
    if problems:
        raise ConfigError(experiment.source, problems)
    return boxes
