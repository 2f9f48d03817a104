"""The self-contained HTML report: tables, embedded PNG plots and images, failure modes in words."""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from policies.boundary import smallest_flips
from simulator.analysis import plots
from simulator.analysis.comparison import one_model
from simulator.analysis.complexity import COLUMN as COMPLEXITY_COLUMN
from simulator.analysis.complexity import environment_complexity
from simulator.analysis.detection import has_detection
from simulator.analysis.effects import rank_controls, sensitivity
from simulator.analysis.errors import UnsupportedResultsError
from simulator.analysis.gallery import failure_gallery
from simulator.analysis.interactions import interaction_table
from simulator.analysis.loading import evaluated, load, parameter_columns
from simulator.analysis.modes import failure_modes
from simulator.analysis.predictions import prediction_distribution
from simulator.analysis.report_models import comparison_context, detection_context, detection_report_context
from simulator.analysis.search import best_so_far, search_summary, worst_case_images
from simulator.specs.outputs import read_verdicts
from simulator.analysis.surface import uv_accuracy_map
from simulator.analysis.tables import accuracy, environment_summary, object_environment, per_object
from simulator.messages import short_value
from simulator.assets import builtin_objects

TEMPLATES = Path(__file__).parent / "templates"
REQUIRED_COLUMNS = ("correct_top1", "correct_topk", "true_prob", "pred_top1_name")


def _data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _topk(frame: pd.DataFrame) -> int:
    lengths = frame["pred_topk"].dropna().map(len) if "pred_topk" in frame.columns else pd.Series(dtype=int)
    return int(lengths.max()) if len(lengths) else 5


def report_context(
    frame: pd.DataFrame, bins: int = 4, method: str = "quantile", gallery_size: int = 12, modes: int = 8
) -> dict:
    """Everything the report template shows, computed from a results frame (see `load`). With several
    models, the sections are about the first one, and "Models compared" sets them side by side."""
    comparison = comparison_context(frame, bins, method)
    frame = one_model(frame)
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise UnsupportedResultsError(
            f"the report needs the classification evaluator's columns; these results lack {', '.join(missing)} "
            "(use simulator.analysis.accuracy and the other functions on the columns they have)"
        )
    rows = evaluated(frame)
    overall = accuracy(frame).iloc[0]
    controls = parameter_columns(frame)
    ranking = rank_controls(frame, controls, bins, method) if controls else pd.DataFrame()
    sensitivity_plots = []
    for control in ranking["control"] if len(ranking) else []:
        table = sensitivity(frame, control, bins, method)
        sensitivity_plots.append(
            {
                "control": control,
                "png": _data_uri(plots.sensitivity_png(table, control)),
                "rows": table[table["n"] > 0].to_dict("records"),
            }
        )
    interaction = None
    if len(ranking) >= 2:
        first, second = ranking["control"].iloc[0], ranking["control"].iloc[1]
        table = interaction_table(frame, first, second, bins, method)
        interaction = {
            "first": first,
            "second": second,
            "png": _data_uri(plots.heatmap_png(table, f"top-1 accuracy: {first} × {second}")),
        }
    grid = object_environment(frame) if len(rows) else pd.DataFrame()
    predictions = prediction_distribution(frame, "object", top=6)
    prediction_plots = [
        {"object": name, "png": _data_uri(plots.predictions_png(part, name))}
        for name, part in predictions.groupby("object", sort=True)
    ]
    gallery = failure_gallery(frame, gallery_size)
    gallery_items = []
    for item in gallery.to_dict("records"):
        image = Path(item["image"]).read_bytes() if item["image"] else None
        params = ", ".join(f"{c} = {item[c]:.3g}" if isinstance(item[c], float) else f"{c} = {item[c]}" for c in controls)
        gallery_items.append({**item, "params": params, "src": _data_uri(image) if image else None})
    return {
        "experiment": ", ".join(sorted(map(str, frame["experiment"].dropna().unique()))) if "experiment" in frame else "",
        "rows": len(frame),
        "evaluated": len(rows),
        "errors": int(frame["error"].notna().sum()) if "error" in frame.columns else 0,
        "misclassified": int((~rows["correct_top1"].astype(bool)).sum()),
        "overall": overall,
        "topk": _topk(frame),
        "objects": per_object(frame).to_dict("records"),
        "environments": environment_summary(frame).to_dict("records"),
        "heatmap": _data_uri(plots.heatmap_png(grid, "top-1 accuracy: object × environment")) if grid.size else None,
        "ranking": ranking.to_dict("records"),
        "sensitivity_plots": sensitivity_plots,
        "interaction": interaction,
        "predictions": predictions.to_dict("records"),
        "prediction_plots": prediction_plots,
        "gallery": gallery_items,
        "complexity": _complexity(frame) if len(rows) else None,
        "uv_maps": _uv_maps(frame, rows),
        "search": _search(frame),
        "specs": read_verdicts(Path(frame.attrs.get("root", "."))),
        "modes": failure_modes(frame, controls + ["environment"], bins, method, top=modes).to_dict("records"),
        "bins": bins,
        "method": method,
        "comparison": comparison,
        "detection": detection_context(frame),
    }


def _search(frame: pd.DataFrame) -> dict | None:
    """Worst case per object (with its render when saved), failures found, and best-so-far curves."""
    summary = search_summary(frame)
    if summary.empty:
        return None
    images = worst_case_images(summary, frame)
    parameters = [c for c in summary.columns if c.startswith("worst_") and "." in c]
    cases = []
    for entry in summary.to_dict("records"):
        image = images.get(entry["object"])
        values = ", ".join(f"{c.removeprefix('worst_')} = {short_value(entry[c])}" for c in parameters)
        cases.append({**entry, "params": values, "src": _data_uri(image.read_bytes()) if image else None})
    curves = best_so_far(frame)
    objective = frame.attrs.get("objective", "objective")
    return {
        "boundary": smallest_flips(frame).to_dict("records"),
        "cases": cases,
        "objective": objective,
        "curves": _data_uri(plots.best_so_far_png(curves, objective)) if len(curves) else None,
    }


def _complexity(frame: pd.DataFrame) -> dict | None:
    """Accuracy against background edge density, per environment (when the results record it)."""
    if COMPLEXITY_COLUMN not in frame.columns or frame[COMPLEXITY_COLUMN].isna().all():
        return None
    table = environment_complexity(frame)
    return {"png": _data_uri(plots.complexity_png(table)), "table": table.to_dict("records")}


def _uv_maps(frame: pd.DataFrame, rows: pd.DataFrame) -> list[dict]:
    """One texture-space accuracy map per object, over the built-in object's texture when there is one."""
    if "uv_visible" not in frame.columns:
        return []
    textures = {name: asset.texture_path for name, asset in builtin_objects().items()}
    maps = []
    for name, part in rows.groupby("object", sort=True, observed=True):  # filtered once, not per object
        uv_map = uv_accuracy_map(part, str(name))
        if np.isfinite(uv_map.accuracy).any():
            maps.append({"object": name, "png": _data_uri(plots.uv_accuracy_png(uv_map, textures.get(name)))})
    return maps


def render_report(frame: pd.DataFrame, **options: object) -> str:
    """The report as one HTML string (no external files: plots and images are data: URIs)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    if has_detection(frame) and any(column not in frame.columns for column in REQUIRED_COLUMNS):
        context = detection_report_context(frame, **{k: v for k, v in options.items() if k in ("bins", "method")})
        return environment.get_template("detection.html.j2").render(**context)
    return environment.get_template("report.html.j2").render(**report_context(frame, **options))


def write_report(results_dir: str | Path, output: str | Path, **options: object) -> Path:
    """Load `results_dir`, render the report and write it to `output` atomically (temp file + rename)."""
    html = render_report(load(results_dir), **options)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(html)
        os.chmod(temporary, 0o644)  # mkstemp makes it 0600; a report is for sharing
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return output
