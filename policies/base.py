"""What every policy is: an ask/tell sampler over a `SearchSpace` (the Optuna shape).

The loop that runs an experiment does not care which policy it drives:

    policy = SomePolicy(space, samples=100, seed=0, **options)
    while batch := policy.ask(32):
        for params in batch:
            policy.tell(params, evaluate(params))

Determinism contract: equal (space, samples, seed, options) give equal sequences, and the
sequence does not depend on how it is asked for (ask(3) + ask(7) == ask(10)).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from simulator.search_space import SearchSpace, Value

Params = dict[str, Value]


class PolicyOptions(BaseModel):
    """A policy's own YAML options; unknown keys are errors that name the key.

    Validated with `context={"space": space}` so validators can check keys against the space.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class Policy(ABC):
    """Chooses parameter dicts (every dimension of the space, fixed ones too) to evaluate."""

    name: ClassVar[str]  # the short name YAML uses (`policy: {type: <name>}`)
    summary: ClassVar[str]  # one line for `robustsim list policies`
    Options: ClassVar[type[PolicyOptions]] = PolicyOptions

    def __init__(self, space: SearchSpace, samples: int | None = None, seed: int = 0, **options: Any) -> None:
        """Raises pydantic.ValidationError for bad options, ValueError for a bad `samples` or `seed`."""
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.space = space
        self.samples = samples
        self.seed = seed
        self.options = self.Options.model_validate(options, context={"space": space})
        self._asked = 0

    @abstractmethod
    def total(self) -> int | None:
        """How many samples this policy produces in all, known before the run (None: open-ended)."""

    @abstractmethod
    def _next(self, count: int) -> list[Params]:
        """The next `count` parameter dicts of the sequence (never more than remain)."""

    def ask(self, n: int) -> list[Params]:
        """Up to `n` new parameter dicts; an empty list once the policy is exhausted."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        total = self.total()
        count = n if total is None else min(n, total - self._asked)
        batch = self._next(count) if count > 0 else []
        self._asked += len(batch)
        return batch

    def tell(self, params: Mapping[str, Value], result: Mapping[str, Any]) -> None:
        """Report the result of evaluating `params`; non-adaptive policies ignore it."""


def required_samples(policy: str, samples: int | None) -> int:
    """`samples` for policies that need a count, or ValueError saying so."""
    if samples is None:
        raise ValueError(f"the {policy} policy needs `samples` (how many to draw per object and environment)")
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    return samples
