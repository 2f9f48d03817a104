"""Each rendering process gets one CPU-thread budget for every library: a local cluster's workers
split the cores between them (Cycles, torch, OpenCV, OpenMP, BLAS), and Dask's profiler is off."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from simulator.execution.dask import DaskExecutor
from simulator.execution.worker import available_cores, worker_thread_report
from simulator.experiment import load_experiment
from simulator.runner import run_experiment

pytestmark = pytest.mark.integration

EXPERIMENT = """
name: threads
objects: [coffee_mug]
environments: ['#d0d0d0']
controls:
  - type: orientation
    yaw: {min: -60, max: 60}
  - type: corruption
    kind: gaussian_blur
    severity: 2
policy: {type: random, samples: 4, seed: 1}
render: {resolution: 32, samples: 1}
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_every_library_of_a_worker_gets_its_share_of_the_cores(tmp_path: Path, workers: int) -> None:
    config = tmp_path / "threads.yaml"
    config.write_text(textwrap.dedent(EXPERIMENT))
    executor = DaskExecutor.local(workers, local_directory=tmp_path / "dask")
    try:
        run_experiment(load_experiment(config), tmp_path / "out", executor, batch_size=1)
        client = executor.client
        addresses = list(client.scheduler_info()["workers"])
        # as a task, so it reads the pools of the thread that renders and infers
        reports = client.gather([client.submit(worker_thread_report, workers=[a], pure=False) for a in addresses])
        profiling = client.run(lambda: __import__("dask").config.get("distributed.worker.profile.enabled"))
    finally:
        executor.close()
    share = max(1, available_cores() // workers)
    for report in reports:
        assert report == {"torch": share, "torch_interop": 1, "opencv": share, "openmp": share, "blas": share, "cycles": share}
    assert not any(profiling.values())
    shutil.rmtree(tmp_path / "dask", ignore_errors=True)
