"""Random policy: independent uniform draws over every varying dimension."""

from __future__ import annotations

from typing import Any

import numpy as np

from policies.base import Params, Policy, required_samples
from simulator.search_space import SearchSpace


class RandomPolicy(Policy):
    """Uniform over each range (integers included) and each choice set, seeded by `seed`.

    Samples are drawn one by one from one numpy Generator, so a run with more `samples` starts
    with the same samples as a shorter one (extending an experiment re-uses what was rendered).
    With every dimension fixed it yields `samples` equal dicts (each sample still gets its own seed).
    """

    name = "random"
    adaptive = False
    summary = "Independent uniform draws over every range and choice set."

    def __init__(self, space: SearchSpace, samples: int | None = None, seed: int = 0, **options: Any) -> None:
        super().__init__(space, samples, seed, **options)
        self.samples = required_samples(self.name, samples)
        self._rng = np.random.default_rng(seed)

    def total(self) -> int:
        return self.samples

    def _next(self, count: int) -> list[Params]:
        dimensions = len(self.space.varying)
        return [self.space.from_unit(self._rng.random(dimensions)) for _ in range(count)]
