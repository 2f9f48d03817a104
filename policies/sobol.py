"""Sobol policy: scrambled Sobol' low-discrepancy points (scipy.stats.qmc) mapped onto the space."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
from scipy.stats import qmc

from policies.base import Params, Policy, required_samples
from simulator.search_space import SearchSpace

logger = logging.getLogger(__name__)


class SobolPolicy(Policy):
    """One scrambled Sobol' sequence with a coordinate per varying dimension.

    The sequence is read in order, so a run with more `samples` starts with the same samples as a
    shorter one. Balance properties hold for power-of-2 counts; other counts work, with a logged
    warning. With every dimension fixed it yields `samples` equal dicts (each sample still gets its
    own seed), as the random policy does.
    """

    name = "sobol"
    adaptive = False
    summary = "Scrambled Sobol' low-discrepancy points; use a power-of-2 `samples`."

    def __init__(self, space: SearchSpace, samples: int | None = None, seed: int = 0, **options: Any) -> None:
        super().__init__(space, samples, seed, **options)
        self.samples = required_samples(self.name, samples)
        if self.samples & (self.samples - 1):
            logger.warning(
                "sobol policy: samples=%d is not a power of 2, so the points lose their balance properties "
                "(nearest: %d or %d)",
                self.samples,
                1 << (self.samples.bit_length() - 1),
                1 << self.samples.bit_length(),
            )
        # A Generator, not the int: scipy 1.15+ treats `seed=<int>` differently from `rng=<int>`,
        # and 1.13-1.14 have no `rng`; a Generator gives the same points on every supported scipy.
        self._engine = qmc.Sobol(d=len(space.varying), scramble=True, seed=np.random.default_rng(seed))

    def total(self) -> int:
        return self.samples

    def _next(self, count: int) -> list[Params]:
        with warnings.catch_warnings():
            # scipy warns on every non-power-of-2 draw; chunked asks are fine, __init__ already warned.
            warnings.filterwarnings("ignore", message="The balance properties", category=UserWarning)
            points = self._engine.random(count)
        return [self.space.from_unit(point) for point in points]
