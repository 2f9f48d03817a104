"""Detection over a run: average precision at IoU 0.5 and 0.75, recall, and recall against how much of
the object is visible (rows written by the `detection` evaluator)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulator.analysis.loading import evaluated
from simulator.analysis.stats import wilson_interval
from simulator.evaluators.boxes import average_precision

DETECTION_COLUMNS = ("pred_scores", "pred_match_50", "pred_match_75", "detected", "visible_fraction")
VISIBILITY_EDGES = (0.0, 0.25, 0.5, 0.75, 1.0)


def has_detection(frame: pd.DataFrame) -> bool:
    return all(column in frame.columns for column in DETECTION_COLUMNS)


def _models(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    if "model" not in rows.columns:
        return [("", rows)]
    return [(str(name), part) for name, part in rows.groupby("model", sort=False, observed=True)]


def run_average_precision(rows: pd.DataFrame, match_column: str = "pred_match_50") -> float:
    """AP over every prediction of `rows` (all scores, not only those above the threshold)."""
    truths = int(rows["detected"].notna().sum())
    scores = np.concatenate([np.asarray(s, dtype=float) for s in rows["pred_scores"]] or [np.empty(0)])
    hits = np.concatenate([np.asarray(m, dtype=bool) for m in rows[match_column]] or [np.empty(0, dtype=bool)])
    return average_precision(scores, hits, truths)


def detection_summary(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per model: renders, objects visible, AP@0.5, AP@0.75, recall and precision at the score threshold
    (recall with a Wilson interval)."""
    table = []
    for name, rows in _models(evaluated(frame)):
        visible = rows[rows["detected"].notna()]
        found = int(visible["detected"].astype(bool).sum())
        low, high = wilson_interval(np.array(found), np.array(len(visible)), confidence)
        tp, fp = int(rows["tp"].sum()), int(rows["fp"].sum())
        table.append({
            "model": name,
            "renders": len(rows),
            "visible": len(visible),
            "ap50": run_average_precision(rows, "pred_match_50"),
            "ap75": run_average_precision(rows, "pred_match_75"),
            "recall": found / len(visible) if len(visible) else float("nan"),
            "recall_low": float(low),
            "recall_high": float(high),
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "score_threshold": float(rows["score_threshold"].iloc[0]) if len(rows) else float("nan"),
        })
    return pd.DataFrame(table)


def recall_by_visibility(
    frame: pd.DataFrame, edges: Sequence[float] = VISIBILITY_EDGES, confidence: float = 0.95
) -> pd.DataFrame:
    """Per model and visible-fraction bin (right-closed, the first also holds its left edge): renders with
    the object visible, recall and its Wilson interval."""
    table = []
    for name, rows in _models(evaluated(frame)):
        visible = rows[rows["detected"].notna()]
        bins = pd.cut(visible["visible_fraction"].astype(float), list(edges), include_lowest=True)
        for interval, part in visible.groupby(bins, observed=False, sort=True):
            found, n = int(part["detected"].astype(bool).sum()), len(part)
            low, high = wilson_interval(np.array(found), np.array(n), confidence)
            table.append({
                "model": name, "visible_fraction": str(interval), "n": n,
                "recall": found / n if n else float("nan"), "recall_low": float(low), "recall_high": float(high),
            })
    return pd.DataFrame(table)
