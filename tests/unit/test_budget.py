"""A run's size is counted from the policy, never by sampling: astronomically large configs are
summarised by `validate` at once, in little memory."""

from __future__ import annotations

import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from simulator.config import ConfigError
from simulator.experiment import load_experiment
from simulator.runner import budget

CONFIG = """
name: huge
objects: [coffee_mug, banana]
environments: [studio]
controls:
  - type: orientation
    yaw: {{min: -180, max: 180}}
    pitch: {{min: -90, max: 90}}
policy: {policy}
"""


@pytest.mark.parametrize(
    ("policy", "per_pair"),
    [
        ("{type: random, samples: 1000000000000}", 10**12),
        ("{type: sobol, samples: 1099511627776}", 2**40),
        ("{type: grid, points: 31622776}", 31622776**2),  # 10**15 points per pair
        ("{type: tpe, samples: 1000000000000}", 10**12),
    ],
)
def test_huge_budgets_are_counted_fast_in_little_memory(tmp_path: Path, policy: str, per_pair: int) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(textwrap.dedent(CONFIG.format(policy=policy)))
    load_experiment(path)  # imports done once (scipy's qmc for sobol), as in any process
    tracemalloc.start()
    start = time.perf_counter()
    size = budget(load_experiment(path))
    elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (size.per_pair, size.pairs, size.total) == (per_pair, 2, 2 * per_pair)
    assert elapsed < 0.5 and peak < 5 * 2**20


@pytest.mark.parametrize(
    ("policy", "key", "message"),
    [
        ("{type: random, samples: true}", "policy.samples", "valid integer"),
        ("{type: tpe, samples: 8, objective: margn}", "policy.objective", "did you mean 'margin'"),
        ("{type: tpe, samples: 8, objective: pred_top1_name}", "policy.objective", "is not a numeric column"),
        ("{type: tpe, samples: 8, objective: {column: loss, worst: up}}", "policy.objective", "worst: low | high"),
        ("{type: tpe, samples: 8, generation: 0}", "policy.generation", "greater than or equal to 1"),
        ("{type: cmaes, samples: 8}", "policy", "tpe"),
    ],
)
def test_bad_search_settings_are_refused_with_the_key(tmp_path: Path, policy: str, key: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    text = textwrap.dedent(CONFIG.format(policy=policy))
    if "cmaes" in policy:  # a categorical dimension, which CMA-ES cannot search
        text = text.replace("policy:", "  - type: corruption\n    kind: {choices: [none, fog]}\npolicy:")
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_experiment(path)
    assert any(path_ == key and message in problem for path_, problem in error.value.problems), error.value.problems
