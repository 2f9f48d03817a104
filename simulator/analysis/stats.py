"""Accuracy with confidence intervals: the Wilson score interval and per-group accuracy tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import norm


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """(low, high) Wilson score interval for successes/trials, elementwise; NaN where trials == 0.

    Closed form (Wilson 1927), as statsmodels' `proportion_confint(method="wilson")`.
    Scalars in give numpy floats out; arrays broadcast.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if np.any(n < 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("need 0 <= successes <= trials")
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        center = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    # The bounds are exactly 0 at k == 0 and 1 at k == n; rounding would leave 1e-16 off.
    low = np.where((k == 0) & (n > 0), 0.0, center - half)
    high = np.where((k == n) & (n > 0), 1.0, center + half)
    return low[()], high[()]


CORRECT_COLUMNS = ("correct_top1", "correct_topk")
GENERIC_CORRECT = "correct"  # every evaluator's verdict (detection, plugins): used when there is no correct_top1


def correct_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """Which of `CORRECT_COLUMNS` are among `columns` (an evaluator may write only correct_top1); else the
    generic `correct` when the results have it (its accuracy column is named `correct`)."""
    found = tuple(column for column in CORRECT_COLUMNS if column in columns)
    return found or ((GENERIC_CORRECT,) if GENERIC_CORRECT in columns else ())


def accuracy_table(
    df: pd.DataFrame,
    by: Sequence[str],
    columns: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Accuracy per group of `by` (no `by`: one overall row), with Wilson intervals.

    Output columns: the `by` columns, `n` (evaluated rows, the denominator), `failed` (rows whose
    `error` is set; only when the frame has an `error` column), then for each column its short name
    (`correct_top1` -> `top1`) with `<name>_low` and `<name>_high`. Failed rows are not in `n`.
    Evaluated rows must have every `columns` value set (ValueError naming the column otherwise).
    `columns` defaults to the `correct_top1` / `correct_topk` columns the frame has.
    """
    columns = correct_columns(list(df.columns)) if columns is None else columns
    missing = [c for c in [*by, *columns] if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the results: {missing}")
    failed = df["error"].notna() if "error" in df.columns else pd.Series(False, index=df.index)
    evaluated = ~failed
    counts = pd.DataFrame({"n": evaluated.astype(int)}, index=df.index)
    if "error" in df.columns:
        counts["failed"] = failed.astype(int)
    for column in columns:
        values = df[column][evaluated]
        if values.isna().any():
            raise ValueError(f"{column!r} is missing in {int(values.isna().sum())} rows without an error")
        counts[column] = df[column].where(evaluated, False).astype(bool).astype(int)  # failed rows count 0
    if by:
        sums = counts.groupby([df[key] for key in by], dropna=False, observed=True, sort=True).sum().reset_index()
    else:
        sums = counts.sum().to_frame().T
    return accuracy_from_counts(sums, by, columns, confidence)


def accuracy_from_counts(
    sums: pd.DataFrame, by: Sequence[str], columns: Sequence[str], confidence: float = 0.95
) -> pd.DataFrame:
    """The `accuracy_table` layout from per-group counts: `by`, `n`, optional `failed`, and per column the
    number of correct rows (e.g. aggregated by duckdb out of memory)."""
    table = sums[[*by, *(c for c in ("n", "failed") if c in sums)]].copy()
    for column in columns:
        name = column.removeprefix("correct_")
        successes, trials = sums[column].to_numpy(), sums["n"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            table[name] = np.where(trials > 0, successes / trials, np.nan)
        table[f"{name}_low"], table[f"{name}_high"] = wilson_interval(successes, trials, confidence)
    return table
