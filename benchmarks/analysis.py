"""Analysis and dashboard speed on a synthetic 1,000,000-row results set.

Writes a results folder shaped like `robustsim run`'s (results/part-*.parquet with the run's column
types, less the list columns such as `pred_topk`; experiment.json declaring each parameter's range or
choices): 10 objects, 8 environments, seven parameters (four continuous, three discrete), predictions
and correctness from a made-up model whose accuracy depends on yaw, elevation, corruption severity
and the environment. Then times:

- load: `simulator.analysis.load` (every column) and the dashboard's load (its columns, every parameter
  binned once);
- the object x environment accuracy table with 95% Wilson intervals (`analysis.tables.object_environment`
  and `stats.accuracy_table`), target < 1 s;
- a dashboard filter update: what the server runs for one `/api/heatmap` request after a slider move
  (part-list check, query parsing, masks and bincounts, Wilson intervals, JSON), target < 200 ms; and the
  page's whole update (heat map, object and environment tables, failure gallery) for information;
- the whole HTML report (`analysis.report.render_report`), for information.

Prints each figure and PASS/FAIL against its target.

    .venv/bin/python benchmarks/analysis.py [--rows 1000000] [--rows-per-part 10000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.analysis.loading import load
from simulator.analysis.report import render_report
from simulator.analysis.stats import accuracy_table
from simulator.analysis.tables import object_environment
from simulator.dashboard.api import DashboardApi
from simulator.dashboard.data import ResultsSource
from simulator.results.schema import IDENTITY_COLUMNS, RUN_COLUMNS

OBJECTS = [f"object_{i}" for i in range(10)]
ENVIRONMENTS = [f"environment_{i}" for i in range(8)]
CORRUPTIONS = ["none", "gaussian_noise", "motion_blur", "fog", "jpeg_compression"]
CONTROLS = [
    {"type": "orientation", "yaw": {"min": -180, "max": 180}, "pitch": {"min": -30, "max": 30}},
    {"type": "camera", "elevation": {"choices": [0, 15, 30, 45, 60]}, "distance": {"min": 1.5, "max": 3.0}},
    {"type": "background", "rotation": {"min": 0, "max": 360}},
    {"type": "corruption", "kind": {"choices": CORRUPTIONS}, "severity": {"choices": [1, 2, 3, 4, 5]}},
]
PREDICTION_COLUMNS = {
    "pred_top1": pa.int64(),
    "pred_top1_name": pa.string(),
    "true_prob": pa.float64(),
    "loss": pa.float64(),
    "correct_top1": pa.bool_(),
    "correct_topk": pa.bool_(),
}
TARGET_TABLE_S = 1.0
TARGET_UPDATE_S = 0.2


def synthetic_rows(rows: int, seed: int = 0) -> pd.DataFrame:
    """`rows` results with the run's scalar columns (the list columns `label`, `pred_topk`, ... left out)."""
    rng = np.random.default_rng(seed)
    objects = rng.integers(0, len(OBJECTS), rows)
    environments = rng.integers(0, len(ENVIRONMENTS), rows)
    yaw = rng.uniform(-180, 180, rows)
    elevation = rng.choice([0, 15, 30, 45, 60], rows).astype(float)
    severity = rng.integers(1, 6, rows)
    kind = rng.integers(0, len(CORRUPTIONS), rows)
    logit = 2.5 - 0.02 * np.abs(yaw) - 0.03 * elevation - 0.4 * severity * (kind > 0) - 0.2 * environments
    logit += 0.3 * (objects - 5)
    true_prob = 1 / (1 + np.exp(-(logit + rng.normal(0, 1, rows))))
    correct_top1 = rng.random(rows) < true_prob
    error = np.where(rng.random(rows) < 0.001, "render failed", None)
    return pd.DataFrame(
        {
            "experiment": "analysis-benchmark",
            "id": [f"{i:020x}" for i in rng.permutation(rows)],
            "seed": np.arange(rows, dtype=np.int64),
            "object": np.array(OBJECTS, dtype=object)[objects],
            "environment": np.array(ENVIRONMENTS, dtype=object)[environments],
            "renderer": "blender",
            "orientation.yaw": yaw,
            "orientation.pitch": rng.uniform(-30, 30, rows),
            "camera.elevation": elevation,
            "camera.distance": rng.uniform(1.5, 3.0, rows),
            "background.rotation": rng.uniform(0, 360, rows),
            "corruption.kind": np.array(CORRUPTIONS, dtype=object)[kind],
            "corruption.severity": severity.astype(np.int64),
            "pred_top1": np.where(correct_top1, objects, 900 + objects % 7).astype(np.int64),
            "pred_top1_name": np.where(correct_top1, np.array(OBJECTS, dtype=object)[objects], "jackfruit"),
            "true_prob": true_prob,
            "loss": -np.log(np.maximum(true_prob, 1e-12)),
            "correct_top1": correct_top1,
            "correct_topk": correct_top1 | (rng.random(rows) < 0.6),
            "render_s": rng.uniform(0.2, 0.5, rows),
            "infer_s": rng.uniform(0.005, 0.01, rows),
            "worker": "worker-0",
            "finished_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(np.arange(rows), unit="s"),
            "image_path": None,
            "error": error,
        }
    )


def write_results(folder: Path, rows: int, rows_per_part: int) -> None:
    """The rows as `folder/results/part-*.parquet` (zstd, as the run writes them) and `folder/experiment.json`."""
    frame = synthetic_rows(rows)
    parameters = {
        "orientation.yaw": pa.float64(),
        "orientation.pitch": pa.float64(),
        "camera.elevation": pa.float64(),
        "camera.distance": pa.float64(),
        "background.rotation": pa.float64(),
        "corruption.kind": pa.string(),
        "corruption.severity": pa.int64(),
    }
    schema = pa.schema({**IDENTITY_COLUMNS, **parameters, **PREDICTION_COLUMNS, **RUN_COLUMNS})
    parts = folder / "results"
    parts.mkdir(parents=True)
    for number, start in enumerate(range(0, rows, rows_per_part)):
        chunk = frame.iloc[start : start + rows_per_part]
        table = pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
        pq.write_table(table, parts / f"part-{number:06d}.parquet", compression="zstd")
    experiment = {
        "name": "analysis-benchmark",
        "controls": CONTROLS,
        "evaluator": {"type": "classification", "topk": 5},
    }
    (folder / "experiment.json").write_text(json.dumps(experiment))


def timed(function, repeat: int = 1) -> tuple[float, object]:
    """(median seconds over `repeat` calls, the last result)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def show(label: str, seconds: float, target: float | None = None, note: str = "") -> None:
    """One line: what was timed, milliseconds, PASS/FAIL against `target` seconds when there is one."""
    verdict = "" if target is None else f"{'PASS' if seconds < target else 'FAIL'} (target < {target * 1000:.0f} ms)"
    print(f"{label:<58} {seconds * 1000:8.1f} ms  {verdict}{note}")


def slider_moves(repeat: int) -> list[dict[str, list[str]]]:
    """Queries of a page with two objects and two environments selected, after `repeat` slider moves."""
    view = "x=orientation.yaw&y=camera.elevation&slider=corruption.kind:{kind}&slider=corruption.severity:{severity}"
    view += "&object=object_1&object=object_4&object=object_7&environment=environment_2&environment=environment_5"
    return [parse_qs(view.format(kind=1 + i % 4, severity=i % 5)) for i in range(repeat)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rows-per-part", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20, help="slider moves timed (median and worst are printed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        start = time.perf_counter()
        write_results(folder, args.rows, args.rows_per_part)
        parts = len(list((folder / "results").glob("part-*.parquet")))
        print(f"synthetic results: {args.rows:,} rows in {parts} parts, written in {time.perf_counter() - start:.1f} s")

        load_s, frame = timed(lambda: load(folder))
        show("load: analysis.load (every column)", load_s)
        dashboard_s, source = timed(lambda: _loaded(folder))
        show("load: dashboard (its columns, 7 parameters binned)", dashboard_s)

        table_s, table = timed(lambda: accuracy_table(frame, ["object", "environment"]), repeat=5)
        show("object x environment: stats.accuracy_table (Wilson)", table_s, TARGET_TABLE_S, f"  {len(table)} cells")
        pivot_s, _ = timed(lambda: object_environment(frame), repeat=5)
        show("object x environment: tables.object_environment", pivot_s, TARGET_TABLE_S)

        api = DashboardApi(source)
        heatmap_times, page_times = [], []
        for params in slider_moves(args.repeat):
            start = time.perf_counter()
            status, answer = api.respond("/api/heatmap", params)
            json.dumps(answer, allow_nan=False)
            heatmap_times.append(time.perf_counter() - start)
            assert status == 200, answer
            failures = {**params, "failures": ["1"], "limit": ["12"]}
            start = time.perf_counter()
            for path, request in (("/api/heatmap", params), ("/api/tables", params), ("/api/samples", failures)):
                json.dumps(api.respond(path, request)[1], allow_nan=False)
            page_times.append(time.perf_counter() - start)
        show("dashboard /api/heatmap after a slider move, median", statistics.median(heatmap_times))
        show("dashboard /api/heatmap after a slider move, worst", max(heatmap_times), TARGET_UPDATE_S)
        show("  whole page update (heat map, tables, gallery), median", statistics.median(page_times))

        report_s, html = timed(lambda: render_report(frame))
        show("HTML report (every table and plot), for information", report_s, note=f"  {len(html) / 1e6:.1f} MB")


def _loaded(folder: Path) -> ResultsSource:
    source = ResultsSource(folder)
    source.snapshot()
    return source


if __name__ == "__main__":
    main()
