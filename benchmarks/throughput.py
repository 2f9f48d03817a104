"""Throughput of `robustsim run` against a bare bpy render loop of the same scenes.

Both sides render the same samples (objects, environments, poses, camera viewpoints) at the
same resolution and samples per pixel, in this one process, one after the other:

- baseline: for each (object, environment), the scene is built once (by rendering its first
  sample); then a bare loop sets the object's and the camera's matrices with bpy and calls
  `bpy.ops.render.render(write_still=True)` to a PNG: no read-back, no model, no results;
- robustsim: `run_experiment` with the local executor: scene controls, one render per sample,
  pixels read back, the embedded model on batches, Parquet rows written.

Prints renders/s of each and the ratio robustsim / baseline (target >= 0.9).

    .venv/bin/python benchmarks/throughput.py [--samples 16] [--resolution 224] [--spp 16]
"""

from __future__ import annotations

import argparse
import tempfile
import textwrap
import time
from pathlib import Path

import bpy
from mathutils import Matrix

from simulator.execution.local import LocalExecutor
from simulator.experiment import Experiment, load_experiment
from simulator.models.loading import load_model
from simulator.render.blender import BlenderRenderer
from simulator.runner import run_experiment
from simulator.search import open_loop_samples

CONFIG = """
name: throughput
objects: [coffee_mug, soccer_ball, banana]
environments: [interior, studio]
controls:
  - type: orientation
    yaw: {{min: -90, max: 90}}
    pitch: {{min: -20, max: 20}}
  - type: camera
    azimuth: {{min: -45, max: 45}}
    elevation: {{min: 0, max: 40}}
    distance: {{min: 1.8, max: 2.6}}
policy: {{type: random, samples: {samples}, seed: 0}}
render: {{resolution: {resolution}, samples: {spp}}}
"""


def bare_bpy_loop(experiment: Experiment) -> tuple[float, int]:
    """Seconds spent in a minimal bpy loop over the experiment's scenes, and renders done."""
    renderer = BlenderRenderer(experiment.render_settings())
    output = Path(tempfile.gettempdir()) / "robustsim-baseline.png"
    scene_bpy = bpy.context.scene
    settings = scene_bpy.render.image_settings
    planned = list(open_loop_samples(experiment))
    elapsed, count = 0.0, 0
    for pair in experiment.pairs():
        samples = [s for s in planned if (s.object, s.environment) == pair]
        scenes = [experiment.scene_for(s.object, s.environment, s.params) for s in samples]
        start = time.perf_counter()
        renderer.render(scenes[0], seed=samples[0].seed)  # builds this pair's scene, as robustsim must too
        root = renderer._assets[scenes[0].object.asset].root  # noqa: SLF001 - the baseline drives bpy directly
        camera = renderer._camera  # noqa: SLF001
        renderer_output = (settings.media_type, settings.file_format, scene_bpy.render.filepath)
        settings.media_type, settings.file_format, scene_bpy.render.filepath = "IMAGE", "PNG", str(output)
        for scene, sample in zip(scenes[1:], samples[1:], strict=True):
            root.matrix_world = Matrix(scene.object.world_matrix().tolist())
            camera.matrix_world = Matrix(scene.camera.world_matrix().tolist())
            scene_bpy.cycles.seed = sample.seed
            bpy.ops.render.render(write_still=True)
        settings.media_type, settings.file_format, scene_bpy.render.filepath = renderer_output
        elapsed += time.perf_counter() - start
        count += len(scenes)
    renderer.close()
    output.unlink(missing_ok=True)
    return elapsed, count


def robustsim_run(experiment: Experiment) -> tuple[float, int]:
    """Seconds `run_experiment` takes for the same samples (model loaded beforehand, as the CLI does)."""
    executor = LocalExecutor(load_model(experiment.config.model))
    with tempfile.TemporaryDirectory() as output:
        start = time.perf_counter()
        outcome = run_experiment(experiment, Path(output), executor)
        elapsed = time.perf_counter() - start
    executor.close()
    assert outcome.failed == 0, f"{outcome.failed} samples failed"
    return elapsed, outcome.rendered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=16, help="samples per (object, environment)")
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--spp", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "throughput.yaml"
        path.write_text(textwrap.dedent(CONFIG.format(samples=args.samples, resolution=args.resolution, spp=args.spp)))
        experiment = load_experiment(path)
    baseline_s, baseline_n = bare_bpy_loop(experiment)
    ours_s, ours_n = robustsim_run(experiment)
    baseline_rate, ours_rate = baseline_n / baseline_s, ours_n / ours_s
    print(f"{ours_n} renders, {args.resolution} px, {args.spp} spp")
    print(f"bare bpy loop:  {baseline_rate:6.2f} renders/s")
    print(f"robustsim run:  {ours_rate:6.2f} renders/s (incl. model inference and Parquet)")
    print(f"ratio robustsim / bare bpy: {ours_rate / baseline_rate:.2f} (target >= 0.9)")


if __name__ == "__main__":
    main()
