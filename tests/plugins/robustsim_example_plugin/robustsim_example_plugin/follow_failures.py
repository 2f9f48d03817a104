"""An adaptive policy written from docs/plugins.md: it asks random points until the model fails,
then only the parameters of samples that failed (each again with a new render seed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from policies.base import Params, Policy, required_samples
from simulator.search_space import SearchSpace


class FollowFailures(Policy):
    name = "follow_failures"
    summary = "Random until a failure is told, then only the parameters of failed samples."

    def __init__(self, space: SearchSpace, samples: int | None = None, seed: int = 0, **options: Any) -> None:
        super().__init__(space, samples, seed, **options)
        self.samples = required_samples(self.name, samples)
        self._rng = np.random.default_rng(seed)
        self._failed: list[Params] = []

    def total(self) -> int:
        return self.samples

    def _next(self, count: int) -> list[Params]:
        if not self._failed:
            return [self.space.from_unit(self._rng.random(len(self.space.varying))) for _ in range(count)]
        return [dict(self._failed[i]) for i in self._rng.integers(len(self._failed), size=count)]

    def tell(self, params: Mapping[str, Any], result: Mapping[str, Any]) -> None:
        if result["passed"] is False:
            self._failed.append(dict(params))
