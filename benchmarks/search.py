"""How much faster an adaptive search finds failures than blind sampling, at equal budget.

One object in one environment whose conditions the embedded model gets right most of the time
(random sampling's failure rate is measured in the same run and printed: a few percent). For each
policy (random, sobol, tpe) and each seed, `run_experiment` renders `--budget` samples in this
process, minimising the margin (true-class logit minus the best other; negative = wrong). Printed
side by side, over the seeds:

- samples to the first failure (median; a run without one counts as budget + 1),
- failures found, distinct failures (closer than 10% of every range with equal choices count once),
- the worst margin found,
- the sampler's time (its ask and tell calls) as a share of the time spent rendering and judging.

Targets: tpe finds >= 5x random's failures, reaches its first one in <= 1/2 of random's median
samples, finds a lower worst margin, and its sampler time stays < 5% of render time.

    .venv/bin/python benchmarks/search.py [--budget 128] [--seeds 3] [--resolution 128]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from simulator.analysis.search import distinct_failures, failures
from simulator.execution.local import LocalExecutor
from simulator.experiment import Experiment, load_experiment
from simulator.models.loading import load_model
from simulator.results.reader import read_results
from simulator.runner import run_experiment

CONFIG = """
name: search-benchmark
objects: [tennis_ball]
environments: [studio]
controls:
  - type: orientation
    yaw: {{min: -180, max: 180}}
    pitch: {{min: -30, max: 30}}
  - type: camera
    elevation: {{min: 0, max: 50}}
    distance: {{min: 1.8, max: 3.2}}
  - type: background
    rotation: {{min: 0, max: 360}}
  - type: corruption
    kind: {{choices: [none, gaussian_noise, contrast]}}
    severity: {{min: 1, max: 3}}
policy: {{type: {policy}, samples: {budget}, seed: {seed}}}
render: {{resolution: {resolution}, samples: 8, denoise: true}}
"""
POLICIES = ("random", "sobol", "tpe")


def timed(policy_class: type) -> type:
    """The policy class with its ask and tell calls timed (class attribute `seconds`)."""

    class Timed(policy_class):  # type: ignore[misc, valid-type]
        seconds = 0.0

        def ask(self, n: int) -> list[dict[str, Any]]:
            start = time.perf_counter()
            try:
                return super().ask(n)
            finally:
                Timed.seconds += time.perf_counter() - start

        def tell(self, params: Any, result: Any) -> None:
            start = time.perf_counter()
            super().tell(params, result)
            Timed.seconds += time.perf_counter() - start

    return Timed


def one_run(experiment: Experiment, executor: LocalExecutor, budget: int) -> dict[str, float]:
    policy_class = timed(experiment.policy_class)
    experiment = dataclasses.replace(experiment, policy_class=policy_class)
    with tempfile.TemporaryDirectory() as output:
        run_experiment(experiment, Path(output), executor)
        frame = read_results(Path(output) / "results")
    failing = failures(frame)
    return {
        "first": float(failing["ask_index"].min() + 1) if len(failing) else float(budget + 1),
        "failures": float(len(failing)),
        "distinct": float(len(distinct_failures(frame, experiment.space.ranges()))),
        "worst": float(frame["margin"].min()),
        "sampler_share": policy_class.seconds / float((frame["render_s"] + frame["infer_s"]).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=int, default=128, help="renders per policy and seed")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--resolution", type=int, default=128)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {policy: [] for policy in POLICIES}
    executor: LocalExecutor | None = None
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.seeds):
            for policy in POLICIES:
                path = Path(folder) / f"{policy}-{seed}.yaml"
                text = CONFIG.format(policy=policy, budget=args.budget, seed=seed, resolution=args.resolution)
                path.write_text(textwrap.dedent(text))
                experiment = load_experiment(path)
                executor = executor or LocalExecutor(load_model(experiment.config.model))
                results[policy].append(one_run(experiment, executor, args.budget))
                print(f"seed {seed} {policy:>6}: {results[policy][-1]}", flush=True)
    if executor is not None:
        executor.close()
    print(f"\n{args.budget} renders per run, {args.seeds} seeds, {args.resolution} px, 8 spp + denoising")
    print(f"{'policy':>7} | failure rate | 1st failure (median) | failures | distinct | worst margin | sampler time")
    for policy, runs in results.items():
        rate = statistics.mean(run["failures"] for run in runs) / args.budget
        print(
            f"{policy:>7} | {rate:11.1%} | {statistics.median(run['first'] for run in runs):20.0f} | "
            f"{statistics.mean(run['failures'] for run in runs):8.1f} | {statistics.mean(run['distinct'] for run in runs):8.1f} | "
            f"{min(run['worst'] for run in runs):12.2f} | {statistics.mean(run['sampler_share'] for run in runs):11.2%}"
        )
    random, tpe = results["random"], results["tpe"]
    found = statistics.mean(r["failures"] for r in tpe) / max(statistics.mean(r["failures"] for r in random), 1e-9)
    first = statistics.median(r["first"] for r in tpe) / statistics.median(r["first"] for r in random)
    print(f"\ntpe / random: {found:.1f}x the failures (target >= 5), first failure at {first:.2f}x the samples (target <= 0.5)")


if __name__ == "__main__":
    main()
