"""`robustsim run` when samples fail or the set-up cannot work: one line on the terminal, a non-zero
exit, the tracebacks in run.log (in this process and from Dask workers), nothing rendered in vain."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from object_folders import object_folder

pytestmark = pytest.mark.integration

MALFORMED = Path(__file__).parents[1] / "malformed"
EXPERIMENT = """
name: all_fail
objects: [{objects}]
environments: ['#808080']
policy: {{type: random, samples: 3, seed: 0}}
render: {{resolution: 16, samples: 1}}
model: {{device: cpu}}
"""


def robustsim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "400"},
    )


def broken_experiment(folder: Path) -> Path:
    broken = object_folder(folder, "broken", "not a mesh\n")
    path = folder / "exp.yaml"
    path.write_text(textwrap.dedent(EXPERIMENT.format(objects=broken)))
    return path


@pytest.mark.parametrize("workers", ["0", "1"], ids=["in-process", "dask"])
def test_a_run_whose_every_sample_failed_exits_non_zero_with_one_line(tmp_path: Path, workers: str) -> None:
    output = tmp_path / "out"
    result = robustsim("run", str(broken_experiment(tmp_path)), "-o", str(output), "--workers", workers)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "all 3 samples failed" in errors[0] and "import produced no mesh" in errors[0]
    assert "run.log" in errors[0]
    log = (output / "run.log").read_text()
    assert log.count("Traceback") == 3 and "import produced no mesh with vertices" in log  # workers' too


def test_max_failures_is_one_line_too(tmp_path: Path) -> None:
    result = robustsim("run", str(broken_experiment(tmp_path)), "-o", str(tmp_path / "out"), "--workers", "0",
                       "--max-failures", "0", "--batch-size", "1")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "more than the 0 allowed" in errors[0] and "Traceback" not in result.stderr


def test_run_checks_the_model_on_a_blank_render_before_rendering(tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = robustsim("run", str(MALFORMED / "crop_larger_than_render.yaml"), "-o", str(output), "--workers", "0")
    assert result.returncode == 2 and "model.preprocessing" in result.stderr and "Traceback" not in result.stderr
    assert not list(output.glob("results/*.parquet"))


def test_run_refuses_a_scheduler_that_is_not_an_address(tmp_path: Path) -> None:
    result = robustsim("run", str(MALFORMED / "_base.yaml"), "-o", str(tmp_path / "out"), "--scheduler", "my laptop please")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "'my laptop please' is not a scheduler address" in result.stderr
