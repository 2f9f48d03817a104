"""What a search found: the worst case per object, how many failures (and how many distinct ones),
and the best objective so far against renders for each (object, environment) pair."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.analysis.loading import evaluated, parameter_columns
from simulator.results.images import saved_image

DISTINCT_RADIUS = 0.1  # failures closer than this share of every range (and with equal choices) count once
VERDICT_COLUMNS = ("correct", "correct_top1")


def verdict_column(frame: pd.DataFrame) -> str | None:
    """The column saying whether the model was right (generic `correct` first), if the results have one."""
    return next((column for column in VERDICT_COLUMNS if column in frame.columns), None)


def failures(frame: pd.DataFrame) -> pd.DataFrame:
    """Evaluated rows the model got wrong."""
    rows = evaluated(frame)
    column = verdict_column(frame)
    return rows.iloc[0:0] if column is None else rows[rows[column].astype("boolean").eq(False).fillna(False)]


def distinct_failures(
    frame: pd.DataFrame, ranges: Mapping[str, tuple[float, float]] | None = None, radius: float = DISTINCT_RADIUS
) -> pd.DataFrame:
    """One failing row per cluster, per (object, environment), worst objective first: a failure is new
    when, for every earlier one of its pair, some numeric parameter differs by more than `radius` of its
    range (declared `ranges`, else the range seen in `frame`) or some other parameter differs."""
    found = failures(frame)
    if "objective" in found.columns:
        found = found.sort_values("objective", kind="stable", na_position="last")
    columns = parameter_columns(frame)
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    spans = {c: _span(frame[c], (ranges or {}).get(c)) for c in numeric}
    others = [c for c in columns if c not in spans]
    kept: list[int] = []
    for _pair, rows in found.groupby(["object", "environment"], sort=False, observed=True):
        points = np.column_stack([rows[c].to_numpy(dtype=float) / spans[c] for c in numeric]) if numeric else None
        labels = rows[others].astype(str).agg("\x1f".join, axis=1).to_numpy() if others else None
        chosen: list[int] = []
        for i in range(len(rows)):
            same = [
                j for j in chosen
                if (labels is None or labels[i] == labels[j])
                and (points is None or np.max(np.abs(points[i] - points[j])) <= radius)
            ]
            if not same:
                chosen.append(i)
        kept += [rows.index[i] for i in chosen]
    return found.loc[kept]


def _span(values: pd.Series, declared: tuple[float, float] | None) -> float:
    low, high = declared if declared is not None else (values.min(), values.max())
    span = float(high) - float(low)
    return span if np.isfinite(span) and span > 0 else 1.0


def search_summary(frame: pd.DataFrame, ranges: Mapping[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Per object: renders, failures found, distinct failures, and the worst case (lowest objective):
    its id, environment, prediction, objective, margin and parameters (`worst_<column>`)."""
    rows = evaluated(frame)
    if rows.empty or "objective" not in rows.columns:
        return pd.DataFrame()
    failing = failures(frame)
    distinct = distinct_failures(frame, ranges)
    columns = parameter_columns(frame)
    summary = []
    for name, part in rows.groupby("object", sort=True, observed=True):
        scored = part.dropna(subset=["objective"])
        entry = {
            "object": name,
            "renders": len(part),
            "failures": int((failing["object"] == name).sum()),
            "distinct_failures": int((distinct["object"] == name).sum()),
        }
        if len(scored):
            worst = scored.loc[scored["objective"].idxmin()]
            entry |= {
                "worst_id": worst["id"],
                "worst_environment": worst["environment"],
                "worst_prediction": worst.get("pred_top1_name"),
                "worst_objective": float(worst["objective"]),
                "worst_margin": float(worst["margin"]) if "margin" in worst and pd.notna(worst["margin"]) else None,
                **{f"worst_{c}": worst[c] for c in columns},
            }
        summary.append(entry)
    return pd.DataFrame(summary)


def best_so_far(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (object, environment): `renders` (1, 2, ... in ask order) and the lowest objective seen so far."""
    rows = frame.dropna(subset=["ask_index"]) if "ask_index" in frame.columns else frame.iloc[0:0]
    if "id" in rows.columns:
        rows = rows.drop_duplicates("id")  # one render, one objective, whatever number of models judged it
    if rows.empty or "objective" not in rows.columns:
        return pd.DataFrame(columns=["object", "environment", "renders", "best"])
    rows = rows.sort_values(["object", "environment", "ask_index"], kind="stable")
    curves = []
    for (obj, environment), part in rows.groupby(["object", "environment"], sort=True, observed=True):
        best = part["objective"].astype(float).fillna(np.inf).cummin().replace(np.inf, np.nan)
        curves.append(
            pd.DataFrame({"object": obj, "environment": environment, "renders": np.arange(1, len(part) + 1), "best": best.to_numpy()})
        )
    return pd.concat(curves, ignore_index=True)


def worst_case_images(summary: pd.DataFrame, frame: pd.DataFrame, root: str | Path | None = None) -> dict[str, Path]:
    """Saved render of each object's worst case, by object (only those saved inside the output folder)."""
    if summary.empty or "worst_id" not in summary.columns or "image_path" not in frame.columns:
        return {}
    root = Path(root if root is not None else frame.attrs.get("root", "."))
    paths = frame.drop_duplicates("id").set_index("id")["image_path"]  # one image per render, not per model
    images = {}
    for entry in summary.dropna(subset=["worst_id"]).to_dict("records"):
        path = saved_image(root, paths.get(entry["worst_id"]))
        if path is not None:
            images[entry["object"]] = path
    return images
