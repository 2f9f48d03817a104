"""Parameter declarations and the YAML parameter syntax."""

from __future__ import annotations

import pytest

from simulator.search_space import (
    Continuous,
    Dimension,
    Discrete,
    Fixed,
    ParameterError,
    ParameterSpec,
    SearchSpace,
    parse_distribution,
)

ANGLE = ParameterSpec("yaw", "float", 0.0, "turn", "deg", (-180.0, 180.0))
COUNT = ParameterSpec("n", "int", 1, "count", bounds=(0, 10))
MODE = ParameterSpec("mode", "str", "a", "mode", choices=("a", "b", "c"))


def test_three_forms_of_the_one_syntax() -> None:
    assert parse_distribution(12, ANGLE) == Fixed(12.0)
    assert parse_distribution({"min": -30, "max": 30}, ANGLE) == Continuous(-30.0, 30.0)
    assert parse_distribution({"choices": [0, 90]}, ANGLE) == Discrete((0.0, 90.0))
    assert parse_distribution({"min": 2, "max": 5}, COUNT) == Continuous(2, 5, integer=True)


@pytest.mark.parametrize(
    "raw,spec,message",
    [
        (200, ANGLE, "outside the allowed range"),
        ("x", ANGLE, "is not a float"),
        (1.5, COUNT, "is not a int"),
        ("d", MODE, "is not one of"),
        ({"choices": ["a", "z"]}, MODE, "is not one of"),
        ({"min": "a", "max": "c"}, MODE, "numeric parameter"),
        ({"min": 1}, ANGLE, "expected a value"),
        ([1, 2], ANGLE, "ambiguous"),
    ],
)
def test_disallowed_values_say_why(raw: object, spec: ParameterSpec, message: str) -> None:
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        parse_distribution(raw, spec)


def test_continuous_maps_the_unit_interval_onto_the_range() -> None:
    assert Continuous(-10.0, 10.0).from_unit(0.25) == -5.0
    integers = Continuous(0, 3, integer=True)
    assert [integers.from_unit(u) for u in (0.0, 0.24, 0.26, 0.99999)] == [0, 0, 1, 3]
    assert Continuous(0.0, 1.0).grid(3) == [0.0, 0.5, 1.0]
    assert Continuous(0, 2, integer=True).grid(10) == [0, 1, 2]


def test_space_fills_fixed_values_and_rejects_duplicates() -> None:
    space = SearchSpace(
        (
            Dimension("o.yaw", ANGLE, Continuous(0.0, 90.0)),
            Dimension("o.mode", MODE, Fixed("b")),
            Dimension("o.n", COUNT, Discrete((1, 2, 3))),
        )
    )
    assert [d.key for d in space.varying] == ["o.yaw", "o.n"]
    assert space.from_unit([0.5, 0.9]) == {"o.mode": "b", "o.yaw": 45.0, "o.n": 3}
    with pytest.raises(ValueError, match="duplicate"):
        SearchSpace((space.dimensions[0], space.dimensions[0]))
