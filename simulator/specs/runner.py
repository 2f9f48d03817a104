"""Run one spec: render its draws, feed the outcomes to the test in draw order, stop when decided.

Draws go to the executor a few at a time (as many as keep its workers busy); outcomes are counted
in draw order only, so the verdict and its n do not depend on which worker finished first, and a
rerun reuses the rows stored by the last one (same draws, same ids).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from simulator.execution.base import ExecutionSession
from simulator.sample import Sample
from simulator.specs.box import SpecBox
from simulator.specs.config import AgreementSpec, InvarianceSpec, MonotonicSpec
from simulator.specs.draws import Draw, canonical_samples, draws, renders_per_draw
from simulator.specs.stats import SPRT, Hypotheses, Verdict, clopper_pearson, fixed_sample_size, fixed_verdict

Row = dict[str, Any]
SampleRows = list[Row]  # one render's rows: one per model
DRAWS_PER_ROUND = 8  # draws asked at once, before the executor's capacity is checked again


@dataclass
class TestOutcome:
    """What the statistical test saw."""

    verdict: Verdict
    n: int = 0  # outcomes counted
    failures: int = 0
    errors: int = 0  # draws that could not be judged (a render or the model failed)
    renders: int = 0  # rendered by this run (draws in flight when the test stopped included)
    reused: int = 0  # rows found stored by an earlier run
    fixed_n: int = 0  # renders a fixed-n test needs for the same error rates

    @property
    def interval(self) -> tuple[float, float]:
        """95% Clopper–Pearson interval of the share of outcomes that met the requirement."""
        return clopper_pearson(self.n - self.failures, self.n)


@dataclass
class _Progress:
    rows: dict[str, SampleRows] = field(default_factory=dict)  # finished or stored, by sample id
    counted: int = 0  # draws fed to the test, in order


def hypotheses(box: SpecBox) -> Hypotheses:
    spec = box.spec
    return Hypotheses(spec.p0, spec.p1, spec.alpha, spec.beta)


def run_test(
    box: SpecBox,
    session: ExecutionSession,
    stored: dict[str, SampleRows],
    on_rows: Any = lambda rows: None,
) -> TestOutcome:
    """The spec's verdict from its draws; `on_rows` receives every newly rendered batch of rows."""
    spec = box.spec
    h = hypotheses(box)
    per_draw = renders_per_draw(box)
    limit = max(1, spec.budget // per_draw)  # outcomes the budget pays for
    sequential = SPRT(h) if spec.test == "sprt" else None
    outcome = TestOutcome(Verdict.INCONCLUSIVE, fixed_n=fixed_sample_size(h))
    state = _Progress()
    canonical = canonical_samples(box) if isinstance(spec, InvarianceSpec) else {}
    queue: list[Draw] = []
    source = draws(box)
    asked: list[Draw] = []

    def submit(samples: list[Sample]) -> None:
        todo = []
        for sample in samples:
            if sample.id in state.rows:
                continue
            if sample.id in stored:
                state.rows[sample.id] = stored[sample.id]
                outcome.reused += 1
            else:
                todo.append(sample)
        for batch in _by_pair(todo):
            session.submit(batch)

    submit(list(canonical.values()))
    while True:
        while len(asked) < limit and session.in_flight < session.capacity:
            queue = [next(source) for _ in range(min(DRAWS_PER_ROUND, limit - len(asked)))]
            asked += queue
            submit([sample for draw in queue for sample in draw.samples])
        decided = _count(box, asked, state, canonical, outcome, sequential)
        if decided or state.counted == limit or session.in_flight == 0:
            break
        by_sample: dict[str, SampleRows] = {}
        for row in session.next_finished():
            if row["id"] not in state.rows:  # a batch rerun delivers twice
                by_sample.setdefault(row["id"], []).append(row)
        outcome.renders += len(by_sample)
        on_rows([row for rows in by_sample.values() for row in rows])
        state.rows.update(by_sample)
    session.close()
    if sequential is not None:
        outcome.verdict = sequential.verdict or Verdict.INCONCLUSIVE
    elif state.counted == limit:
        outcome.verdict = fixed_verdict(outcome.failures, outcome.n, h)
    return outcome


def _count(
    box: SpecBox,
    asked: list[Draw],
    state: _Progress,
    canonical: dict[tuple[str, str], Sample],
    outcome: TestOutcome,
    sequential: SPRT | None,
) -> bool:
    """Feed the finished draws that come next in draw order to the test; True once it has decided."""
    while state.counted < len(asked):
        draw = asked[state.counted]
        rows = [state.rows.get(sample.id) for sample in draw.samples]
        reference = state.rows.get(canonical[draw.pair].id) if canonical else None
        if any(row is None for row in rows) or (canonical and reference is None):
            return False
        state.counted += 1
        failed = _failed(box, rows, reference)  # type: ignore[arg-type]
        if failed is None:
            outcome.errors += 1
            continue
        outcome.n += 1
        outcome.failures += failed
        if sequential is not None and sequential.add(failed) is not None:
            return True
    return False


def _failed(box: SpecBox, renders: list[SampleRows], canonical: SampleRows | None) -> bool | None:
    """Whether the requirement failed on this draw; None when it cannot be judged (an error row)."""
    spec = box.spec
    if isinstance(spec, AgreementSpec):
        (render,) = renders
        first, second = (box.judged(render, model) for model in spec.models)
        if first["error"] is not None or second["error"] is not None:
            return None
        column = "pred_top1" if "pred_top1" in first else "correct"
        return first[column] != second[column]
    rows = [box.judged(render) for render in renders]
    reference = box.judged(canonical) if canonical is not None else None
    if any(row["error"] is not None for row in rows) or (reference is not None and reference["error"] is not None):
        return None
    if isinstance(spec, InvarianceSpec):
        (row,) = rows
        if spec.tolerance is None:
            return row["pred_top1"] != reference["pred_top1"]  # type: ignore[index]
        return abs(row["true_prob"] - reference["true_prob"]) > spec.tolerance  # type: ignore[index]
    if isinstance(spec, MonotonicSpec):
        low, high = (float(row[spec.metric]) for row in rows)
        if not (math.isfinite(low) and math.isfinite(high)):
            return None
        return high > low + spec.tolerance if spec.direction == "decreasing" else high < low - spec.tolerance
    (row,) = rows
    return not box.passed(row)


def _by_pair(samples: list[Sample]) -> Iterator[list[Sample]]:
    """The samples in batches of one (object, environment) each, in first-appearance order."""
    groups: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for sample in samples:
        groups[(sample.object, sample.environment)].append(sample)
    yield from groups.values()
