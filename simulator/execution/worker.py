"""What runs inside a Dask worker: one `SampleProcessor` per process, kept from task to task.

A task is `process_batch(job, samples)`. The job (the experiment and how to run it, ~3 KB) travels
with every task; the worker builds its renderer and model for the first task of a job and keeps
them for every later task with the same fingerprint, so a scene or model is loaded once per process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.execution.processor import SampleProcessor
from simulator.execution.threads import apply_thread_budget, thread_report
from simulator.experiment import Experiment
from simulator.sample import Sample


@dataclass(frozen=True)
class BatchJob:
    """Everything a worker needs besides the samples."""

    experiment: Experiment
    image_dir: Path | None
    threads_by_host: dict[str, int]  # CPU threads per worker process on each host (render and torch)
    fingerprint: str

    @classmethod
    def create(cls, experiment: Experiment, image_dir: Path | None, threads_by_host: dict[str, int]) -> BatchJob:
        """The fingerprint covers what shapes a processor: not the policy (samples come with their
        parameters) nor where the batches run."""
        shaping = experiment.config.model_dump(mode="json", exclude={"policy", "cluster"})
        payload = json.dumps([shaping, str(image_dir), sorted(threads_by_host.items())], sort_keys=True)
        return cls(experiment, image_dir, threads_by_host, hashlib.sha256(payload.encode()).hexdigest()[:16])


_BPY_SCRIPT_DIR = re.compile(r"[/\\]bpy[/\\]\d+\.\d+[/\\]scripts([/\\]|$)")
_current: tuple[str, SampleProcessor] | None = None  # (fingerprint, processor) of this process
_lock = threading.Lock()  # bpy is global: a worker started with several threads renders one batch at a time


def process_batch(job: BatchJob, samples: list[Sample]) -> list[dict[str, Any]]:
    """One row per sample (failures included)."""
    from distributed import get_worker

    with _lock:
        processor = _processor(job)
        missing = missing_assets(job.experiment, samples[0].object, samples[0].environment)
        if missing:
            message = (
                f"asset missing on worker {get_worker().address} (host {socket.gethostname()}): {missing}; workers "
                "read assets by path, so every worker must see them at the same path (shared storage or the same image)"
            )
            return processor.failed_rows(samples, message)
        return processor.process(samples)


def missing_assets(experiment: Experiment, obj: str, environment: str) -> str | None:
    """The first file of this (object, environment) that does not exist here, if any."""
    asset = experiment.objects[obj]
    for path in (asset.mesh_path, asset.texture_path, experiment.environments[environment].hdri_path):
        if path is not None and not Path(path).exists():
            return str(path)
    return None


def _processor(job: BatchJob) -> SampleProcessor:
    """This process's processor for `job`, built on first use (the previous job's is closed)."""
    global _current
    if _current is not None and _current[0] == job.fingerprint:
        return _current[1]
    if _current is not None:
        _current[1].close()
        _current = None
    _forget_inherited_bpy_paths()
    threads = worker_threads(job)
    apply_thread_budget(threads)
    _current = (job.fingerprint, SampleProcessor(_with_render_threads(job.experiment, threads), job.image_dir))
    return _current[1]


def _forget_inherited_bpy_paths() -> None:
    """Drop the script folders that bpy puts first on sys.path from a process that has not imported it.

    A worker spawned by a process that had imported bpy (a LocalCluster started after rendering in
    the driver) inherits that sys.path, and `import bpy` would then find Blender's inner `bpy` package.
    """
    if "bpy" not in sys.modules:
        sys.path[:] = [entry for entry in sys.path if not _BPY_SCRIPT_DIR.search(entry)]


def worker_threads(job: BatchJob) -> int:
    """CPU threads for this process: the config's render.threads, else this host's share of cores."""
    configured = job.experiment.config.render.threads
    if configured > 0:
        return configured
    return job.threads_by_host.get(socket.gethostname(), available_cores())


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def host_cores() -> tuple[str, int]:
    """(host name, usable cores) of the process it runs in; run on every worker by the driver."""
    return socket.gethostname(), available_cores()


def _with_render_threads(experiment: Experiment, threads: int) -> Experiment:
    config = experiment.config
    render = config.render.model_copy(update={"threads": threads})
    return dataclasses.replace(experiment, config=config.model_copy(update={"render": render}))


def worker_thread_report() -> dict[str, int]:
    """Threads each library of this worker uses (`thread_report`), and Cycles' once a batch has rendered.
    Submit it as a task: OpenMP's count is per thread, and tasks run in the thread that renders."""
    report = thread_report()
    if _current is not None and "bpy" in sys.modules:
        import bpy

        report["cycles"] = int(bpy.context.scene.render.threads)
    return report
