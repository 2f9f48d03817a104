"""End to end: real renders, the real model, real Parquet; resume; failures become rows."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from object_folders import object_folder

from simulator.analysis.surface import uv_accuracy_map
from simulator.execution.local import LocalExecutor
from simulator.experiment import load_experiment
from simulator.measurements import decode_uv_visible
from simulator.results.reader import read_results
from simulator.runner import run_experiment

pytestmark = pytest.mark.integration

TINY = """
name: tiny
objects: [coffee_mug]
environments: [interior, '#d0d0d0']
controls:
  - type: orientation
    yaw: {min: -40, max: 40}
  - type: camera
    elevation: {choices: [5, 25]}
policy: {type: random, samples: 3, seed: 7}
render: {resolution: 64, samples: 4, channels: [rgb, uv]}
output: {save_images: true}
"""


CUBE_OBJ = "".join(f"v {x} {y} {z}\n" for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)) + (
    "f 1 2 4 3\nf 5 7 8 6\nf 1 5 6 2\nf 3 4 8 7\nf 1 3 7 5\nf 2 6 8 4\n"
)


def write(tmp_path: Path, text: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, subprocess.CompletedProcess]:
    folder = tmp_path_factory.mktemp("run")
    config = write(folder, TINY)
    output = folder / "out"
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(config), "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return output, read_results(output / "results"), result


def test_one_typed_row_per_sample(tiny_run: tuple[Path, pd.DataFrame, subprocess.CompletedProcess]) -> None:
    _output, frame, _result = tiny_run
    assert len(frame) == 6 and frame["id"].is_unique
    assert set(frame["environment"]) == {"interior", "#d0d0d0"}
    assert frame["error"].isna().all()
    assert frame["orientation.yaw"].between(-40, 40).all() and frame["orientation.yaw"].dtype == "float64"
    assert set(frame["camera.elevation"]) <= {5.0, 25.0}
    assert frame["correct_top1"].dtype == bool and frame["pred_top1"].dtype == "int64"
    assert all(len(k) == 5 for k in frame["pred_topk"])
    assert ((frame["true_prob"] >= 0) & (frame["true_prob"] <= 1)).all()
    assert (frame["render_s"] > 0).all() and (frame["infer_s"] > 0).all()
    assert list(frame["label"].iloc[0]) == [504, 968]


def test_every_render_records_background_complexity_and_visible_texture(
    tiny_run: tuple[Path, pd.DataFrame, subprocess.CompletedProcess],
) -> None:
    _output, frame, _result = tiny_run
    density = frame.groupby("environment")["background_edge_density"].mean()
    assert density["#d0d0d0"] < 0.005 < density["interior"]  # a flat grey background has no edges; a room has
    for blob in frame["uv_visible"]:
        counts = decode_uv_visible(blob)
        assert 50 < counts.sum() < 64 * 64 and 0 < (counts > 0).mean() < 1  # the mug's pixels, part of its texture
    surface = uv_accuracy_map(frame, "coffee_mug", min_views=1)
    assert surface.samples == 6 and np.isfinite(surface.accuracy).any() and np.isnan(surface.accuracy).any()


def test_images_saved_when_asked(tiny_run: tuple[Path, pd.DataFrame, subprocess.CompletedProcess]) -> None:
    output, frame, _result = tiny_run
    for relative in frame["image_path"]:
        assert (output / relative).is_file()


def test_summary_table_and_results_path_printed(tiny_run: tuple[Path, pd.DataFrame, subprocess.CompletedProcess]) -> None:
    _output, _frame, result = tiny_run
    printed = result.stdout + result.stderr
    assert "Accuracy" in printed and "coffee_mug" in printed and "results" in printed


def test_rerun_renders_nothing_already_present(tiny_run: tuple[Path, pd.DataFrame, subprocess.CompletedProcess], tmp_path: Path) -> None:
    output, frame, _result = tiny_run
    experiment = load_experiment(write(tmp_path, TINY))
    outcome = run_experiment(experiment, output, LocalExecutor())
    assert (outcome.rendered, outcome.skipped) == (0, 6)
    # asking for more samples renders only the new ones (random policy is prefix-stable)
    more = load_experiment(write(tmp_path, TINY.replace("samples: 3", "samples: 4"), "more.yaml"))
    outcome = run_experiment(more, output, LocalExecutor())
    assert (outcome.rendered, outcome.skipped) == (2, 6)
    after = read_results(output / "results")
    assert len(after) == 8 and after["id"].is_unique and set(frame["id"]) < set(after["id"])


def test_a_failing_sample_is_a_row_not_a_crash(tmp_path: Path) -> None:
    broken = object_folder(tmp_path, "broken", "this is not an obj file\n")
    config = write(
        tmp_path,
        TINY.replace("objects: [coffee_mug]", f"objects: [coffee_mug, {broken}]").replace("samples: 3", "samples: 1"),
    )
    outcome = run_experiment(load_experiment(config), tmp_path / "out", LocalExecutor())
    frame = read_results(tmp_path / "out" / "results")
    assert outcome.failed == 2 and len(frame) == 4
    failed = frame[frame["object"] == "broken"]
    assert failed["error"].notna().all() and failed["pred_top1"].isna().all()
    assert frame[frame["object"] == "coffee_mug"]["error"].isna().all()

    (broken / "mesh.obj").write_text(CUBE_OBJ)  # the user mends the asset
    again = run_experiment(load_experiment(config), tmp_path / "out", LocalExecutor())
    assert (again.rendered, again.skipped) == (0, 4)  # failed samples count as done ...
    retried = run_experiment(load_experiment(config), tmp_path / "out", LocalExecutor(), retry_failed=True)
    assert (retried.retried, retried.rendered, retried.failed, retried.skipped) == (2, 2, 0, 2)  # ... unless retried
    mended = read_results(tmp_path / "out" / "results")
    assert len(mended) == 4 and mended["id"].is_unique and mended["error"].isna().all()
    assert set(mended["id"]) == set(frame["id"])
