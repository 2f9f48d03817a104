"""Boundary policy: find failures with an inner search, then bisect each towards its nearest pass.

Phase 1 asks an inner policy (`search`, default tpe) for `search_samples` samples. Once all of them
are told, phase 2 takes up to `pairs` failures (lowest objective first, skipping near-duplicates),
pairs each with its nearest passing sample, and for every parameter that differs between the two
changes that one parameter alone: first to the failing value, then, if that fails too, bisecting
between the passing and failing values (`steps` probes per parameter in all). Probes go out in
rounds, one per active chain; the next round waits until the last one is told. `smallest_flips`
turns the probe rows into the smallest change of each parameter that flips the model.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import pandas as pd
import pyarrow as pa
from pydantic import Field, ValidationError, field_validator

from policies.base import Params, Policy, PolicyOptions, required_samples
from simulator import registry
from simulator.search_space import Continuous, Dimension, SearchSpace, Value

PAIR, PARAMETER, CHANGE, STEP = "boundary.pair", "boundary.parameter", "boundary.change", "boundary.step"
NEAR = 0.1  # failures closer than this fraction of every range to a chosen one (same choices) are skipped


class BoundaryOptions(PolicyOptions):
    search: str = "tpe"  # the phase-1 policy, by registered name
    search_samples: Annotated[int, Field(ge=1, strict=True)] | None = None  # default: half of `samples`
    pairs: Annotated[int, Field(ge=1, strict=True)] = 4
    steps: Annotated[int, Field(ge=1, strict=True)] = 6
    search_options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("search")
    @classmethod
    def _registered(cls, value: str) -> str:
        if value == BoundaryPolicy.name:
            raise ValueError("the boundary policy cannot search with itself; use tpe, gp, cmaes, random or sobol")
        try:
            registry.lookup("policies", value)
        except registry.UnknownNameError as error:
            raise ValueError(str(error)) from None
        return value


@dataclass(frozen=True)
class Told:
    """A phase-1 sample and its result."""

    params: Params
    objective: float | None
    passed: bool | None


@dataclass
class _Chain:
    """One (pair, parameter): the passing sample with that parameter moved towards the failing value."""

    pair: int
    dimension: Dimension
    passing: Params
    pass_value: Value  # the bisection interval: this value passed ...
    fail_value: Value  # ... and this one failed (the failing sample's value until a probe fails)
    probes: int = 0
    done: bool = False

    @property
    def key(self) -> str:
        return self.dimension.key

    @property
    def numeric(self) -> bool:
        return isinstance(self.dimension.distribution, Continuous)

    @property
    def integer(self) -> bool:
        distribution = self.dimension.distribution
        return isinstance(distribution, Continuous) and distribution.integer

    def next_value(self) -> Value:
        """The failing value first, then the middle of the interval (for integers, rounded towards the pass)."""
        if self.probes == 0:
            return self.fail_value
        low, high = self.pass_value, self.fail_value
        if self.integer:
            return int(low) + int((int(high) - int(low)) / 2)
        return (float(low) + float(high)) / 2

    def probe(self) -> Params:
        """The next probe (asked once): its params with the `boundary.*` columns."""
        value = self.next_value()
        self.probes += 1
        change = float(value) - float(self.passing[self.key]) if self.numeric else None
        columns = {PAIR: self.pair, PARAMETER: self.key, CHANGE: change, STEP: self.probes}
        return {**self.passing, self.key: value, **columns}

    def result(self, value: Value, passed: bool | None, steps: int) -> None:
        """Narrow the interval by a told probe and decide whether the chain goes on."""
        if passed is None or (self.probes == 1 and passed):  # unknown, or this parameter alone does not flip
            self.done = True
            return
        if passed:
            self.pass_value = value
        else:
            self.fail_value = value
        adjacent = self.integer and abs(float(self.fail_value) - float(self.pass_value)) <= 1
        self.done = not self.numeric or adjacent or self.probes >= steps


def distance(a: Mapping[str, Value], b: Mapping[str, Value], varying: Sequence[Dimension]) -> float:
    """Euclidean distance with each range scaled to [0, 1] and a choice mismatch counted as 1."""
    total = 0.0
    for dimension in varying:
        distribution = dimension.distribution
        if isinstance(distribution, Continuous):
            width = distribution.high - distribution.low
            total += ((float(a[dimension.key]) - float(b[dimension.key])) / width) ** 2 if width else 0.0
        else:
            total += float(a[dimension.key] != b[dimension.key])
    return math.sqrt(total)


def _near(a: Params, b: Params, varying: Sequence[Dimension]) -> bool:
    """Same choices and within NEAR of every range."""
    for dimension in varying:
        distribution = dimension.distribution
        if isinstance(distribution, Continuous):
            if abs(float(a[dimension.key]) - float(b[dimension.key])) > NEAR * (distribution.high - distribution.low):
                return False
        elif a[dimension.key] != b[dimension.key]:
            return False
    return True


def pair_failures(told: Sequence[Told], varying: Sequence[Dimension], count: int) -> list[tuple[Told, Told]]:
    """Up to `count` (failure, nearest pass) pairs: lowest objective first, near-duplicate failures skipped."""
    passes = [t for t in told if t.passed is True]
    failures = sorted(
        (t for t in told if t.passed is False),
        key=lambda t: (t.objective is None, 0.0 if t.objective is None else t.objective),
    )
    if not passes:
        return []
    chosen: list[Told] = []
    for failure in failures:
        if len(chosen) == count:
            break
        if not any(_near(failure.params, other.params, varying) for other in chosen):
            chosen.append(failure)
    return [(f, min(passes, key=lambda p: distance(f.params, p.params, varying))) for f in chosen]


class BoundaryPolicy(Policy):
    """Inner search for failures, then per-parameter bisection between each failure and its nearest pass."""

    name = "boundary"
    summary = "Find failures (tpe by default), then bisect each changed parameter towards the nearest pass."
    Options = BoundaryOptions
    options: BoundaryOptions
    columns = {PAIR: pa.int64(), PARAMETER: pa.string(), CHANGE: pa.float64(), STEP: pa.int64()}

    def __init__(self, space: SearchSpace, samples: int | None = None, seed: int = 0, **options: Any) -> None:
        super().__init__(space, samples, seed, **options)
        self.samples = required_samples(self.name, samples)
        search_samples = self.options.search_samples or max(1, self.samples // 2)
        if search_samples >= self.samples:
            raise ValueError(
                f"search_samples ({search_samples}) must be less than samples ({self.samples}): "
                "the rest of the budget probes the boundaries"
            )
        search = registry.lookup("policies", self.options.search)
        try:
            self.search = search(space, samples=search_samples, seed=seed, **self.options.search_options)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise ValueError(f"search_options (options of the {self.options.search} policy): {problems}") from None
        self._keys = [d.key for d in space.dimensions]
        self._search_asked = 0
        self._told: list[Told] = []
        self._chains: list[_Chain] | None = None  # phase 2 once set
        self._queue: deque[tuple[_Chain, Params]] = deque()  # probes of this round not asked yet
        self._open: dict[tuple[int, str, int], _Chain] = {}  # asked probes not told yet

    def total(self) -> int:
        return self.samples

    def waiting(self) -> bool:
        """True while the search's results or the last round's probes are not all told (budget left)."""
        if self._asked >= self.samples:
            return False
        if self._chains is None:
            return True  # the search is asked out (or waits itself) and not all told
        return bool(self._open)

    def _next(self, count: int) -> list[Params]:
        if self._chains is None:
            batch = self.search.ask(count)
            self._search_asked += len(batch)
            if batch or self.search.waiting() or len(self._told) < self._search_asked:
                return batch
            self._chains = self._make_chains()
        if not self._queue and not self._open:  # the last round is told: the next one
            self._queue.extend((chain, chain.probe()) for chain in self._chains if not chain.done)
        batch = []
        while self._queue and len(batch) < count:
            chain, probe = self._queue.popleft()
            self._open[chain.pair, chain.key, probe[STEP]] = chain
            batch.append(probe)
        return batch

    def _make_chains(self) -> list[_Chain]:
        varying = self.space.varying
        chains = []
        for index, (failure, passing) in enumerate(pair_failures(self._told, varying, self.options.pairs)):
            for dimension in varying:
                if failure.params[dimension.key] != passing.params[dimension.key]:
                    start, end = passing.params[dimension.key], failure.params[dimension.key]
                    chains.append(_Chain(index, dimension, passing.params, start, end))
        return chains

    def tell(self, params: Mapping[str, Value], result: Mapping[str, Any]) -> None:
        """Phase-1 results go to the search (and are kept for pairing); probe results narrow their chain."""
        passed = result.get("passed")
        verdict = passed if isinstance(passed, bool) else None
        if params.get(PAIR) is None:
            own = {key: params[key] for key in self._keys}
            self.search.tell(own, result)
            objective = result.get("objective")
            self._told.append(Told(own, None if objective is None or math.isnan(objective) else objective, verdict))
            return
        try:
            chain = self._open.pop((params[PAIR], params[PARAMETER], params[STEP]))
        except KeyError:
            raise ValueError(
                f"boundary policy: told a probe that was not asked (or told twice): {dict(params)}"
            ) from None
        chain.result(params[chain.key], verdict, self.options.steps)


def smallest_flips(rows: pd.DataFrame, passed: str = "correct_top1") -> pd.DataFrame:
    """Per (pair, parameter) of boundary probes: how far that parameter alone must move to flip the model.

    `rows` are result rows (rows without `boundary.pair` are ignored); `passed` names their boolean
    verdict column. One row per (object, environment, model where present, pair, parameter) with
    `probes`, `flips` (some probe failed), `fail_change` (of the failed probes, the signed change
    with the smallest magnitude) and `pass_change` (of the passed probes, the one with the largest);
    NaN where there is none and for choice parameters. Probes that failed to run are left out.
    """
    groups = [c for c in ("object", "environment", "model") if c in rows.columns] + [PAIR, PARAMETER]
    columns = [*groups, "probes", "flips", "fail_change", "pass_change"]
    if PAIR not in rows.columns:
        return pd.DataFrame(columns=columns)
    probes = rows[rows[PAIR].notna() & rows[passed].notna()]
    records = []
    for key, group in probes.groupby(groups, sort=True):
        held = group[passed].astype(bool)
        records.append(
            {
                **dict(zip(groups, key, strict=True)),
                "probes": len(group),
                "flips": not held.all(),
                "fail_change": _extreme(group.loc[~held, CHANGE], "idxmin"),
                "pass_change": _extreme(group.loc[held, CHANGE], "idxmax"),
            }
        )
    table = pd.DataFrame.from_records(records, columns=columns)
    return table.astype({PAIR: "int64", "probes": "int64", "flips": bool, "fail_change": float, "pass_change": float})


def _extreme(changes: pd.Series, pick: str) -> float:
    """The change whose magnitude is smallest (`idxmin`) or largest (`idxmax`); NaN if none."""
    changes = changes.dropna().astype(float)
    return float(changes.loc[getattr(changes.abs(), pick)()]) if len(changes) else math.nan
