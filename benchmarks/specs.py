"""Renders a sequential test (SPRT) needs against a fixed-n test with the same error rates, on real renders.

Accuracy specs at at_least = 0.95 with indifference 0.10 (p0 = 0.05, p1 = 0.15, alpha = beta = 0.05)
on built-in objects: one that passes (a tennis ball the model knows), one that fails (a banana
turned every way), and one near the line (the tennis ball under mild ImageNet-C noise and contrast,
~3% failures). Each runs twice on the same draws: `test: sprt` and `test: fixed` (n = the fixed-n
size for these error rates, 93); the table prints both verdicts and the renders each used, with the
theory for comparison: the expected SPRT length at p0 and p1 from 20,000 simulated Bernoulli streams.

    .venv/bin/python benchmarks/specs.py [--resolution 128]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import textwrap
from pathlib import Path

import numpy as np

from simulator.execution.local import LocalExecutor
from simulator.experiment import load_experiment
from simulator.models.loading import load_model
from simulator.specs.box import SpecBox, load_specs
from simulator.specs.check import check_spec
from simulator.specs.stats import SPRT, Hypotheses, fixed_sample_size

CONFIG = """
name: spec-benchmark
objects: [tennis_ball, banana]
environments: [studio]
controls:
  - type: orientation
    yaw: {{min: -180, max: 180}}
    pitch: {{min: -30, max: 30}}
  - type: camera
    elevation: {{min: 0, max: 50}}
    distance: {{min: 1.8, max: 3.2}}
  - type: corruption
    kind: {{choices: [none, gaussian_noise, contrast]}}
    severity: {{min: 1, max: 3}}
policy: {{type: random, samples: 4}}
render: {{resolution: {resolution}, samples: 8, denoise: true}}
specs:
  - {{name: tennis_ball_clean, kind: accuracy, where: {{objects: [tennis_ball], corruption.kind: none}}, at_least: 0.95, budget: 93}}
  - {{name: banana_any_turn, kind: accuracy, where: {{objects: [banana], corruption.kind: none}}, at_least: 0.95, budget: 93}}
  - {{name: tennis_ball_mild_noise, kind: accuracy, where: {{objects: [tennis_ball]}}, at_least: 0.95, budget: 93}}
"""


def simulated_length(h: Hypotheses, rate: float, runs: int = 20_000) -> float:
    rng = np.random.default_rng(0)
    lengths = []
    for _ in range(runs):
        test = SPRT(h)
        while test.add(bool(rng.random() < rate)) is None:
            pass
        lengths.append(test.n)
    return float(np.mean(lengths))


def with_test(box: SpecBox, test: str) -> SpecBox:
    return dataclasses.replace(box, spec=box.spec.model_copy(update={"test": test}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resolution", type=int, default=128)
    args = parser.parse_args()
    h = Hypotheses(0.05, 0.15)
    fixed_n = fixed_sample_size(h)
    print(f"p0 = 0.05, p1 = 0.15, alpha = beta = 0.05: fixed-n test needs {fixed_n} renders")
    print(f"theory (simulated): SPRT uses {simulated_length(h, 0.05):.0f} on average at p0, {simulated_length(h, 0.15):.0f} at p1\n")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "specs.yaml"
        path.write_text(textwrap.dedent(CONFIG.format(resolution=args.resolution)))
        experiment = load_experiment(path)
        executor = LocalExecutor(load_model(experiment.config.model))
        print(f"{'spec':>24} | sprt verdict | renders | fixed verdict | renders | share met (fixed) [95% CI]")
        for box in load_specs(experiment):
            sprt = check_spec(experiment, with_test(box, "sprt"), Path(folder) / "out", executor, lambda rows: None)
            fixed = check_spec(experiment, with_test(box, "fixed"), Path(folder) / "out", executor, lambda rows: None)
            print(
                f"{box.spec.name:>24} | {sprt.verdict:>12} | {sprt.n:7d} | {fixed.verdict:>13} | {fixed.n:7d} | "
                f"{fixed.share:.3f} [{fixed.share_low:.3f}, {fixed.share_high:.3f}]",
                flush=True,
            )
        executor.close()


if __name__ == "__main__":
    main()
