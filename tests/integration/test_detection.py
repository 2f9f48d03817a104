"""Detection on real renders: ground truth from the render, a real (OpenCV) detector, run-level AP."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.detection import detection_summary, recall_by_visibility
from simulator.analysis.report import render_report
from simulator.execution.local import LocalExecutor
from simulator.experiment import load_experiment
from simulator.results.reader import read_results
from simulator.runner import run_experiment

pytestmark = pytest.mark.integration

DETECT = """
name: detect
objects: [coffee_mug]
environments: ['#d0d0d0']
controls:
  - type: orientation
    yaw: {min: -60, max: 60}
  - type: camera
    distance: {min: 1.6, max: 3.0}
  - type: occlusion
    coverage: {choices: [0.0, 0.6]}
policy: {type: random, samples: 6, seed: 2}
model:
  module: contrast_detector:ContrastDetector
  name: contrast
  classes: [thing]
  labels: {coffee_mug: [thing]}
  preprocessing: {resize: null, crop: null, mean: [0, 0, 0], std: [1, 1, 1]}
  device: cpu
evaluator: {type: detection, score_threshold: 0.3}
render: {resolution: 64, samples: 4}
"""


@pytest.fixture(scope="module")
def detections(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("detect")
    (folder / "exp.yaml").write_text(textwrap.dedent(DETECT))
    run_experiment(load_experiment(folder / "exp.yaml"), folder / "out", LocalExecutor())
    return read_results(folder / "out" / "results")


def test_every_render_gets_its_ground_truth_and_scored_predictions(detections: pd.DataFrame) -> None:
    frame = detections
    assert len(frame) == 6 and frame["error"].isna().all() and set(frame["model"]) == {"contrast"}
    assert frame["score_threshold"].eq(0.3).all() and frame["detected"].notna().all()
    for row in frame.to_dict("records"):
        assert len(row["gt_box"]) == 4 and len(row["amodal_box"]) == 4
        assert row["tp"] + row["fn"] == 1 and row["correct"] == row["detected"]
        assert 0.0 <= row["best_iou"] <= 1.0


def test_amodal_box_matches_the_visible_box_when_nothing_hides_the_object(detections: pd.DataFrame) -> None:
    clear = detections[detections["occlusion.coverage"] == 0.0]
    assert len(clear)
    for row in clear.to_dict("records"):
        assert np.allclose(row["amodal_box"], row["gt_box"], atol=1.5), (row["amodal_box"], row["gt_box"])
        assert row["visible_fraction"] == pytest.approx(1.0, abs=0.02)
        assert row["detected"] and row["best_iou"] > 0.8  # a plain background: contrast finds the mug


def test_an_occluder_lowers_the_visible_fraction_but_not_the_amodal_box(detections: pd.DataFrame) -> None:
    hidden = detections[detections["occlusion.coverage"] == 0.6]
    assert len(hidden)
    for row in hidden.to_dict("records"):
        visible_area = (row["gt_box"][2] - row["gt_box"][0]) * (row["gt_box"][3] - row["gt_box"][1])
        amodal_area = (row["amodal_box"][2] - row["amodal_box"][0]) * (row["amodal_box"][3] - row["amodal_box"][1])
        assert row["visible_fraction"] < 0.7 and amodal_area > visible_area


def test_run_average_precision_and_recall_by_visibility(detections: pd.DataFrame) -> None:
    summary = detection_summary(detections).iloc[0]
    assert summary["visible"] == 6 and 0.0 <= summary["ap50"] <= 1.0 and 0.0 <= summary["ap75"] <= summary["ap50"]
    assert summary["recall"] == detections["detected"].mean()
    table = recall_by_visibility(detections)
    assert table["n"].sum() == 6 and list(table["model"].unique()) == ["contrast"]


def test_the_report_shows_average_precision_and_recall_by_visibility(detections: pd.DataFrame) -> None:
    html = render_report(detections)
    assert "AP@0.5" in html and "Recall against the visible fraction" in html and "contrast" in html
