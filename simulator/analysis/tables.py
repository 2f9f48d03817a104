"""Accuracy tables with Wilson intervals: any grouping, per object, per environment, object x environment."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from simulator.analysis.loading import evaluated
from simulator.analysis.stats import accuracy_table


def accuracy(frame: pd.DataFrame, by: str | Sequence[str] = (), confidence: float = 0.95) -> pd.DataFrame:
    """Top-1 and top-k accuracy with Wilson intervals per group of `by` (nothing: one overall row).

    Columns: the `by` columns, `n`, `failed`, `top1`, `top1_low`, `top1_high`, `topk`, `topk_low`, `topk_high`
    (as `stats.accuracy_table`; rows with `error` set are counted in `failed`, not in `n`).
    """
    by = [by] if isinstance(by, str) else list(by)
    return accuracy_table(frame, by=by, confidence=confidence)


def per_object(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """`accuracy` per object, worst top-1 first."""
    return accuracy(frame, "object", confidence).sort_values("top1", kind="stable").reset_index(drop=True)


def per_environment(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """`accuracy` per environment, worst top-1 first."""
    return accuracy(frame, "environment", confidence).sort_values("top1", kind="stable").reset_index(drop=True)


def object_environment(frame: pd.DataFrame, value: str = "top1") -> pd.DataFrame:
    """A pivot of `value` (top1, topk, n, ...) with objects as rows and environments as columns."""
    table = accuracy(frame, ["object", "environment"])
    return table.pivot(index="object", columns="environment", values=value)


def environment_summary(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per environment: `accuracy` columns plus the mean probability of the true label, the worst object
    (lowest top-1) and the most frequent wrong top-1 prediction (with its count)."""
    table = per_environment(frame, confidence)
    rows = evaluated(frame)
    extra = []
    for environment in table["environment"]:
        here = rows[rows["environment"] == environment]
        per = accuracy(here, "object").sort_values("top1", kind="stable")
        wrong = here.loc[~here["correct_top1"].astype(bool), "pred_top1_name"].value_counts()
        extra.append(
            {
                "mean_true_prob": float(here["true_prob"].mean()) if len(here) else float("nan"),
                "worst_object": per["object"].iloc[0] if len(per) else None,
                "worst_object_top1": float(per["top1"].iloc[0]) if len(per) else float("nan"),
                "top_wrong_prediction": wrong.index[0] if len(wrong) else None,
                "top_wrong_count": int(wrong.iloc[0]) if len(wrong) else 0,
            }
        )
    return pd.concat([table, pd.DataFrame(extra, index=table.index)], axis=1)
