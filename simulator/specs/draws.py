"""The renders a spec's test counts, drawn uniformly from its box: one per outcome (accuracy,
invariance), two per outcome for a monotonic spec (the same scene and seed, its parameter at two
values); an invariance spec also renders one canonical view per (object, environment)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from simulator.sample import Sample, sample_seed
from simulator.search_space import Continuous
from simulator.specs.box import SpecBox
from simulator.specs.config import MonotonicSpec

CANONICAL_INDEX = 1 << 40  # seed stream of the canonical renders, far from the draws'


@dataclass(frozen=True)
class Draw:
    """The renders of one outcome of the test, in one (object, environment)."""

    index: int
    samples: tuple[Sample, ...]

    @property
    def pair(self) -> tuple[str, str]:
        return self.samples[0].object, self.samples[0].environment


def renders_per_draw(box: SpecBox) -> int:
    return 2 if isinstance(box.spec, MonotonicSpec) else 1


def draws(box: SpecBox) -> Iterator[Draw]:
    """Endless, deterministic draws (the spec's seed): a pair uniformly, then every parameter uniformly."""
    spec, space, name = box.spec, box.experiment.space, box.experiment.name
    rng = np.random.default_rng(spec.seed)
    varying = space.varying
    index = 0
    while True:
        obj, environment = box.pairs[int(rng.integers(len(box.pairs)))]
        params = space.from_unit(rng.random(len(varying)))
        seed = sample_seed(spec.seed, index)
        if isinstance(spec, MonotonicSpec):
            distribution = next(d.distribution for d in varying if d.key == spec.parameter)
            assert isinstance(distribution, Continuous)
            low, high = sorted(distribution.from_unit(u) for u in rng.random(2))
            samples = tuple(
                Sample(name, obj, environment, {**params, spec.parameter: value}, seed, index) for value in (low, high)
            )
        else:
            samples = (Sample(name, obj, environment, params, seed, index),)
        yield Draw(index, samples)
        index += 1


def canonical_samples(box: SpecBox) -> dict[tuple[str, str], Sample]:
    """The reference render of each (object, environment) of an invariance spec."""
    name, seed = box.experiment.name, box.spec.seed
    return {
        pair: Sample(name, *pair, dict(box.canonical), sample_seed(seed, CANONICAL_INDEX + k), CANONICAL_INDEX + k)
        for k, pair in enumerate(box.pairs)
    }
