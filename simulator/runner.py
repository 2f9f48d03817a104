"""Drive a run: the search loop asks, the executor renders and judges, rows are written as batches finish."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from simulator.execution.base import Executor
from simulator.experiment import Experiment
from simulator.object_digest import object_digests
from simulator.results.reader import existing_ids, rows_by_sample
from simulator.results.store import ResultsStore
from simulator.results.writer import ResultsWriter, drop_failed_rows
from simulator.sample import sample_errors
from simulator.search import SampleRows, Search

DEFAULT_BATCH_SIZE = 16  # samples per task: one scene set-up and one model batch


@dataclass(frozen=True)
class Budget:
    """How many samples a run asks for: `per_pair` for each of `pairs` (object, environment) pairs."""

    per_pair: int | None  # None: the policy does not know in advance
    pairs: int

    @property
    def total(self) -> int | None:
        return None if self.per_pair is None else self.per_pair * self.pairs


def budget(experiment: Experiment) -> Budget:
    """The run's size from the policy's own count: nothing is sampled (a 10**15-point grid is counted)."""
    pairs = len(experiment.objects) * len(experiment.environments)
    return Budget(experiment.make_policy().total(), pairs)


class ProgressReporter(Protocol):
    def start(self, total: int | None, stored: int) -> None: ...
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
    planned: int | None
    skipped: int = 0
    rendered: int = 0
    failed: int = 0
    retried: int = 0  # failed rows removed to render again (`retry_failed`)
    last_error: str | None = None  # of the last failed row rendered


def stored_rows(experiment: Experiment, results_dir: Path) -> dict[str, SampleRows]:
    """Rows already in the output folder, by sample id: whole rows for an adaptive policy (they are
    told to it again), just the ids for an open-loop one."""
    if not experiment.policy_class.adaptive:
        return {sample_id: [{"id": sample_id}] for sample_id in existing_ids(results_dir)}
    return rows_by_sample(results_dir)


def run_experiment(
    experiment: Experiment,
    output_dir: Path,
    executor: Executor,
    progress: ProgressReporter | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_failures: int | None = None,
    stop_requested: Callable[[], bool] = lambda: False,
    retry_failed: bool = False,
    pairs: list[tuple[str, str]] | None = None,
) -> RunOutcome:
    """Search, render and judge every sample the policy asks for that is not yet in `output_dir`;
    rows are saved as batches finish.

    Each id is written once even if an executor delivers a batch twice (a retry). Interrupting
    (Ctrl-C), or more than `max_failures` failed samples (TooManyFailuresError), keeps every row
    that finished. `stop_requested` is asked after each batch; when it says yes the run stops
    with KeyboardInterrupt (an interrupt that something below swallowed). Failed samples count as
    done, unless `retry_failed`: then their rows are removed first and they are rendered again.
    `pairs` limits the run to some (object, environment) pairs (a spec's box).
    """
    store = ResultsStore(output_dir)
    store.prepare(experiment.config.model_dump(mode="json"), object_digests(experiment.objects.values()))
    retried = drop_failed_rows(store.results_dir) if retry_failed else 0
    stored = stored_rows(experiment, store.results_dir)
    size = budget(experiment)
    planned = size.total if pairs is None or size.per_pair is None else size.per_pair * len(pairs)
    outcome = RunOutcome(store.directory, store.results_dir, planned, retried=retried)
    if progress is not None:
        progress.start(outcome.planned, len(stored))
    image_dir = store.images_dir if experiment.config.output.save_images else None
    search = Search(experiment, stored, experiment.objective, batch_size, pairs)
    session = executor.open(experiment, image_dir)
    try:
        with ResultsWriter(store.results_dir, experiment.results_schema()) as writer:
            for rows in search.run(session):
                writer.write(rows)
                samples, errors = sample_errors(rows)
                outcome.rendered += samples
                outcome.failed += len(errors)
                outcome.last_error = errors[-1] if errors else outcome.last_error
                if progress is not None:
                    progress.advance(rows)
                if max_failures is not None and outcome.failed > max_failures:
                    raise TooManyFailuresError(outcome.failed, max_failures, errors[-1])
                if stop_requested():
                    raise KeyboardInterrupt
    finally:
        session.close()
        outcome.skipped = search.skipped
    return outcome
