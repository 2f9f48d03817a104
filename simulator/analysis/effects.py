"""Per-control sensitivity: accuracy across binned parameter values, and controls ranked by effect size."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from simulator.analysis.bins import binning, declared_kind
from simulator.analysis.loading import evaluated, parameter_columns
from simulator.analysis.tables import accuracy


def sensitivity(
    frame: pd.DataFrame,
    control: str,
    bins: int = 4,
    method: str = "quantile",
    by: str | Sequence[str] = (),
    max_discrete: int = 8,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Accuracy (with Wilson intervals) per bin of the parameter column `control` (see `bins.binning`),
    optionally also per `by` (e.g. "object"). The bin is the column `bin`, an ordered categorical;
    `condition` says the bin in words ("camera.elevation > 35")."""
    if control not in frame.columns:
        raise KeyError(f"column not in the results: {control!r}")
    rows = evaluated(frame)
    binned = binning(rows[control], bins, method, max_discrete, declared_kind(frame, control))
    keep = binned.codes >= 0
    rows = rows[keep].assign(bin=binned.series(rows.index)[keep])
    by = [by] if isinstance(by, str) else list(by)
    table = accuracy(rows, [*by, "bin"], confidence)
    codes = table["bin"].cat.codes.to_numpy()
    table.insert(len(by) + 1, "condition", [binned.condition(int(c)) for c in codes])
    return table


def rank_controls(
    frame: pd.DataFrame,
    controls: Sequence[str] | None = None,
    bins: int = 4,
    method: str = "quantile",
    max_discrete: int = 8,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Controls ranked by effect size: the range (max - min) of top-1 accuracy across their bins.

    `controls` defaults to every varying parameter column. Columns: `control`, `bins`, `effect`,
    `effect_low`, `effect_high`, `best_bin`, `best_top1`, `worst_bin`, `worst_top1`, largest effect first.
    The interval is conservative, built from the bins' Wilson intervals (not a bootstrap):
    [max(0, low(best) - high(worst)), high(best) - low(worst)]; each bin interval has `confidence`
    coverage, so the range interval has at least about that much.
    """
    controls = parameter_columns(frame) if controls is None else list(controls)
    records = []
    for control in controls:
        table = sensitivity(frame, control, bins, method, max_discrete=max_discrete, confidence=confidence)
        table = table[table["n"] > 0]
        if table.empty:
            continue
        best, worst = table.loc[table["top1"].idxmax()], table.loc[table["top1"].idxmin()]
        records.append(
            {
                "control": control,
                "bins": len(table),
                "effect": best["top1"] - worst["top1"],
                "effect_low": max(0.0, best["top1_low"] - worst["top1_high"]),
                "effect_high": best["top1_high"] - worst["top1_low"],
                "best_bin": str(best["bin"]),
                "best_top1": best["top1"],
                "worst_bin": str(worst["bin"]),
                "worst_top1": worst["top1"],
            }
        )
    columns = ["control", "bins", "effect", "effect_low", "effect_high", "best_bin", "best_top1", "worst_bin", "worst_top1"]
    ranking = pd.DataFrame(records, columns=columns)
    return ranking.sort_values(["effect", "effect_low"], ascending=False, kind="stable").reset_index(drop=True)
