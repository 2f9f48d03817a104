"""Several models on one render: what a second model costs, and how fast a search finds disagreements.

1. Cost of a second model: the same samples (224 px, 16 spp by default) run once with the embedded
   EfficientNet-Lite0 alone and once with Lite0 + Lite1, in this one process (models loaded before
   timing). Prints seconds per sample of each and their ratio (target < 1.15: the render dominates),
   and, from the two-model run's own rows (immune to load changing between the runs), the mean render
   and inference time per sample of each model and the ratio they imply.
2. Time per disagreement found: `{disagreement: [efficientnet_lite0, lite1]}` searched by `random` and
   by `tpe` with the same budget (smaller renders by default); prints the renders where Lite0 is right
   and Lite1 wrong, and seconds per such render.

    .venv/bin/python benchmarks/models.py [--samples 16] [--resolution 224] [--spp 16]
                                          [--search-samples 48] [--search-resolution 96]
"""

from __future__ import annotations

import argparse
import tempfile
import textwrap
import time
from pathlib import Path

from simulator.execution.local import LocalExecutor
from simulator.experiment import Experiment, load_experiment
from simulator.models.loading import load_model
from simulator.results.reader import read_results
from simulator.runner import run_experiment

CONFIG = """
name: models
objects: [coffee_mug, banana, strawberry]
environments: [interior]
controls:
  - type: orientation
    yaw: {{min: -180, max: 180}}
    pitch: {{min: -60, max: 60}}
  - type: camera
    elevation: {{min: 0, max: 60}}
    distance: {{min: 1.6, max: 3.2}}
policy: {policy}
{models}
render: {{resolution: {resolution}, samples: {spp}}}
"""
ONE = "model: efficientnet_lite0"
TWO = "models: [efficientnet_lite0, {module: efficientnet_lite1, name: lite1}]"


def experiment(folder: Path, models: str, policy: str, resolution: int, spp: int) -> Experiment:
    path = folder / f"{abs(hash((models, policy)))}.yaml"
    path.write_text(textwrap.dedent(CONFIG.format(models=models, policy=policy, resolution=resolution, spp=spp)))
    return load_experiment(path)


def timed_run(experiment: Experiment, output: Path) -> tuple[float, int]:
    """Seconds of the run (models loaded beforehand) and rows written."""
    executor = LocalExecutor({spec.name: load_model(spec.config) for spec in experiment.models})
    start = time.perf_counter()
    outcome = run_experiment(experiment, output, executor)
    elapsed = time.perf_counter() - start
    executor.close()
    return elapsed, outcome.rendered


def second_model_cost(folder: Path, samples: int, resolution: int, spp: int) -> None:
    policy = f"{{type: random, samples: {samples}, seed: 0}}"
    per_sample = {}
    warm = experiment(folder, ONE, "{type: random, samples: 1, seed: 9}", resolution, spp)
    timed_run(warm, folder / "warm")  # Blender and the scene loaded once before anything is timed
    for label, models in (("one model", ONE), ("two models", TWO)):
        elapsed, _rows = timed_run(experiment(folder, models, policy, resolution, spp), folder / label.replace(" ", "_"))
        per_sample[label] = elapsed / (samples * 3)
        print(f"{label:>10}: {per_sample[label]:.3f} s per sample ({samples * 3} samples, {resolution} px, {spp} spp)")
    print(f"second model: x{per_sample['two models'] / per_sample['one model']:.3f} time per sample (target < 1.15)")
    rows = read_results(folder / "two_models" / "results")
    render = rows.drop_duplicates("id")["render_s"].mean()
    infer = rows.groupby("model", sort=False)["infer_s"].mean()
    parts = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in infer.items())
    implied = (render + infer.sum()) / (render + infer.iloc[0])
    print(f"per sample in the two-model run: render {render * 1000:.0f} ms, inference {parts}: x{implied:.3f} implied")


def disagreements(folder: Path, samples: int, resolution: int, spp: int) -> None:
    for policy in ("random", "tpe"):
        declared = f"{{type: {policy}, samples: {samples}, seed: 0, objective: {{disagreement: [efficientnet_lite0, lite1]}}}}"
        exp = experiment(folder, TWO, declared, resolution, spp)
        output = folder / f"search_{policy}"
        elapsed, _rows = timed_run(exp, output)
        frame = read_results(output / "results")
        wide = frame.pivot(index="id", columns="model", values="correct")
        found = int((wide["efficientnet_lite0"] & ~wide["lite1"]).sum())
        rate = f"{elapsed / found:.2f} s per disagreement" if found else "none found"
        print(f"{policy:>6}: {found} renders with Lite0 right and Lite1 wrong in {len(wide)} ({elapsed:.1f} s): {rate}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=16, help="samples per object for the cost comparison")
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--spp", type=int, default=16)
    parser.add_argument("--search-samples", type=int, default=48, help="samples per object for each search (0: skip)")
    parser.add_argument("--search-resolution", type=int, default=96)
    parser.add_argument("--search-spp", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="robustsim-models-") as folder:
        second_model_cost(Path(folder), args.samples, args.resolution, args.spp)
        if args.search_samples:
            disagreements(Path(folder), args.search_samples, args.search_resolution, args.search_spp)


if __name__ == "__main__":
    main()
