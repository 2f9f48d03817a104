"""Speed of our corruptions against the ImageNet-C reference (imagecorruptions 1.1.2) at 224 px.

For each corruption: the median time of one call over all five severities (`--repeats` calls
each, after one warm-up call per severity that fills the caches: frost textures, Poisson tables),
the median of the slowest severity, the reference's median (glass blur only twice, ~1 s a call),
and reference / ours. Ours must stay under 10 ms a call at every severity: those over are
flagged. The first call in a process (texture loading, table building) is shown apart. The
depth-aware corruptions have no reference here and are timed alone.

    .venv/bin/python benchmarks/corruptions.py [--repeats 20] [--reference-repeats 3]

Needs the dev extra (imagecorruptions, scikit-image). Timings are wall clock on a shared
machine: run it when the machine is quiet, or read the medians as upper bounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))  # the reference helper
from imagenet_c_reference import photo, reference_corrupt

from simulator.corruptions import NAMES, corrupt
from simulator.corruptions.depth import defocus_3d, fog_3d

BUDGET_MS = 10.0
SEVERITIES = (1, 2, 3, 4, 5)


def milliseconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1e3


def time_ours(call: Callable[[int], object], repeats: int) -> tuple[float, float, float]:
    """(first call, median over all severities, median of the slowest severity) in ms."""
    first = milliseconds(lambda: call(SEVERITIES[0]))
    per_severity = []
    for severity in SEVERITIES:
        call(severity)  # warm-up: caches filled
        per_severity.append([milliseconds(lambda s=severity: call(s)) for _ in range(repeats)])
    every = [t for times in per_severity for t in times]
    return first, statistics.median(every), max(statistics.median(times) for times in per_severity)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per severity (ours)")
    parser.add_argument("--reference-repeats", type=int, default=3, help="timed calls per severity (reference)")
    args = parser.parse_args()

    image_u8 = photo()
    image = image_u8.astype(np.float32) / 255
    rng = np.random.default_rng(0)
    print(f"224 x 224 px, median ms per call; OpenCV threads: {cv2.getNumThreads()}")
    print(f"{'corruption':18s} {'ours':>7s} {'worst':>7s} {'first':>7s} {'reference':>10s} {'ref/ours':>9s}")
    over = []
    for name in NAMES:
        first, median, worst = time_ours(lambda s, n=name: corrupt(image, n, s, rng), args.repeats)
        severities, repeats = ((1, 5), 1) if name == "glass_blur" else (SEVERITIES, args.reference_repeats)
        reference = statistics.median(
            milliseconds(lambda s=s, n=name: reference_corrupt(image_u8, n, s, seed=0))
            for s in severities
            for _ in range(repeats)
        )
        flag = "  OVER 10 ms" if worst > BUDGET_MS else ""
        print(f"{name:18s} {median:7.2f} {worst:7.2f} {first:7.2f} {reference:10.2f} {reference / median:8.1f}x{flag}")
        if worst > BUDGET_MS:
            over.append(name)

    depth = np.full(image.shape[:2], 2.0, dtype=np.float32)
    depth[:, 112:] = 6.0
    depth[:40] = np.inf
    depth_aware: dict[str, Callable[[int], object]] = {
        "depth_fog": lambda s: fog_3d(image, depth, s),
        "defocus near": lambda s: defocus_3d(image, depth, s, "near"),
        "defocus far": lambda s: defocus_3d(image, depth, s, "far"),
    }
    for name, call in depth_aware.items():
        first, median, worst = time_ours(call, args.repeats)
        flag = "  OVER 10 ms" if worst > BUDGET_MS else ""
        print(f"{name:18s} {median:7.2f} {worst:7.2f} {first:7.2f} {'-':>10s} {'-':>9s}{flag}")
        if worst > BUDGET_MS:
            over.append(name)
    print(f"over {BUDGET_MS:g} ms at some severity: {', '.join(over) if over else 'none'}")


if __name__ == "__main__":
    main()
