"""Optuna-backed policies (tpe, gp, cmaes) against synthetic objectives: no rendering, no model."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from optuna.trial import TrialState
from pydantic import ValidationError

from policies.base import Params, Policy
from policies.optuna import CmaEsPolicy, GPPolicy, OptunaPolicy, TPEPolicy
from policies.random import RandomPolicy
from simulator import registry
from simulator.search_space import Continuous, Dimension, Discrete, Fixed, ParameterSpec, SearchSpace

ANGLE = ParameterSpec("angle", "float", 0.0, "turn", "deg", (-180.0, 180.0))
UNIT = ParameterSpec("unit", "float", 0.0, "a fraction", bounds=(0.0, 1.0))
COUNT = ParameterSpec("count", "int", 1, "count", bounds=(0, 10))
MODE = ParameterSpec("mode", "str", "a", "mode", choices=("a", "b", "c"))
FLAG = ParameterSpec("flag", "bool", False, "a switch")

MIXED = SearchSpace(
    (
        Dimension("camera.azimuth", ANGLE, Continuous(-30.0, 30.0)),
        Dimension("pose.scale", UNIT, Fixed(0.5)),
        Dimension("light.count", COUNT, Continuous(2, 5, integer=True)),
        Dimension("background.mode", MODE, Discrete(("a", "b", "c"))),
        Dimension("texture.flag", FLAG, Discrete((False, True))),
        Dimension("camera.roll", ANGLE, Continuous(10.0, 10.0)),  # degenerate: one value
        Dimension("light.spare", COUNT, Continuous(3, 3, integer=True)),
        Dimension("occlusion.mode", MODE, Discrete(("b",))),
    )
)
NUMERIC = SearchSpace(
    (
        Dimension("a.x", UNIT, Continuous(0.0, 1.0)),
        Dimension("a.y", UNIT, Continuous(0.0, 1.0)),
        Dimension("a.z", UNIT, Continuous(0.0, 1.0)),
        Dimension("a.n", COUNT, Continuous(0, 10, integer=True)),
    )
)
Objective = Callable[[Params], float | None]


def drive(policy: Policy, objective: Objective, generation: int = 8, in_flight: int = 2) -> list[Params]:
    """The search loop's schedule: batched asks, `in_flight` generations untold, tells in ask order.

    The result row is {"objective": ..., "passed": objective > 0} (None for both when `objective`
    returns None: a failed sample). Returns every asked params dict in ask order.
    """
    asked: list[Params] = []
    untold: deque[list[Params]] = deque()

    def tell_oldest() -> None:
        for params in untold.popleft():
            value = objective(params)
            passed = None if value is None or math.isnan(value) else value > 0
            policy.tell(params, {"objective": value, "passed": passed})

    while True:
        if len(untold) >= in_flight:
            tell_oldest()
        batch = policy.ask(generation)
        if batch:
            asked += batch
            untold.append(batch)
        elif untold:
            tell_oldest()
        elif policy.waiting():
            raise AssertionError("the policy waits for results although everything was told")
        else:
            return asked


def ball(params: Params) -> float:
    """Distance to (0.8, 0.3, 0.6) minus 0.1: negative (a failure) inside a ball of ~0.4% of the cube."""
    return math.dist((params["a.x"], params["a.y"], params["a.z"]), (0.8, 0.3, 0.6)) - 0.1


def test_registered_under_their_names() -> None:
    for cls in (TPEPolicy, GPPolicy, CmaEsPolicy):
        assert registry.lookup("policies", cls.name) is cls
        assert cls.adaptive and cls.summary and "\n" not in cls.summary


@pytest.mark.parametrize("cls", [TPEPolicy, GPPolicy])
def test_mixed_space_types_and_ranges(cls: type[OptunaPolicy]) -> None:
    policy = cls(MIXED, samples=16, seed=0, startup_trials=4)
    asked = drive(policy, lambda p: p["camera.azimuth"] + p["light.count"])
    assert len(asked) == 16
    for params in asked:
        assert list(params) == [d.key for d in MIXED.dimensions]
        assert type(params["camera.azimuth"]) is float and -30.0 <= params["camera.azimuth"] <= 30.0
        assert type(params["light.count"]) is int and 2 <= params["light.count"] <= 5
        assert params["background.mode"] in ("a", "b", "c")
        assert type(params["texture.flag"]) is bool
        assert params["pose.scale"] == 0.5
        assert params["camera.roll"] == 10.0 and type(params["camera.roll"]) is float
        assert params["light.spare"] == 3 and type(params["light.spare"]) is int
        assert params["occlusion.mode"] == "b"
    # only the really varying dimensions are searched by Optuna
    assert set(policy.study.trials[0].params) == {"camera.azimuth", "light.count", "background.mode", "texture.flag"}


@pytest.mark.parametrize("cls", [TPEPolicy, CmaEsPolicy])
def test_same_seed_and_results_same_asks(cls: type[OptunaPolicy]) -> None:
    runs = [drive(cls(NUMERIC, samples=40, seed=3), ball) for _ in range(2)]
    assert runs[0] == runs[1]
    assert drive(cls(NUMERIC, samples=40, seed=4), ball) != runs[0]


@pytest.mark.parametrize("cls", [TPEPolicy, CmaEsPolicy])
def test_asks_after_startup_depend_on_results(cls: type[OptunaPolicy]) -> None:
    toward = drive(cls(NUMERIC, samples=40, seed=0, startup_trials=8), ball)
    away = drive(cls(NUMERIC, samples=40, seed=0, startup_trials=8), lambda p: -ball(p))
    assert toward[:8] == away[:8]  # the random startup trials do not look at results
    assert toward[24:] != away[24:]
    # Minimising the distance comes closer to the ball's centre than minimising its opposite.
    assert min(map(ball, toward[24:])) < min(map(ball, away[24:]))


def test_tpe_finds_a_small_failure_region_more_often_than_random() -> None:
    # The ball holds ~0.4% of the cube: 64 random samples find it in ~1 run of 4, TPE in almost every run.
    def failures(policy: Policy) -> int:
        return sum(ball(p) < 0 for p in drive(policy, ball))

    tpe = [failures(TPEPolicy(NUMERIC, samples=64, seed=seed)) for seed in range(8)]
    rand = [failures(RandomPolicy(NUMERIC, samples=64, seed=seed)) for seed in range(8)]
    assert sum(count > 0 for count in tpe) >= 6
    assert sum(count > 0 for count in tpe) >= sum(count > 0 for count in rand) + 3
    assert sum(tpe) >= 4 * max(sum(rand), 1)


def test_failed_samples_are_told_as_failed_trials() -> None:
    def flaky(params: Params) -> float | None:
        if params["a.x"] < 0.2:
            return None
        return math.nan if params["a.y"] < 0.2 else ball(params)

    policy = TPEPolicy(NUMERIC, samples=48, seed=1)
    asked = drive(policy, flaky)
    assert len(asked) == 48
    states = [trial.state for trial in policy.study.trials]
    failed = sum(flaky(p) is None or math.isnan(flaky(p)) for p in asked)
    assert failed > 0
    assert states.count(TrialState.FAIL) == failed
    assert states.count(TrialState.COMPLETE) == 48 - failed


def test_equal_params_are_told_first_in_first_out() -> None:
    space = SearchSpace((Dimension("pose.scale", UNIT, Fixed(0.5)),))
    policy = TPEPolicy(space, samples=3, seed=0)
    asked = policy.ask(5)
    assert asked == [{"pose.scale": 0.5}] * 3
    for params, value in zip(asked, [3.0, 1.0, 2.0], strict=True):
        policy.tell(params, {"objective": value, "passed": True})
    assert [trial.value for trial in policy.study.trials] == [3.0, 1.0, 2.0]


def test_telling_params_never_asked_is_an_error() -> None:
    policy = TPEPolicy(NUMERIC, samples=4, seed=0)
    (params,) = policy.ask(1)
    with pytest.raises(ValueError, match="not asked"):
        policy.tell({**params, "a.x": params["a.x"] / 2 + 0.01}, {"objective": 1.0})
    with pytest.raises(ValueError, match="not asked"):
        policy.tell({"a.x": 0.5}, {"objective": 1.0})
    policy.tell(params, {"objective": 1.0})
    with pytest.raises(ValueError, match="told twice"):
        policy.tell(params, {"objective": 1.0})


def test_cmaes_refuses_choice_sets_and_names_them() -> None:
    with pytest.raises(ValueError) as caught:
        CmaEsPolicy(MIXED, samples=8)
    message = str(caught.value)
    assert "background.mode, texture.flag are choice sets" in message and "tpe" in message
    assert "occlusion.mode" not in message  # a single choice is a fixed value


def test_cmaes_searches_a_numeric_space() -> None:
    asked = drive(CmaEsPolicy(NUMERIC, samples=48, seed=0), ball)
    assert len(asked) == 48
    assert all(0.0 <= p["a.x"] <= 1.0 and type(p["a.n"]) is int and 0 <= p["a.n"] <= 10 for p in asked)
    assert min(map(ball, asked[24:])) < min(map(ball, asked[:8]))


def test_gp_runs_on_a_tiny_budget() -> None:
    policy = GPPolicy(NUMERIC, samples=8, seed=0, startup_trials=4)
    asked = drive(policy, ball, generation=2, in_flight=1)
    assert len(asked) == 8 and len({tuple(p.values()) for p in asked}) == 8
    assert all(trial.state == TrialState.COMPLETE for trial in policy.study.trials)


def test_startup_trials_default_to_the_samplers() -> None:
    assert TPEPolicy(NUMERIC, samples=4).startup_trials == 10
    assert GPPolicy(NUMERIC, samples=4).startup_trials == 10
    assert CmaEsPolicy(NUMERIC, samples=4).startup_trials == 1
    assert TPEPolicy(NUMERIC, samples=4, startup_trials=0).startup_trials == 0


@pytest.mark.parametrize(
    "options,location",
    [
        ({"startup_trials": -1}, ("startup_trials",)),
        ({"startup_trials": 2.5}, ("startup_trials",)),
        ({"sigma": 1}, ("sigma",)),
    ],
)
def test_option_errors_carry_the_key(options: dict[str, Any], location: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        TPEPolicy(NUMERIC, samples=8, **options)
    assert caught.value.errors()[0]["loc"] == location


@pytest.mark.parametrize("cls", [TPEPolicy, GPPolicy, CmaEsPolicy])
def test_samples_required(cls: type[OptunaPolicy]) -> None:
    with pytest.raises(ValueError, match=f"the {cls.name} policy needs `samples`"):
        cls(NUMERIC)
    policy = cls(NUMERIC, samples=3)
    assert policy.total() == 3 and len(policy.ask(10)) == 3 and policy.ask(1) == [] and not policy.waiting()


def test_tpe_sequence_is_pinned() -> None:
    # Results are resumed by sample id: an Optuna upgrade that changes the stream must fail here.
    (first,) = TPEPolicy(MIXED, samples=1, seed=0).ask(1)
    assert first == {
        "camera.azimuth": pytest.approx(2.9288102356394887),
        "pose.scale": 0.5,
        "light.count": 4,
        "background.mode": "a",
        "texture.flag": False,
        "camera.roll": 10.0,
        "light.spare": 3,
        "occlusion.mode": "b",
    }
    asked = drive(TPEPolicy(NUMERIC, samples=12, seed=0, startup_trials=4), ball, generation=4, in_flight=1)
    assert asked[-1] == {  # chosen by the model from 8 told results
        "a.x": pytest.approx(0.07760567586212519),
        "a.y": pytest.approx(0.7762618199551097),
        "a.z": pytest.approx(0.900309460261631),
        "a.n": 7,
    }
