"""Throughput of `robustsim run` on a local Dask cluster of 1 and 2 workers, and the execution layer's overhead.

For each worker count W, a LocalCluster is started and warmed up (processes started, bpy imported,
the model loaded: one batch per (object, environment)), then the experiment is run and timed from
`run_experiment` to its return. The in-process executor (`--workers 0`) is timed the same way as a
reference.

Overhead of the execution layer, per sample: what a worker spends outside rendering and inference,
i.e. wall time per sample per worker (T * W / n) minus the mean render_s + infer_s of the rows;
reported as a share of the mean render time (target <= 5%). Cycles threads per worker are the
machine's cores // W, as `robustsim run` sets them.

    .venv/bin/python benchmarks/scaling.py [--samples 16] [--resolution 128] [--spp 16] [--batch-size 16]
"""

from __future__ import annotations

import argparse
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from simulator.execution.base import Executor
from simulator.execution.worker import available_cores
from simulator.execution.dask import DaskExecutor
from simulator.execution.local import LocalExecutor
from simulator.experiment import Experiment, load_experiment
from simulator.results.reader import read_results
from simulator.runner import run_experiment

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

    @property
    def rate(self) -> float:
        return self.samples / self.wall_s

    @property
    def overhead_s(self) -> float:
        """Per sample, per worker: wall time not spent rendering or inferring."""
        return self.wall_s * self.workers / self.samples - (self.render_s + self.infer_s)


def experiment(folder: Path, name: str, args: argparse.Namespace, samples: int, seed: int) -> Experiment:
    path = folder / f"{name}.yaml"
    text = CONFIG.format(samples=samples, seed=seed, resolution=args.resolution, spp=args.spp)
    path.write_text(textwrap.dedent(text))
    return load_experiment(path)


def measure(label: str, workers: int, executor: Executor, args: argparse.Namespace, folder: Path) -> Measurement:
    """Warm the executor up on other samples, then time the run."""
    warm = experiment(folder, f"{label}-warm", args, args.batch_size, seed=1)
    run_experiment(warm, folder / f"{label}-warm", executor, batch_size=args.batch_size)
    timed = experiment(folder, label, args, args.samples, seed=0)
    start = time.perf_counter()
    outcome = run_experiment(timed, folder / label, executor, batch_size=args.batch_size)
    wall = time.perf_counter() - start
    rows = read_results(outcome.results_dir)
    if outcome.failed:
        raise SystemExit(f"{label}: {outcome.failed} samples failed, e.g. {rows['error'].dropna().iloc[0]}")
    return Measurement(label, max(workers, 1), len(rows), wall, rows["render_s"].mean(), rows["infer_s"].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=16, help="samples per (object, environment); 4 pairs")
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--spp", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        local = LocalExecutor()
        results.append(measure("in-process", 0, local, args, folder))
        local.close()
        for workers in (1, 2):
            executor = DaskExecutor.local(workers)
            try:
                results.append(measure(f"dask-{workers}", workers, executor, args, folder))
            finally:
                executor.close()
    print(f"{results[0].samples} renders, {args.resolution} px, {args.spp} spp, batches of {args.batch_size}, "
          f"{available_cores()} cores")
    header = ("executor", "workers", "renders/s", "render_s", "infer_s", "overhead/sample", "of render")
    print("{:<12} {:>7} {:>10} {:>9} {:>8} {:>16} {:>9}".format(*header))
    for m in results:
        print(
            f"{m.label:<12} {m.workers:>7} {m.rate:>10.2f} {m.render_s:>9.3f} {m.infer_s:>8.3f} "
            f"{m.overhead_s * 1000:>13.1f} ms {m.overhead_s / m.render_s:>9.1%}"
        )
    print(f"speed-up 2 vs 1 workers: {results[2].rate / results[1].rate:.2f}x; overhead target <= 5% of render time")


if __name__ == "__main__":
    main()
