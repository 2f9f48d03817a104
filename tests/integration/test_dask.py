"""Dask execution end to end: a real scheduler and workers on 127.0.0.1, killed workers and drivers, resume.

Every process a test starts is ended by the test (workers also exit by themselves when the
scheduler is gone: --death-timeout), and every wait has a timeout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from distributed import Client
from object_folders import object_folder

from simulator.execution.dask import DaskExecutor
from simulator.execution.placement import PairQueue, pair_of
from simulator.experiment import load_experiment
from simulator.results.reader import read_results
from simulator.runner import run_experiment
from simulator.sample import Sample
from simulator.search import open_loop_samples

pytestmark = pytest.mark.integration

DASK = str(Path(sys.executable).with_name("dask"))
ROBUSTSIM = [sys.executable, "-m", "simulator", "run"]

EXPERIMENT = """
name: dasktest
objects: [coffee_mug]
environments: ['#d0d0d0', '#808080']
controls:
  - type: orientation
    yaw: {{min: -60, max: 60}}
policy: {{type: random, samples: {samples}, seed: 3}}
render: {{resolution: 32, samples: 1}}
output: {{save_images: {images}}}
"""


def write_experiment(folder: Path, samples: int, images: bool = False, objects: str = "[coffee_mug]") -> Path:
    path = folder / "exp.yaml"
    text = EXPERIMENT.format(samples=samples, images=str(images).lower()).replace("[coffee_mug]", objects)
    path.write_text(textwrap.dedent(text))
    return path


def planned_ids(config: Path) -> set[str]:
    return {sample.id for sample in open_loop_samples(load_experiment(config))}


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.2)


# ------------------------------------------------------------------ which batch a free worker takes


def scene_batches(scenes: list[str], per_scene: int) -> list[list[Sample]]:
    return [[Sample("p", "mug", scene, {"i": i}, i)] for scene in scenes for i in range(per_scene)]


def test_a_worker_keeps_its_scene_and_free_workers_spread_over_scenes() -> None:
    queue = PairQueue()
    for batch in scene_batches(["a", "b", "c"], 3):
        queue.put(batch)
    held: dict[str, tuple[str, str]] = {}
    for worker in ("w1", "w2", "w3"):
        held[worker] = pair_of(queue.take(held.get(worker), Counter(held.values())))
    assert sorted(pair[1] for pair in held.values()) == ["a", "b", "c"]  # one scene each
    assert pair_of(queue.take(held["w2"], Counter(held.values()))) == held["w2"]  # more of its own scene
    taken = [queue.take(None, Counter()) for _ in range(5)]  # 9 batches in all
    assert None not in taken and queue.take(None, Counter()) is None and len(queue) == 0


# ------------------------------------------------------------------ a real cluster on 127.0.0.1


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


@contextmanager
def dask_cluster(folder: Path, workers: int = 2) -> Iterator[Cluster]:
    """`dask scheduler` on a random free port and `workers` single-threaded `dask worker`s (no nanny)."""
    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "scheduler.json"
    log = (folder / "cluster.log").open("ab")
    common = ["--host", "127.0.0.1", "--no-dashboard"]
    scheduler = subprocess.Popen(
        [DASK, "scheduler", *common, "--port", "0", "--scheduler-file", str(scheduler_file), "--idle-timeout", "600"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    cluster = Cluster("", scheduler, [])
    try:
        wait_until(scheduler_file.exists, 60, "the scheduler file")
        wait_until(lambda: bool(scheduler_file.read_text().strip()), 10, "the scheduler address")
        cluster.address = json.loads(scheduler_file.read_text())["address"]
        for index in range(workers):
            cluster.workers.append(
                subprocess.Popen(
                    [DASK, "worker", cluster.address, *common, "--nthreads", "1", "--no-nanny", "--name", f"w{index}",
                     "--death-timeout", "30", "--local-directory", str(folder / f"w{index}")],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        with Client(cluster.address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=60)
        yield cluster
    finally:
        cluster.stop()
        log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with dask_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


class KillOtherWorkerOnFirstResult:
    """A progress reporter that kill -9s a worker other than the one that finished the first batch,
    noting how many batches the scheduler had running on it at that moment."""

    def __init__(self, cluster: Cluster, client: Client) -> None:
        self.workers = cluster.workers
        self.client = client
        self.address_of = {pid: address for address, pid in client.run(os.getpid).items()}
        self.killed: int | None = None
        self.running_on_victim = 0

    def start(self, total: int | None, stored: int) -> None:
        pass

    def advance(self, rows: list[dict[str, Any]]) -> None:
        if self.killed is None:
            finished = int(rows[0]["worker"].rsplit(":", 1)[1])
            victim = next(w for w in self.workers if w.pid != finished)
            self.running_on_victim = len(self.client.processing()[self.address_of[victim.pid]])
            victim.kill()  # SIGKILL: the worker dies mid-batch, nothing is cleaned up
            victim.wait(timeout=30)
            self.killed = victim.pid


def test_a_killed_worker_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    config = write_experiment(tmp_path, samples=24)
    with dask_cluster(tmp_path / "cluster") as running, Client(running.address, timeout=30) as watcher:
        killer = KillOtherWorkerOnFirstResult(running, watcher)
        executor = DaskExecutor.connect(running.address)
        try:
            outcome = run_experiment(load_experiment(config), tmp_path / "out", executor, killer, batch_size=4)
        finally:
            executor.close()
        survivor = next(w.pid for w in running.workers if w.pid != killer.killed)
    frame = read_results(tmp_path / "out" / "results")
    assert killer.killed is not None and killer.running_on_victim > 0  # batches were lost with it...
    assert outcome.rendered == 48 and outcome.failed == 0  # ...and rerun elsewhere
    assert frame["id"].is_unique and set(frame["id"]) == planned_ids(config)
    pids = frame["worker"].str.rsplit(":", n=1).str[1].astype(int)
    assert (pids == survivor).sum() > (pids == killer.killed).sum()


def test_a_corrupt_asset_is_an_error_row_on_dask(cluster: Cluster, tmp_path: Path) -> None:
    broken = object_folder(tmp_path, "broken", "this is not an obj file\n")
    config = write_experiment(tmp_path, samples=2, objects=f"[coffee_mug, {broken}]")
    executor = DaskExecutor.connect(cluster.address)
    try:
        outcome = run_experiment(load_experiment(config), tmp_path / "out", executor, batch_size=2)
    finally:
        executor.close()
    frame = read_results(tmp_path / "out" / "results")
    assert outcome.failed == 4 and len(frame) == 8 and frame["id"].is_unique
    failed = frame[frame["object"] == "broken"]
    assert failed["error"].notna().all() and failed["pred_top1"].isna().all()
    assert frame[frame["object"] == "coffee_mug"]["error"].isna().all()


def test_an_asset_missing_on_the_worker_names_the_worker_and_the_path(cluster: Cluster, tmp_path: Path) -> None:
    gone = object_folder(tmp_path, "gone", "v 0 0 0\n")
    experiment = load_experiment(write_experiment(tmp_path, samples=2, objects=f"[{gone}]"))
    (gone / "mesh.obj").unlink()  # the driver saw it; the workers will not
    executor = DaskExecutor.connect(cluster.address)
    try:
        outcome = run_experiment(experiment, tmp_path / "out", executor, batch_size=2)
    finally:
        executor.close()
    errors = read_results(tmp_path / "out" / "results")["error"]
    assert outcome.failed == 4
    assert errors.str.contains("asset missing on worker tcp://127.0.0.1:", regex=False).all()
    assert errors.str.contains(str(gone / "mesh.obj"), regex=False).all()


def test_max_failures_stops_a_run_failing_everywhere(cluster: Cluster, tmp_path: Path) -> None:
    broken = object_folder(tmp_path, "broken", "not a mesh\n")
    config = write_experiment(tmp_path, samples=8, objects=f"[{broken}]")
    result = subprocess.run(
        [*ROBUSTSIM, str(config), "-o", str(tmp_path / "out"), "--scheduler", cluster.address, "--max-failures", "2",
         "--batch-size", "4"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    printed = result.stdout + result.stderr
    assert result.returncode == 1, printed[-3000:]
    assert "stopped after" in printed and "more than the 2 allowed" in printed and "Traceback" not in printed
    frame = read_results(tmp_path / "out" / "results")
    assert 0 < len(frame) < 16 and frame["error"].notna().all()


# ------------------------------------------------------------------ the driver: local cluster, killed, interrupted


@contextmanager
def driver(args: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`robustsim run ...` in its own process group; the group is killed on the way out."""
    with log.open("ab") as out:
        process = subprocess.Popen([*ROBUSTSIM, *args], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)


def children_of(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    try:
        return psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def parts(output: Path) -> list[Path]:
    return sorted((output / "results").glob("part-*.parquet"))


def test_a_killed_driver_resumes_rendering_only_missing_ids(tmp_path: Path) -> None:
    # enough work that the run is still going when its first part is written (after 10 s) on a quiet machine
    config, output, log = write_experiment(tmp_path, samples=250), tmp_path / "out", tmp_path / "driver.log"
    args = [str(config), "-o", str(output), "--workers", "2", "--batch-size", "8"]
    with driver(args, log) as first:
        wait_until(lambda: bool(parts(output)) or first.poll() is not None, 110, "the first Parquet part")
        workers = children_of(first)
        first.kill()  # SIGKILL: no clean-up at all
        first.wait(timeout=30)
        _gone, alive = psutil.wait_procs(workers, timeout=30)
        assert not alive, f"local workers outlived their driver: {alive}"
    done_before = set(read_results(output / "results")["id"])
    assert 0 < len(done_before) < 500, log.read_text()[-3000:]
    result = subprocess.run([*ROBUSTSIM, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"skipped {len(done_before)} already done" in result.stdout + result.stderr
    frame = read_results(output / "results")
    assert frame["id"].is_unique and set(frame["id"]) == planned_ids(config)
    assert frame[~frame["id"].isin(done_before)]["worker"].nunique() == 2  # both local workers rendered


def test_ctrl_c_stops_cleanly_and_keeps_what_finished(tmp_path: Path) -> None:
    config, output = write_experiment(tmp_path, samples=200, images=True), tmp_path / "out"
    log = tmp_path / "driver.log"
    with driver([str(config), "-o", str(output), "--workers", "2", "--batch-size", "4"], log) as run:
        images = output / "images"
        wait_until(lambda: len(list(images.glob("*.png"))) >= 24 or run.poll() is not None, 110, "some renders")
        workers = children_of(run)
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        assert run.wait(timeout=60) == 130, log.read_text()[-3000:]
        _gone, alive = psutil.wait_procs(workers, timeout=30)
        assert not alive, f"local workers outlived an interrupted run: {alive}"
    assert "Interrupted" in log.read_text()
    frame = read_results(output / "results")
    assert len(frame) > 0 and frame["id"].is_unique and set(frame["id"]) < planned_ids(config)
    assert frame["error"].isna().all()
