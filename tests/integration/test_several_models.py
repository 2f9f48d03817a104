"""Several models judge one render: real renders, the two embedded models, a model with its own classes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.report import render_report
from simulator.config import ConfigError
from simulator.execution.local import LocalExecutor
from simulator.experiment import load_experiment
from simulator.models.fit import fit_problems
from simulator.models.loading import load_model
from simulator.results.reader import read_results
from simulator.results.writer import drop_failed_rows
from simulator.runner import run_experiment

pytestmark = pytest.mark.integration

TWO_MODELS = """
name: two_models
objects: [coffee_mug]
environments: ['#d0d0d0']
controls:
  - type: orientation
    yaw: {min: -40, max: 40}
policy: {type: random, samples: 3, seed: 1}
models: [efficientnet_lite0, {module: efficientnet_lite1, name: lite1}]
render: {resolution: 64, samples: 4}
"""

OWN_CLASSES = """
name: own_classes
objects: [coffee_mug, ./widget]
environments: ['#d0d0d0']
controls:
  - type: orientation
    yaw: {min: -40, max: 40}
policy: {type: random, samples: 2, seed: 3}
model:
  module: tiny_classifier:make_classifier
  kwargs: {num_classes: 3}
  name: tiny
  classes: classes.txt
  labels: {coffee_mug: [mug]}
  device: cpu
evaluator: {type: classification, topk: 2}
render: {resolution: 32, samples: 2}
"""


def write(folder: Path, text: str) -> Path:
    path = folder / "exp.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def run(config: Path, output: Path) -> pd.DataFrame:
    experiment = load_experiment(config)
    models = {spec.name: load_model(spec.config) for spec in experiment.models}
    run_experiment(experiment, output, LocalExecutor(models))
    return read_results(output / "results")


@pytest.fixture(scope="module")
def two_models(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("two")
    return run(write(folder, TWO_MODELS), folder / "out")


def test_one_render_gives_one_row_per_model_with_identical_parameters(two_models: pd.DataFrame) -> None:
    frame = two_models
    assert len(frame) == 6 and frame["error"].isna().all()
    assert frame["model"].value_counts().to_dict() == {"efficientnet_lite0": 3, "lite1": 3}
    for _, rows in frame.groupby("id"):
        assert sorted(rows["model"]) == ["efficientnet_lite0", "lite1"]
        assert rows["orientation.yaw"].nunique() == 1 and rows["seed"].nunique() == 1
        assert rows["render_s"].nunique() == 1  # one render fed both
    assert frame["correct"].dtype == bool and (frame["correct"] == frame["correct_top1"]).all()
    assert np.allclose(frame["score"], frame["true_prob"])
    paired = frame.pivot(index="id", columns="model", values="true_prob")
    assert not np.allclose(paired["efficientnet_lite0"], paired["lite1"])  # two different networks


def test_the_report_compares_the_models(two_models: pd.DataFrame) -> None:
    html = render_report(two_models)
    assert "Models compared" in html and "McNemar" in html and "lite1" in html
    assert "The rest of this report shows the first model, efficientnet_lite0." in html


def test_resume_finds_every_sample_done(two_models: pd.DataFrame, tmp_path: Path) -> None:
    config = write(tmp_path, TWO_MODELS)
    experiment = load_experiment(config)
    output = tmp_path / "out"
    outcome = run_experiment(experiment, output, LocalExecutor())
    again = run_experiment(experiment, output, LocalExecutor())
    assert outcome.rendered == 3 and again.rendered == 0 and again.skipped == 3  # samples, not rows


def test_retry_failed_drops_every_row_of_a_failed_sample(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    results = tmp_path / "results"
    results.mkdir()
    rows = [
        {"id": "a", "model": "m1", "error": None},
        {"id": "a", "model": "m2", "error": "inference (m2): boom"},
        {"id": "b", "model": "m1", "error": None},
        {"id": "b", "model": "m2", "error": None},
    ]
    pq.write_table(pa.Table.from_pylist(rows), results / "part-1.parquet")
    assert drop_failed_rows(results) == 1  # one sample (its two rows)
    assert sorted(read_results(results)["id"]) == ["b", "b"]


@pytest.fixture()
def own_classes_folder(tmp_path: Path) -> Path:
    (tmp_path / "classes.txt").write_text("# my classes\nmug\nwidget\nball\n")
    widget = tmp_path / "widget"
    widget.mkdir()
    (widget / "mesh.obj").write_text(
        "".join(f"v {x} {y} {z}\n" for x in (-1, 1) for y in (-1, 1) for z in (-1, 1))
        + "f 1 2 4 3\nf 5 7 8 6\nf 1 5 6 2\nf 3 4 8 7\nf 1 3 7 5\nf 2 6 8 4\n"
    )
    (widget / "object.yaml").write_text("name: widget\nmesh: mesh.obj\nlabels: [Widget]\n")  # not an ImageNet class
    return tmp_path


def test_a_model_with_its_own_three_classes_runs_end_to_end(own_classes_folder: Path) -> None:
    frame = run(write(own_classes_folder, OWN_CLASSES), own_classes_folder / "out")
    assert len(frame) == 4 and frame["error"].isna().all() and set(frame["model"]) == {"tiny"}
    by_object = frame.groupby("object")
    assert {obj: list(rows["label"].iloc[0]) for obj, rows in by_object} == {"coffee_mug": [0], "widget": [1]}
    assert {obj: list(rows["label_names"].iloc[0]) for obj, rows in by_object} == {"coffee_mug": ["mug"], "widget": ["widget"]}
    assert set(frame["pred_top1_name"]) <= {"mug", "widget", "ball"}
    assert all(len(k) == 2 for k in frame["pred_topk"])


def test_validate_checks_the_class_list_against_the_model_outputs(own_classes_folder: Path) -> None:
    (own_classes_folder / "classes.txt").write_text("mug\nwidget\nball\nextra\n")
    experiment = load_experiment(write(own_classes_folder, OWN_CLASSES))
    problems = fit_problems(experiment, load_model(experiment.models[0].config))
    assert problems == [("model.classes", "4 class names for a model with 3 outputs; allowed: one name per output")]


def test_labels_must_be_among_the_model_classes(own_classes_folder: Path) -> None:
    text = OWN_CLASSES.replace("labels: {coffee_mug: [mug]}", "labels: {coffee_mug: [mugg]}")
    with pytest.raises(ConfigError, match=r"model.labels.coffee_mug.*'mugg' is not one of the model's classes; did you mean 'mug'"):
        load_experiment(write(own_classes_folder, text))
    imagenet = OWN_CLASSES.replace("  classes: classes.txt\n  labels: {coffee_mug: [mug]}\n", "")
    with pytest.raises(ConfigError, match=r"objects: object 'widget': 'Widget' is not an ImageNet class"):
        load_experiment(write(own_classes_folder, imagenet))


def test_a_disagreement_search_scores_each_render_by_both_models(tmp_path: Path) -> None:
    text = TWO_MODELS.replace(
        "policy: {type: random, samples: 3, seed: 1}",
        "policy: {type: tpe, samples: 6, seed: 1, generation: 3, startup_trials: 3, objective: {disagreement: [efficientnet_lite0, lite1]}}",
    ).replace("samples: 4}", "samples: 1}")
    frame = run(write(tmp_path, text), tmp_path / "out")
    assert len(frame) == 12 and frame["error"].isna().all()
    margins = frame.pivot(index="id", columns="model", values="margin")
    objective = frame.drop_duplicates("id").set_index("id")["objective"]
    assert np.allclose(objective.loc[margins.index], margins["lite1"] - margins["efficientnet_lite0"])
    assert frame.groupby("id")["objective"].nunique().eq(1).all()  # every row of a render stores the same value
