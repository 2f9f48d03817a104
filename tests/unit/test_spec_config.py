"""`specs:` resolved against the experiment: boxes narrowed inside it, every bad spec refused with its key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from simulator.config import ConfigError
from simulator.experiment import load_experiment
from simulator.search_space import Continuous, Discrete
from simulator.specs.box import load_specs

BASE = """
name: specs
objects: [coffee_mug, banana]
environments: [studio, '#808080']
controls:
  - type: orientation
    yaw: {min: -90, max: 90}
  - type: corruption
    kind: {choices: [none, fog, contrast]}
    severity: 2
policy: {type: random, samples: 4}
specs:
"""


def specs_of(tmp_path: Path, specs: str):
    path = tmp_path / "specs.yaml"
    path.write_text(textwrap.dedent(BASE) + textwrap.indent(textwrap.dedent(specs), "  "))
    return load_specs(load_experiment(path))


def test_a_box_narrows_objects_environments_and_parameters(tmp_path: Path) -> None:
    (box,) = specs_of(
        tmp_path,
        """
        - name: upright_mug
          kind: accuracy
          where: {objects: [coffee_mug], orientation.yaw: {min: -20, max: 20}, corruption.kind: {choices: [none, fog]}}
          at_least: 0.9
        """,
    )
    assert box.pairs == (("coffee_mug", "studio"), ("coffee_mug", "#808080"))
    dimensions = {d.key: d.distribution for d in box.experiment.space.dimensions}
    assert dimensions["orientation.yaw"] == Continuous(-20.0, 20.0)
    assert dimensions["corruption.kind"] == Discrete(("none", "fog"))
    assert (box.spec.p0, box.spec.p1) == pytest.approx((0.1, 0.2))
    assert "orientation.yaw in [-20, 20]" in box.describe()


def test_invariance_canonical_defaults_to_each_parameters_default(tmp_path: Path) -> None:
    (box,) = specs_of(tmp_path, "- {name: turn, kind: invariance, where: {orientation.yaw: {min: -45, max: 45}}}\n")
    assert box.canonical["orientation.yaw"] == 0.0 and box.canonical["corruption.severity"] == 2


@pytest.mark.parametrize(
    ("spec", "key", "message"),
    [
        ("- {name: a, kind: acuracy}", "specs[0].kind", "did you mean 'accuracy'"),
        ("- {name: a, kind: accuracy, at_least: 1.0}", "specs[0].at_least", "less than 1"),
        ("- {name: a, kind: accuracy, at_least: 0}", "specs[0].at_least", "greater than 0"),
        ("- {name: a, kind: accuracy, alpha: 0.5}", "specs[0].alpha", "less than 0.5"),
        ("- {name: a, kind: accuracy, at_least: 0.05, indifference: 0.96}", "specs[0]", "at_least - indifference"),
        ("- {name: a, kind: accuracy, test: bayes}", "specs[0].test", "'sprt' or 'fixed'"),
        ("- {name: a, kind: accuracy, where: {objects: [teapot]}}", "specs[0].where.objects", "'teapot' not in the experiment"),
        ("- {name: a, kind: accuracy, where: {environments: forest}}", "specs[0].where.environments", "not in the experiment"),
        ("- {name: a, kind: accuracy, where: {orientation.yaw: {min: -120, max: 0}}}", "specs[0].where.orientation.yaw", "inside the experiment's range [-90, 90]"),
        ("- {name: a, kind: accuracy, where: {corruption.kind: {choices: [snow]}}}", "specs[0].where.corruption.kind", "outside the experiment"),
        ("- {name: a, kind: accuracy, where: {corruption.severity: 3}}", "specs[0].where.corruption.severity", "outside the experiment"),
        ("- {name: a, kind: accuracy, where: {orientation.jaw: 3}}", "specs[0].where.orientation.jaw", "did you mean 'orientation.yaw'"),
        ("- {name: a, kind: accuracy, metric: top3}", "specs[0].metric", "allowed: top1, top5, margin > 0"),
        ("- {name: a, kind: monotonic, parameter: corruption.severity}", "specs[0].parameter", "not a range searched"),
        ("- {name: a, kind: monotonic, parameter: orientation.yaw, metric: pred_top1_name}", "specs[0].metric", "not a numeric column"),
        ("- {name: a, kind: agreement, models: [x, y]}", "specs[0].kind", "list them under `models:`"),
        ("- {name: a, kind: agreement, models: [x, y]}", "specs[0].models", "no model named 'x'"),
        ("- {name: a, kind: accuracy, model: lite9}", "specs[0].model", "no model named 'lite9'"),
        ("- {name: a, kind: invariance, canonical: {orientation.yaw: 120}}", "specs[0].canonical.orientation.yaw", "outside"),
        ("- {name: a, kind: invariance, falsify: {policy: tpe}}", "specs[0].falsify", "accuracy specs only"),
        ("- {name: a, kind: accuracy, falsify: {policy: sobol}}", "specs[0].falsify.policy", "does not learn"),
        ("- {name: a, kind: accuracy, falsify: {policy: tpx}}", "specs[0].falsify.policy", "did you mean 'tpe'"),
        ("- {name: a, kind: accuracy, falsify: {policy: cmaes}}", "specs[0].falsify.policy", "choice"),
        ("- {name: a, kind: accuracy}\n- {name: a, kind: invariance}", "specs[1].name", "used twice"),
        ("- just a string", "specs[0]", "a spec is a mapping"),
    ],
)
def test_bad_specs_are_refused_with_the_key(tmp_path: Path, spec: str, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        specs_of(tmp_path, spec + "\n")
    assert any(path == key and message in problem for path, problem in error.value.problems), error.value.problems
