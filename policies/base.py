"""What every policy is: an ask/tell sampler over a `SearchSpace` (the Optuna shape).

The search loop (`simulator.search`) drives every policy the same way, per (object, environment):

    policy = SomePolicy(space, samples=100, seed=0, **options)
    while batch := policy.ask(8):          # a generation; a few are in flight at once
        ...render and judge...
        for params, row in zip(batch, rows):
            policy.tell(params, row)       # in ask order, possibly after later asks

`tell` receives the result row with two keys added by the loop: `objective` (a float, lower is
worse for the model: the search minimises it; None when the sample failed) and `passed` (the
model was right, None when the sample failed).

Determinism contract: equal (space, samples, seed, options) and equal told results give equal
sequences. Open-loop policies (`adaptive = False`) also give the same sequence however it is
asked for (ask(3) + ask(7) == ask(10)).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import pyarrow as pa
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
    adaptive: ClassVar[bool] = True  # learns from `tell`; open-loop policies set False
    columns: ClassVar[dict[str, pa.DataType]] = {}  # extra keys its params carry (e.g. `boundary.step`), as result columns

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

    def waiting(self) -> bool:
        """True when `ask` returned nothing only because results it needs have not been told yet
        (the loop then tells the next finished generation and asks again); False means exhausted."""
        return False

    def tell(self, params: Mapping[str, Value], result: Mapping[str, Any]) -> None:
        """Report the result of evaluating `params` (see the module docstring); open-loop policies ignore it."""


def required_samples(policy: str, samples: int | None) -> int:
    """`samples` for policies that need a count, or ValueError saying so."""
    if samples is None:
        raise ValueError(f"the {policy} policy needs `samples` (how many to draw per object and environment)")
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    return samples
