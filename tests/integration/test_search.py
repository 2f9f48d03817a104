"""The search loop with real renders and the real model: adaptive asks follow told results, the same
seed asks the same samples on any executor, and a resumed run (after a crash) asks the same ids again."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from scenes import BALL_NEAR_AND_FAR

from simulator.execution.dask import DaskExecutor
from simulator.execution.local import LocalExecutor
from simulator.experiment import Experiment, load_experiment
from simulator.models.loading import load_model
from simulator.results.reader import read_results
from simulator.runner import run_experiment

pytestmark = pytest.mark.integration

EXPERIMENT = """
name: searchtest
objects: [coffee_mug]
environments: ['#d0d0d0']
controls:
  - type: orientation
    yaw: {{min: -180, max: 180}}
    pitch: {{min: -90, max: 90}}
  - type: corruption
    kind: {{choices: [none, fog]}}
    severity: 2
policy: {{type: tpe, samples: {samples}, seed: 5, generation: 4, startup_trials: 8{extra}}}
render: {{resolution: 32, samples: 1}}
"""


def experiment(folder: Path, samples: int, extra: str = "") -> Experiment:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "search.yaml"
    path.write_text(textwrap.dedent(EXPERIMENT.format(samples=samples, extra=extra)))
    return load_experiment(path)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalExecutor]:
    executor = LocalExecutor(load_model(experiment(tmp_path_factory.mktemp("model"), 1).config.model))
    yield executor
    executor.close()


def asked(output: Path) -> list[tuple]:
    """(ask_index, id, yaw, pitch, corruption) of every row, in ask order."""
    frame = read_results(output / "results").sort_values("ask_index")
    columns = ["ask_index", "id", "orientation.yaw", "orientation.pitch", "corruption.kind"]
    return list(frame[columns].itertuples(index=False, name=None))


def test_adaptive_asks_depend_on_told_results(local: LocalExecutor, tmp_path: Path) -> None:
    lowest = experiment(tmp_path / "low", 24)
    highest = experiment(tmp_path / "high", 24, ", objective: {column: margin, worst: high}")
    run_experiment(lowest, tmp_path / "low" / "out", local)
    run_experiment(highest, tmp_path / "high" / "out", local)
    low, high = asked(tmp_path / "low" / "out"), asked(tmp_path / "high" / "out")
    assert [row[0] for row in low] == list(range(24))
    assert low[:8] == high[:8]  # the random start-up trials: same seed, same samples
    assert low[8:] != high[8:]  # then each search follows what it was told
    frame = read_results(tmp_path / "low" / "out" / "results")
    assert frame["objective"].equals(frame["margin"])  # margin is minimised: worst first
    high_frame = read_results(tmp_path / "high" / "out" / "results")
    assert (high_frame["objective"] == -high_frame["margin"]).all()


def test_same_seed_same_ids_in_process_and_on_dask(local: LocalExecutor, tmp_path: Path) -> None:
    config = experiment(tmp_path, 20)
    run_experiment(config, tmp_path / "local", local)
    dask = DaskExecutor.local(2, local_directory=tmp_path / "dask")
    try:
        outcome = run_experiment(config, tmp_path / "dask-out", dask, batch_size=2)
    finally:
        dask.close()
    assert outcome.rendered == 20 and outcome.failed == 0
    on_dask = read_results(tmp_path / "dask-out" / "results")
    assert on_dask["worker"].nunique() == 2  # both workers rendered, in whatever order batches finished
    assert asked(tmp_path / "local") == asked(tmp_path / "dask-out")


def test_a_resumed_search_asks_the_same_ids_and_renders_only_the_missing(local: LocalExecutor, tmp_path: Path) -> None:
    full = experiment(tmp_path / "full", 32)
    run_experiment(full, tmp_path / "full" / "out", local)
    expected = asked(tmp_path / "full" / "out")

    short = experiment(tmp_path / "part", 20)  # a smaller budget first, then the whole one
    run_experiment(short, tmp_path / "part" / "out", local)
    lost = {3, 9, 10, 17}  # rows a crash lost: one inside each of three generations
    for part in (tmp_path / "part" / "out" / "results").glob("part-*.parquet"):  # one, or more on a slow machine
        table = pq.read_table(part)
        pq.write_table(table.filter(pc.invert(pc.is_in(table["ask_index"], pc.cast(list(lost), "int64")))), part)
    resumed = run_experiment(experiment(tmp_path / "part", 32), tmp_path / "part" / "out", local)
    assert resumed.skipped == 20 - len(lost) and resumed.rendered == 32 - 20 + len(lost)
    assert asked(tmp_path / "part" / "out") == expected  # same ids in the same order, none twice


def test_kill_9_then_resume_yields_the_same_ids_none_twice(tmp_path: Path) -> None:
    config = tmp_path / "search.yaml"
    config.write_text(textwrap.dedent(EXPERIMENT.format(samples=260, extra="")))
    output = tmp_path / "out"
    command = [sys.executable, "-m", "simulator", "run", str(config), "-o", str(output), "--workers", "0"]
    with (tmp_path / "first.log").open("wb") as log:
        first = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not list((output / "results").glob("part-*.parquet")) and first.poll() is None:
            assert time.monotonic() < deadline, "no Parquet part within 120 s"
            time.sleep(0.2)
        first.kill()  # SIGKILL: rows not yet flushed are lost
        first.wait(timeout=30)
    stored = asked(output)
    assert 0 < len(stored) < 260, (tmp_path / "first.log").read_text()[-2000:]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"skipped {len(stored)} already done" in result.stdout + result.stderr  # every stored id asked again
    final = asked(output)
    assert [row[0] for row in final] == list(range(260)) and len({row[1] for row in final}) == 260
    assert final[: len(stored)] == stored


def test_boundary_bisects_between_a_pass_and_a_failure_and_the_report_shows_it(
    local: LocalExecutor, tmp_path: Path
) -> None:
    """The ball is recognised near the camera and not far away: the boundary policy pairs a failure with
    its nearest pass and bisects the camera distance alone between them."""
    config = tmp_path / "boundary.yaml"
    config.write_text(
        "name: boundarytest\n"
        + BALL_NEAR_AND_FAR
        + "policy: {type: boundary, samples: 48, search: tpe, search_samples: 24, pairs: 2, steps: 5, seed: 0}\n"
    )
    output = tmp_path / "out"
    run_experiment(load_experiment(config), output, local)
    frame = read_results(output / "results").sort_values("ask_index")
    probes = frame[frame["boundary.pair"].notna()]
    assert frame["boundary.pair"].iloc[:24].isna().all() and len(probes) > 0  # phase 2 follows the search
    distance = probes[probes["boundary.parameter"] == "camera.distance"]
    for _pair, chain in distance.groupby("boundary.pair"):
        changes = chain["boundary.change"].abs().to_numpy()
        assert (changes[1:] < changes[0]).all()  # bisecting inside the first, whole change
        failing, passing = chain.loc[~chain["correct_top1"], "boundary.change"], chain.loc[chain["correct_top1"], "boundary.change"]
        if len(failing) and len(passing):
            assert passing.abs().max() < failing.abs().min()  # the boundary lies between them
    page = (tmp_path / "report.html")
    subprocess.run(
        [sys.executable, "-m", "simulator", "report", str(output), "-o", str(page)], check=True, capture_output=True, timeout=300
    )
    assert 'id="boundary-table"' in page.read_text() and "camera.distance" in page.read_text()
