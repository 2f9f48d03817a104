"""Getting a Dask client: an embedded local cluster, or a connection to an existing scheduler."""

from __future__ import annotations

import importlib.util
import logging
import signal
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import dask
from distributed import Client, LocalCluster, Worker

from simulator.execution.threads import environment_for
from simulator.execution.worker import available_cores, host_cores

CONNECT_TIMEOUT_S = 30.0
WORKERS_TIMEOUT_S = 120.0


class ClusterError(RuntimeError):
    """The cluster cannot run this experiment; the message says why and what to do."""


def dashboard_available() -> bool:
    """Dask's dashboard needs bokeh."""
    return importlib.util.find_spec("bokeh") is not None


CORES_PER_DEFAULT_WORKER = 4  # Cycles scales well with threads; a worker process holds ~0.7 GB (bpy, torch)


def default_workers() -> int:
    """Local worker processes when neither --workers nor cluster.workers says: one per 4 cores."""
    return max(1, available_cores() // CORES_PER_DEFAULT_WORKER)


def worker_config(threads: int) -> dict[str, object]:
    """Dask settings for rendering worker processes: each starts with its libraries' thread pools sized
    to its share of the cores, and without Dask's statistical profiler (it samples every thread's
    stack every 10 ms, holding the GIL); benchmarks/scaling.py measures both against Dask's defaults."""
    return {
        "distributed.worker.profile.enabled": False,
        "distributed.nanny.pre-spawn-environ": environment_for(threads),
    }


def start_local_cluster(
    workers: int, local_directory: Path | None = None, config: Mapping[str, object] | None = None
) -> LocalCluster:
    """`workers` processes with one Dask thread each and an equal share of the cores for rendering and
    inference; scheduler and dashboard on 127.0.0.1 (random ports). `config`: Dask settings over ours."""
    with dask.config.set({**worker_config(max(1, available_cores() // workers)), **(config or {})}):
        return LocalCluster(
            preload=[__name__],  # dask_setup below
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address="127.0.0.1:0" if dashboard_available() else None,
            local_directory=str(local_directory) if local_directory else None,
            silence_logs=logging.ERROR,
        )


def dask_setup(worker: Worker) -> None:
    """Preload of local workers: a terminal's Ctrl-C reaches them too, but the driver stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def connect(address: str) -> Client:
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S)
    except OSError as error:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {error}") from None


def wait_for_workers(client: Client, resources: Mapping[str, float]) -> None:
    """Block until a worker is there, and check some worker offers the resources batches ask for."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except TimeoutError:
        raise ClusterError(
            f"no Dask worker joined the scheduler {client.scheduler.address} within {WORKERS_TIMEOUT_S:.0f} s; "
            "start some with `dask worker ADDRESS --nthreads 1`"
        ) from None
    offered = [info.get("resources", {}) for info in client.scheduler_info()["workers"].values()]
    if resources and not any(all(r.get(name, 0) >= amount for name, amount in resources.items()) for r in offered):
        wanted = ", ".join(f"{name}={amount:g}" for name, amount in resources.items())
        raise ClusterError(
            f"batches need resources {wanted} but no worker offers them (workers offer {offered}); "
            f"start workers with `dask worker ADDRESS --nthreads 1 --resources '{wanted.replace(', ', ' ')}'`"
        )


def threads_by_host(client: Client) -> dict[str, int]:
    """CPU threads for each worker process so the workers of a host share its cores without oversubscribing."""
    found = client.run(host_cores)
    per_host = Counter(host for host, _cores in found.values())
    cores = {host: count for host, count in found.values()}
    return {host: max(1, cores[host] // per_host[host]) for host in per_host}
