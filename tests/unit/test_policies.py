"""Grid, random and Sobol policies: sizes, exact points, determinism, bounds and option errors."""

from __future__ import annotations

import logging
import re
import time
import warnings

import numpy as np
import pytest
from pydantic import ValidationError

from policies.base import Policy
from policies.grid import GridPolicy
from policies.random import RandomPolicy
from policies.sobol import SobolPolicy
from simulator import registry
from simulator.search_space import Continuous, Dimension, Discrete, Fixed, ParameterSpec, SearchSpace

ANGLE = ParameterSpec("azimuth", "float", 0.0, "turn", "deg", (-180.0, 180.0))
COUNT = ParameterSpec("count", "int", 1, "count", bounds=(0, 10))
MODE = ParameterSpec("mode", "str", "a", "mode", choices=("a", "b", "c"))
SCALE = ParameterSpec("scale", "float", 1.0, "size", bounds=(0.1, 10.0))

SPACE = SearchSpace(
    (
        Dimension("camera.azimuth", ANGLE, Continuous(-30.0, 30.0)),
        Dimension("pose.scale", SCALE, Fixed(2.0)),
        Dimension("light.count", COUNT, Continuous(2, 5, integer=True)),
        Dimension("background.mode", MODE, Discrete(("a", "b"))),
    )
)
ALL_FIXED = SearchSpace((Dimension("pose.scale", SCALE, Fixed(2.0)),))
KEYS = {"camera.azimuth", "pose.scale", "light.count", "background.mode"}
SAMPLING = [RandomPolicy, SobolPolicy]


def test_registered_under_their_names() -> None:
    for cls in (GridPolicy, RandomPolicy, SobolPolicy):
        assert registry.lookup("policies", cls.name) is cls
        assert cls.summary and "\n" not in cls.summary


# --- grid ---------------------------------------------------------------------------------------


def test_grid_exact_points_last_dimension_fastest() -> None:
    space = SearchSpace(
        (
            Dimension("camera.azimuth", ANGLE, Continuous(-30.0, 30.0)),
            Dimension("pose.scale", SCALE, Fixed(2.0)),
            Dimension("background.mode", MODE, Discrete(("a", "b"))),
        )
    )
    policy = GridPolicy(space, points=3)
    assert policy.total() == 6
    assert policy.ask(100) == [
        {"pose.scale": 2.0, "camera.azimuth": a, "background.mode": m}
        for a in (-30.0, 0.0, 30.0)
        for m in ("a", "b")
    ]
    assert policy.ask(1) == []


def test_grid_size_is_the_product_of_axes() -> None:
    policy = GridPolicy(SPACE)  # 5 angles x 4 distinct integers in [2, 5] x 2 choices
    assert list(policy.axes["light.count"]) == [2, 3, 4, 5]
    assert policy.total() == 5 * 4 * 2
    params = policy.ask(1000)
    assert len(params) == policy.total()
    assert len({tuple(sorted(p.items())) for p in params}) == len(params)
    assert all(set(p) == KEYS for p in params)


def test_grid_int_dimensions_are_distinct_integers() -> None:
    space = SearchSpace((Dimension("light.count", COUNT, Continuous(0, 10, integer=True)),))
    values = [p["light.count"] for p in GridPolicy(space, points=3).ask(10)]
    assert values == [0, 5, 10]
    assert all(type(v) is int for v in values)
    many = [p["light.count"] for p in GridPolicy(space, points=50).ask(100)]
    assert many == list(range(11))


def test_grid_points_per_dimension_override() -> None:
    policy = GridPolicy(SPACE, points=2, points_per_dimension={"camera.azimuth": 1})
    assert list(policy.axes["camera.azimuth"]) == [0.0]  # one point: the middle of the range
    assert list(policy.axes["light.count"]) == [2, 5]
    assert policy.total() == 1 * 2 * 2


def test_a_huge_grid_is_counted_and_indexed_without_enumerating_it() -> None:
    start = time.perf_counter()
    policy = GridPolicy(SPACE, points=10**15)  # 10**15 azimuths x 4 counts x 2 modes
    assert policy.total() == 10**15 * 4 * 2
    first, second, third = policy.ask(3)
    policy.ask(10**4)  # asks go on from where they are, without enumerating what came before
    assert time.perf_counter() - start < 1
    assert first["camera.azimuth"] == second["camera.azimuth"] == -30.0  # the last dimension moves fastest
    assert (first["light.count"], first["background.mode"], second["background.mode"]) == (2, "a", "b")
    assert third["light.count"] == 3


def test_grid_points_are_the_linspace_values() -> None:
    for low, high, points in [(0.0, 1.0, 7), (-3.5, 12.25, 40), (2.0, 2.0, 3)]:
        assert Continuous(low, high).grid(points) == [float(v) for v in np.linspace(low, high, points)]
    for low, high, points in [(0, 10, 4), (-7, 93, 33), (0, 3, 9)]:
        assert Continuous(low, high, integer=True).grid(points) == sorted(
            {int(round(v)) for v in np.linspace(low, high, points)}
        )


def test_grid_all_fixed_is_one_point() -> None:
    policy = GridPolicy(ALL_FIXED)
    assert policy.total() == 1
    assert policy.ask(5) == [{"pose.scale": 2.0}]


def test_grid_samples_must_be_absent_or_the_grid_size() -> None:
    assert GridPolicy(SPACE, samples=40).total() == 40
    with pytest.raises(ValueError, match=r"the grid has 40 points = 5 \(camera.azimuth\) x 4 \(light.count\)"):
        GridPolicy(SPACE, samples=100)


@pytest.mark.parametrize(
    "options,location,message",
    [
        ({"pints": 3}, ("pints",), "Extra inputs are not permitted"),
        ({"points": 0}, ("points",), "greater than or equal to 1"),
        ({"points": True}, ("points",), "valid integer"),
        ({"points_per_dimension": {"camera.azimuth": 0}}, ("points_per_dimension", "camera.azimuth"), ">= 1|greater"),
        (
            {"points_per_dimension": {"camera.azimut": 3}},
            ("points_per_dimension",),
            "unknown dimension 'camera.azimut' .*continuous dimensions: camera.azimuth, light.count",
        ),
        (
            {"points_per_dimension": {"background.mode": 3}},
            ("points_per_dimension",),
            "'background.mode' is not a continuous",
        ),
        ({"points_per_dimension": {"pose.scale": 3}}, ("points_per_dimension",), "'pose.scale' is not a continuous"),
    ],
)
def test_grid_option_errors_carry_the_key(options: dict, location: tuple, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        GridPolicy(SPACE, **options)
    (error,) = caught.value.errors()
    assert error["loc"] == location
    assert re.search(message, error["msg"])


# --- every policy -------------------------------------------------------------------------------


def _make(cls: type[Policy], samples: int = 40, seed: int = 0) -> Policy:
    return cls(SPACE, samples=None if cls is GridPolicy else samples, seed=seed)


@pytest.mark.parametrize("cls", [GridPolicy, *SAMPLING])
def test_same_inputs_same_sequence(cls: type[Policy]) -> None:
    assert _make(cls).ask(40) == _make(cls).ask(40)


@pytest.mark.parametrize("cls", [GridPolicy, *SAMPLING])
def test_chunked_asks_equal_one_ask(cls: type[Policy]) -> None:
    chunked = _make(cls)
    parts = chunked.ask(3) + chunked.ask(0) + chunked.ask(7) + chunked.ask(1) + chunked.ask(100)
    assert parts == _make(cls).ask(1000)
    assert len(parts) == 40
    assert chunked.ask(5) == []


@pytest.mark.parametrize("cls", [GridPolicy, *SAMPLING])
def test_values_within_the_declared_distributions(cls: type[Policy]) -> None:
    for params in _make(cls).ask(1000):
        assert set(params) == KEYS
        assert -30.0 <= params["camera.azimuth"] <= 30.0 and type(params["camera.azimuth"]) is float
        assert params["light.count"] in range(2, 6) and type(params["light.count"]) is int
        assert params["background.mode"] in ("a", "b")
        assert params["pose.scale"] == 2.0


@pytest.mark.parametrize("cls", [GridPolicy, *SAMPLING])
def test_tell_is_accepted(cls: type[Policy]) -> None:
    policy = _make(cls)
    (params,) = policy.ask(1)
    policy.tell(params, {"correct_top1": True, "loss": 0.1})
    assert len(policy.ask(100)) == 39


@pytest.mark.parametrize("cls", [GridPolicy, *SAMPLING])
def test_negative_ask_is_an_error(cls: type[Policy]) -> None:
    with pytest.raises(ValueError, match="n must be >= 0"):
        _make(cls).ask(-1)


# --- random and sobol ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", SAMPLING)
def test_prefix_stability(cls: type[Policy]) -> None:
    short, long = _make(cls, samples=10).ask(10), _make(cls, samples=64).ask(64)
    assert short == long[:10]


@pytest.mark.parametrize("cls", SAMPLING)
def test_seeds_give_different_sequences(cls: type[Policy]) -> None:
    assert _make(cls, seed=0).ask(16) != _make(cls, seed=1).ask(16)


@pytest.mark.parametrize("cls", SAMPLING)
def test_total_is_samples(cls: type[Policy]) -> None:
    assert _make(cls, samples=16).total() == 16


@pytest.mark.parametrize("cls", SAMPLING)
def test_covers_every_choice_and_integer(cls: type[Policy]) -> None:
    params = _make(cls, samples=64).ask(64)
    assert {p["light.count"] for p in params} == {2, 3, 4, 5}
    assert {p["background.mode"] for p in params} == {"a", "b"}


@pytest.mark.parametrize("cls", SAMPLING)
def test_all_fixed_gives_samples_copies(cls: type[Policy]) -> None:
    assert cls(ALL_FIXED, samples=3, seed=0).ask(10) == [{"pose.scale": 2.0}] * 3


@pytest.mark.parametrize("cls", SAMPLING)
@pytest.mark.parametrize("samples,message", [(None, "needs `samples`"), (0, "samples must be >= 1")])
def test_samples_required(cls: type[Policy], samples: int | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cls(SPACE, samples=samples, seed=0)


@pytest.mark.parametrize("cls", SAMPLING)
def test_unknown_option_is_an_error(cls: type[Policy]) -> None:
    with pytest.raises(ValidationError) as caught:
        cls(SPACE, samples=8, seed=0, scramble=False)
    assert caught.value.errors()[0]["loc"] == ("scramble",)


def test_negative_seed_is_an_error() -> None:
    with pytest.raises(ValueError, match="seed must be >= 0"):
        RandomPolicy(SPACE, samples=8, seed=-1)


def test_sobol_points_are_balanced_per_dimension() -> None:
    # 16 scrambled Sobol' points put exactly one point in each 1/16 stratum of every coordinate.
    space = SearchSpace(
        (
            Dimension("camera.azimuth", ANGLE, Continuous(0.0, 16.0)),
            Dimension("camera.elevation", ANGLE, Continuous(0.0, 16.0)),
        )
    )
    params = SobolPolicy(space, samples=16, seed=3).ask(16)
    for key in ("camera.azimuth", "camera.elevation"):
        assert sorted(int(p[key]) for p in params) == list(range(16))


def test_sobol_warns_when_samples_is_not_a_power_of_two(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="policies.sobol"):
        SobolPolicy(SPACE, samples=16, seed=0)
        assert not caplog.records
        policy = SobolPolicy(SPACE, samples=100, seed=0)
    assert "not a power of 2" in caplog.text and "64 or 128" in caplog.text
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's per-draw balance warning is silenced
        policy.ask(3)


@pytest.mark.parametrize(
    "cls,azimuth,count,mode",
    [(RandomPolicy, 8.217701239287258, 3, "a"), (SobolPolicy, -5.403024684637785, 5, "b")],
)
def test_sequence_is_pinned(cls: type[Policy], azimuth: float, count: int, mode: str) -> None:
    # Results are resumed by sample id: a library upgrade that changes the stream must fail here.
    (params,) = cls(SPACE, samples=1, seed=0).ask(1)
    assert params == {
        "pose.scale": 2.0,
        "camera.azimuth": pytest.approx(azimuth),
        "light.count": count,
        "background.mode": mode,
    }


def test_random_is_uniform() -> None:
    params = RandomPolicy(SPACE, samples=4000, seed=5).ask(4000)
    assert abs(sum(p["camera.azimuth"] for p in params) / 4000) < 1.5  # sd of the mean ~0.27
    for count in range(2, 6):
        assert 900 < sum(p["light.count"] == count for p in params) < 1100
    assert 1880 < sum(p["background.mode"] == "a" for p in params) < 2120
