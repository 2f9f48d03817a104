"""Objectives over several models: a chosen model's row, and disagreement between two models."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from simulator.config import ConfigError
from simulator.experiment import load_experiment
from simulator.objectives import Objective, parse_objective


def rows(margin_a: float, right_a: bool, margin_b: float, right_b: bool) -> list[dict]:
    return [
        {"id": "s", "model": "a", "margin": margin_a, "correct": right_a, "score": 0.9 if right_a else 0.2, "error": None},
        {"id": "s", "model": "b", "margin": margin_b, "correct": right_b, "score": 0.9 if right_b else 0.2, "error": None},
    ]


def test_parse_model_and_disagreement() -> None:
    assert parse_objective({"column": "margin", "model": "b"}) == Objective("margin", "low", "b")
    assert parse_objective({"disagreement": ["a", "b"]}) == Objective("margin", "low", versus=("a", "b"))
    for bad in ({"disagreement": ["a"]}, {"disagreement": ["a", "a"]}, {"disagreement": ["a", "b"], "column": "x"},
                {"column": "margin", "model": 3}):
        with pytest.raises(ValueError):
            parse_objective(bad)


def test_a_chosen_model_row_is_scored() -> None:
    objective = parse_objective({"column": "margin", "model": "b"})
    assert objective.score(rows(2.0, True, -1.0, False)) == -1.0
    assert objective.passed(rows(2.0, True, -1.0, False)) is False


def test_disagreement_is_lowest_when_a_is_right_and_b_wrong() -> None:
    objective = parse_objective({"disagreement": ["a", "b"]})
    found = rows(3.0, True, -2.0, False)
    assert objective.score(found) == -5.0 and objective.passed(found) is False
    both_right = rows(3.0, True, 1.0, True)
    assert objective.score(both_right) == -2.0 and objective.passed(both_right) is True
    reverse = rows(-2.0, False, 3.0, True)
    assert objective.score(reverse) == 5.0 and objective.passed(reverse) is True
    generic = Objective("score", versus=("a", "b"))
    assert generic.score(found) == pytest.approx((0.2 - 0.9) + (0 - 1))
    failed = [found[0], {**found[1], "error": "boom"}]
    assert objective.score(failed) is None and objective.passed(failed) is None


EXPERIMENT = """
name: pair
objects: [coffee_mug]
environments: ['#d0d0d0']
controls: [{type: orientation, yaw: {min: -40, max: 40}}]
models: [efficientnet_lite0, {module: efficientnet_lite1, name: lite1}]
policy: {type: tpe, samples: 8, objective: OBJECTIVE}
"""


def load(tmp_path: Path, objective: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "exp.yaml"
    path.write_text(textwrap.dedent(EXPERIMENT).replace("OBJECTIVE", objective))
    return load_experiment(path)


def test_experiment_checks_the_model_names_of_its_objective(tmp_path: Path) -> None:
    experiment = load(tmp_path, "{disagreement: [efficientnet_lite0, lite1]}")
    assert experiment.objective.versus == ("efficientnet_lite0", "lite1")
    assert experiment.model_names() == ["efficientnet_lite0", "lite1"]
    with pytest.raises(ConfigError, match=r"policy.objective: no model named 'lite2'; did you mean 'lite1'"):
        load(tmp_path, "{disagreement: [efficientnet_lite0, lite2]}")
    with pytest.raises(ConfigError, match=r"no model named 'other'"):
        load(tmp_path, "{column: margin, model: other}")


def test_model_and_models_are_exclusive_and_names_unique(tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(textwrap.dedent(EXPERIMENT).replace("OBJECTIVE", "margin") + "model: default\n")
    with pytest.raises(ConfigError, match="not both"):
        load_experiment(path)
    path.write_text(textwrap.dedent(EXPERIMENT).replace("OBJECTIVE", "margin").replace("name: lite1", "name: efficientnet_lite0"))
    with pytest.raises(ConfigError, match="name 'efficientnet_lite0' is used twice"):
        load_experiment(path)


def test_a_dumped_config_with_several_models_reads_back(tmp_path: Path) -> None:
    from simulator.config import ExperimentConfig

    config = load(tmp_path, "margin").config
    again = ExperimentConfig.model_validate(config.model_dump())
    assert [m.display_name for m in again.model_specs()] == ["efficientnet_lite0", "lite1"]
    assert again.model == again.models[0]


def test_the_report_names_a_disagreement_objective(tmp_path: Path) -> None:
    import json

    from simulator.analysis.loading import declared_objective

    path = tmp_path / "experiment.json"
    path.write_text(json.dumps({"policy": {"objective": {"disagreement": ["a", "b"]}}}))
    assert declared_objective(path) == "disagreement (a right, b wrong)"
    path.write_text(json.dumps({"policy": {"objective": {"disagreement": ["a"]}}}))
    assert declared_objective(path) == "margin"
