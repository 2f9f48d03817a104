"""Memory over many renders: the renderer must not grow as samples go by.

Renders N samples (tiny images, one Cycles sample, varying pose, camera, environment and
object) with one BlenderRenderer. Memory depends on which HDRI and object are loaded, so it is
read at the same point of every 450-render cycle; prints those readings and their trend.

    .venv/bin/python benchmarks/memory.py [--renders 2250]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from simulator.assets import builtin_environments, builtin_objects
from simulator.render.base import RenderSettings
from simulator.render.blender import BlenderRenderer
from simulator.scene import Camera, Environment, Scene, SceneObject, quaternion_from_euler


def resident_mib() -> float:
    """Current resident set size of this process in MiB (from /proc, Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=int, default=2250, help="a multiple of 450 measures whole cycles")
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
