"""`robustsim check`: every spec's test, then (after a PASS) its falsifying search, with results saved.

    DIR/specs/<spec>/            the spec's renders (a results folder: report and dashboard read it)
    DIR/specs/<spec>/falsify/    the falsifying search's renders
    DIR/verdicts.json, DIR/verdicts.parquet   one record per spec
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import registry
from simulator.config import PolicyConfig
from simulator.execution.base import Executor
from simulator.experiment import Experiment
from simulator.object_digest import object_digests
from simulator.objectives import Objective
from simulator.results.reader import read_results, rows_by_sample
from simulator.results.store import ResultsStore
from simulator.results.writer import ResultsWriter
from simulator.runner import run_experiment
from simulator.specs.box import SpecBox
from simulator.specs.draws import renders_per_draw
from simulator.specs.runner import TestOutcome, run_test
from simulator.specs.stats import Verdict

SPECS_DIR = "specs"


@dataclass(frozen=True)
class SpecResult:
    """One spec's verdict and what it rests on (a row of verdicts.json / verdicts.parquet)."""

    spec: str
    kind: str
    where: str
    test: str
    at_least: float
    verdict: str  # after falsification
    test_verdict: str  # the statistical test's own
    n: int
    failures: int
    errors: int
    share: float | None  # of outcomes that met the requirement
    share_low: float
    share_high: float
    renders: int
    reused: int
    fixed_n: int  # renders a fixed-n test needs for the same error rates
    saved: int  # renders saved by stopping early (sprt): what fixed-n needs minus what the test used, never negative
    counterexample: str | None  # id of a failing render found by the falsifying search
    falsify_renders: int


def spec_folder(output: Path, box: SpecBox) -> Path:
    return output / SPECS_DIR / box.spec.name


def check_spec(
    experiment: Experiment, box: SpecBox, output: Path, executor: Executor, on_rows: Callable[[list], None]
) -> SpecResult:
    """Run one spec's test (reusing its stored renders) and, after a PASS, its falsifying search."""
    store = ResultsStore(spec_folder(output, box))
    store.prepare(experiment.config.model_dump(mode="json"), object_digests(experiment.objects.values()))
    stored = rows_by_sample(store.results_dir)
    session = executor.open(experiment, None)
    with ResultsWriter(store.results_dir, experiment.results_schema()) as writer:

        def save(rows: list[dict[str, Any]]) -> None:
            writer.write(rows)
            on_rows(rows)

        outcome = run_test(box, session, stored, save)
    counterexample, searched = None, 0
    if outcome.verdict is Verdict.PASS and box.spec.falsify is not None:
        counterexample, searched = falsify(box, store.directory / "falsify", executor)
    return _result(box, outcome, counterexample, searched)


def falsify(box: SpecBox, output: Path, executor: Executor) -> tuple[str | None, int]:
    """Search the box for a render that breaks the requirement (lowest margin first): the first one
    found in ask order, and the renders the search made."""
    experiment = falsifying_experiment(box)
    outcome = run_experiment(experiment, output, executor, pairs=list(box.pairs))
    rows = read_results(outcome.results_dir)
    model = box.spec.model or box.experiment.model_names()[0]
    judged = rows[rows["model"] == model] if "model" in rows.columns else rows
    failing = [
        row for row in judged.sort_values(["ask_index", "id"]).to_dict("records")
        if row["error"] is None and not box.passed(row)
    ] if not judged.empty else []
    return (failing[0]["id"] if failing else None), outcome.rendered


def falsifying_experiment(box: SpecBox) -> Experiment:
    """The box's experiment searched by the spec's `falsify.policy`, minimising the margin."""
    falsifier = box.spec.falsify
    assert falsifier is not None
    per_pair = math.ceil(falsifier.budget / len(box.pairs))
    policy = PolicyConfig(type=falsifier.policy, samples=per_pair, seed=box.spec.seed)
    config = box.experiment.config.model_copy(update={"policy": policy})
    return dataclasses.replace(
        box.experiment, config=config, policy_class=registry.lookup("policies", falsifier.policy), objective=Objective("margin")
    )


def _result(box: SpecBox, outcome: TestOutcome, counterexample: str | None, searched: int) -> SpecResult:
    spec = box.spec
    per_draw = renders_per_draw(box)
    low, high = outcome.interval
    verdict = Verdict.FAIL if counterexample is not None else outcome.verdict
    return SpecResult(
        spec=spec.name,
        kind=spec.kind,
        where=box.describe(),
        test=spec.test,
        at_least=spec.at_least,
        verdict=verdict.value,
        test_verdict=outcome.verdict.value,
        n=outcome.n,
        failures=outcome.failures,
        errors=outcome.errors,
        share=(outcome.n - outcome.failures) / outcome.n if outcome.n else None,
        share_low=low,
        share_high=high,
        renders=outcome.renders,
        reused=outcome.reused,
        fixed_n=outcome.fixed_n * per_draw,
        saved=max(outcome.fixed_n - outcome.n - outcome.errors, 0) * per_draw if spec.test == "sprt" else 0,
        counterexample=counterexample,
        falsify_renders=searched,
    )
