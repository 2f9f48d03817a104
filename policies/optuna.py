"""Adaptive policies backed by Optuna samplers (TPE, GP, CMA-ES) through its ask/tell interface.

Each policy drives one in-memory Optuna study (direction minimize: the loop's `objective` is lower
when the model does worse). Trials that were asked and not yet told stay RUNNING, which the samplers
account for (TPE's constant liar, GP's running-trial handling), so a few generations can be in flight.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections import deque
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

import optuna
from optuna.samplers import BaseSampler, CmaEsSampler, GPSampler, TPESampler
from optuna.trial import Trial, TrialState
from pydantic import Field

from policies.base import Params, Policy, PolicyOptions, required_samples
from simulator.search_space import Continuous, Dimension, Discrete, SearchSpace, Value


class OptunaOptions(PolicyOptions):
    # Random trials before the sampler's model takes over; None: the sampler's own default.
    startup_trials: Annotated[int, Field(ge=0, strict=True)] | None = None


def _degenerate(dimension: Dimension) -> Value | None:
    """The only value a varying dimension can take (a range with low == high, one choice), else None."""
    distribution = dimension.distribution
    if isinstance(distribution, Continuous) and distribution.low == distribution.high:
        return int(distribution.low) if distribution.integer else float(distribution.low)
    if isinstance(distribution, Discrete) and len(set(distribution.choices)) == 1:
        return distribution.choices[0]
    return None


def _suggest(trial: Trial, dimension: Dimension) -> Value:
    distribution = dimension.distribution
    if isinstance(distribution, Discrete):
        return trial.suggest_categorical(dimension.key, list(distribution.choices))
    assert isinstance(distribution, Continuous)
    if distribution.integer:
        return trial.suggest_int(dimension.key, int(distribution.low), int(distribution.high))
    return trial.suggest_float(dimension.key, float(distribution.low), float(distribution.high))


class OptunaPolicy(Policy):
    """Asks trials of an in-memory study; `tell` completes the oldest open trial with equal params."""

    Options = OptunaOptions
    options: OptunaOptions
    default_startup_trials: ClassVar[int]

    def __init__(self, space: SearchSpace, samples: int | None = None, seed: int = 0, **options: Any) -> None:
        super().__init__(space, samples, seed, **options)
        self.samples = required_samples(self.name, samples)
        self._fixed = space.fixed_values()
        self._searched: list[Dimension] = []
        for dimension in space.varying:
            value = _degenerate(dimension)
            if value is None:
                self._searched.append(dimension)
            else:
                self._fixed[dimension.key] = value
        self._check_space()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = optuna.create_study(direction="minimize", sampler=self._sampler())
        self._open: dict[tuple[Value, ...], deque[Trial]] = {}  # asked, not told yet, by params

    @property
    def startup_trials(self) -> int:
        """Random trials before the model is used (the option, or the sampler's default)."""
        chosen = self.options.startup_trials
        return self.default_startup_trials if chosen is None else chosen

    def _check_space(self) -> None:
        """Raise ValueError when the sampler cannot search this space."""

    @abstractmethod
    def _sampler(self) -> BaseSampler:
        """The Optuna sampler, seeded with `seed`, with `startup_trials` random trials."""

    def total(self) -> int:
        return self.samples

    def _key(self, params: Mapping[str, Value]) -> tuple[Value, ...]:
        return tuple(params[d.key] for d in self._searched)

    def _next(self, count: int) -> list[Params]:
        batch = []
        for _ in range(count):
            trial = self.study.ask()
            params = {**self._fixed, **{d.key: _suggest(trial, d) for d in self._searched}}
            self._open.setdefault(self._key(params), deque()).append(trial)
            batch.append({d.key: params[d.key] for d in self.space.dimensions})
        return batch

    def tell(self, params: Mapping[str, Value], result: Mapping[str, Any]) -> None:
        """Complete the oldest open trial with these params; a None or NaN objective marks it FAIL."""
        try:
            key = self._key(params)
            trial = self._open[key].popleft()
        except (KeyError, IndexError):
            raise ValueError(f"{self.name} policy: told params that were not asked (or told twice): {dict(params)}")
        if not self._open[key]:
            del self._open[key]
        objective = result.get("objective")
        if objective is None or math.isnan(objective):
            self.study.tell(trial, state=TrialState.FAIL)
        else:
            self.study.tell(trial, float(objective))


class TPEPolicy(OptunaPolicy):
    """Tree-structured Parzen estimator (multivariate, constant liar): cheap asks, any space, any budget."""

    name = "tpe"
    summary = "Optuna TPE: adaptive search for failures; any space, cheap per sample."
    default_startup_trials = 10

    def _sampler(self) -> BaseSampler:
        return TPESampler(seed=self.seed, n_startup_trials=self.startup_trials)


class GPPolicy(OptunaPolicy):
    """Gaussian-process Bayesian optimisation: the most sample-efficient for small budgets (tens to a
    few hundred samples), but each ask fits a GP (tens of ms to seconds, growing with the trials told)."""

    name = "gp"
    summary = "Optuna Gaussian process: adaptive search for small budgets; each ask is costly."
    default_startup_trials = 10

    def _sampler(self) -> BaseSampler:
        return GPSampler(seed=self.seed, n_startup_trials=self.startup_trials)


class CmaEsPolicy(OptunaPolicy):
    """CMA-ES over numeric ranges only: good for larger budgets on continuous spaces."""

    name = "cmaes"
    summary = "Optuna CMA-ES: adaptive search over numeric ranges (no choice sets); larger budgets."
    default_startup_trials = 1

    def _check_space(self) -> None:
        categorical = [d.key for d in self._searched if isinstance(d.distribution, Discrete)]
        if categorical:
            listed = ", ".join(categorical)
            raise ValueError(
                f"the cmaes policy searches numeric ranges only, but {listed} "
                f"{'is a choice set' if len(categorical) == 1 else 'are choice sets'} ({{choices: [...]}}); "
                "give each one value, or use the tpe (or gp) policy, which searches choices too"
            )

    def _sampler(self) -> BaseSampler:
        return CmaEsSampler(seed=self.seed, n_startup_trials=self.startup_trials)
