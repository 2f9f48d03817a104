"""The analysis API on small synthetic results with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.bins import bin_parameter, binning
from simulator.analysis.effects import rank_controls, sensitivity
from simulator.analysis.errors import ResultsNotFoundError
from simulator.analysis.gallery import failure_gallery
from simulator.analysis.interactions import interaction, interaction_table
from simulator.analysis.loading import load, parameter_columns
from simulator.analysis.modes import failure_modes
from simulator.analysis.predictions import prediction_distribution
from simulator.analysis.report import render_report, write_report
from simulator.analysis.sql import accuracy_sql, query
from simulator.analysis.tables import accuracy, environment_summary, object_environment, per_environment, per_object


def frame(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Results where only camera.elevation matters, and only for 'banana': above 30 degrees it is always
    misclassified as 'slug'; everything else is correct. orientation.yaw and background.rotation are noise."""
    rng = np.random.default_rng(seed)
    objects = np.array(["banana", "mug"])[np.arange(rows) % 2]
    environments = np.array(["studio", "forest"])[(np.arange(rows) // 2) % 2]
    elevation = rng.uniform(0, 40, rows)
    elevation[:2] = [0.0, 40.0]  # so that equal-width bins split at 10, 20 and 30 degrees
    yaw = rng.uniform(-60, 60, rows)
    rotation = rng.uniform(0, 360, rows)
    wrong = (objects == "banana") & (elevation > 30)
    return pd.DataFrame(
        {
            "experiment": "synthetic",
            "id": [f"{i:020d}" for i in range(rows)],
            "object": objects,
            "environment": environments,
            "orientation.yaw": yaw,
            "orientation.pitch": 0.0,
            "camera.elevation": elevation,
            "background.rotation": rotation,
            "pred_top1_name": np.where(wrong, "slug", objects),
            "true_prob": np.where(wrong, 0.01 + elevation / 1000, 0.9),
            "correct_top1": ~wrong,
            "correct_topk": np.ones(rows, dtype=bool),
            "image_path": None,
            "error": None,
        }
    )


def test_parameter_columns_are_the_varying_controls() -> None:
    assert parameter_columns(frame()) == ["orientation.yaw", "camera.elevation", "background.rotation"]
    assert "orientation.pitch" in parameter_columns(frame(), varying_only=False)


def test_quantile_bins_have_equal_counts_and_width_bins_equal_width() -> None:
    values = pd.Series(np.arange(100, dtype=float), name="x")
    quantile = binning(values, bins=4)
    assert np.bincount(quantile.codes).tolist() == [25, 25, 25, 25]
    assert quantile.edges.tolist() == pytest.approx([0, 24.75, 49.5, 74.25, 99])
    width = binning(pd.Series([0.0, 1, 2, 9, 10], name="x"), bins=2, method="width", max_discrete=0)
    assert width.edges.tolist() == [0, 5, 10] and width.codes.tolist() == [0, 0, 0, 1, 1]
    assert width.labels == ["[0, 5]", "(5, 10]"]
    assert width.condition(0) == "x ≤ 5" and width.condition(1) == "x > 5"
    assert binning(values, bins=3).condition(1) == "33 < x ≤ 66"


def test_few_values_and_strings_get_one_bin_each() -> None:
    discrete = binning(pd.Series([25.0, 5, 5, None], name="camera.elevation"), bins=4)
    assert discrete.discrete and discrete.labels == ["5", "25"] and discrete.codes.tolist() == [1, 0, 0, -1]
    assert discrete.condition(1) == "camera.elevation = 25"
    names = bin_parameter(pd.Series(["b", "a", "b"], name="env"))
    assert list(names) == ["b", "a", "b"] and list(names.cat.categories) == ["a", "b"]
    with pytest.raises(ValueError, match="method"):
        binning(pd.Series([1.0, 2.0]), method="kmeans")


def test_accuracy_tables() -> None:
    data = frame()
    overall = accuracy(data).iloc[0]
    expected = data["correct_top1"].mean()
    assert overall["n"] == 400 and overall["top1"] == pytest.approx(expected)
    assert overall["top1_low"] < expected < overall["top1_high"]
    objects = per_object(data)
    assert objects["object"].tolist() == ["banana", "mug"] and objects["top1"].iloc[1] == 1.0
    assert set(per_environment(data)["environment"]) == {"studio", "forest"}
    grid = object_environment(data)
    assert grid.shape == (2, 2) and (grid.loc["mug"] == 1.0).all()
    summary = environment_summary(data)
    assert (summary["worst_object"] == "banana").all() and (summary["top_wrong_prediction"] == "slug").all()


def test_sensitivity_per_bin() -> None:
    table = sensitivity(frame(), "camera.elevation", bins=4, method="width")
    assert table["n"].sum() == 400 and len(table) == 4
    # bins of 10 degrees: everything right below 30, banana always wrong above
    assert table["top1"].iloc[:3].tolist() == [1.0, 1.0, 1.0]
    assert table["top1"].iloc[3] == pytest.approx(0.5, abs=0.1)
    assert table["condition"].iloc[3].startswith("camera.elevation >")
    per = sensitivity(frame(), "camera.elevation", bins=4, method="width", by="object")
    assert (per.loc[per["object"] == "mug", "top1"] == 1.0).all()
    assert per.loc[per["object"] == "banana", "top1"].iloc[-1] == 0.0


def test_ranking_puts_the_control_that_matters_first() -> None:
    ranking = rank_controls(frame(), bins=4, method="width")
    assert ranking["control"].tolist()[0] == "camera.elevation"
    assert set(ranking["control"]) == {"camera.elevation", "orientation.yaw", "background.rotation"}
    top = ranking.iloc[0]
    assert top["effect"] == pytest.approx(1 - top["worst_top1"]) and top["worst_bin"].startswith("(30")
    assert 0 < top["effect_low"] <= top["effect"] <= top["effect_high"]
    assert ranking["effect"].iloc[1] < 0.15  # noise controls


def test_interaction_table_shape_and_values() -> None:
    data = frame()
    table = interaction_table(data, "camera.elevation", "object", bins=4, method="width")
    assert table.shape == (4, 2) and list(table.columns) == ["banana", "mug"]
    assert (table["mug"] == 1.0).all()
    assert table["banana"].tolist() == [1.0, 1.0, 1.0, 0.0]
    long = interaction(data, "camera.elevation", "orientation.yaw", bins=2)
    assert len(long) == 4 and long["n"].sum() == 400
    with pytest.raises(ValueError):
        interaction(data, "camera.elevation", "camera.elevation")


def test_prediction_distribution_counts_failures() -> None:
    data = frame()
    counts = prediction_distribution(data)
    expected = int(((data["object"] == "banana") & ~data["correct_top1"]).sum())
    assert counts.to_dict("records") == [{"object": "banana", "pred_top1_name": "slug", "count": expected, "share": 1.0}]
    everything = prediction_distribution(data, by=(), failures_only=False, top=None)
    assert everything["count"].sum() == 400 and everything["share"].sum() == pytest.approx(1.0)


def test_failure_modes_name_the_condition_in_words() -> None:
    modes = failure_modes(frame(), bins=4, method="width")
    first = modes.iloc[0]
    assert first["object"] == "banana" and first["control"] == "camera.elevation"
    assert first["top1_in"] == 0.0 and first["top1_rest"] == 1.0
    assert first["sentence"].startswith("accuracy on 'banana' drops from 1.00 to 0.00 when camera.elevation > 30")
    assert all(modes["drop"].diff().dropna() <= 0)
    overall = failure_modes(frame(), bins=4, method="width", per_object=False)
    assert overall["sentence"].iloc[0].startswith("accuracy over all objects drops from 1.00 to 0.")


def test_failure_modes_empty_when_nothing_fails() -> None:
    data = frame().assign(correct_top1=True)
    assert failure_modes(data).empty


def test_failure_gallery_lowest_true_prob_with_images(tmp_path: Path) -> None:
    data = frame()
    (tmp_path / "images").mkdir()
    worst = data.loc[data["true_prob"].idxmin(), "id"]
    (tmp_path / "images" / f"{worst}.png").write_bytes(b"png")
    data["image_path"] = "images/" + data["id"] + ".png"
    gallery = failure_gallery(data, n=3, root=tmp_path)
    assert len(gallery) == 3 and gallery["true_prob"].is_monotonic_increasing
    assert not gallery["correct_top1"].any()
    assert gallery["image"].iloc[0] == str((tmp_path / "images" / f"{worst}.png").resolve())
    assert gallery["image"].iloc[1:].isna().all()  # not saved


def test_load_accepts_the_output_folder_or_its_results(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    frame().to_parquet(tmp_path / "results" / "part-00000.parquet")
    for path in (tmp_path, tmp_path / "results"):
        loaded = load(path)
        assert len(loaded) == 400 and loaded.attrs["root"] == str(tmp_path.resolve())
    with pytest.raises(ResultsNotFoundError, match="no results folder"):
        load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ResultsNotFoundError, match="no results in"):
        load(tmp_path / "empty")


def test_report_html_from_synthetic_results(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    frame().to_parquet(tmp_path / "results" / "part-00000.parquet")
    output = write_report(tmp_path, tmp_path / "sub" / "report.html", bins=4, method="width")
    html = output.read_text()
    assert "accuracy on &#39;banana&#39; drops from 1.00 to 0.00 when camera.elevation &gt; 30" in html
    assert "accuracy over camera.elevation and" in html and html.count("data:image/png;base64,") >= 5
    assert "no image saved" in html
    assert [p.name for p in output.parent.iterdir()] == ["report.html"]  # no temporary file left


def test_report_without_failures_or_controls() -> None:
    data = frame().drop(columns=["orientation.yaw", "camera.elevation", "background.rotation"]).assign(
        correct_top1=True, pred_top1_name=lambda f: f["object"]
    )
    html = render_report(data)
    assert "No control parameter varies" in html and "No misclassified samples" in html


def test_render_errors_are_counted_but_left_out() -> None:
    data = frame()
    broken = data.index[:10]
    data.loc[broken, "error"] = "renderer crashed"
    data["correct_top1"] = data["correct_top1"].astype(object)
    data.loc[broken, "correct_top1"] = None
    data.loc[broken, "true_prob"] = np.nan
    overall = accuracy(data).iloc[0]
    assert overall["n"] == 390 and overall["failed"] == 10
    assert sensitivity(data, "camera.elevation")["n"].sum() == 390
    assert not failure_gallery(data)["id"].isin(data.loc[broken, "id"]).any()
    assert "10 render errors" in render_report(data)
    everything_failed = data.assign(error="renderer crashed", correct_top1=None)
    html = render_report(everything_failed)
    assert "400 rows" not in html and "0 evaluated, 400 render errors" in html


def test_declared_kinds_decide_the_binning(tmp_path: Path) -> None:
    data = frame()
    data["orientation.yaw"] = np.array([-40.0, -10.0, 10.0, 40.0])[np.arange(len(data)) % 4]  # few values
    (tmp_path / "results").mkdir()
    data.to_parquet(tmp_path / "results" / "part-00000.parquet")
    experiment = {"controls": [{"type": "orientation", "yaw": {"min": -60, "max": 60}},
                               {"type": "camera", "elevation": {"choices": [5, 45]}, "name": None}]}
    (tmp_path / "experiment.json").write_text(json.dumps(experiment))
    loaded = load(tmp_path)
    assert loaded.attrs["parameter_kinds"] == {"orientation.yaw": "continuous", "camera.elevation": "discrete"}
    yaw = sensitivity(loaded, "orientation.yaw", bins=2, method="width")
    assert yaw["condition"].tolist() == ["orientation.yaw ≤ 0", "orientation.yaw > 0"]
    assert sensitivity(data, "orientation.yaw")["condition"].iloc[0] == "orientation.yaw = -40"  # undeclared: per value
    assert binning(pd.Series([1.0, 2.0, 3.0], name="x"), bins=4, kind="discrete").discrete
    assert not binning(pd.Series([1.0, 2.0, 3.0], name="x"), bins=2, kind="continuous").discrete


def test_duckdb_accuracy_equals_the_pandas_one(tmp_path: Path) -> None:
    tmp_path = tmp_path / "it's [a] *folder*"  # quotes and glob characters in the path are taken literally
    data = frame()
    data.loc[3, "error"] = "RuntimeError: boom"
    (tmp_path / "results").mkdir(parents=True)
    data.iloc[:250].to_parquet(tmp_path / "results" / "part-000000.parquet")
    data.iloc[250:].to_parquet(tmp_path / "results" / "part-000001.parquet")
    by = ["object", "environment"]
    expected = accuracy(data, by)
    found = accuracy_sql(tmp_path, by)
    pd.testing.assert_frame_equal(found, expected, check_dtype=False)
    assert found["n"].dtype == "int64" and found["failed"].sum() == 1
    pd.testing.assert_frame_equal(accuracy_sql(tmp_path), accuracy(data), check_dtype=False)
    wrong = query(tmp_path, "SELECT pred_top1_name, count(*) AS n FROM results WHERE NOT correct_top1 GROUP BY 1")
    assert wrong.set_index("pred_top1_name")["n"].to_dict() == {"slug": int((~data["correct_top1"]).sum())}


def test_duckdb_query_on_a_folder_without_results_says_so(tmp_path: Path) -> None:
    with pytest.raises(ResultsNotFoundError, match="no results"):
        query(tmp_path, "SELECT 1")
