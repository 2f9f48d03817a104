"""Run batches on a Dask cluster: a bounded window in flight, batches sent to the worker holding their scene.

The driver keeps `tasks_per_worker` batches in flight per worker thread (the search loop submits no more
than that, plus one waiting batch per worker), so a 100k-sample run holds a few dozen futures. When a
batch finishes, its worker is given another batch of the scene it holds (`workers=[it]`, `allow_other_workers=True`, so another worker takes it if that one
is gone or busy). A batch whose worker dies is rerun by the scheduler elsewhere; one that keeps
killing workers becomes error rows; a batch the cluster cannot run at all stops the run.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

from distributed import Client, Future, KilledWorker, LocalCluster, as_completed

from simulator.execution.base import ExecutionSession, Executor
from simulator.execution.cluster import ClusterError, connect, start_local_cluster, threads_by_host, wait_for_workers
from simulator.execution.placement import Pair, PairQueue, pair_of
from simulator.execution.processor import SampleProcessor
from simulator.execution.worker import BatchJob, process_batch
from simulator.experiment import Experiment
from simulator.sample import Sample

WORKERS_REFRESH_S = 5.0  # how often the driver looks for workers that joined or left
FORWARDED_LOGGER = "simulator"  # workers' warnings (failed samples, with tracebacks) go to the driver's log file


class _DaskSession(ExecutionSession):
    """One run's batches: waiting ones in a `PairQueue`, `tasks_per_worker` per worker thread on the cluster."""

    def __init__(self, executor: DaskExecutor, job: BatchJob, fallback: SampleProcessor) -> None:
        self._executor = executor
        self._job = job
        self._fallback = fallback  # builds rows for batches no worker could finish
        self._waiting = PairQueue()
        self._completed = as_completed(loop=executor.client.loop)  # on the client's own loop
        self._futures: dict[Future, tuple[str, list[Sample]]] = {}  # -> (target worker, batch)
        self._load: Counter[str] = Counter()  # batches in flight per target worker
        self._held: dict[str, Pair] = {}  # worker -> scene of the last batch it was given

    @property
    def capacity(self) -> int:
        """Every worker thread's share of tasks, plus one waiting batch per worker to choose scenes from."""
        workers = self._executor.live_workers()
        return sum(self._executor.tasks_per_worker * threads + 1 for threads in workers.values()) or 1

    @property
    def in_flight(self) -> int:
        return len(self._futures) + len(self._waiting)

    def submit(self, samples: list[Sample]) -> None:
        self._waiting.put(samples)
        self._dispatch()

    def next_finished(self) -> list[dict[str, Any]]:
        while True:
            self._dispatch()
            if self._futures:
                break
            if not self._waiting:
                raise RuntimeError("next_finished() with no batch in flight")
            wait_for_workers(self._executor.client, self._executor.resources)  # every worker left; wait for one
            self._executor.forget_workers()
        future = next(self._completed)
        target, samples = self._futures.pop(future)
        self._load[target] -= 1
        return self._rows(future, samples)

    def close(self) -> None:
        if self._futures:
            self._executor.client.cancel(list(self._futures))
        self._futures.clear()

    def _dispatch(self) -> None:
        """Give every worker waiting batches until it has `tasks_per_worker` per thread in flight."""
        executor = self._executor
        workers = executor.live_workers()
        self._held = {w: pair for w, pair in self._held.items() if w in workers}
        for address, threads in workers.items():
            while self._load[address] < executor.tasks_per_worker * threads:
                samples = self._waiting.take(self._held.get(address), Counter(self._held.values()))
                if samples is None:
                    return
                future = executor.client.submit(
                    process_batch,
                    self._job,
                    samples,
                    pure=False,
                    retries=executor.retries,
                    resources=executor.resources or None,
                    workers=[address],
                    allow_other_workers=True,
                )
                self._futures[future] = (address, samples)
                self._load[address] += 1
                self._held[address] = pair_of(samples)
                self._completed.add(future)

    def _rows(self, future: Future, samples: list[Sample]) -> list[dict[str, Any]]:
        """Rows of a finished batch; error rows when every worker that ran it died."""
        try:
            return future.result()
        except KilledWorker as error:
            return self._fallback.failed_rows(samples, f"every worker that ran this batch died (a crash?): {error}")
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
        # A record handled on a worker is sent here, never printed on the worker's terminal
        client.forward_logging(FORWARDED_LOGGER, level=logging.WARNING)

    @classmethod
    def local(
        cls,
        workers: int,
        resources: Mapping[str, float] | None = None,
        local_directory: Path | None = None,
        config: Mapping[str, object] | None = None,
    ) -> DaskExecutor:
        """An embedded LocalCluster of `workers` processes (see `start_local_cluster`)."""
        cluster = start_local_cluster(workers, local_directory, config)
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

    def open(self, experiment: Experiment, image_dir: Path | None) -> ExecutionSession:
        wait_for_workers(self.client, self.resources)
        job = BatchJob.create(experiment, image_dir, threads_by_host(self.client))
        return _DaskSession(self, job, SampleProcessor(experiment))

    def live_workers(self) -> dict[str, int]:
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

    def forget_workers(self) -> None:
        """Ask the scheduler again at the next `live_workers` (workers joined or left)."""
        self._counted_at = -WORKERS_REFRESH_S

    def close(self) -> None:
        if self.cluster is None and self.client.status == "running":
            self.client.unforward_logging(FORWARDED_LOGGER)  # leave a shared cluster as it was
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
