"""Memory over many renders: neither the renderer nor a worker may grow as samples go by.

`renderer`: renders N samples (tiny images, one Cycles sample, varying pose, camera, environment
and object) with one BlenderRenderer. Memory depends on which HDRI and object are loaded, so it is
read at the same point of every 450-render cycle; prints those readings and their trend.

`soak`: the whole pipeline (scene controls, render, model, Parquet) through `run_experiment`,
16 px, 1 spp, 5 objects x 2 HDRIs. The experiment is run in rounds, each to a fresh output folder,
so every round visits every (object, environment) pair and the readings at the end of each round
are comparable (an HDRI change costs seconds: rounds are few, pairs long). First in this process (`--workers 0`), then on
the embedded Dask cluster with 1 worker, whose process's resident memory is read with psutil (the
`worker` column of the rows names its pid). Prints resident memory every `--every` renders and
the growth between the first and the last quarter of each phase.

    .venv/bin/python benchmarks/memory.py renderer [--renders 2250]
    .venv/bin/python benchmarks/memory.py soak [--renders 10000] [--dask-renders 2000] [--rounds 4]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from simulator.assets import builtin_environments, builtin_objects
from simulator.execution.base import Executor
from simulator.execution.dask import DaskExecutor
from simulator.execution.local import LocalExecutor
from simulator.experiment import load_experiment
from simulator.render.base import RenderSettings
from simulator.runner import run_experiment
from simulator.scene import Camera, Environment, Scene, SceneObject, quaternion_from_euler

MIB = 2**20
RssReader = Callable[[list[dict[str, Any]]], float]  # resident memory (MiB) of the process that made some rows


def resident_mib() -> float:
    """Current resident set size of this process in MiB (from /proc, Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / MIB


def scenes(count: int, seed: int = 0) -> list[Scene]:
    rng = np.random.default_rng(seed)
    objects = list(builtin_objects().values())[:3]
    environments = [Environment(name, hdri_path=path) for name, path in list(builtin_environments().items())[:2]]
    environments.append(Environment("grey", color=(0.5, 0.5, 0.5)))
    result = []
    for index in range(count):
        rotation = quaternion_from_euler(*rng.uniform(-180, 180, 3))
        environment = environments[index // 50 % len(environments)]
        result.append(
            Scene(
                SceneObject(objects[index // 150 % len(objects)], rotation=rotation),
                Environment(environment.name, environment.hdri_path, environment.color, rotation=rng.uniform(0, 360)),
                Camera(azimuth=rng.uniform(-180, 180), elevation=rng.uniform(0, 60), distance=rng.uniform(1.5, 3)),
            )
        )
    return result


CYCLE = 450  # scenes repeat their object/environment pattern every 450 renders (3 x 150, 3 x 50)


def renderer_benchmark(args: argparse.Namespace) -> None:
    from simulator.render.blender import BlenderRenderer  # imports bpy: not at the top, which Dask workers re-import

    renderer = BlenderRenderer(RenderSettings(width=32, height=32, samples=1, channels=("rgb", "depth", "segmentation")))
    readings: list[float] = []  # resident memory at the same point of each cycle
    start = time.perf_counter()
    for index, scene in enumerate(scenes(args.renders)):
        renderer.render(scene, seed=index)
        if index % CYCLE == CYCLE - 1:
            readings.append(resident_mib())
    elapsed = time.perf_counter() - start
    renderer.close()
    print(f"{args.renders} renders in {elapsed:.1f} s; resident memory after each cycle of {CYCLE} renders (MiB):")
    print("  " + ", ".join(f"{r:.1f}" for r in readings))
    if len(readings) >= 3:
        measured = readings[1:]  # the first cycle loads every asset once
        slope = np.polyfit(np.arange(len(measured)) * CYCLE, measured, 1)[0] * 1000
        print(f"growth after the first cycle: {slope:+.2f} MiB per 1000 renders (target: about 0)")


SOAK = """
name: soak
objects: [coffee_mug, banana, teapot, soccer_ball, wine_bottle]
environments: [interior, sunset]
controls:
  - type: orientation
    yaw: {{min: -180, max: 180}}
  - type: camera
    elevation: {{min: 0, max: 50}}
    distance: {{min: 1.6, max: 2.6}}
  - type: background
    rotation: {{min: 0, max: 360}}
policy: {{type: random, samples: {samples}, seed: 0}}
render: {{resolution: 16, samples: 1}}
model: {{preprocessing: {{resize: 32, crop: 32}}}}  # the embedded model on 32 px: rendering dominates
"""
PAIRS = 10  # 5 objects x 2 HDRIs


@dataclass
class Readings:
    """Resident memory (MiB) after so many renders, read every `every` renders and at each round's end."""

    every: int
    rss: RssReader  # the process to read, found from a batch's rows
    points: list[tuple[int, float]] = field(default_factory=list)
    round_ends: list[float] = field(default_factory=list)
    rendered: int = 0
    last_rows: list[dict[str, Any]] = field(default_factory=list)

    def start(self, total: int | None, stored: int) -> None:
        """The runner's progress protocol: nothing to do at the start of a round."""

    def advance(self, rows: list[dict[str, Any]]) -> None:
        before, self.rendered, self.last_rows = self.rendered, self.rendered + len(rows), rows
        if self.rendered // self.every > before // self.every:
            self.points.append((self.rendered, self.rss(rows)))
            print(f"  {self.rendered:>6} renders: {self.points[-1][1]:.1f} MiB", flush=True)

    def end_round(self) -> None:
        self.round_ends.append(self.rss(self.last_rows))


def own_rss(rows: list[dict[str, Any]]) -> float:
    return resident_mib()


def worker_rss(rows: list[dict[str, Any]]) -> float:
    """The Dask worker that rendered `rows` (their `worker` column is host:pid)."""
    pid = int(str(rows[0]["worker"]).rsplit(":", 1)[1])
    return psutil.Process(pid).memory_info().rss / MIB


def soak_phase(label: str, executor: Executor, renders: int, rounds: int, rss: RssReader, every: int, folder: Path) -> None:
    per_pair = max(1, renders // (rounds * PAIRS))
    path = folder / f"{label}.yaml"
    path.write_text(textwrap.dedent(SOAK.format(samples=per_pair)))
    experiment = load_experiment(path)  # one object for every round: the executor keeps its renderer
    readings = Readings(every, rss)
    print(f"{label}: {rounds} rounds of {per_pair * PAIRS} renders ({PAIRS} pairs x {per_pair}), 16 px, 1 spp", flush=True)
    start = time.perf_counter()
    for index in range(rounds):
        run_experiment(experiment, folder / f"{label}-{index}", executor, readings)
        readings.end_round()
    elapsed = time.perf_counter() - start
    summarize(label, readings, elapsed, rounds)


def summarize(label: str, readings: Readings, elapsed: float, rounds: int) -> None:
    values = np.array([value for _, value in readings.points])
    quarter = max(1, len(values) // 4)
    first, last = values[:quarter].mean(), values[-quarter:].mean()
    print(f"{label}: {readings.rendered} renders in {elapsed:.0f} s ({readings.rendered / elapsed:.1f}/s)")
    print("  at the end of each round (MiB): " + ", ".join(f"{r:.1f}" for r in readings.round_ends))
    print(
        f"  mean of the first quarter {first:.1f} MiB, of the last quarter {last:.1f} MiB: "
        f"growth {last - first:+.1f} MiB ({(last - first) / first:+.1%})",
        flush=True,
    )
    settled = np.array([point for point in readings.points if point[0] > readings.rendered / rounds])  # after round 1
    if len(settled) >= 2:
        slope = np.polyfit(settled[:, 0], settled[:, 1], 1)[0] * 1000
        print(f"  after the first round (every asset loaded): {slope:+.2f} MiB per 1000 renders", flush=True)


def soak(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        folder = Path(tmp)
        if args.dask_renders:
            dask = DaskExecutor.local(1)
            try:
                soak_phase("dask", dask, args.dask_renders, args.rounds, worker_rss, args.every, folder)
            finally:
                dask.close()
        if args.renders:
            local = LocalExecutor()
            try:
                soak_phase("in-process", local, args.renders, args.rounds, own_rss, args.every, folder)
            finally:
                local.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    renderer = commands.add_parser("renderer", help="one BlenderRenderer, RSS at the same point of each asset cycle")
    renderer.add_argument("--renders", type=int, default=2250, help="a multiple of 450 measures whole cycles")
    run = commands.add_parser("soak", help="run_experiment in this process, then on a 1-worker Dask cluster")
    run.add_argument("--renders", type=int, default=10000, help="renders in this process (0: skip)")
    run.add_argument("--dask-renders", type=int, default=2000, help="renders on the Dask worker (0: skip)")
    run.add_argument("--rounds", type=int, default=4, help="runs of the same experiment, each to a new folder")
    run.add_argument("--every", type=int, default=250, help="read resident memory every N renders")
    args = parser.parse_args()
    renderer_benchmark(args) if args.command == "renderer" else soak(args)


if __name__ == "__main__":
    main()
