"""A third-party package registers a control, a model and an evaluator through entry-point groups.

The example plugin (tests/plugins/robustsim_example_plugin) is pip-installed into a temporary
folder with --target; putting that folder on PYTHONPATH makes its dist-info (and so its entry
points) visible to a `robustsim` subprocess, exactly as an install into the environment would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simulator.analysis.sql import accuracy_sql
from simulator.analysis.tables import accuracy
from simulator.results.reader import read_results

pytestmark = pytest.mark.integration

PLUGIN = Path(__file__).parents[1] / "plugins" / "robustsim_example_plugin"

EXPERIMENT = """
name: plugin_gray
objects: [coffee_mug]
environments: [interior]
controls:
  - type: orientation
    yaw: {min: -30, max: 30}
  - {type: grayscale, amount: 1.0}
policy: {type: random, samples: 2, seed: 0}
render: {resolution: 32, samples: 2}
output: {save_images: true}
"""


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment variables under which subprocesses see the installed plugin."""
    folder = tmp_path_factory.mktemp("plugin")
    source = folder / "source"
    shutil.copytree(PLUGIN, source)  # building writes build/ and *.egg-info next to the sources
    target = folder / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), env.get("PYTHONPATH", "")]))
    return env


def robustsim(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args], capture_output=True, text=True, env=env, timeout=600
    )


def test_list_controls_shows_the_plugin(plugin_env: dict[str, str]) -> None:
    result = robustsim(plugin_env, "list", "controls")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "grayscale" in result.stdout and "amount" in result.stdout and "orientation" in result.stdout


def test_an_experiment_uses_the_plugin_control_by_name(plugin_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "gray.yaml"
    config.write_text(textwrap.dedent(EXPERIMENT))
    output = tmp_path / "out"
    result = robustsim(plugin_env, "run", str(config), "-o", str(output), "--workers", "0")
    assert result.returncode == 0, result.stderr[-3000:]
    frame = read_results(output / "results")
    assert len(frame) == 2 and frame["error"].isna().all()
    assert (frame["grayscale.amount"] == 1.0).all()
    for relative in frame["image_path"]:
        rgb = np.asarray(Image.open(output / relative).convert("RGB")).astype(int)
        assert rgb.std() > 0  # a real picture ...
        assert np.abs(rgb[..., 0] - rgb[..., 1]).max() <= 1 and np.abs(rgb[..., 1] - rgb[..., 2]).max() <= 1  # ... in gray


def test_an_experiment_uses_the_plugin_model_and_evaluator_by_name(plugin_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "custom.yaml"
    config.write_text(
        textwrap.dedent(EXPERIMENT).replace("  - {type: grayscale, amount: 1.0}\n", "")
        + "model: {module: mean_colour}\nevaluator: {type: confidence, threshold: 0.0}\n"
    )
    output = tmp_path / "out"
    result = robustsim(plugin_env, "run", str(config), "-o", str(output), "--workers", "0")
    assert result.returncode == 0, result.stderr[-3000:]
    frame = read_results(output / "results")
    assert len(frame) == 2 and frame["error"].isna().all()
    assert "true_prob" not in frame.columns  # the classification evaluator's columns are not there ...
    assert frame["confidence"].between(0.0, 1.0).all() and (frame["confidence"] > 0.001).all()  # ... the plugin's are
    assert "top-1" in result.stdout and "top-k" not in result.stdout  # summary of the columns that exist
    assert accuracy(frame)["top1"].between(0, 1).all() and "topk" not in accuracy(frame).columns
    assert accuracy_sql(output, "object")["n"].tolist() == [2]
    report = robustsim(plugin_env, "report", str(output), "-o", str(tmp_path / "report.html"))
    assert report.returncode == 2 and "lack correct_topk, true_prob" in report.stderr  # a message, no traceback


def test_plugin_evaluator_options_are_checked_before_rendering(plugin_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(textwrap.dedent(EXPERIMENT) + "evaluator: {type: confidence, treshold: 2}\nmodel: {module: mean_color}\n")
    result = robustsim(plugin_env, "validate", str(config))
    assert result.returncode == 2
    assert "evaluator.treshold: unknown option; did you mean 'threshold'?" in result.stderr
    assert "unknown model 'mean_color'; did you mean 'mean_colour'?" in result.stderr


def test_without_the_plugin_the_name_is_unknown(tmp_path: Path) -> None:
    config = tmp_path / "gray.yaml"
    config.write_text(textwrap.dedent(EXPERIMENT))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = robustsim(env, "validate", str(config))
    assert result.returncode == 2 and "unknown control 'grayscale'" in result.stderr


def test_an_adaptive_plugin_policy_steers_the_search(plugin_env: dict[str, str], tmp_path: Path) -> None:
    """follow_failures asks only the parameters of failed samples once a failure was told: every
    generation after one that held a failure repeats failed parameters, and nothing else."""
    config = tmp_path / "follow.yaml"
    config.write_text(
        textwrap.dedent(EXPERIMENT)
        .replace("yaw: {min: -30, max: 30}", "yaw: {min: -180, max: 180}\n    pitch: {min: -90, max: 90}")
        .replace("  - {type: grayscale, amount: 1.0}\n", "")
        .replace("{type: random, samples: 2, seed: 0}", "{type: follow_failures, samples: 16, seed: 1, generation: 4, in_flight: 1}")
    )
    output = tmp_path / "out"
    result = robustsim(plugin_env, "run", str(config), "-o", str(output), "--workers", "0")
    assert result.returncode == 0, result.stderr[-3000:]
    frame = read_results(output / "results").sort_values("ask_index")
    assert frame["ask_index"].tolist() == list(range(16))
    keys = ["orientation.yaw", "orientation.pitch"]
    failed_before: set[tuple[float, ...]] = set()
    steered = 0
    for _generation, rows in frame.groupby(frame["ask_index"] // 4):
        asked = {tuple(row) for row in rows[keys].itertuples(index=False)}
        if failed_before:
            assert asked <= failed_before  # only where tell reported failures
            steered += 1
        failed_before |= {tuple(row) for row in rows.loc[~rows["correct_top1"], keys].itertuples(index=False)}
    assert steered >= 2  # the model fails on some of these views, so the search turned to them early
