"""Drive a run: plan samples, skip those already done, execute in batches, write results."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from simulator.execution.base import Executor
from simulator.experiment import Experiment
from simulator.results.reader import existing_ids
from simulator.results.schema import results_schema
from simulator.results.store import ResultsStore
from simulator.results.writer import ResultsWriter, drop_failed_rows
from simulator.sample import Sample, sample_seed

DEFAULT_BATCH_SIZE = 16  # samples per task: one scene set-up and one model batch


@dataclass(frozen=True)
class RunPlan:
    """Every sample the policy asks for, and which of them are still to render."""

    samples: tuple[Sample, ...]
    done_ids: frozenset[str]
    per_pair: dict[tuple[str, str], int] = field(hash=False)
    policies: dict[tuple[str, str], Any] = field(hash=False, repr=False)  # told each result

    @property
    def todo(self) -> list[Sample]:
        return [s for s in self.samples if s.id not in self.done_ids]


class ProgressReporter(Protocol):
    def start(self, plan: RunPlan) -> None: ...
    def advance(self, rows: list[dict[str, Any]]) -> None: ...


class TooManyFailuresError(RuntimeError):
    """More samples failed than the run allows; the message quotes the last error."""

    def __init__(self, failed: int, allowed: int, last_error: str) -> None:
        super().__init__(
            f"stopped after {failed} failed samples (more than the {allowed} allowed); last error: {last_error}"
        )


@dataclass
class RunOutcome:
    output_dir: Path
    results_dir: Path
    planned: int
    skipped: int
    rendered: int = 0
    failed: int = 0
    retried: int = 0  # failed rows removed to render again (`retry_failed`)


def plan_run(experiment: Experiment, done_ids: set[str] | frozenset[str] = frozenset()) -> RunPlan:
    """All samples, pair by pair, each pair asking its own policy (same seed: paired designs)."""
    samples: list[Sample] = []
    per_pair: dict[tuple[str, str], int] = {}
    policies: dict[tuple[str, str], Any] = {}
    seed = experiment.config.policy.seed
    for obj, environment in experiment.pairs():
        policy = policies[(obj, environment)] = experiment.make_policy()
        params_list = _drain(policy)
        per_pair[(obj, environment)] = len(params_list)
        samples += [
            Sample(experiment.name, obj, environment, params, sample_seed(seed, index))
            for index, params in enumerate(params_list)
        ]
    return RunPlan(tuple(samples), frozenset(done_ids), per_pair, policies)


def _drain(policy: Any, chunk: int = 1024) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    while batch := policy.ask(chunk):
        params += batch
    return params


def batches_of(samples: list[Sample], size: int) -> Iterator[list[Sample]]:
    """Consecutive samples of one (object, environment) pair, at most `size` per batch."""
    batch: list[Sample] = []
    for sample in samples:
        if batch and (len(batch) == size or (batch[0].object, batch[0].environment) != (sample.object, sample.environment)):
            yield batch
            batch = []
        batch.append(sample)
    if batch:
        yield batch


def run_experiment(
    experiment: Experiment,
    output_dir: Path,
    executor: Executor,
    progress: ProgressReporter | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_failures: int | None = None,
    stop_requested: Callable[[], bool] = lambda: False,
    retry_failed: bool = False,
) -> RunOutcome:
    """Render and judge every sample not yet in `output_dir`; rows are saved as batches finish.

    Each id is written once even if an executor delivers a batch twice (a retry). Interrupting
    (Ctrl-C), or more than `max_failures` failed samples (TooManyFailuresError), keeps every row
    that finished. `stop_requested` is asked after each batch; when it says yes the run stops
    with KeyboardInterrupt (an interrupt that something below swallowed). Failed samples count as
    done, unless `retry_failed`: then their rows are removed first and they are rendered again.
    """
    store = ResultsStore(output_dir)
    store.prepare(experiment.config.model_dump(mode="json"))
    retried = drop_failed_rows(store.results_dir) if retry_failed else 0
    plan = plan_run(experiment, existing_ids(store.results_dir))
    todo = plan.todo
    outcome = RunOutcome(
        store.directory, store.results_dir, len(plan.samples), len(plan.samples) - len(todo), retried=retried
    )
    if progress is not None:
        progress.start(plan)
    schema = results_schema(
        experiment.space.dimensions,
        _evaluator_columns(experiment),
        experiment.measured_columns(),
    )
    image_dir = store.images_dir if experiment.config.output.save_images else None
    keys = [d.key for d in experiment.space.dimensions]
    written: set[str] = set()
    results = executor.run(experiment, batches_of(todo, batch_size), image_dir)
    with ResultsWriter(store.results_dir, schema) as writer, closing(results):  # type: ignore[type-var]
        for batch_rows in results:
            rows = [row for row in batch_rows if row["id"] not in written]
            written.update(row["id"] for row in rows)
            writer.write(rows)
            outcome.rendered += len(rows)
            errors = [row["error"] for row in rows if row["error"] is not None]
            outcome.failed += len(errors)
            for row in rows:
                plan.policies[(row["object"], row["environment"])].tell({k: row[k] for k in keys}, row)
            if progress is not None:
                progress.advance(rows)
            if max_failures is not None and outcome.failed > max_failures:
                raise TooManyFailuresError(outcome.failed, max_failures, errors[-1])
            if stop_requested():
                raise KeyboardInterrupt
    return outcome


def _evaluator_columns(experiment: Experiment) -> dict[str, Any]:
    return dict(experiment.make_evaluator().columns)
