"""Parameters that controls declare, how YAML sets them, and the space policies search.

One syntax for every parameter of every control:
    0.3                      fixed value
    {min: -30, max: 30}      continuous range (integers for int parameters)
    {choices: [a, b, c]}     discrete set
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from simulator.messages import short_repr

Kind = Literal["float", "int", "str", "bool"]
Value = float | int | str | bool


class ParameterError(ValueError):
    """A parameter value that its declaration does not allow (message says what is allowed)."""


@dataclass(frozen=True)
class ParameterSpec:
    """What a control accepts for one parameter."""

    name: str
    kind: Kind
    default: Value
    doc: str
    unit: str = ""
    bounds: tuple[float, float] | None = None  # allowed numeric range (inclusive)
    choices: tuple[Value, ...] | None = None  # allowed values; None accepts any of `kind`
    validator: Callable[[Value], None] | None = None  # extra check; raises ParameterError

    def check(self, value: Any) -> Value:
        """`value` converted to this parameter's kind, or ParameterError saying what is allowed."""
        converted = _convert(value, self.kind)
        if converted is None and isinstance(value, float) and not math.isfinite(value):
            raise ParameterError(f"{value!r} is not finite")
        if converted is None:
            raise ParameterError(f"{short_repr(value)} is not a {self.kind}")
        if self.bounds is not None and not self.bounds[0] <= converted <= self.bounds[1]:
            raise ParameterError(
                f"{value!r} is outside the allowed range [{self.bounds[0]}, {self.bounds[1]}]{self._unit()}"
            )
        if self.choices is not None and converted not in self.choices:
            allowed = ", ".join(map(str, self.choices))
            raise ParameterError(f"{value!r} is not one of: {allowed}")
        if self.validator is not None:
            self.validator(converted)
        return converted

    def describe_allowed(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        if self.bounds is not None:
            return f"a {self.kind} in [{self.bounds[0]}, {self.bounds[1]}]{self._unit()}"
        return f"a {self.kind}"

    def _unit(self) -> str:
        return f" {self.unit}" if self.unit else ""


def _convert(value: Any, kind: Kind) -> Value | None:
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if kind == "float" and isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    if kind == "int" and isinstance(value, int):
        return value
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "str" and isinstance(value, str):
        return value
    return None


@dataclass(frozen=True)
class Fixed:
    value: Value


@dataclass(frozen=True)
class Continuous:
    low: float
    high: float
    integer: bool = False

    def from_unit(self, u: float) -> Value:
        """The value at position u in [0, 1) of the range."""
        if self.integer:
            return int(min(math.floor(self.low + u * (self.high - self.low + 1)), self.high))
        return float(self.low + u * (self.high - self.low))

    def grid(self, points: int) -> list[Value]:
        """`points` evenly spaced values from low to high inclusive (distinct integers for ints)."""
        return list(self.axis(points))

    def axis(self, points: int) -> GridAxis:
        """The values of `grid(points)` as a lazy sequence (a 10**15-point axis costs nothing)."""
        if points <= 1:
            middle = (self.low + self.high) / 2
            return GridAxis(middle, middle, 1, self.integer)
        if self.integer and points >= self.high - self.low + 1:  # every integer of the range
            return GridAxis(self.low, self.high, int(self.high - self.low) + 1, True)
        return GridAxis(self.low, self.high, points, self.integer)


@dataclass(frozen=True)
class GridAxis(Sequence[Value]):
    """`count` evenly spaced values from `low` to `high` inclusive (numpy.linspace's values), rounded
    for integer ranges; computed on access."""

    low: float
    high: float
    count: int
    integer: bool = False

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.count))]
        if not -self.count <= index < self.count:
            raise IndexError(index)
        index %= self.count
        if self.count == 1:
            value = self.low
        elif index == self.count - 1:
            value = self.high
        else:
            value = index * ((self.high - self.low) / (self.count - 1)) + self.low
        return int(round(value)) if self.integer else float(value)


@dataclass(frozen=True)
class Discrete:
    choices: tuple[Value, ...]

    def from_unit(self, u: float) -> Value:
        return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]


Distribution = Fixed | Continuous | Discrete


def parse_distribution(raw: Any, spec: ParameterSpec) -> Distribution:
    """Turn a YAML value into a distribution checked against `spec` (ParameterError if not allowed)."""
    if isinstance(raw, Mapping):
        keys = set(raw)
        if keys == {"choices"}:
            choices = raw["choices"]
            if not isinstance(choices, Sequence) or isinstance(choices, str) or len(choices) == 0:
                raise ParameterError("'choices' must be a non-empty list")
            return Discrete(tuple(spec.check(c) for c in choices))
        if keys == {"min", "max"}:
            if spec.kind not in ("float", "int"):
                raise ParameterError(f"a range needs a numeric parameter; use {{choices: [...]}} for a {spec.kind}")
            low, high = spec.check(raw["min"]), spec.check(raw["max"])
            if low > high:
                raise ParameterError(f"min ({low}) is greater than max ({high})")
            return Continuous(low, high, integer=spec.kind == "int")
        raise ParameterError(
            f"expected a value, {{min: .., max: ..}} or {{choices: [..]}}, got keys {sorted(map(str, keys))}"
        )
    if isinstance(raw, list):
        raise ParameterError(f"a bare list is ambiguous; write {{choices: {short_repr(raw)}}} or {{min: .., max: ..}}")
    return Fixed(spec.check(raw))


@dataclass(frozen=True)
class Dimension:
    """One searchable quantity: column `key` (`<control name>.<parameter>`) and its distribution."""

    key: str
    spec: ParameterSpec
    distribution: Distribution


@dataclass(frozen=True)
class SearchSpace:
    dimensions: tuple[Dimension, ...]

    def __post_init__(self) -> None:
        keys = [d.key for d in self.dimensions]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"duplicate search dimensions: {duplicates}")

    @property
    def varying(self) -> tuple[Dimension, ...]:
        """Dimensions a policy must choose values for (not fixed)."""
        return tuple(d for d in self.dimensions if not isinstance(d.distribution, Fixed))

    def ranges(self) -> dict[str, tuple[float, float]]:
        """(low, high) of every varying range, by key (what distances in the space are measured against)."""
        return {d.key: (d.distribution.low, d.distribution.high) for d in self.varying if isinstance(d.distribution, Continuous)}

    def fixed_values(self) -> dict[str, Value]:
        return {d.key: d.distribution.value for d in self.dimensions if isinstance(d.distribution, Fixed)}

    def from_unit(self, point: Sequence[float]) -> dict[str, Value]:
        """Parameters for a point of the unit cube with one coordinate per varying dimension."""
        varying = self.varying
        if len(point) != len(varying):
            raise ValueError(f"expected {len(varying)} coordinates, got {len(point)}")
        params = self.fixed_values()
        for dimension, u in zip(varying, point, strict=True):
            params[dimension.key] = dimension.distribution.from_unit(float(u))
        return params
