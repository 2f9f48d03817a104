"""examples/composed.yaml, every kind of control in one experiment, runs end to end (shrunk to a few tiny renders)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from simulator.results.reader import read_results

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[2] / "examples" / "composed.yaml"


def test_every_control_composes_in_one_run(tmp_path: Path) -> None:
    config = yaml.safe_load(EXAMPLE.read_text())
    config["render"].update(resolution=48, samples=2)
    config["policy"]["samples"] = 4
    shrunk = tmp_path / "composed.yaml"
    shrunk.write_text(yaml.safe_dump(config))
    output = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(shrunk), "-o", str(output), "--workers", "0"],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    frame = read_results(output / "results")
    assert len(frame) == 8 and frame["error"].isna().all(), frame["error"].dropna().tolist()
    for control in config["controls"]:
        assert any(column.startswith(f"{control['type']}.") for column in frame.columns), control["type"]
    assert frame["occlusion.achieved_coverage"].notna().all()
    assert frame["background_edge_density"].notna().all() and frame["uv_visible"].notna().all()
    images = [np.asarray(Image.open(output / path)) for path in frame["image_path"]]
    assert all(image.shape == (48, 48, 3) for image in images)
    assert len({image.tobytes() for image in images}) == len(images)  # every sample is its own picture
