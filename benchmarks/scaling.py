"""Wall-clock throughput of `robustsim run` on each executor, as a ratio to rendering in-process.

Each executor is warmed up (processes started, bpy imported, the model loaded: one batch per
(object, environment)), then the experiment is timed from `run_experiment` to its return: the time a
user waits. Printed per executor: renders/s and its ratio to in-process, mean `render_s` and
`infer_s` per sample (if those rise, the cost hides inside them), the old "overhead" figure (wall time
per sample per worker minus render_s + infer_s), the driver's CPU time (scheduler and search loop,
which compete with the workers for the cores) and the workers' CPU time and thread counts.

Executors: in-process; the embedded cluster with 1 and 2 workers as `robustsim run` starts it (each
worker's libraries limited to its share of the cores, Dask's profiler off); and, to find what slowed
the default path, 1 worker with Dask's own settings put back one at a time: its statistical profiler
(samples every thread's stack every 10 ms) and its worker environment (MALLOC_TRIM_THRESHOLD_=65536,
one OpenMP/MKL/OpenBLAS thread). Targets: default path (1 worker on 2 cores) >= 0.95x in-process;
2 workers >= 1.0x one worker.

    .venv/bin/python benchmarks/scaling.py [--samples 16] [--resolution 128] [--spp 16] [--batch-size 16]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from simulator.execution.base import Executor
from simulator.execution.dask import DaskExecutor
from simulator.execution.local import LocalExecutor
from simulator.execution.worker import available_cores
from simulator.experiment import Experiment, load_experiment
from simulator.results.reader import read_results
from simulator.runner import run_experiment

DASK_PROFILER = {"distributed.worker.profile.enabled": True}
DASK_ENVIRONMENT = {
    "distributed.nanny.pre-spawn-environ": {
        "MALLOC_TRIM_THRESHOLD_": 65536, "OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1,
    }
}

CONFIG = """
name: scaling
objects: [coffee_mug, soccer_ball]
environments: [interior, studio]
controls:
  - type: orientation
    yaw: {{min: -90, max: 90}}
  - type: camera
    azimuth: {{min: -45, max: 45}}
    elevation: {{min: 0, max: 40}}
policy: {{type: random, samples: {samples}, seed: {seed}}}
render: {{resolution: {resolution}, samples: {spp}}}
"""


@dataclass
class Measurement:
    label: str
    workers: int
    samples: int
    wall_s: float
    render_s: float  # mean per sample
    infer_s: float  # mean per sample
    driver_cpu_s: float  # this process: search loop, writer, scheduler (local clusters run it here)
    worker_cpu_s: float  # all worker processes together
    worker_threads: int  # OS threads per worker process (largest)

    @property
    def rate(self) -> float:
        return self.samples / self.wall_s

    @property
    def overhead_s(self) -> float:
        """The old figure: per sample, per worker, wall time not spent rendering or inferring."""
        return self.wall_s * self.workers / self.samples - (self.render_s + self.infer_s)


def experiment(folder: Path, name: str, args: argparse.Namespace, samples: int, seed: int) -> Experiment:
    path = folder / f"{name}.yaml"
    text = CONFIG.format(samples=samples, seed=seed, resolution=args.resolution, spp=args.spp)
    path.write_text(textwrap.dedent(text))
    return load_experiment(path)


def worker_processes(executor: Executor) -> list[psutil.Process]:
    if isinstance(executor, DaskExecutor):
        return [psutil.Process(pid) for pid in executor.client.run(os.getpid).values()]
    return []


def cpu_seconds(processes: list[psutil.Process]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in processes)


def measure(label: str, workers: int, executor: Executor, args: argparse.Namespace, folder: Path) -> Measurement:
    """Warm the executor up on other samples, then time the run."""
    warm = experiment(folder, f"{label}-warm", args, args.batch_size, seed=1)
    run_experiment(warm, folder / f"{label}-warm", executor, batch_size=args.batch_size)
    timed = experiment(folder, label, args, args.samples, seed=0)
    processes = worker_processes(executor)
    workers_before, driver_before = cpu_seconds(processes), time.process_time()
    start = time.perf_counter()
    outcome = run_experiment(timed, folder / label, executor, batch_size=args.batch_size)
    wall = time.perf_counter() - start
    driver_cpu, worker_cpu = time.process_time() - driver_before, cpu_seconds(processes) - workers_before
    rows = read_results(outcome.results_dir)
    if outcome.failed:
        raise SystemExit(f"{label}: {outcome.failed} samples failed, e.g. {rows['error'].dropna().iloc[0]}")
    threads = max((p.num_threads() for p in processes), default=0)
    return Measurement(
        label, max(workers, 1), len(rows), wall, rows["render_s"].mean(), rows["infer_s"].mean(), driver_cpu, worker_cpu, threads
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=16, help="samples per (object, environment); 4 pairs")
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--spp", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    variants = [
        ("dask-1", 1, None),
        ("dask-2", 2, None),
        ("dask-1+profiler", 1, DASK_PROFILER),
        ("dask-1+dask-env", 1, DASK_ENVIRONMENT),
    ]
    results = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        local = LocalExecutor()
        results.append(measure("in-process", 0, local, args, folder))
        local.close()
        for label, workers, config in variants:
            executor = DaskExecutor.local(workers, config=config)
            try:
                results.append(measure(label, workers, executor, args, folder))
            finally:
                executor.close()
    base = results[0]
    print(f"{base.samples} renders, {args.resolution} px, {args.spp} spp, batches of {args.batch_size}, {available_cores()} cores")
    header = ("executor", "workers", "renders/s", "vs in-proc", "render_s", "infer_s", "overhead", "driver CPU", "workers CPU", "threads")
    print("{:<16} {:>7} {:>9} {:>10} {:>8} {:>7} {:>9} {:>10} {:>11} {:>7}".format(*header))
    for m in results:
        print(
            f"{m.label:<16} {m.workers:>7} {m.rate:>9.2f} {m.rate / base.rate:>9.2f}x {m.render_s:>8.3f} {m.infer_s:>7.3f} "
            f"{m.overhead_s / m.render_s:>8.1%} {m.driver_cpu_s:>9.1f}s {m.worker_cpu_s:>10.1f}s {m.worker_threads:>7}"
        )
    by_label = {m.label: m for m in results}
    print(
        f"default path (dask-1) / in-process: {by_label['dask-1'].rate / base.rate:.2f}x (target >= 0.95); "
        f"2 workers / 1 worker: {by_label['dask-2'].rate / by_label['dask-1'].rate:.2f}x (target >= 1.0)"
    )


if __name__ == "__main__":
    main()
