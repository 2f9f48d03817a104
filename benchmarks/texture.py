"""Iterations per second of the texture optimizer, and where the time goes.

One iteration = one Mitsuba render of the mug (224 px, 16 spp, batch 1) with the texture as a
differentiable parameter, sRGB encoding, the default model forward, the model backward, Mitsuba's
adjoint render, an Adam step. Each part is timed on its own (the model's backward stops at the
image, then the image's gradient is pushed through Mitsuba), after `--warmup` iterations that
JIT-compile Dr.Jit's kernels:

    .venv/bin/python benchmarks/texture.py [--iterations 20] [--spp 16] [--spp-grad 16]
        [--integrator prb|direct|path] [--max-depth 3] [--texture 128] [--threads N]

Target: >= 3 it/s on 2 cores.
"""

from __future__ import annotations

import argparse
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import torch

from simulator.texture.config import load_texture_config
from simulator.texture.loop import TextureOptimizer
from simulator.texture.loss import linear_to_srgb

CONFIG = """
name: texture_benchmark
objects: [coffee_mug]
environments: [interior, studio]
controls:
  - type: orientation
    yaw: {{min: -180, max: 180}}
  - type: camera
    elevation: {{min: 0, max: 45}}
    distance: {{min: 1.8, max: 2.6}}
render: {{resolution: {resolution}}}
optimize:
  texture_resolution: {texture}
  spp: {spp}
  spp_grad: {spp_grad}
  integrator: {integrator}
  max_depth: {max_depth}
  batch: 1
  device: {device}
"""

PARTS = ("mitsuba forward", "model forward", "model backward", "mitsuba backward", "adam step")


def timed_iteration(optimizer: TextureOptimizer, iteration: int) -> dict[str, float]:
    """One optimizer iteration, each part timed separately (the same work as `TextureOptimizer.step`)."""
    times: dict[str, float] = {}
    condition = optimizer.sampler.draw(iteration, 0)
    optimizer.adam.zero_grad(set_to_none=True)
    start = time.perf_counter()
    image = optimizer.renderer.render(optimizer.texture.linear(), condition.scene, condition.seed)
    srgb = linear_to_srgb(image).permute(2, 0, 1).unsqueeze(0)
    times["mitsuba forward"] = time.perf_counter() - start
    leaf = srgb.detach().requires_grad_(True)
    start = time.perf_counter()
    loss, _ = optimizer.ensemble.loss_and_hits(leaf, optimizer.labels)
    times["model forward"] = time.perf_counter() - start
    start = time.perf_counter()
    loss.sum().backward()
    times["model backward"] = time.perf_counter() - start
    start = time.perf_counter()
    srgb.backward(leaf.grad)
    times["mitsuba backward"] = time.perf_counter() - start
    start = time.perf_counter()
    optimizer.adam.step()
    times["adam step"] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--spp", type=int, default=16)
    parser.add_argument("--spp-grad", type=int, default=None, help="samples per pixel of the adjoint pass (default: --spp)")
    parser.add_argument("--texture", type=int, default=128)
    parser.add_argument("--integrator", choices=("prb", "direct", "path"), default="prb")
    parser.add_argument("--max-depth", type=int, default=3)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "texture.yaml"
        path.write_text(
            textwrap.dedent(
                CONFIG.format(
                    resolution=args.resolution,
                    texture=args.texture,
                    spp=args.spp,
                    spp_grad=args.spp_grad or args.spp,
                    integrator=args.integrator,
                    max_depth=args.max_depth,
                    device=args.device,
                )
            )
        )
        experiment, optimize = load_texture_config(path)
        optimizer = TextureOptimizer(experiment, optimize, Path(folder) / "out")
        for iteration in range(args.warmup):
            timed_iteration(optimizer, iteration)
        rows = [timed_iteration(optimizer, args.warmup + i) for i in range(args.iterations)]
    totals = {part: float(np.sum([row[part] for row in rows])) for part in PARTS}
    elapsed = sum(totals.values())
    print(
        f"{args.iterations} iterations, {args.resolution} px, {args.spp} spp (gradient {args.spp_grad or args.spp}), "
        f"{args.integrator} max_depth {args.max_depth}, texture {args.texture} px, batch 1, "
        f"Mitsuba {optimizer.renderer.variant}, torch threads {torch.get_num_threads()}"
    )
    for part in PARTS:
        print(f"  {part:17s} {1000 * totals[part] / args.iterations:7.1f} ms/it  ({totals[part] / elapsed:5.1%})")
    mitsuba = totals["mitsuba forward"] + totals["mitsuba backward"]
    model = totals["model forward"] + totals["model backward"]
    print(f"Mitsuba {mitsuba / elapsed:.0%}, model {model / elapsed:.0%} of the time")
    print(f"throughput: {args.iterations / elapsed:.2f} it/s (target >= 3 it/s on 2 cores)")


if __name__ == "__main__":
    main()
