"""What the HTML report shows about several models (differential testing) and about detection."""

from __future__ import annotations

from itertools import combinations

import pandas as pd

from simulator.analysis.comparison import (
    agreement_matrix,
    disagreement_conditions,
    model_accuracy,
    model_names,
    paired_comparison,
)
from simulator.analysis.detection import detection_summary, has_detection, recall_by_visibility
from simulator.analysis.loading import evaluated

CONDITIONS_PER_PAIR = 5


def comparison_context(frame: pd.DataFrame, bins: int = 4, method: str = "quantile") -> dict | None:
    """The "Models compared" section: None unless the results hold two models or more."""
    names = model_names(frame)
    if len(names) < 2:
        return None
    matrix = agreement_matrix(frame)
    return {
        "models": names,
        "agreement": [{"model": name, "values": [matrix.loc[name, other] for other in names]} for name in names],
        "accuracy": model_accuracy(frame).to_dict("records"),
        "pairs": paired_comparison(frame).to_dict("records"),
        "by_object": paired_comparison(frame, by="object").to_dict("records"),
        "conditions": [
            {"a": a, "b": b, "rows": disagreement_conditions(frame, a, b, bins, method, CONDITIONS_PER_PAIR).to_dict("records")}
            for a, b in combinations(names, 2)
        ],
    }


def detection_context(frame: pd.DataFrame) -> dict | None:
    """The detection section: AP, recall and recall by visible fraction per model (None without detection rows)."""
    if not has_detection(frame):
        return None
    return {
        "summary": detection_summary(frame).to_dict("records"),
        "visibility": recall_by_visibility(frame).to_dict("records"),
    }


def detection_report_context(frame: pd.DataFrame, bins: int = 4, method: str = "quantile") -> dict:
    """Everything the detection report shows, for results the `detection` evaluator wrote."""
    return {
        "experiment": ", ".join(sorted(map(str, frame["experiment"].dropna().unique()))) if "experiment" in frame else "",
        "rows": len(frame),
        "evaluated": len(evaluated(frame)),
        "errors": int(frame["error"].notna().sum()) if "error" in frame.columns else 0,
        "detection": detection_context(frame),
        "comparison": comparison_context(frame, bins, method),
    }
