"""Run batches on a Dask cluster: a bounded window in flight, batches sent to the worker holding their scene.

The driver keeps `tasks_per_worker` batches in flight per worker thread, so a 100k-sample run holds a
few dozen futures, not thousands. When a batch finishes, its worker is given another batch of the
scene it holds (`workers=[it]`, `allow_other_workers=True`, so another worker takes it if that one
is gone or busy). A batch whose worker dies is rerun by the scheduler elsewhere; one that keeps
killing workers becomes error rows; a batch the cluster cannot run at all stops the run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import Client, Future, KilledWorker, LocalCluster, as_completed

from simulator.execution.base import Executor
from simulator.execution.cluster import ClusterError, connect, start_local_cluster, threads_by_host, wait_for_workers
from simulator.execution.placement import Pair, PairQueue, pair_of
from simulator.execution.processor import SampleProcessor
from simulator.execution.worker import BatchJob, process_batch
from simulator.experiment import Experiment
from simulator.sample import Sample

WORKERS_REFRESH_S = 5.0  # how often the driver looks for workers that joined or left
LOOKAHEAD_BATCHES = 256  # batches read ahead to find one of a worker's scene


@dataclass
class _Flight:
    """One run's batches in flight and which scene each worker was last given."""

    job: BatchJob
    queue: PairQueue
    completed: as_completed  # on the client's own loop: a process may hold several clients
    futures: dict[Future, tuple[str, list[Sample]]] = field(default_factory=dict)  # -> (target worker, batch)
    load: Counter[str] = field(default_factory=Counter)  # batches in flight per target worker
    held: dict[str, Pair] = field(default_factory=dict)  # worker -> scene of the last batch it was given


class DaskExecutor(Executor):
    """Runs batches on the workers of `client`; closes `cluster` too when it started one."""

    def __init__(
        self,
        client: Client,
        resources: Mapping[str, float] | None = None,
        cluster: LocalCluster | None = None,
        tasks_per_worker: int = 2,
        retries: int = 2,
    ) -> None:
        self.client = client
        self.resources = dict(resources or {})
        self.cluster = cluster
        self.tasks_per_worker = tasks_per_worker
        self.retries = retries
        self._workers: dict[str, int] = {}  # address -> threads, of workers offering `resources`
        self._counted_at = -WORKERS_REFRESH_S

    @classmethod
    def local(
        cls, workers: int, resources: Mapping[str, float] | None = None, local_directory: Path | None = None
    ) -> DaskExecutor:
        """An embedded LocalCluster of `workers` single-threaded processes."""
        cluster = start_local_cluster(workers, local_directory)
        return cls(Client(cluster), resources, cluster)

    @classmethod
    def connect(cls, address: str, resources: Mapping[str, float] | None = None) -> DaskExecutor:
        """The cluster whose scheduler listens at `address` (e.g. tcp://head:8786)."""
        return cls(connect(address), resources)

    @property
    def dashboard_link(self) -> str | None:
        """The scheduler's dashboard, or None when it serves none."""
        try:
            return self.client.dashboard_link
        except KeyError:
            return None

    def run(
        self, experiment: Experiment, batches: Iterable[list[Sample]], image_dir: Path | None
    ) -> Iterator[list[dict[str, Any]]]:
        wait_for_workers(self.client, self.resources)
        job = BatchJob.create(experiment, image_dir, threads_by_host(self.client))
        flight = _Flight(job, PairQueue(batches, LOOKAHEAD_BATCHES), as_completed(loop=self.client.loop))
        fallback = SampleProcessor(experiment)  # builds rows for batches no worker could finish
        try:
            while True:
                self._fill(flight)
                if not flight.futures:
                    if flight.queue.empty():
                        return
                    wait_for_workers(self.client, self.resources)  # every worker left; wait for one
                    self._counted_at = -WORKERS_REFRESH_S
                    continue
                future = next(flight.completed)
                target, samples = flight.futures.pop(future)
                flight.load[target] -= 1
                yield self._rows(future, samples, fallback)
        finally:
            if flight.futures:
                self.client.cancel(list(flight.futures))

    def _fill(self, flight: _Flight) -> None:
        """Give every worker batches until it has `tasks_per_worker` per thread in flight."""
        workers = self._live_workers()
        flight.held = {w: pair for w, pair in flight.held.items() if w in workers}
        for address, threads in workers.items():
            while flight.load[address] < self.tasks_per_worker * threads:
                samples = flight.queue.take(flight.held.get(address), Counter(flight.held.values()))
                if samples is None:
                    return
                future = self.client.submit(
                    process_batch,
                    flight.job,
                    samples,
                    pure=False,
                    retries=self.retries,
                    resources=self.resources or None,
                    workers=[address],
                    allow_other_workers=True,
                )
                flight.futures[future] = (address, samples)
                flight.load[address] += 1
                flight.held[address] = pair_of(samples)
                flight.completed.add(future)

    def _live_workers(self) -> dict[str, int]:
        """Workers able to run batches (address -> threads), asked of the scheduler every few seconds."""
        now = time.monotonic()
        if now - self._counted_at >= WORKERS_REFRESH_S:
            infos = self.client.scheduler_info()["workers"]
            self._workers = {
                address: int(info.get("nthreads", 1))
                for address, info in infos.items()
                if all(info.get("resources", {}).get(name, 0) >= amount for name, amount in self.resources.items())
            }
            self._counted_at = now
        return self._workers

    def _rows(self, future: Future, samples: list[Sample], fallback: SampleProcessor) -> list[dict[str, Any]]:
        """Rows of a finished batch; error rows when every worker that ran it died."""
        try:
            rows = future.result()
        except KilledWorker as error:
            return fallback.failed_rows(samples, f"every worker that ran this batch died (a crash?): {error}")
        except CancelledError:
            raise ClusterError(
                "the Dask scheduler dropped the run's batches (restarted or unreachable); finished samples are saved: "
                "run again to resume"
            ) from None
        except Exception as error:  # noqa: BLE001 - samples fail inside the task; this is the cluster itself
            raise ClusterError(
                f"a batch failed on the cluster: {type(error).__name__}: {error} (is robustsim installed, with the "
                "same version, on every worker?)"
            ) from error
        return rows

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
