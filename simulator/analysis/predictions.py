"""What the model predicts instead: counts of top-1 predictions among misclassified samples."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from simulator.analysis.loading import evaluated


def prediction_distribution(
    frame: pd.DataFrame, by: str | Sequence[str] = "object", failures_only: bool = True, top: int | None = 5
) -> pd.DataFrame:
    """Counts of `pred_top1_name` per group of `by`, most frequent first within a group.

    With `failures_only` (default) only misclassified rows (`correct_top1` false) count. Columns:
    the `by` columns, `pred_top1_name`, `count`, `share` (of the group's counted rows); at most `top`
    predictions per group (None: all).
    """
    by = [by] if isinstance(by, str) else list(by)
    rows = evaluated(frame)
    if failures_only:
        rows = rows[~rows["correct_top1"].astype(bool)]
    keys = [*by, "pred_top1_name"]
    counts = rows.groupby(keys, observed=True).size().rename("count").reset_index()
    if by:
        totals = counts.groupby(by, observed=True)["count"].transform("sum")
        counts = counts.sort_values([*by, "count", "pred_top1_name"], ascending=[*[True] * len(by), False, True])
        counts["share"] = counts["count"] / totals.loc[counts.index]
        if top is not None:
            counts = counts.groupby(by, observed=True).head(top)
    else:
        counts = counts.sort_values(["count", "pred_top1_name"], ascending=[False, True])
        counts["share"] = counts["count"] / counts["count"].sum() if len(counts) else []
        if top is not None:
            counts = counts.head(top)
    return counts.reset_index(drop=True)
