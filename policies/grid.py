"""Grid policy: every combination of evenly spaced range values and discrete choices.

`samples` is decided by the grid: leave it out (the usual case), or give exactly the grid size
as a check; any other value is an error that states the size and how it is made up.
`seed` does not change the points (it still seeds each sample's rendering).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator

from policies.base import Params, Policy, PolicyOptions
from simulator.search_space import Continuous, Dimension, SearchSpace, Value


class GridOptions(PolicyOptions):
    points: Annotated[int, Field(ge=1, strict=True)] = 5  # values per continuous dimension
    points_per_dimension: dict[str, Annotated[int, Field(ge=1, strict=True)]] = Field(default_factory=dict)

    @field_validator("points_per_dimension")
    @classmethod
    def _continuous_keys(cls, value: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        space: SearchSpace | None = (info.context or {}).get("space")
        if space is None:
            return value
        keys = {d.key for d in space.dimensions}
        continuous = [d.key for d in space.varying if isinstance(d.distribution, Continuous)]
        problems = [
            f"unknown dimension {key!r}" if key not in keys else f"{key!r} is not a continuous range"
            for key in value
            if key not in continuous
        ]
        if problems:
            raise ValueError(f"{'; '.join(problems)} (continuous dimensions: {', '.join(continuous) or 'none'})")
        return value


class GridPolicy(Policy):
    """Cartesian product over the varying dimensions, in order, the last dimension fastest."""

    name = "grid"
    adaptive = False
    summary = "Every combination of `points` evenly spaced values per range (ends included) and every choice."
    Options = GridOptions
    options: GridOptions

    def __init__(self, space: SearchSpace, samples: int | None = None, seed: int = 0, **options: Any) -> None:
        super().__init__(space, samples, seed, **options)
        self.axes: dict[str, Sequence[Value]] = {d.key: self._axis(d) for d in space.varying}
        self._size = math.prod(len(values) for values in self.axes.values())
        if samples is not None and samples != self._size:
            shape = " x ".join(f"{len(values)} ({key})" for key, values in self.axes.items()) or "1 (all fixed)"
            raise ValueError(
                f"the grid has {self._size} points = {shape}; leave out `samples` or set it to {self._size}"
            )

    def _axis(self, dimension: Dimension) -> Sequence[Value]:
        distribution = dimension.distribution
        if isinstance(distribution, Continuous):
            return distribution.axis(self.options.points_per_dimension.get(dimension.key, self.options.points))
        return distribution.choices

    def total(self) -> int:
        return self._size

    def _next(self, count: int) -> list[Params]:
        fixed = self.space.fixed_values()
        return [{**fixed, **self._point(index)} for index in range(self._asked, self._asked + count)]

    def _point(self, index: int) -> Params:
        """The index-th grid point (mixed-radix digits, the last dimension fastest): nothing is enumerated."""
        point: Params = {}
        for key, values in reversed(self.axes.items()):
            index, digit = divmod(index, len(values))
            point[key] = values[digit]
        return {key: point[key] for key in self.axes}
