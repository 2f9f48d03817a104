"""Boundary policy and `smallest_flips` against synthetic models: no rendering."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from pydantic import ValidationError

from policies.base import Params
from policies.boundary import CHANGE, PAIR, PARAMETER, STEP, BoundaryPolicy, Told, pair_failures, smallest_flips
from simulator import registry
from simulator.search_space import Continuous, Dimension, Discrete, Fixed, ParameterSpec, SearchSpace
from tests.unit.test_optuna_policies import drive

ANGLE = ParameterSpec("angle", "float", 0.0, "turn", "deg", (-180.0, 180.0))
COUNT = ParameterSpec("count", "int", 0, "count", bounds=(0, 100))
MODE = ParameterSpec("mode", "str", "a", "mode", choices=("a", "b", "c"))

SPACE = SearchSpace(
    (
        Dimension("pose.yaw", ANGLE, Continuous(-60.0, 60.0)),
        Dimension("camera.elevation", ANGLE, Continuous(0.0, 40.0)),
        Dimension("light.count", COUNT, Fixed(3)),
        Dimension("background.mode", MODE, Discrete(("a", "b", "c"))),
    )
)
BOUNDARY_KEYS = {PAIR, PARAMETER, CHANGE, STEP}


def yaw_model(params: Params) -> float:
    """The margin of a model that fails exactly when yaw > 30, whatever the elevation and background."""
    return 30.0 - params["pose.yaw"]


def rows_of(asked: list[Params], passed: Callable[[Params], bool | None]) -> pd.DataFrame:
    return pd.DataFrame([{**p, "correct_top1": passed(p)} for p in asked])


def test_registered_with_its_columns() -> None:
    assert registry.lookup("policies", "boundary") is BoundaryPolicy
    assert BoundaryPolicy.adaptive
    assert BoundaryPolicy.columns == {PAIR: pa.int64(), PARAMETER: pa.string(), CHANGE: pa.float64(), STEP: pa.int64()}


def test_finds_the_yaw_boundary_and_that_elevation_does_not_flip() -> None:
    steps = 6
    policy = BoundaryPolicy(SPACE, samples=80, seed=0, steps=steps)
    asked = drive(policy, yaw_model)
    rows = rows_of(asked, lambda p: p["pose.yaw"] <= 30)
    table = smallest_flips(rows).set_index([PAIR, PARAMETER])
    pairs = sorted(set(table.index.get_level_values(PAIR)))
    assert len(pairs) == 4
    for pair in pairs:
        yaw = rows[(rows[PAIR] == pair) & (rows[PARAMETER] == "pose.yaw")]
        passing_yaw = (yaw["pose.yaw"] - yaw[CHANGE]).iloc[0]
        true_change = 30.0 - passing_yaw  # the change that reaches the boundary
        first_change = yaw[CHANGE].iloc[0]  # step 1: the failing sample's yaw
        found = table.loc[(pair, "pose.yaw")]
        assert found["flips"] and found["probes"] == steps
        assert 0 <= found["fail_change"] - true_change <= first_change / 2 ** (steps - 1) + 1e-9
        assert math.isnan(found["pass_change"]) or found["pass_change"] <= true_change
        for other in ("camera.elevation", "background.mode"):
            if (pair, other) in table.index:  # the pair differed in it: one probe, which passed
                assert not table.loc[(pair, other), "flips"] and table.loc[(pair, other), "probes"] == 1
    assert (pairs[0], "camera.elevation") in table.index


def test_phases_and_rounds_wait_for_results() -> None:
    policy = BoundaryPolicy(SPACE, samples=40, seed=0, search="random", search_samples=12, pairs=2, steps=3)
    search = policy.ask(100)
    assert len(search) == 12 and all(not BOUNDARY_KEYS & set(p) for p in search)
    assert policy.ask(8) == [] and policy.waiting()  # asked out, nothing told
    for params in search[:-1]:
        policy.tell(params, {"objective": yaw_model(params), "passed": yaw_model(params) >= 0})
    assert policy.ask(8) == [] and policy.waiting()  # one result still missing
    last = search[-1]
    stored = {**last, PAIR: None, PARAMETER: None, CHANGE: None, STEP: None}  # as a resumed run's row has it
    policy.tell(stored, {"objective": yaw_model(last), "passed": yaw_model(last) >= 0})

    rounds = []
    while batch := policy.ask(1) + policy.ask(100):  # a round may be asked in parts
        assert policy.ask(8) == [] and policy.waiting()
        assert len({(p[PAIR], p[PARAMETER]) for p in batch}) == len(batch)  # one probe per chain
        rounds.append(batch)
        for params in batch:
            policy.tell(params, {"objective": yaw_model(params), "passed": yaw_model(params) >= 0})
    assert not policy.waiting()
    assert [len(r) for r in rounds][0] >= 2 and len(rounds) == 3  # steps=3 probes per chain at most
    assert {p[STEP] for p in rounds[0]} == {1} and {p[STEP] for p in rounds[2]} == {3}
    for params in rounds[0]:
        assert set(params) == {*(d.key for d in SPACE.dimensions), *BOUNDARY_KEYS}
        assert params["light.count"] == 3
        assert isinstance(params[PAIR], int) and params[PAIR] in (0, 1) and isinstance(params[STEP], int)
        assert (params[CHANGE] is None) == (params[PARAMETER] == "background.mode")


def test_integer_bisection_stops_at_adjacent_values() -> None:
    space = SearchSpace(
        (
            Dimension("light.count", COUNT, Continuous(0, 100, integer=True)),
            Dimension("camera.elevation", ANGLE, Continuous(0.0, 40.0)),
        )
    )
    asked = drive(BoundaryPolicy(space, samples=200, seed=1, steps=20), lambda p: 36.5 - p["light.count"])
    rows = rows_of(asked, lambda p: p["light.count"] <= 36)
    table = smallest_flips(rows)
    counts = table[table[PARAMETER] == "light.count"]
    assert len(counts) >= 1
    for _, found in counts.iterrows():
        probes = rows[(rows[PAIR] == found[PAIR]) & (rows[PARAMETER] == "light.count")]
        assert all(type(v) is int for v in probes["light.count"])
        passing = (probes["light.count"] - probes[CHANGE]).iloc[0]
        assert passing + found["fail_change"] == 37  # the first failing count, exactly
        assert math.isnan(found["pass_change"]) or passing + found["pass_change"] == 36
        assert found["probes"] < 20


def test_a_choice_is_probed_once() -> None:
    asked = drive(
        BoundaryPolicy(SPACE, samples=60, seed=0, search="random", pairs=2),
        lambda p: -1.0 if p["background.mode"] == "c" else 1.0,
    )
    rows = rows_of(asked, lambda p: p["background.mode"] != "c")
    table = smallest_flips(rows).set_index([PAIR, PARAMETER])
    for pair in (0, 1):
        found = table.loc[(pair, "background.mode")]
        assert found["flips"] and found["probes"] == 1 and math.isnan(found["fail_change"])
        assert not table.loc[(pair, "pose.yaw"), "flips"]


def test_same_seed_and_results_same_asks() -> None:
    runs = [drive(BoundaryPolicy(SPACE, samples=60, seed=5), yaw_model) for _ in range(2)]
    assert runs[0] == runs[1]
    assert drive(BoundaryPolicy(SPACE, samples=60, seed=6), yaw_model) != runs[0]


@pytest.mark.parametrize("samples,search_samples", [(30, 10), (24, None), (13, 12)])
def test_budget_is_respected(samples: int, search_samples: int | None) -> None:
    policy = BoundaryPolicy(SPACE, samples=samples, seed=0, search="random", search_samples=search_samples, pairs=4)
    asked = drive(policy, yaw_model)
    assert len(asked) == samples == policy.total()
    assert sum(PAIR not in p for p in asked) == (search_samples or samples // 2)
    assert policy.ask(8) == [] and not policy.waiting()


def test_without_failures_phase_two_is_empty() -> None:
    policy = BoundaryPolicy(SPACE, samples=40, seed=0, search="random", search_samples=10)
    assert len(drive(policy, lambda p: 1.0)) == 10
    assert not policy.waiting()


def test_failed_samples_neither_pair_nor_continue_a_chain() -> None:
    def flaky(params: Params) -> float | None:
        if params.get(STEP) == 2 or params["camera.elevation"] > 30:
            return None  # fails to render: every second probe, and every search sample up there
        return yaw_model(params)

    asked = drive(BoundaryPolicy(SPACE, samples=80, seed=0), flaky)
    probes = [p for p in asked if PAIR in p]
    assert probes and max(p[STEP] for p in probes) == 2  # an errored probe ends its chain
    for probe in probes:  # pairs come from samples that rendered
        passing_elevation = probe["camera.elevation"] - (probe[CHANGE] if probe[PARAMETER] == "camera.elevation" else 0)
        assert passing_elevation <= 30


def test_telling_an_unknown_probe_is_an_error() -> None:
    policy = BoundaryPolicy(SPACE, samples=20, seed=0, search="random")
    (params,) = policy.ask(1)
    with pytest.raises(ValueError, match="not asked"):
        probe = {**params, PAIR: 0, PARAMETER: "pose.yaw", CHANGE: 1.0, STEP: 1}
        policy.tell(probe, {"objective": 1.0, "passed": True})


def test_pairs_skip_near_duplicates_lowest_objective_first() -> None:
    varying = SPACE.varying

    def told(yaw: float, elevation: float, mode: str, objective: float | None) -> Told:
        params = {"pose.yaw": yaw, "camera.elevation": elevation, "light.count": 3, "background.mode": mode}
        return Told(params, objective, None if objective is None else objective >= 0)

    samples = [
        told(50.0, 10.0, "a", -3.0),  # within 10% of every range of the worst: skipped
        told(45.0, 12.0, "a", -5.0),  # the worst: first
        told(52.0, 13.0, "a", -4.0),  # within 10% of the worst too: skipped
        told(52.0, 13.0, "b", -2.0),  # another choice: kept
        told(40.0, 20.0, "a", -1.0),  # elevation 8 (20% of its range) from the worst: kept
        told(35.0, 30.0, "c", -0.5),  # over the count
        told(0.0, 12.0, "a", 1.0),
        told(30.0, 12.0, "b", 2.0),  # nearer in yaw to (45, 12, a), but another background (distance 1)
        told(20.0, 30.0, "b", 0.5),
        told(44.0, 12.0, "a", None),  # failed to render: neither a pass nor a failure
    ]
    pairs = pair_failures(samples, varying, count=3)
    assert [(f.params["pose.yaw"], p.params["pose.yaw"]) for f, p in pairs] == [(45.0, 0.0), (52.0, 30.0), (40.0, 0.0)]
    assert pair_failures([s for s in samples if s.passed is not True], varying, count=3) == []


@pytest.mark.parametrize(
    "options,location,message",
    [
        ({"search": "tbe"}, ("search",), "'tbe'; did you mean 'tpe'"),
        ({"search": "boundary"}, ("search",), "cannot search with itself"),
        ({"pairs": 0}, ("pairs",), "greater than or equal to 1"),
        ({"steps": 1.5}, ("steps",), "valid integer"),
        ({"search_samples": 0}, ("search_samples",), "greater than or equal to 1"),
        ({"bisect": 3}, ("bisect",), "Extra inputs"),
    ],
)
def test_option_errors_carry_the_key(options: dict[str, Any], location: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BoundaryPolicy(SPACE, samples=20, **options)
    (error,) = caught.value.errors()
    assert error["loc"] == location and message in error["msg"]


@pytest.mark.parametrize(
    "samples,options,message",
    [
        (None, {}, "the boundary policy needs `samples`"),
        (20, {"search_samples": 20}, r"search_samples \(20\) must be less than samples \(20\)"),
        (1, {}, r"search_samples \(1\) must be less than samples \(1\)"),
        (20, {"search_options": {"startup_trial": 3}}, r"search_options \(options of the tpe policy\): startup_trial"),
        (20, {"search": "cmaes"}, "background.mode is a choice set"),
    ],
)
def test_value_errors_say_what_is_allowed(samples: int | None, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        BoundaryPolicy(SPACE, samples=samples, **options)
    assert not isinstance(caught.value, ValidationError)  # shown as `policy: <message>`, not a key path


def test_search_options_reach_the_search() -> None:
    policy = BoundaryPolicy(SPACE, samples=20, search_options={"startup_trials": 3})
    assert policy.search.startup_trials == 3 and policy.search.samples == 10


def test_smallest_flips_groups_per_object_and_model() -> None:
    probe = {PAIR: 0, PARAMETER: "pose.yaw"}
    rows = pd.DataFrame(
        [
            {"object": "mug", "model": "m", PAIR: None, PARAMETER: None, CHANGE: None, STEP: None, "ok": False},
            {"object": "mug", "model": "m", **probe, CHANGE: 20.0, STEP: 1, "ok": False},
            {"object": "mug", "model": "m", **probe, CHANGE: 10.0, STEP: 2, "ok": True},
            {"object": "mug", "model": "m", **probe, CHANGE: 15.0, STEP: 3, "ok": False},
            {"object": "mug", "model": "m", **probe, CHANGE: 12.5, STEP: 4, "ok": None},
            {"object": "cup", "model": "m", **probe, CHANGE: -8.0, STEP: 1, "ok": True},
        ]
    )
    table = smallest_flips(rows, passed="ok")
    assert list(table.columns) == ["object", "model", PAIR, PARAMETER, "probes", "flips", "fail_change", "pass_change"]
    cup, mug = table.to_dict("records")
    assert mug == {"object": "mug", "model": "m", PAIR: 0, PARAMETER: "pose.yaw", "probes": 3, "flips": True,
                   "fail_change": 15.0, "pass_change": 10.0}
    assert cup["probes"] == 1 and not cup["flips"] and math.isnan(cup["fail_change"]) and cup["pass_change"] == -8.0
    assert smallest_flips(rows.iloc[:1], passed="ok").empty
    assert smallest_flips(pd.DataFrame({"correct_top1": [True]})).empty
