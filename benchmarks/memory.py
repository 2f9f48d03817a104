"""Memory over many renders: the renderer must not grow as samples go by.

Renders N samples (tiny images, one Cycles sample, varying pose, camera, environment and
object) with one BlenderRenderer and prints the resident memory after warm-up and at the end,
and the growth per 1000 renders.

    .venv/bin/python benchmarks/memory.py [--renders 2000]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=int, default=2000)
    args = parser.parse_args()
    renderer = BlenderRenderer(RenderSettings(width=32, height=32, samples=1, channels=("rgb", "depth", "segmentation")))
    all_scenes = scenes(args.renders)
    warmup = min(300, args.renders // 4)
    for index, scene in enumerate(all_scenes[:warmup]):
        renderer.render(scene, seed=index)
    start_mib, start = resident_mib(), time.perf_counter()
    for index, scene in enumerate(all_scenes[warmup:], start=warmup):
        renderer.render(scene, seed=index)
    end_mib, elapsed = resident_mib(), time.perf_counter() - start
    measured = args.renders - warmup
    growth = (end_mib - start_mib) / measured * 1000
    print(f"renders measured: {measured} (after {warmup} warm-up) in {elapsed:.1f} s")
    print(f"resident memory: {start_mib:.1f} MiB -> {end_mib:.1f} MiB")
    print(f"growth: {growth:+.2f} MiB per 1000 renders (target: about 0)")
    renderer.close()


if __name__ == "__main__":
    main()
