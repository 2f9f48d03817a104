"""One CPU-thread budget per rendering process, set once for every library that starts threads.

A process that renders and judges samples runs Cycles, torch (intra-op and inter-op pools, OpenMP),
OpenCV and the BLAS that numpy and OpenCV bring. Left alone each sizes itself to every core of the
machine, so two worker processes on two cores would run eight busy threads. `apply_thread_budget`
gives each library `threads` (torch's inter-op pool one: a batch's ops run one after another), and
`thread_report` reads back what each ended up with, for the run header and the tests.
Cycles takes its count from the render settings (`render.threads`), which the worker sets to the same budget.
"""

from __future__ import annotations

import os

import cv2
import torch
from threadpoolctl import threadpool_info, threadpool_limits

ENVIRONMENT = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def environment_for(threads: int) -> dict[str, str]:
    """Variables a process must start with so libraries loaded later size their pools to `threads`."""
    return {name: str(threads) for name in ENVIRONMENT}


def apply_thread_budget(threads: int) -> None:
    """Limit this process's torch, OpenMP, BLAS and OpenCV pools to `threads` each."""
    os.environ.update(environment_for(threads))
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # the inter-op pool already started: it can only be sized before first use
        pass
    threadpool_limits(limits=threads)  # OpenMP and every BLAS loaded so far
    cv2.setNumThreads(threads)


def thread_report() -> dict[str, int]:
    """Threads each library of this process will use: torch intra-op and inter-op, OpenCV, OpenMP, BLAS."""
    pools = threadpool_info()
    largest = {api: max((p["num_threads"] for p in pools if p["user_api"] == api), default=0) for api in ("openmp", "blas")}
    return {
        "torch": torch.get_num_threads(),
        "torch_interop": torch.get_num_interop_threads(),
        "opencv": cv2.getNumThreads(),
        "openmp": largest["openmp"],
        "blas": largest["blas"],
    }
