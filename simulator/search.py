"""The search loop: per (object, environment), ask the policy -> render -> tell it the rows -> ask again.

Every pair has its own policy, and its asks form generations. A pair may have `in_flight` generations
asked and not yet told; to ask one more it first tells the oldest (which must have finished), always
in ask order. So the sequence of asks and tells depends on the told results only, never on which
worker finished first: the same seed and config ask the same samples (same ids) on any executor,
and a resumed run replays its stored rows at the same points of that sequence and goes on from there.
Open-loop policies (grid, random, sobol) ignore tells and ask as fast as the executor takes batches.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.execution.base import ExecutionSession
from simulator.experiment import Experiment
from simulator.objectives import Objective
from simulator.sample import Sample, sample_seed

Row = dict[str, Any]
SampleRows = list[Row]  # every row of one sample: one per model
UNLIMITED = 1 << 62  # generations in flight of an open-loop policy


@dataclass
class _Generation:
    """The samples of one ask and the rows of those that finished (or were stored by an earlier run)."""

    samples: list[Sample]
    rows: dict[str, SampleRows] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return len(self.rows) == len(self.samples)


class PairSearch:
    """One (object, environment) pair: its policy, what it asked, and when results are told."""

    def __init__(
        self,
        experiment: Experiment,
        obj: str,
        environment: str,
        stored: Mapping[str, SampleRows],
        objective: Objective,
    ) -> None:
        config = experiment.config.policy
        self.experiment = experiment
        self.pair = (obj, environment)
        self.policy = experiment.make_policy()
        self.objective = objective
        self.generation_size = config.generation
        self.in_flight = config.in_flight if self.policy.adaptive else UNLIMITED
        self._stored = stored
        self._untold: deque[_Generation] = deque()
        self._generation_of: dict[str, _Generation] = {}  # id -> its generation, for samples being rendered
        self._asked = 0
        self._exhausted = False
        self._policy_waits = False  # the policy asked for results before it asks more
        self.skipped = 0  # samples found already stored

    @property
    def done(self) -> bool:
        return self._exhausted and not self._untold

    def step(self) -> list[Sample] | None:
        """Ask one more generation if the schedule allows: the samples to render (stored ones left out,
        so possibly none); None when the pair must wait for results or has asked everything."""
        while True:
            if self._exhausted:
                self._tell_finished(len(self._untold))
                return None
            if len(self._untold) >= self.in_flight or self._policy_waits:
                if not self._tell_finished(1):
                    return None
                self._policy_waits = False
                continue
            if not self.policy.adaptive:
                self._tell_finished(len(self._untold))
            params = self.policy.ask(self.generation_size)
            if not params:
                self._policy_waits = bool(self.policy.waiting() and self._untold)
                self._exhausted = not self._policy_waits
                continue
            return self._new_generation(params)

    def receive(self, rows: SampleRows) -> bool:
        """Record the finished rows of one sample of this pair (each gets the sample's `objective`);
        False if they are not awaited (a duplicate delivery)."""
        generation = self._generation_of.pop(rows[0]["id"], None)
        if generation is None:
            return False
        score = self.objective.score(rows)
        for row in rows:
            row["objective"] = score
        generation.rows[rows[0]["id"]] = rows
        return True

    def _new_generation(self, params: list[dict[str, Any]]) -> list[Sample]:
        obj, environment = self.pair
        seed = self.experiment.config.policy.seed
        generation = _Generation(
            [
                Sample(self.experiment.name, obj, environment, p, sample_seed(seed, index), index)
                for index, p in enumerate(params, start=self._asked)
            ]
        )
        self._asked += len(params)
        self._untold.append(generation)
        todo = []
        for sample in generation.samples:
            stored = self._stored.get(sample.id)
            if stored is not None:
                generation.rows[sample.id] = stored
                self.skipped += 1
            elif sample.id not in self._generation_of:
                self._generation_of[sample.id] = generation
                todo.append(sample)
        return todo

    def _tell_finished(self, limit: int) -> bool:
        """Tell up to `limit` oldest generations, stopping at the first unfinished one; True if any was told."""
        told = False
        while limit > 0 and self._untold and self._untold[0].finished:
            generation = self._untold.popleft()
            for sample in generation.samples:
                rows = generation.rows[sample.id]
                judged = self.objective.judged_row(rows)
                result = {**judged, "objective": self.objective.score(rows), "passed": self.objective.passed(rows), "rows": rows}
                self.policy.tell(sample.params, result)
            told, limit = True, limit - 1
        return told


class Search:
    """Every pair's `PairSearch`, served in order (objects outermost) so workers keep one scene as long
    as possible; the session is given about its capacity of batches at once, never more."""

    def __init__(
        self,
        experiment: Experiment,
        stored: Mapping[str, SampleRows],
        objective: Objective,
        batch_size: int,
        pairs: Iterable[tuple[str, str]] | None = None,
    ) -> None:
        """`pairs`: the (object, environment) pairs to search, by default all of the experiment's."""
        self.batch_size = batch_size
        chosen = experiment.pairs() if pairs is None else pairs
        self.pairs = {pair: PairSearch(experiment, *pair, stored, objective) for pair in chosen}

    @property
    def skipped(self) -> int:
        """Samples asked again and found stored by an earlier run."""
        return sum(pair.skipped for pair in self.pairs.values())

    def run(self, session: ExecutionSession) -> Iterator[list[Row]]:
        """New rows of each finished batch (with `objective` set), until every pair's policy is done."""
        while True:
            for pair in self.pairs.values():
                while session.in_flight < session.capacity and (samples := pair.step()) is not None:
                    for start in range(0, len(samples), self.batch_size):
                        session.submit(samples[start : start + self.batch_size])
            if session.in_flight == 0:
                break
            by_sample: dict[str, SampleRows] = {}
            for row in session.next_finished():
                by_sample.setdefault(row["id"], []).append(row)
            yield [
                row
                for rows in by_sample.values()
                if self.pairs[(rows[0]["object"], rows[0]["environment"])].receive(rows)
                for row in rows
            ]


def open_loop_samples(experiment: Experiment) -> Iterator[Sample]:
    """Every sample of an open-loop policy, pair by pair, as a run asks for them (adaptive policies'
    asks depend on results, so they have no such list: ValueError)."""
    if experiment.policy_class.adaptive:
        raise ValueError(f"the {experiment.config.policy.type} policy is adaptive: its samples depend on results")
    seed = experiment.config.policy.seed
    for obj, environment in experiment.pairs():
        policy, index = experiment.make_policy(), 0
        while params := policy.ask(1024):
            for p in params:
                yield Sample(experiment.name, obj, environment, p, sample_seed(seed, index), index)
                index += 1
